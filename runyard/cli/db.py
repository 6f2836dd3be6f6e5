"""``runyard db upgrade``: migrate a database to the newest schema."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import click


def redact(uri: str) -> str:
    """``uri`` with any password replaced by ``***``."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    userinfo, _, host = parts.netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


@click.group()
def db() -> None:
    """Manage the tracking database schema."""


@db.command()
@click.argument("url")
def upgrade(url: str) -> None:
    """Migrate the database at URL to the newest schema (back it up first)."""
    from runyard import uris
    from runyard.errors import InvalidParameterValue
    from runyard.stores.sql import migrate, schema
    from runyard.stores.sql.engine import Database
    from runyard.stores.sql.tracking_store import default_artifact_root_for

    if not uris.is_sql_uri(url):
        raise InvalidParameterValue(
            f"Not a database URI: {url!r} (expected sqlite:///, postgresql:// or mysql://)"
        )
    database = Database(url)
    try:
        before = migrate.upgrade(database, default_artifact_root_for(url))
        after = migrate.current_revision(database) or schema.HEAD_REVISION
    finally:
        database.dispose()
    where = redact(url)
    if before == after:
        click.echo(f"Database {where} is already at the newest revision {after}.")
    else:
        click.echo(f"Upgraded database {where} from revision {before or '(empty)'} to {after}.")
