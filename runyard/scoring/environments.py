"""Model environments for ``--env-manager virtualenv|uv``: the environment a model was saved with
(``python_env.yaml``, ``requirements.txt``), built once into a cache directory and reused.

Where: ``<env root>/<key>`` (``RUNYARD_ENV_ROOT`` / ``MLFLOW_ENV_ROOT``, default
``~/.runyard/envs``), where the key is the SHA-256 of the env manager, the interpreter version, the
model's environment files, and runyard's version and dependencies. The venv itself is
``<key>/venv``; the build log is ``<key>/build.log``. ``runyard.scoring.cache`` makes the build
atomic (a marker written last) and exclusive (a lock). runyard's own files are not in the key: a
reused environment whose runyard differs from the running one (an edited source tree) gets the
new runyard wheel reinstalled alone (``--no-deps``), in seconds, instead of a rebuild.

What is installed: the model's build dependencies (``pip``, ``setuptools``, ``wheel`` as pinned in
``python_env.yaml``), then its requirements together with a wheel of the running runyard (see
``runyard.scoring.distribution``). Requirement lines naming ``runyard``, ``mlflow``,
``mlflow-skinny`` or ``mlflow-tracing`` are dropped: runyard serves the model in MLflow's place
(it reads MLflow's pickles itself), runyard may be on no package index, and installing MLflow
only to leave it unused would cost minutes.

Which Python: the version in ``python_env.yaml`` when an interpreter of that major.minor version is
available (this one, or ``pythonX.Y`` on PATH); otherwise this interpreter, with a warning.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from runyard import config
from runyard.errors import InvalidParameterValue, RunyardException
from runyard.scoring import cache, distribution

MANAGERS = ("local", "virtualenv", "uv")
_DROPPED = frozenset({"runyard", "mlflow", "mlflow-skinny", "mlflow-tracing"})
PYTHON_ENV_FILE = "python_env.yaml"
REQUIREMENTS_FILE = "requirements.txt"
CONSTRAINTS_FILE = "constraints.txt"
BUILD_LOG = "build.log"
RUNYARD_FINGERPRINT = "runyard-fingerprint"

Log = Callable[[str], None]


@dataclass(frozen=True)
class ModelEnvironment:
    """What a model directory says its environment is."""

    python: str | None
    build_dependencies: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    constraints: str | None = None
    python_env_text: str = ""


@dataclass(frozen=True)
class PreparedEnvironment:
    """A built environment: its directory, its interpreter, and whether this call built it."""

    path: Path
    python: Path
    built: bool


def requirement_name(line: str) -> str:
    """The normalised distribution name of a requirement line (``''`` for options like ``-c``)."""
    text = line.strip()
    if not text or text.startswith("-"):
        return ""
    for separator in ("[", "=", "<", ">", "!", "~", ";", " ", "@"):
        text = text.split(separator, 1)[0]
    return text.strip().lower().replace("_", "-").replace(".", "-")


def _lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    return [s for s in (line.split(" #", 1)[0].strip() for line in text.splitlines()) if s and not s.startswith("#")]


def read_model_environment(model_dir: str | os.PathLike[str]) -> ModelEnvironment:
    """Read ``python_env.yaml`` (and the requirement files it names, usually ``requirements.txt``)
    from a model directory; without ``python_env.yaml``, ``requirements.txt`` alone is used."""
    root = Path(model_dir)
    python_env_path = root / PYTHON_ENV_FILE
    spec: dict = {}
    text = ""
    if python_env_path.is_file():
        text = python_env_path.read_text(encoding="utf-8")
        spec = yaml.safe_load(text) or {}
        if not isinstance(spec, dict):
            raise InvalidParameterValue(f"{python_env_path} does not hold a YAML mapping")
    dependencies = spec.get("dependencies") if spec else [f"-r {REQUIREMENTS_FILE}"]
    lines: list[str] = []
    for dep in dependencies or []:
        dep = str(dep).strip()
        if dep.startswith("-r "):
            named = root / dep[3:].strip()
            if named.is_file():
                lines.extend(_lines(named))
            elif python_env_path.is_file():
                raise InvalidParameterValue(f"{python_env_path} names {dep[3:].strip()!r}, which the model lacks")
        elif dep:
            lines.append(dep)
    kept = [line for line in lines if requirement_name(line) not in _DROPPED]
    constraints = root / CONSTRAINTS_FILE
    python = spec.get("python")
    return ModelEnvironment(
        python=str(python) if python is not None else None,
        build_dependencies=[str(d) for d in spec.get("build_dependencies") or []],
        requirements=list(dict.fromkeys(kept)), dropped=[line for line in lines if line not in kept],
        constraints=constraints.read_text(encoding="utf-8") if constraints.is_file() else None,
        python_env_text=text)


def _version_of(executable: str) -> str | None:
    try:
        done = subprocess.run([executable, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
                              capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def choose_interpreter(wanted: str | None, log: Log) -> tuple[str, str]:
    """(executable, X.Y.Z) of the interpreter to build with: one of the wanted major.minor version
    when available, else this one (with a warning)."""
    current = ".".join(map(str, sys.version_info[:3]))
    if not wanted:
        return sys.executable, current
    minor = ".".join(wanted.split(".")[:2])
    if current == wanted or ".".join(current.split(".")[:2]) == minor:
        return sys.executable, current
    found = shutil.which(f"python{minor}")
    version = _version_of(found) if found else None
    if found and version and ".".join(version.split(".")[:2]) == minor:
        return found, version
    log(f"Warning: the model wants Python {wanted} (python_env.yaml) but no python{minor} is available; "
        f"building its environment with this Python {current} instead")
    return sys.executable, current


def environment_key(manager: str, python_version: str, env: ModelEnvironment, runyard_release: str) -> str:
    """The cache key (SHA-256 hex) of an environment."""
    digest = hashlib.sha256()
    for part in (manager, python_version, env.python_env_text, "\n".join(env.requirements),
                 env.constraints or "", runyard_release):
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()


def uv_path() -> str:
    """The ``uv`` executable: ``RUNYARD_UV``, else ``uv`` on PATH or beside this interpreter."""
    configured = config.uv_executable()
    if configured:
        if shutil.which(configured):
            return str(shutil.which(configured))
        raise RunyardException(f"--env-manager uv needs the 'uv' executable; RUNYARD_UV={configured!r} "
                               "is not an executable file")
    found = shutil.which("uv") or shutil.which("uv", path=os.path.dirname(sys.executable))
    if not found:
        raise RunyardException("--env-manager uv needs the 'uv' executable, which is not installed "
                               "(pip install uv), or use --env-manager virtualenv")
    return found


def _run(command: list[str], log_file: Path, cwd: Path) -> None:
    with open(log_file, "a", encoding="utf-8") as out:
        out.write(f"$ {' '.join(command)}\n")
        out.flush()
        done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, check=False)
    if done.returncode != 0:
        tail = " | ".join(log_file.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-6:])
        raise RunyardException(f"Building the model environment failed ({os.path.basename(command[0])} exited "
                               f"{done.returncode}; full log: {log_file}): {tail}")


def _write_inputs(target: Path, env: ModelEnvironment) -> Path:
    requirements = target / REQUIREMENTS_FILE
    requirements.write_text("\n".join(env.requirements) + "\n", encoding="utf-8")
    if env.constraints is not None:
        (target / CONSTRAINTS_FILE).write_text(env.constraints, encoding="utf-8")
    return requirements


def venv_python(venv: Path) -> Path:
    """The interpreter of a virtual environment."""
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _installer(manager: str, python: Path) -> list[str]:
    if manager == "uv":
        return [uv_path(), "pip", "install", "--python", str(python)]
    # As uv does by default, pip skips precompiling bytecode: the build takes about half the time,
    # and Python writes .pyc files for the modules it really imports on first use.
    return [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--no-compile"]


def _builder(manager: str, interpreter: str, env: ModelEnvironment, wheel: Path, log: Log) -> Callable[[Path], None]:
    def build(target: Path) -> None:
        log_file = target / BUILD_LOG
        requirements = _write_inputs(target, env)
        venv = target / "venv"
        if manager == "uv":
            _run([uv_path(), "venv", "--quiet", "--python", interpreter, str(venv)], log_file, target)
        else:
            _run([interpreter, "-m", "venv", str(venv)], log_file, target)
        install = _installer(manager, venv_python(venv))
        if env.build_dependencies:
            log(f"Installing build dependencies: {' '.join(env.build_dependencies)}")
            _run(install + env.build_dependencies, log_file, target)
        log(f"Installing {len(env.requirements)} model requirement(s) and runyard ({wheel.name})")
        _run(install + ["-r", str(requirements), str(wheel)], log_file, target)
        (target / RUNYARD_FINGERPRINT).write_text(wheel.parent.name, encoding="utf-8")

    return build


def _refresh_runyard(target: Path, manager: str, root: str | os.PathLike[str], log: Log) -> None:
    """Reinstall runyard alone (``--no-deps``) in a reused environment whose runyard files differ
    from the running runyard's (an edited source tree): the environment is not rebuilt."""
    current = distribution.fingerprint()[:24]
    recorded = target / RUNYARD_FINGERPRINT
    if recorded.is_file() and recorded.read_text(encoding="utf-8").strip() == current:
        return
    with cache.locked(target):
        if recorded.is_file() and recorded.read_text(encoding="utf-8").strip() == current:
            return
        wheel = distribution.runyard_wheel(root, log)
        log(f"Updating runyard in the model environment {target} (its files changed)")
        reinstall = "--reinstall" if manager == "uv" else "--force-reinstall"
        _run(_installer(manager, venv_python(target / "venv")) + ["--no-deps", reinstall, str(wheel)],
             target / BUILD_LOG, target)
        recorded.write_text(wheel.parent.name, encoding="utf-8")


def prepare_environment(model_dir: str | os.PathLike[str], manager: str, root: str | os.PathLike[str],
                        log: Log) -> PreparedEnvironment:
    """Build (or reuse) the environment of the model in ``model_dir`` with ``manager``
    (``virtualenv`` or ``uv``) under ``root``; returns where it is and its interpreter."""
    if manager not in ("virtualenv", "uv"):
        raise InvalidParameterValue(f"env manager {manager!r} builds no environment; use virtualenv or uv")
    if manager == "uv":
        uv_path()  # a missing uv is reported before anything is built
    env = read_model_environment(model_dir)
    if env.dropped:
        log(f"Not installing {', '.join(env.dropped)}: runyard serves the model itself")
    interpreter, version = choose_interpreter(env.python, log)
    target = Path(root) / environment_key(manager, version, env, distribution.release_digest())[:40]
    built = False
    if cache.is_built(target):
        log(f"Using the cached model environment {target}")
    else:
        wheel = distribution.runyard_wheel(root, log)
        build = _builder(manager, interpreter, env, wheel, log)

        def announced(path: Path) -> None:
            log(f"Building the model environment in {path} ({manager}, Python {version})")
            build(path)

        built = cache.ensure_built(target, announced,
                                   on_wait=lambda: log(f"Waiting for another process building {target}"))
        log(f"{'Built' if built else 'Using'} the model environment {target}")
    _refresh_runyard(target, manager, root, log)
    return PreparedEnvironment(target, venv_python(target / "venv"), built=built)
