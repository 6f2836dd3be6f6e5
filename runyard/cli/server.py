"""``runyard server`` (alias ``runyard ui``): the tracking server on uvicorn."""

from __future__ import annotations

import os

import click

from runyard.cli.db import redact


def _split(values: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (values or "").split(",") if v.strip())


def _options(fn):
    options = [
        click.option("--backend-store-uri", envvar=["RUNYARD_BACKEND_STORE_URI", "MLFLOW_BACKEND_STORE_URI"],
                     help="Database for experiments and runs (default: sqlite runyard.db in the working directory)."),
        click.option("--default-artifact-root", envvar=["RUNYARD_DEFAULT_ARTIFACT_ROOT", "MLFLOW_DEFAULT_ARTIFACT_ROOT"],
                     help="Artifact location of new experiments (default: the proxy, mlflow-artifacts:/)."),
        click.option("--artifacts-destination",
                     help="Where proxied artifacts are stored: a local path or s3://bucket/prefix "
                          "(default: runyard-artifacts beside a SQLite database, else ./runyard-artifacts)."),
        click.option("--serve-artifacts/--no-serve-artifacts", default=True, show_default=True,
                     help="Proxy artifact uploads and downloads through this server."),
        click.option("--artifacts-only", is_flag=True, help="Serve only the artifact proxy."),
        click.option("-h", "--host", default="127.0.0.1", show_default=True),
        click.option("-p", "--port", default=5000, show_default=True, type=click.IntRange(0, 65535)),
        click.option("-w", "--workers", default=None, type=click.IntRange(1, 64),
                     help="Worker processes (default 2)."),
        click.option("--allowed-hosts", help="Extra Host names to answer (comma-separated; '*' for any). "
                                             "Local names and private addresses are always allowed."),
        click.option("--cors-allowed-origins", help="Extra browser origins allowed to call the API "
                                                    "(comma-separated). Local origins are always allowed."),
        click.option("--max-request-bytes", default=None, type=click.IntRange(1024, None),
                     help="Largest JSON request body accepted (default 16 MiB; artifact uploads stream)."),
        click.option("--promotion-policy", envvar="RUNYARD_PROMOTION_POLICY", metavar="FILE",
                     type=click.Path(exists=True, dir_okay=False),
                     help="Model registry promotion rules (a policy file; see the README) enforced on "
                          "every stage transition."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


@click.command()
@_options
def server(backend_store_uri, default_artifact_root, artifacts_destination, serve_artifacts, artifacts_only,
           host, port, workers, allowed_hosts, cors_allowed_origins, max_request_bytes, promotion_policy) -> None:
    """Run the tracking server (MLflow's REST API, the artifact proxy and the web UI)."""
    from runyard import uris
    from runyard.server.launch import build_settings, prepare_backend, run

    backend = backend_store_uri or uris.default_tracking_uri(os.getcwd())
    settings = build_settings(
        backend_store_uri=backend,
        default_artifact_root=default_artifact_root,
        artifacts_destination=artifacts_destination,
        serve_artifacts=serve_artifacts,
        artifacts_only=artifacts_only,
        host=host,
        port=port,
        workers=workers,
        allowed_hosts=_split(allowed_hosts),
        cors_allowed_origins=_split(cors_allowed_origins),
        max_request_bytes=max_request_bytes,
        promotion_policy=promotion_policy,
    )
    prepare_backend(settings)
    click.echo(f"runyard server on http://{host}:{port} (backend {redact(backend)}, "
               f"artifacts {redact(settings.artifacts_destination)}, {settings.workers} workers)", err=True)
    status = run(settings)
    if status:
        raise SystemExit(status)


ui = click.Command("ui", callback=server.callback, params=server.params, help=server.help,
                   short_help="Same as `runyard server`.")
