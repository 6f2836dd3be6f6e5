"""``runyard models generate-dockerfile|build-docker``: the build context, and its Dockerfile replayed
without a Docker engine (none runs here or in CI).

The replay follows the Dockerfile line by line: each ``COPY src dst`` maps an image path to the
context, each ``RUN python -m pip ...`` runs with a fresh venv's Python on the mapped paths, and the
``CMD`` runs from that venv against the copied model on a free port; then /invocations answers.
``useradd``/``USER`` and ``ENV`` lines are the only ones not replayed.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from runyard.cli.main import cli
from runyard.scoring.docker import docker_engine_available
from tests.live_server import free_port
from tests.scoring.processes import post_json, start, stop, wait_ready

INSTALL_SECONDS = 420


def _generate(doubler, env_root, *args):
    # In process, --tracking-uri sets the fluent tracking URI; the `tracking` fixture resets it after.
    return CliRunner().invoke(cli, ["models", "generate-dockerfile", "-m", doubler["uri"], "--tracking-uri",
                                    doubler["tracking"], *args], env={"RUNYARD_ENV_ROOT": str(env_root)})


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    lines = [line for line in dockerfile.read_text().splitlines() if line and not line.startswith("#")]
    return [(line.split(" ", 1)[0], line.split(" ", 1)[1]) for line in lines]


def _mapped(arg: str, copies: dict[str, Path]) -> str:
    for image_path in sorted(copies, key=len, reverse=True):
        if arg == image_path or arg.startswith(image_path + "/"):
            return str(copies[image_path]) + arg[len(image_path):]
    return arg


def test_dockerfile_layout(doubler, env_root, tmp_path, tracking):
    result = _generate(doubler, env_root, "-d", str(tmp_path / "ctx"))
    assert result.exit_code == 0, result.output
    context = tmp_path / "ctx"
    steps = _instructions(context / "Dockerfile")
    assert steps[0] == ("FROM", f"python:{sys.version_info.major}.{sys.version_info.minor}-slim")
    assert ("EXPOSE", "8080") in steps and ("USER", "runyard") in steps
    assert json.loads(dict(steps)["CMD"]) == ["runyard", "models", "serve", "-m", "/opt/ml/model", "-h", "0.0.0.0",
                                              "-p", "8080", "--env-manager", "local"]
    assert (context / "model" / "MLmodel").is_file() and len(list((context / "wheels").glob("runyard-*.whl"))) == 1
    requirements = (context / "model" / "requirements.txt").read_text().split()
    assert (context / "requirements.txt").read_text().split() == requirements
    # virtualenv: the model's Python and pinned build tools in /opt/venv; a rewrite refreshes the context.
    result = _generate(doubler, env_root, "-d", str(context), "--env-manager", "virtualenv")
    assert result.exit_code == 0, result.output
    steps = _instructions(context / "Dockerfile")
    assert ("RUN", "python -m venv /opt/venv") in steps and ("ENV", "PATH=/opt/venv/bin:$PATH") in steps
    assert any(kind == "RUN" and "pip==" in rest and "setuptools==" in rest for kind, rest in steps)
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "requirements.txt").write_text("keep me")
    result = _generate(doubler, env_root, "-d", str(tmp_path / "project"))
    assert result.exit_code == 1 and "is not empty and holds no runyard build context" in result.output
    assert (tmp_path / "project" / "requirements.txt").read_text() == "keep me"


def test_build_docker_without_an_engine_leaves_the_context_and_the_command(doubler, env_root, tmp_path):
    if docker_engine_available():
        pytest.skip("a Docker engine answers here; this test is about machines without one")
    result = CliRunner().invoke(cli, ["models", "build-docker", "-m", doubler["path"], "-n", "doubler:1",
                                      "--output-directory", str(tmp_path / "ctx")],
                                env={"RUNYARD_ENV_ROOT": str(env_root)})
    assert result.exit_code == 0, result.output
    assert "No Docker engine answers here" in result.output
    assert f"docker build -t doubler:1 {tmp_path / 'ctx'}" in result.output
    assert (tmp_path / "ctx" / "Dockerfile").is_file()


@pytest.mark.env_build
def test_dockerfile_replayed_in_a_fresh_venv_serves_the_model(doubler, env_root, tmp_path, tracking):
    assert _generate(doubler, env_root, "-d", str(tmp_path / "ctx")).exit_code == 0
    context = tmp_path / "ctx"
    venv = tmp_path / "image"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    copies: dict[str, Path] = {}
    command: list[str] = []
    for kind, rest in _instructions(context / "Dockerfile"):
        if kind == "COPY":
            source, image_path = rest.split()
            copies[image_path.rstrip("/")] = context / source.rstrip("/")
        elif kind == "RUN" and rest.startswith("python -m pip "):
            argv = [str(python)] + [_mapped(arg, copies) for arg in shlex.split(rest)[1:]]
            done = subprocess.run(argv, capture_output=True, text=True, timeout=INSTALL_SECONDS, cwd=tmp_path)
            assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        elif kind == "CMD":
            command = json.loads(rest)
    assert command[0] == "runyard"
    port = free_port()
    argv = [str(venv / "bin" / "runyard")] + [_mapped(arg, copies) for arg in command[1:]]
    argv[argv.index("-p") + 1] = str(port)
    argv[argv.index("-h") + 1] = "127.0.0.1"
    process = start(argv)  # a console script puts its own bin/ on sys.path, not the checkout
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(process, url, 120)
        body = {"dataframe_records": [{"x": 1.0}, {"x": 4.0}]}
        assert post_json(url, body) == {"predictions": [{"y": 2.0}, {"y": 8.0}]}
    finally:
        stop(process)
    installed = subprocess.run([str(python), "-I", "-c", "import runyard; print(runyard.__file__)"],
                               capture_output=True, text=True, check=True).stdout
    assert installed.startswith(str(venv)), installed
    assert not os.path.exists(context / "runyard")  # the image gets a wheel, never the source tree
