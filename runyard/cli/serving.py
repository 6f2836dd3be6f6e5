"""``runyard models serve|predict|build-docker|generate-dockerfile``: a model behind MLflow's scoring
protocol, on its own environment or in a Docker image."""

from __future__ import annotations

import json
import os
import sys
from typing import Any, Callable

import click

from runyard.cli.options import tracking_uri_option
from runyard.errors import RunyardException

ENV_MANAGERS = ("local", "virtualenv", "uv", "conda")

env_manager_option: Callable[[Any], Any] = click.option(
    "--env-manager", type=click.Choice(ENV_MANAGERS, case_sensitive=False), default="local", show_default=True,
    help="Where the model runs. local: this Python environment (runyard's default; MLflow's default is "
         "virtualenv). virtualenv / uv: the model's own environment (python_env.yaml, requirements.txt), "
         "built once with venv+pip or with uv into RUNYARD_ENV_ROOT (default ~/.runyard/envs) and reused. "
         "conda is not supported.")

model_uri_option: Callable[[Any], Any] = click.option(
    "-m", "--model-uri", required=True, metavar="URI",
    help="The model: models:/NAME@ALIAS, models:/NAME/VERSION, runs:/RUN/PATH, a URI or a path.")


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _env_manager(value: str) -> str:
    manager = value.lower()
    if manager == "conda":
        raise click.UsageError("--env-manager conda is not supported; use local, virtualenv or uv")
    return manager


def _use_tracking_uri(tracking_uri: str | None) -> None:
    if tracking_uri:
        import runyard.fluent

        runyard.fluent.set_tracking_uri(tracking_uri)


def _request_timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    from runyard import config

    try:
        return config.scoring_request_timeout()
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _in_environment(model_uri: str, manager: str, command: str, args: list[str]) -> int:
    from runyard import config
    from runyard.scoring.launch import run_in_environment

    return run_in_environment(model_uri, manager, config.env_root(), command, args, _echo_err)


@click.command()
@model_uri_option
@click.option("-p", "--port", type=int, default=5000, show_default=True, help="Port to listen on.")
@click.option("-h", "--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-w", "--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes (forked after the model is loaded, so they share its memory).")
@click.option("-t", "--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds one request may take before it is answered 504 "
                   "(default: RUNYARD_/MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT or 60).")
@env_manager_option
@tracking_uri_option
def serve(model_uri: str, port: int, host: str, workers: int, timeout: float | None, env_manager: str,
          tracking_uri: str | None) -> None:
    """Serve a model over MLflow's scoring protocol (/ping, /health, /version, /invocations)."""
    manager = _env_manager(env_manager)
    timeout = _request_timeout(timeout)
    _use_tracking_uri(tracking_uri)
    if manager != "local":
        args = ["-p", str(port), "-h", host, "-w", str(workers), "-t", repr(timeout)]
        raise SystemExit(_in_environment(model_uri, manager, "serve", args))
    from runyard.pyfunc import load_model
    from runyard.scoring import ScoringSettings, create_scoring_app
    from runyard.server.supervisor import serve as supervise

    model = load_model(model_uri)
    settings = ScoringSettings(timeout=timeout)
    _echo_err(f"runyard scoring server for {model_uri} on http://{host}:{port} ({workers} worker"
              f"{'s' if workers > 1 else ''})")
    raise SystemExit(supervise(lambda: create_scoring_app(model, settings), host, port, workers))


def _read_input(input_path: str | None) -> bytes:
    if input_path is None or input_path == "-":
        return sys.stdin.buffer.read()
    with open(input_path, "rb") as f:
        return f.read()


def _predict_here(model_uri: str, input_path: str | None, output_path: str | None, fmt: str) -> None:
    from runyard.pyfunc import load_model
    from runyard.scoring import payload

    data, params = payload.parse_body(payload.FORMATS[fmt], _read_input(input_path))
    model = load_model(model_uri)
    try:
        result = payload.predict(model, data, params)
    except RunyardException:
        raise
    except Exception as exc:  # noqa: BLE001 - the model's own failure, reported in one line
        raise click.ClickException(f"The model failed to predict: {exc!r}") from None
    text = json.dumps(result)
    if output_path is None or output_path == "-":
        click.echo(text)
    else:
        with open(output_path, "w", encoding="utf-8") as f:
            f.write(text + "\n")


@click.command()
@model_uri_option
@click.option("-i", "--input-path", default=None, metavar="PATH",
              help="Input file (JSON as for /invocations, CSV with a header, or parquet); default: stdin.")
@click.option("-o", "--output-path", default=None, metavar="PATH",
              help='Write {"predictions": ...} JSON here (default: stdout).')
@click.option("-t", "--content-type", "content_type", type=click.Choice(sorted(("json", "csv", "parquet"))),
              default=None, help="Format of the input (default: from the input's extension, else json).")
@env_manager_option
@tracking_uri_option
def predict(model_uri: str, input_path: str | None, output_path: str | None, content_type: str | None,
            env_manager: str, tracking_uri: str | None) -> None:
    """Predict with a model on an input file, as /invocations would, and print or write
    {"predictions": ...}."""
    from runyard.scoring.payload import format_of_path

    manager = _env_manager(env_manager)
    fmt = content_type or format_of_path(input_path)
    if input_path not in (None, "-") and not os.path.isfile(input_path):
        raise click.BadParameter(f"{input_path!r} is not a file", param_hint="'-i' / '--input-path'")
    _use_tracking_uri(tracking_uri)
    if manager == "local":
        _predict_here(model_uri, input_path, output_path, fmt)
        return
    args = ["-t", fmt]
    if input_path not in (None, "-"):
        args += ["-i", os.path.abspath(input_path)]
    if output_path not in (None, "-"):
        args += ["-o", os.path.abspath(output_path)]
    sys.stdout.flush()
    raise SystemExit(_in_environment(model_uri, manager, "predict", args))


def _write_context(model_uri: str, output: str, manager: str) -> Any:
    from runyard import config
    from runyard.scoring.distribution import runyard_wheel
    from runyard.scoring.docker import write_build_context
    from runyard.scoring.model_files import local_model

    wheel = runyard_wheel(config.env_root(), _echo_err)
    with local_model(model_uri) as (model_dir, _):
        return write_build_context(model_dir, output, manager, wheel)


docker_env_manager_option: Callable[[Any], Any] = click.option(
    "--env-manager", type=click.Choice(("local", "virtualenv"), case_sensitive=False), default="local",
    show_default=True,
    help="local: install into the image's Python (of this interpreter's version). virtualenv: a venv in the "
         "image, on the model's Python version (python_env.yaml) with its pinned build tools.")


@click.command(name="generate-dockerfile")
@model_uri_option
@click.option("-d", "--output-directory", default="runyard-dockerfile", show_default=True, metavar="DIR",
              help="Where to write the build context (new, empty, or an earlier context to refresh).")
@docker_env_manager_option
@tracking_uri_option
def generate_dockerfile(model_uri: str, output_directory: str, env_manager: str, tracking_uri: str | None) -> None:
    """Write a Docker build context serving the model: Dockerfile, model/, a runyard wheel and the
    model's requirements (runyard need not be on any package index)."""
    _use_tracking_uri(tracking_uri)
    context = _write_context(model_uri, output_directory, env_manager.lower())
    click.echo(f"Wrote a Docker build context to {context}; build it with: docker build -t NAME {context}")


@click.command(name="build-docker")
@model_uri_option
@click.option("-n", "--name", default="runyard-pyfunc-servable", show_default=True, help="Image name (tag).")
@click.option("--output-directory", default=None, metavar="DIR",
              help="Keep the build context here (default: a temporary directory, removed after a build).")
@docker_env_manager_option
@tracking_uri_option
def build_docker(model_uri: str, name: str, output_directory: str | None, env_manager: str,
                 tracking_uri: str | None) -> None:
    """Build a Docker image serving the model on port 8080 (docker run -p 5001:8080 NAME). Without a
    Docker engine, the build context is written and the docker build command printed."""
    import shlex
    import shutil
    import tempfile

    from runyard.scoring.docker import build_command, build_image, docker_engine_available

    _use_tracking_uri(tracking_uri)
    keep = output_directory is not None
    output = output_directory or tempfile.mkdtemp(prefix="runyard-docker-")
    context = _write_context(model_uri, output, env_manager.lower())
    command = shlex.join(build_command(name, context))
    if not docker_engine_available():
        click.echo(f"No Docker engine answers here ('docker info' failed), so no image was built. "
                   f"The build context is in {context}; build it where Docker runs with:\n  {command}")
        return
    _echo_err(f"Running: {command}")
    status = build_image(name, context)
    if status != 0:
        raise click.ClickException(f"docker build failed (exit {status}); the build context is in {context}")
    if not keep:
        shutil.rmtree(context, ignore_errors=True)
    click.echo(f"Built image {name}; run it with: docker run -p 5001:8080 {name}")
