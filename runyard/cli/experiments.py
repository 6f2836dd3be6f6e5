"""``runyard experiments create|list|delete|restore``."""

from __future__ import annotations

import click

from runyard.cli.options import make_client, tracking_uri_option, view_option
from runyard.cli.output import print_table


@click.group()
def experiments() -> None:
    """Create, list, delete and restore experiments."""


@experiments.command()
@click.option("-n", "--experiment-name", "name", required=True, help="Name of the new experiment.")
@click.option("-l", "--artifact-location", default=None,
              help="Where the experiment's run artifacts go (default: under the store's artifact root).")
@tracking_uri_option
def create(name: str, artifact_location: str | None, tracking_uri: str | None) -> None:
    """Create an experiment and print its id."""
    experiment_id = make_client(tracking_uri).create_experiment(name, artifact_location)
    click.echo(f"Created experiment '{name}' with id {experiment_id}")


@experiments.command(name="list")
@view_option
@tracking_uri_option
def list_experiments(view: str, tracking_uri: str | None) -> None:
    """List experiments: id, name, lifecycle stage and artifact location."""
    client = make_client(tracking_uri)
    rows = []
    token = None
    while True:
        page = client.search_experiments(view_type=view, page_token=token)
        rows.extend((e.experiment_id, e.name, e.lifecycle_stage, e.artifact_location) for e in page)
        token = page.token
        if not token:
            break
    print_table(["Experiment Id", "Name", "Lifecycle Stage", "Artifact Location"], rows)


@experiments.command()
@click.option("-x", "--experiment-id", required=True, help="Id of the experiment to delete.")
@tracking_uri_option
def delete(experiment_id: str, tracking_uri: str | None) -> None:
    """Mark an experiment and its runs deleted (restorable)."""
    make_client(tracking_uri).delete_experiment(experiment_id)
    click.echo(f"Experiment with id {experiment_id} has been deleted.")


@experiments.command()
@click.option("-x", "--experiment-id", required=True, help="Id of the experiment to restore.")
@tracking_uri_option
def restore(experiment_id: str, tracking_uri: str | None) -> None:
    """Restore a deleted experiment."""
    make_client(tracking_uri).restore_experiment(experiment_id)
    click.echo(f"Experiment with id {experiment_id} has been restored.")
