"""Options shared by several commands."""

from __future__ import annotations

from typing import Any, Callable

import click

VIEWS = ("active_only", "deleted_only", "all")

tracking_uri_option: Callable[[Any], Any] = click.option(
    "--tracking-uri", default=None, metavar="URI",
    help="Tracking store URI (default: RUNYARD_TRACKING_URI, MLFLOW_TRACKING_URI, or runyard.db here).",
)

view_option: Callable[[Any], Any] = click.option(
    "-v", "--view", "view", type=click.Choice(VIEWS, case_sensitive=False), default="active_only",
    show_default=True, help="Which lifecycle stages to list.",
)


def make_client(tracking_uri: str | None) -> Any:
    """A ``RunyardClient``; imported here so that ``--help`` and ``--version`` stay fast."""
    from runyard.client import RunyardClient

    return RunyardClient(tracking_uri)
