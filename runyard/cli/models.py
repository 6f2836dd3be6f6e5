"""``runyard models list|describe|history|set-alias|transition|delete``: the model registry; the
scoring commands (``serve``, ``predict``, ``build-docker``, ``generate-dockerfile``) live in
``runyard.cli.serving`` and are registered on the same group."""

from __future__ import annotations

import dataclasses
import datetime
import warnings
from typing import Any

import click

from runyard.cli.options import make_client, tracking_uri_option
from runyard.cli.output import format_time, print_json, print_table
from runyard.cli.serving import build_docker, generate_dockerfile, predict, serve

_STAGES_SHOWN = ("Staging", "Production")


class Time(click.ParamType):
    """A point in time: milliseconds since the epoch, or ISO 8601 (no zone: local time)."""

    name = "TIME"

    def convert(self, value: Any, param: Any, ctx: Any) -> int:
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.isdigit():
            return int(text)
        try:
            moment = datetime.datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is neither milliseconds since the epoch nor an ISO 8601 time "
                      "(e.g. 2026-03-01T12:00:00Z)", param, ctx)
        return int(moment.timestamp() * 1000)


TIME = Time()


@click.group()
def models() -> None:
    """List, inspect and change registered models (versions, stages, aliases and their history);
    serve, predict with or package a model."""


@models.command(name="list")
@click.option("--filter", "filter_string", default=None, help="Search filter, e.g. \"name LIKE 'house%'\".")
@tracking_uri_option
def list_models(filter_string: str | None, tracking_uri: str | None) -> None:
    """List registered models: name, latest version per stage, aliases, last update."""
    client = make_client(tracking_uri)
    rows = []
    token = None
    while True:
        page = client.search_registered_models(filter_string, order_by=["name ASC"], page_token=token)
        for rm in page:
            latest = ", ".join(f"{mv.current_stage}:{mv.version}"
                               for mv in sorted(rm.latest_versions, key=lambda mv: int(mv.version)))
            aliases = ", ".join(f"@{alias}:{version}" for alias, version in sorted(rm.aliases.items()))
            rows.append((rm.name, latest, aliases, format_time(rm.last_updated_timestamp)))
        token = page.token
        if not token:
            break
    print_table(["Name", "Latest Versions", "Aliases", "Last Updated"], rows)


@models.command()
@click.argument("name")
@tracking_uri_option
def describe(name: str, tracking_uri: str | None) -> None:
    """Print a registered model and all its versions as JSON."""
    client = make_client(tracking_uri)
    model = dataclasses.asdict(client.get_registered_model(name))
    quoted = f"'{name}'" if "'" not in name else f'"{name}"'
    versions = []
    token = None
    while True:
        page = client.search_model_versions(f"name = {quoted}", order_by=["version_number ASC"], page_token=token)
        versions.extend(dataclasses.asdict(mv) for mv in page)
        token = page.token
        if not token:
            break
    model["versions"] = versions
    print_json(model)


@models.command()
@click.argument("name")
@click.option("--at", "at", type=TIME, default=None,
              help="Show which version held each stage and alias at this TIME instead of the events.")
@click.option("--since", type=TIME, default=None, help="Only events at or after this TIME.")
@click.option("--until", type=TIME, default=None, help="Only events at or before this TIME.")
@tracking_uri_option
def history(name: str, at: int | None, since: int | None, until: int | None, tracking_uri: str | None) -> None:
    """The audit trail of a registered model: versions created and deleted, stage transitions and
    alias moves, with who did them and when (TIME: ISO 8601 or milliseconds)."""
    client = make_client(tracking_uri)
    events = client.get_registry_history(name, since, until)
    if at is None:
        print_table(["Time", "Action", "Version", "Stage/Alias", "From", "To", "User"],
                    [(format_time(e.timestamp), e.action, e.version, e.key, e.from_value, e.to_value, e.user_id)
                     for e in events])
        return
    aliases = sorted({e.key for e in events if e.action in ("SET_ALIAS", "DELETE_ALIAS") and e.key})
    rows = [(stage, client.get_version_at(name, at, stage=stage) or "-") for stage in _STAGES_SHOWN]
    rows += [(f"@{alias}", client.get_version_at(name, at, alias=alias) or "-") for alias in aliases]
    click.echo(f"{name} at {format_time(at)}")
    print_table(["Stage/Alias", "Version"], rows)


@models.command(name="set-alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version")
@tracking_uri_option
def set_alias(name: str, alias: str, version: str, tracking_uri: str | None) -> None:
    """Point ALIAS of model NAME at VERSION (moving it from any other version)."""
    make_client(tracking_uri).set_registered_model_alias(name, alias, version)
    click.echo(f"Alias '{alias}' of model '{name}' now points at version {version}.")


@models.command()
@click.argument("name")
@click.argument("version")
@click.argument("stage", type=click.Choice(["None", "Staging", "Production", "Archived"], case_sensitive=False))
@click.option("--archive-existing", is_flag=True, help="Move the versions now in STAGE to Archived.")
@tracking_uri_option
def transition(name: str, version: str, stage: str, archive_existing: bool, tracking_uri: str | None) -> None:
    """Move VERSION of model NAME to STAGE (None, Staging, Production, Archived)."""
    with warnings.catch_warnings():
        # The client warns that MLflow deprecates stages; someone typing this command chose them.
        warnings.simplefilter("ignore", FutureWarning)
        mv = make_client(tracking_uri).transition_model_version_stage(name, version, stage, archive_existing)
    click.echo(f"Model '{name}' version {mv.version} is now in stage {mv.current_stage}.")


@models.command()
@click.argument("name")
@click.option("--version", default=None, help="Delete only this version (default: the whole model).")
@tracking_uri_option
def delete(name: str, version: str | None, tracking_uri: str | None) -> None:
    """Delete a registered model with all its versions, or one version of it."""
    client = make_client(tracking_uri)
    if version is None:
        client.delete_registered_model(name)
        click.echo(f"Registered model '{name}' has been deleted.")
    else:
        client.delete_model_version(name, version)
        click.echo(f"Version {version} of model '{name}' has been deleted.")


for _command in (serve, predict, build_docker, generate_dockerfile):
    models.add_command(_command)
