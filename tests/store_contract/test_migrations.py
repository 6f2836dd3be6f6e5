"""Schema migrations: a database made at an older revision upgrades with its data kept, and the
newest revision creates what ``schema.py`` describes. Runs on every SQL backend."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from runyard.entities import LoggedModelOutput, Metric
from runyard.errors import InvalidState
from runyard.stores.sql import migrate, schema
from runyard.stores.sql.engine import Database
from runyard.stores.sql.registry_store import SqlRegistryStore
from runyard.stores.sql.tracking_store import SqlTrackingStore
from tests.store_contract.backends import BACKENDS, database_uri

RUN_ID = "a" * 32


@pytest.fixture(params=BACKENDS)
def uri(request, tmp_path):
    with database_uri(request.param, tmp_path) as uri:
        yield uri


def upgrade_to(db: Database, revision: str) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(migrate.__file__).parent / "migrations"))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def seed_revision_0001(db: Database) -> None:
    """An experiment and a run with a param, a tag and two metric points, written as 0001 knew them."""
    statements = [
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, "
        "last_update_time) VALUES (1, 'old', 'file:///old/1', 'active', 5, 5)",
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, deleted_time, "
        f"lifecycle_stage, artifact_uri) VALUES ('{RUN_ID}', 'r', 1, 'u', 'RUNNING', 10, NULL, NULL, 'active', "
        f"'file:///old/1/{RUN_ID}/artifacts')",
        f"INSERT INTO params (run_uuid, {_quoted(db, 'key')}, value) VALUES ('{RUN_ID}', 'alpha', '0.5')",
        f"INSERT INTO tags (run_uuid, {_quoted(db, 'key')}, value) VALUES ('{RUN_ID}', 'mlflow.runName', 'r')",
        f"INSERT INTO metrics (run_uuid, {_quoted(db, 'key')}, value, is_nan, {_quoted(db, 'timestamp')}, step) "
        f"VALUES ('{RUN_ID}', 'loss', 0.5, 0, 11, 0), ('{RUN_ID}', 'loss', 0.25, 0, 12, 1)",
        f"INSERT INTO latest_metrics (run_uuid, {_quoted(db, 'key')}, value, {_quoted(db, 'timestamp')}, step) "
        f"VALUES ('{RUN_ID}', 'loss', 0.25, 12, 1)",
    ]
    with db.engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)


def _quoted(db: Database, name: str) -> str:
    return db.dialect.identifier_preparer.quote_identifier(name)


def test_revision_0001_upgrades_with_data_kept(uri, tmp_path):
    root = (tmp_path / "artifacts").as_uri()
    db = Database(uri)
    try:
        upgrade_to(db, "0001_initial")
        seed_revision_0001(db)
        assert migrate.current_revision(db) == "0001_initial"
        with pytest.raises(InvalidState, match="runyard db upgrade"):
            SqlTrackingStore(uri, default_artifact_root=root)
        assert migrate.upgrade(db, root) == "0001_initial"
        assert migrate.current_revision(db) == schema.HEAD_REVISION == "0004_key_indexes"
    finally:
        db.dispose()

    store = SqlTrackingStore(uri, default_artifact_root=root)
    try:
        run = store.get_run(RUN_ID)
        assert run.data.params == {"alpha": "0.5"} and run.data.metrics == {"loss": 0.25}
        assert [m.value for m in store.get_metric_history(RUN_ID, "loss")] == [0.5, 0.25]
        assert store.get_experiment("1").name == "old" and store.get_experiment("0").name == "Default"
        # The new tables work on the upgraded database.
        model = store.create_logged_model("1", name="model", source_run_id=RUN_ID)
        assert model.artifact_location == f"file:///old/1/models/{model.model_id}/artifacts"
        store.log_outputs(RUN_ID, [LoggedModelOutput(model.model_id, 1)])
        store.log_metric(RUN_ID, Metric("acc", 0.9, 13, 1, model_id=model.model_id))
        assert store.get_run(RUN_ID).outputs.model_outputs == (LoggedModelOutput(model.model_id, 1),)
        assert [m.value for m in store.get_logged_model(model.model_id).metrics] == [0.9]
    finally:
        store.close()


def test_newest_revision_matches_schema_py(uri):
    db = Database(uri)
    try:
        upgrade_to(db, "head")
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                           schema.metadata)
        # PostgreSQL is left without the value indexes on purpose (schema.VALUE_INDEXES); only
        # PostgreSQL has the key indexes of params and tags (schema.KEY_INDEXES).
        only_elsewhere = schema.VALUE_INDEXES if db.kind == "postgresql" else schema.KEY_INDEXES
        skipped = {index.name for index in only_elsewhere}
    finally:
        db.dispose()
    assert [d for d in differences if not (d[0] == "add_index" and d[1].name in skipped)] == []


def test_revision_0002_upgrades_to_the_registry_with_data_kept(uri, tmp_path):
    root = (tmp_path / "artifacts").as_uri()
    db = Database(uri)
    try:
        upgrade_to(db, "0002_logged_models")
        seed_revision_0001(db)
        with db.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp, "
                "last_updated_timestamp, status, lifecycle_stage, model_type, source_run_id, status_message) "
                f"VALUES ('m-{'b' * 32}', 1, 'model', 'file:///old/1/models/m-{'b' * 32}/artifacts', 20, 20, "
                f"'READY', 'active', NULL, '{RUN_ID}', NULL)")
        assert migrate.upgrade(db, root) == "0002_logged_models"
        assert migrate.current_revision(db) == "0004_key_indexes"
    finally:
        db.dispose()

    store = SqlTrackingStore(uri, default_artifact_root=root)
    registry = SqlRegistryStore(uri, default_artifact_root=root)
    try:
        assert store.get_run(RUN_ID).data.params == {"alpha": "0.5"}
        assert store.get_logged_model(f"m-{'b' * 32}").source_run_id == RUN_ID
        registry.create_registered_model("upgraded")
        version = registry.create_model_version("upgraded", f"models:/m-{'b' * 32}", model_id=f"m-{'b' * 32}")
        assert (version.version, version.run_id) == ("1", RUN_ID)
        assert registry.get_model_version_download_uri("upgraded", "1") == f"file:///old/1/models/m-{'b' * 32}/artifacts"
        assert [e.action for e in registry.get_registry_history("upgraded")] == ["CREATE_MODEL", "CREATE_VERSION"]
    finally:
        registry.close()
        store.close()
