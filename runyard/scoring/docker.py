"""Docker build contexts that serve a model: ``runyard models build-docker|generate-dockerfile``.

A context holds everything the image needs, so building it never reaches for runyard on a
package index:

- ``model/``: the model directory (copied from any model URI), installed at ``/opt/ml/model``;
- ``wheels/``: a wheel of the running runyard (``runyard.scoring.distribution``);
- ``requirements.txt`` (and ``constraints.txt``): the model's requirements, without the
  ``runyard``/``mlflow`` lines (as for ``--env-manager virtualenv``, see ``environments``);
- ``Dockerfile``: a ``python:X.Y-slim`` base, runyard and the requirements installed with pip, a
  non-root user, ``EXPOSE 8080`` and ``CMD runyard models serve -m /opt/ml/model -h 0.0.0.0 -p 8080``.

With ``--env-manager local`` the base image has the running interpreter's Python and the packages
go into its site-packages; with ``virtualenv`` it has the model's Python (``python_env.yaml``) and
they go into ``/opt/venv`` after the model's pinned build dependencies.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from runyard.errors import InvalidParameterValue
from runyard.scoring.environments import CONSTRAINTS_FILE, REQUIREMENTS_FILE, ModelEnvironment, read_model_environment
from runyard.version import __version__

MODEL_PATH = "/opt/ml/model"
PORT = 8080
DOCKER_MANAGERS = ("local", "virtualenv")
_USER = "runyard"
_CONTEXT_ENTRIES = ("Dockerfile", "model", "wheels", REQUIREMENTS_FILE, CONSTRAINTS_FILE)
_HEADER = "# Serves the model in model/ with runyard"


def serve_command() -> list[str]:
    """The image's ``CMD`` (exec form)."""
    return ["runyard", "models", "serve", "-m", MODEL_PATH, "-h", "0.0.0.0", "-p", str(PORT),
            "--env-manager", "local"]


def _python_minor(env: ModelEnvironment, manager: str) -> str:
    current = f"{sys.version_info.major}.{sys.version_info.minor}"
    if manager == "local" or not env.python:
        return current
    parts = env.python.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and all(p.isdigit() for p in parts[:2]) else current


def dockerfile_text(env: ModelEnvironment, manager: str, wheel_name: str) -> str:
    """The Dockerfile of a build context (see the module docstring for its layout)."""
    lines = [f"{_HEADER} {__version__}; written by runyard models "
             "generate-dockerfile / build-docker.",
             f"FROM python:{_python_minor(env, manager)}-slim",
             "",
             "ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1",
             f"RUN useradd --create-home --uid 10001 {_USER}",
             ""]
    if manager == "virtualenv":
        lines += ["RUN python -m venv /opt/venv", "ENV PATH=/opt/venv/bin:$PATH"]
        if env.build_dependencies:
            lines.append("RUN python -m pip install " + " ".join(env.build_dependencies))
    lines.append("COPY wheels/ /opt/runyard/wheels/")
    lines.append(f"COPY {REQUIREMENTS_FILE} /opt/runyard/{REQUIREMENTS_FILE}")
    if env.constraints is not None:
        lines.append(f"COPY {CONSTRAINTS_FILE} /opt/runyard/{CONSTRAINTS_FILE}")
    lines += [f"RUN python -m pip install /opt/runyard/wheels/{wheel_name} -r /opt/runyard/{REQUIREMENTS_FILE}",
              "",
              f"COPY model/ {MODEL_PATH}/",
              f"USER {_USER}",
              f"EXPOSE {PORT}",
              f"CMD {json.dumps(serve_command())}",
              ""]
    return "\n".join(lines)


def _clear_context(context: Path) -> None:
    """Create ``context``, or empty the entries of an earlier context there; any other non-empty
    directory is refused rather than overwritten (it may be someone's project)."""
    if context.is_dir() and any(context.iterdir()):
        dockerfile = context / "Dockerfile"
        ours = dockerfile.is_file() and dockerfile.read_text(encoding="utf-8", errors="replace").startswith(_HEADER)
        if not ours:
            raise InvalidParameterValue(f"The output directory {context} is not empty and holds no runyard "
                                        "build context; name a new or empty directory")
        for name in _CONTEXT_ENTRIES:
            old = context / name
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
    context.mkdir(parents=True, exist_ok=True)


def write_build_context(model_dir: str, output: str, manager: str, wheel: Path) -> Path:
    """Write a Docker build context for the model in ``model_dir`` into ``output`` (created, or
    refreshed when it already holds one); returns the context directory."""
    if manager not in DOCKER_MANAGERS:
        raise InvalidParameterValue(f"--env-manager {manager} is not supported for Docker images; "
                                    f"use one of {', '.join(DOCKER_MANAGERS)}")
    context = Path(output).resolve()
    source = Path(model_dir).resolve()
    if context == source or source in context.parents:
        raise InvalidParameterValue(f"The output directory {context} must not be inside the model directory {source}")
    _clear_context(context)
    shutil.copytree(source, context / "model")
    (context / "wheels").mkdir()
    shutil.copy2(wheel, context / "wheels" / wheel.name)
    env = read_model_environment(source)
    (context / REQUIREMENTS_FILE).write_text("\n".join(env.requirements) + "\n", encoding="utf-8")
    if env.constraints is not None:
        (context / CONSTRAINTS_FILE).write_text(env.constraints, encoding="utf-8")
    (context / "Dockerfile").write_text(dockerfile_text(env, manager, wheel.name), encoding="utf-8")
    return context


def build_command(name: str, context: Path) -> list[str]:
    """The ``docker build`` command for a context."""
    return ["docker", "build", "-t", name, str(context)]


def docker_engine_available() -> bool:
    """Whether a Docker engine answers (``docker info`` succeeds)."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        done = subprocess.run([docker, "info"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def build_image(name: str, context: Path) -> int:
    """Run ``docker build`` on a context (its output goes to this terminal); returns its status."""
    return subprocess.run(build_command(name, context), check=False).returncode
