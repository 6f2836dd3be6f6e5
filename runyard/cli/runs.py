"""``runyard runs list|describe|delete|restore|diff``."""

from __future__ import annotations

import dataclasses
from typing import Any

import click

from runyard.cli.options import make_client, tracking_uri_option, view_option
from runyard.cli.output import format_time, print_json, print_table

_RUN_ID = click.option("--run-id", required=True, help="Id of the run.")


@click.group()
def runs() -> None:
    """List, describe, delete, restore and compare runs."""


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


_CELL_WIDTH = 60


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _CELL_WIDTH else text[:_CELL_WIDTH - 3] + "..."


def _print_section(title: str, headers: list[str], rows: list[tuple]) -> None:
    click.echo(title)
    if rows:
        print_table(headers, [tuple(_cell(c) for c in row) for row in rows])
    else:
        click.echo("(nothing to show)")
    click.echo("")


@runs.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option("--only-differences/--all", "only_differences", default=True, show_default=True,
              help="Show only what differs, or every key and file of both runs.")
@click.option("--json", "as_json", is_flag=True, help="Print the diff as JSON (the server's runs/diff shape).")
@tracking_uri_option
def diff(run_a: str, run_b: str, only_differences: bool, as_json: bool, tracking_uri: str | None) -> None:
    """Compare two runs: params, latest metrics, tags and artifact files (by path and size)."""
    from runyard.wire.codec_views import encode_run_diff

    result = make_client(tracking_uri).diff_runs(run_a, run_b)
    if only_differences:
        result = result.only_differences()
    if as_json:
        print_json(encode_run_diff(result))
        return
    click.echo(f"A: {result.run_a}")
    click.echo(f"B: {result.run_b}")
    click.echo("")
    for title, entries in (("Params", result.params), ("Metrics", result.metrics), ("Tags", result.tags)):
        _print_section(title, ["Key", "A", "B", "Status"], [(d.key, d.a, d.b, d.status) for d in entries])
    _print_section("Artifacts", ["Path", "A Size", "B Size", "Status"],
                   [(d.path, d.a_size, d.b_size, d.status) for d in result.artifacts])
    if result.truncated:
        click.echo("Artifact listings were cut off: a run has more files than a diff lists.")
