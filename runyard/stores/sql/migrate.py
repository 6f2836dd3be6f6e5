"""Schema creation and upgrades (Alembic), guarded so that many processes can start at once."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from runyard import uris
from runyard.errors import InternalError, InvalidState
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Database

_MIGRATIONS = Path(__file__).parent / "migrations"
_LOCK_ID = 0x72756E79  # "runy"


def current_revision(db: Database) -> str | None:
    """The Alembic revision the database is at, or None when it has no runyard schema."""
    try:
        with db.transaction() as tx:
            rows = tx.run(db.cached("alembic_version", lambda: sa.text("SELECT version_num FROM alembic_version"))).fetchall()
    except InternalError as exc:
        # A new database has no version table; each driver words that differently.
        message = str(exc)
        if "alembic_version" in message or "does not exist" in message or "no such table" in message:
            return None
        raise
    return rows[0][0] if rows else None


@contextmanager
def _migration_lock(db: Database) -> Iterator[None]:
    if db.kind == "sqlite":
        path = uris.sqlite_path_of(db.uri)
        if path is None:
            yield
            return
        # A lock file of its own, outside the user's directory: locking the database file itself
        # is not an option, since closing any descriptor of it drops SQLite's fcntl locks.
        digest = hashlib.sha256(os.path.realpath(path).encode()).hexdigest()[:24]
        lock_path = os.path.join(tempfile.gettempdir(), f"runyard-{digest}.migrate-lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    with db.connecting(), db.engine.connect() as conn:
        if db.kind == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_lock({_LOCK_ID})")
        else:
            conn.exec_driver_sql("SELECT GET_LOCK('runyard_migrate', 300)")
        conn.commit()
        try:
            yield
        finally:
            if db.kind == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_LOCK_ID})")
            else:
                conn.exec_driver_sql("SELECT RELEASE_LOCK('runyard_migrate')")
            conn.commit()


def _alembic_upgrade(db: Database) -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _has_foreign_tables(db: Database) -> bool:
    names = set(sa.inspect(db.engine).get_table_names())
    return bool(names & {"experiments", "runs"}) and "alembic_version" not in names


def _ensure_default_experiment(db: Database, artifact_root: str) -> None:
    now = int(time.time() * 1000)
    with db.transaction(write=True) as tx:
        exists = tx.query(sa.select(schema.experiments.c.experiment_id).where(schema.experiments.c.experiment_id == 0))
        if exists:
            return
        if db.kind == "mysql":
            # MySQL treats an explicit 0 in an AUTO_INCREMENT column as "generate one".
            tx.cursor.execute("SET SESSION sql_mode = CONCAT_WS(',', @@SESSION.sql_mode, 'NO_AUTO_VALUE_ON_ZERO')")
        tx.execute(schema.experiments.insert().values(
            experiment_id=0, name="Default", artifact_location=uris.append_to_uri_path(artifact_root, "0"),
            lifecycle_stage="active", creation_time=now, last_update_time=now,
        ))


def upgrade(db: Database, artifact_root: str) -> str | None:
    """Create or migrate the schema to the newest revision; returns the revision it started at."""
    with db.connecting(), _migration_lock(db):
        before = current_revision(db)
        if before != schema.HEAD_REVISION:
            if before is None and _has_foreign_tables(db):
                raise InvalidState(
                    f"The database at {db.engine.url.render_as_string(hide_password=True)} holds tables "
                    "that runyard did not create (an MLflow database?); point runyard at a new database"
                )
            if db.kind == "sqlite":
                db.enable_wal()
            _alembic_upgrade(db)
        _ensure_default_experiment(db, artifact_root)
        return before


def ensure_schema(db: Database, artifact_root: str) -> None:
    """Create the schema of a new database; refuse an old one with a pointer to ``db upgrade``."""
    revision = current_revision(db)
    if revision == schema.HEAD_REVISION:
        return
    if revision is None:
        upgrade(db, artifact_root)
        return
    raise InvalidState(
        f"The database schema is at revision {revision}, older than this runyard ({schema.HEAD_REVISION}). "
        "Back up the database, then run `runyard db upgrade <uri>`."
    )
