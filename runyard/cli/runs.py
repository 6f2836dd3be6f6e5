"""``runyard runs list|describe|delete|restore``."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from runyard.cli.options import make_client, tracking_uri_option, view_option
from runyard.cli.output import format_time, print_json, print_table

_RUN_ID = click.option("--run-id", required=True, help="Id of the run.")


@click.group()
def runs() -> None:
    """List, describe, delete and restore runs."""


@runs.command(name="list")
@click.option("--experiment-id", required=True, help="Id of the experiment whose runs to list.")
@view_option
@tracking_uri_option
def list_runs(experiment_id: str, view: str, tracking_uri: str | None) -> None:
    """List an experiment's runs: id, name, status and start time."""
    client = make_client(tracking_uri)
    client.get_experiment(experiment_id)  # an unknown id is an error, not an empty table
    rows = []
    token = None
    while True:
        page = client.search_runs([experiment_id], run_view_type=view, order_by=["attributes.start_time DESC"],
                                  page_token=token)
        rows.extend((r.info.run_id, r.info.run_name, r.info.status, format_time(r.info.start_time)) for r in page)
        token = page.token
        if not token:
            break
    print_table(["Run Id", "Name", "Status", "Start Time"], rows)


def run_as_dict(run: Any) -> dict[str, Any]:
    """A run as MLflow's ``runs describe`` shows it: info plus latest metrics, params and tags."""
    info = dataclasses.asdict(run.info)
    info["run_uuid"] = run.info.run_id
    return {
        "info": info,
        "data": {"metrics": dict(run.data.metrics), "params": dict(run.data.params), "tags": dict(run.data.tags)},
    }


@runs.command()
@_RUN_ID
@tracking_uri_option
def describe(run_id: str, tracking_uri: str | None) -> None:
    """Print a run as JSON."""
    print_json(run_as_dict(make_client(tracking_uri).get_run(run_id)))


@runs.command()
@_RUN_ID
@tracking_uri_option
def delete(run_id: str, tracking_uri: str | None) -> None:
    """Mark a run deleted (restorable)."""
    make_client(tracking_uri).delete_run(run_id)
    click.echo(f"Run with id {run_id} has been deleted.")


@runs.command()
@_RUN_ID
@tracking_uri_option
def restore(run_id: str, tracking_uri: str | None) -> None:
    """Restore a deleted run."""
    make_client(tracking_uri).restore_run(run_id)
    click.echo(f"Run with id {run_id} has been restored.")
