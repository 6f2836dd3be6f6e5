"""Model environments without building one: what is read from a model, the cache key, the build
lock and marker, and the errors for missing tools."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from click.testing import CliRunner

from runyard.cli.main import cli
from runyard.errors import RunyardException
from runyard.scoring import cache, distribution
from runyard.scoring.environments import (choose_interpreter, environment_key, prepare_environment,
                                          read_model_environment, requirement_name)


def _model(tmp_path, requirements, python="3.11.7", constraints=None):
    model = tmp_path / "model"
    model.mkdir()
    (model / "python_env.yaml").write_text(
        f"python: {python}\nbuild_dependencies:\n- pip==24.0\n- wheel\ndependencies:\n- -r requirements.txt\n")
    (model / "requirements.txt").write_text("\n".join(requirements))
    if constraints is not None:
        (model / "constraints.txt").write_text(constraints)
    return model


def test_runyard_and_mlflow_requirements_are_dropped(tmp_path):
    model = _model(tmp_path, ["mlflow==3.18.0", "cloudpickle==3.1.1", "# a comment", "MLflow_Skinny>=3",
                              "runyard==0.1.0", "pandas==2.2.3  # pinned", "-c constraints.txt"], constraints="numpy<3")
    env = read_model_environment(model)
    assert env.python == "3.11.7"
    assert env.build_dependencies == ["pip==24.0", "wheel"]
    assert env.requirements == ["cloudpickle==3.1.1", "pandas==2.2.3", "-c constraints.txt"]
    assert env.dropped == ["mlflow==3.18.0", "MLflow_Skinny>=3", "runyard==0.1.0"]
    assert env.constraints == "numpy<3"
    assert [requirement_name(x) for x in ("scikit_learn[all]>=1", "-r x.txt", "zope.interface")] == [
        "scikit-learn", "", "zope-interface"]


def test_a_model_without_python_env_uses_its_requirements(tmp_path):
    (tmp_path / "requirements.txt").write_text("numpy==2.0.0\n")
    env = read_model_environment(tmp_path)
    assert env.python is None and env.build_dependencies == [] and env.requirements == ["numpy==2.0.0"]


def test_cache_key_follows_the_environment_files_and_runyard(tmp_path):
    env = read_model_environment(_model(tmp_path, ["cloudpickle==3.1.1"]))
    (tmp_path / "b").mkdir()
    other = read_model_environment(_model(tmp_path / "b", ["cloudpickle==3.1.2"]))
    key = environment_key("virtualenv", "3.11.7", env, "fp")
    assert key == environment_key("virtualenv", "3.11.7", env, "fp")
    assert len({key, environment_key("uv", "3.11.7", env, "fp"), environment_key("virtualenv", "3.12.1", env, "fp"),
                environment_key("virtualenv", "3.11.7", other, "fp"),
                environment_key("virtualenv", "3.11.7", env, "fp2")}) == 5
    assert distribution.fingerprint() == distribution.fingerprint()


def test_unavailable_python_falls_back_to_this_one_with_a_warning():
    lines = []
    executable, version = choose_interpreter("2.7.18", lines.append)
    assert executable == sys.executable and version.startswith(f"{sys.version_info[0]}.{sys.version_info[1]}.")
    assert len(lines) == 1 and lines[0].startswith("Warning: the model wants Python 2.7.18")
    current = ".".join(map(str, sys.version_info[:2])) + ".0"
    assert choose_interpreter(current, lines.append)[0] == sys.executable and len(lines) == 1


def test_ensure_built_builds_once_under_concurrency(tmp_path):
    builds, waits, results = [], [], []

    def build(path):
        builds.append(path)
        time.sleep(0.3)
        (path / "made").write_text("x")

    threads = [threading.Thread(target=lambda: results.append(
        cache.ensure_built(tmp_path / "env", build, on_wait=lambda: waits.append(1)))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(builds) == 1 and sorted(results) == [False, False, False, True] and waits
    assert cache.is_built(tmp_path / "env") and (tmp_path / "env" / "made").is_file()


def test_a_half_built_directory_is_rebuilt_and_a_failed_build_leaves_no_marker(tmp_path):
    target = tmp_path / "env"
    target.mkdir()
    (target / "leftover").write_text("from an interrupted build")

    def failing(path):
        assert not (path / "leftover").exists()
        raise RuntimeError("pip failed")

    with pytest.raises(RuntimeError):
        cache.ensure_built(target, failing)
    assert not cache.is_built(target)
    assert cache.ensure_built(target, lambda path: None) is True
    assert cache.ensure_built(target, lambda path: pytest.fail("rebuilt")) is False


def test_missing_uv_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("RUNYARD_UV", str(tmp_path / "no-uv-here"))
    with pytest.raises(RunyardException, match="needs the 'uv' executable"):
        prepare_environment(_model(tmp_path, []), "uv", tmp_path / "envs", print)
    assert not (tmp_path / "envs").exists()
    result = CliRunner().invoke(cli, ["models", "serve", "-m", str(tmp_path / "model"), "--env-manager", "uv"],
                                env={"RUNYARD_ENV_ROOT": str(tmp_path / "envs")})
    assert result.exit_code == 1
    assert result.output.startswith("Error: --env-manager uv needs the 'uv' executable")


def test_conda_is_refused():
    result = CliRunner().invoke(cli, ["models", "serve", "-m", "models:/x/1", "--env-manager", "conda"])
    assert result.exit_code == 2
    assert "--env-manager conda is not supported; use local, virtualenv or uv" in result.output


def test_an_installed_runyard_gets_a_pyproject_from_its_metadata(tmp_path):
    tomllib = pytest.importorskip("tomllib")

    project = tomllib.loads(distribution._generated_pyproject())["project"]
    assert project["name"] == "runyard" and project["version"] == distribution.__version__
    assert any(dep.startswith("click") for dep in project["dependencies"])
    assert not any("extra ==" in dep for dep in project["dependencies"])
    copied = distribution.copy_source(tmp_path / "src")
    assert (copied / "pyproject.toml").is_file() and (copied / "runyard" / "cli" / "__main__.py").is_file()
    assert not list(copied.rglob("__pycache__"))
