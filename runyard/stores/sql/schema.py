"""Tables of the SQL tracking store (SQLAlchemy Core).

Alembic migrations under ``migrations/`` create and evolve these tables; this module is the
in-code description the queries are built from and must match the newest migration.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

HEAD_REVISION = "0004_key_indexes"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

# MySQL/MariaDB: utf8mb4 with binary collation, so '=' and LIKE are case-sensitive as on the
# other backends and any Unicode text fits.
MYSQL_TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

# Doubles: MySQL's FLOAT is single precision, so ask for DOUBLE explicitly there.
Double = Float(precision=53).with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
LongText = Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
MediumText = Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")

experiments = Table(
    "experiments",
    metadata,
    Column("experiment_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(500), nullable=False),
    Column("artifact_location", Text, nullable=True),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("creation_time", BigInteger, nullable=True),
    Column("last_update_time", BigInteger, nullable=True),
    UniqueConstraint("name"),
    **MYSQL_TABLE_OPTIONS,
)

experiment_tags = Table(
    "experiment_tags",
    metadata,
    Column("experiment_id", Integer, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=True),
    PrimaryKeyConstraint("experiment_id", "key"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

runs = Table(
    "runs",
    metadata,
    Column("run_uuid", String(32), primary_key=True),
    Column("name", String(250), nullable=True),
    Column("experiment_id", Integer, nullable=False),
    Column("user_id", String(256), nullable=True),
    Column("status", String(20), nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("deleted_time", BigInteger, nullable=True),
    Column("lifecycle_stage", String(20), nullable=False),
    Column("artifact_uri", Text, nullable=True),
    # Listing an experiment's runs newest first is the most common query of all; run_uuid makes
    # the index covering, so a page of ids never touches the table.
    Index(None, "experiment_id", "lifecycle_stage", "start_time", "run_uuid"),
    **MYSQL_TABLE_OPTIONS,
)

# Full histories, clustered by (run, step, key): one step's points of a run sit on the same page,
# so a log_metrics call of 100 keys dirties a page or two instead of one page per key. Reading one
# key's history scans the run's points in the index, which stays fast for runs of millions of
# points. Identical points (same run, key, step, timestamp and value) are stored once, as in MLflow.
metrics = Table(
    "metrics",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Double, nullable=False),
    Column("is_nan", SmallInteger, nullable=False),  # NaN is stored as value 0 with is_nan 1
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "step", "key", "timestamp", "value", "is_nan"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

# The latest point per (run, key): max by (step, timestamp, value). What search filters and sorts
# on. NULL stands for NaN here so that comparisons and NULLS-LAST ordering treat it as missing.
# The (key, run_uuid) index (revision 0004) lists an experiment's distinct keys with one seek per
# key; it leaves the value out, so updating a latest value never touches it.
latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Double, nullable=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    Index(None, "key", "run_uuid"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

# Keyed tables are clustered on their primary key in SQLite too (WITHOUT ROWID), so a lookup by
# (run, key) finds the value in the index itself.
params = Table(
    "params",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", String(6000), nullable=False),
    PrimaryKeyConstraint("run_uuid", "key"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

tags = Table(
    "tags",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", String(8000), nullable=True),
    PrimaryKeyConstraint("run_uuid", "key"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

datasets = Table(
    "datasets",
    metadata,
    Column("dataset_uuid", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("name", String(500), nullable=False),
    Column("digest", String(36), nullable=False),
    Column("source_type", String(36), nullable=False),
    Column("source", Text, nullable=False),
    Column("schema", MediumText, nullable=True),
    Column("profile", LongText, nullable=True),
    UniqueConstraint("experiment_id", "name", "digest"),
    **MYSQL_TABLE_OPTIONS,
)

inputs = Table(
    "inputs",
    metadata,
    Column("input_uuid", String(36), primary_key=True),
    Column("source_type", String(36), nullable=False),
    Column("source_id", String(36), nullable=False),
    Column("destination_type", String(36), nullable=False),
    Column("destination_id", String(36), nullable=False),
    UniqueConstraint("source_type", "source_id", "destination_type", "destination_id"),
    Index(None, "destination_type", "destination_id"),
    **MYSQL_TABLE_OPTIONS,
)

input_tags = Table(
    "input_tags",
    metadata,
    Column("input_uuid", String(36), nullable=False),
    Column("name", String(255), nullable=False),
    Column("value", String(500), nullable=False),
    PrimaryKeyConstraint("input_uuid", "name"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)


# MLflow 3 logged models (revision 0002). Listing an experiment's models newest first is the
# default search; name and source run are what the client filters on to resolve runs:/ URIs.
logged_models = Table(
    "logged_models",
    metadata,
    Column("model_id", String(36), primary_key=True),
    Column("experiment_id", Integer, nullable=False),
    Column("name", String(500), nullable=False),
    Column("artifact_location", Text, nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("status", String(20), nullable=False),
    Column("lifecycle_stage", String(32), nullable=False),
    Column("model_type", String(500), nullable=True),
    Column("source_run_id", String(32), nullable=True),
    Column("status_message", Text, nullable=True),
    # Named by hand: the convention's name would pass MySQL's 64-character limit.
    Index("ix_logged_models_listing", "experiment_id", "lifecycle_stage", "creation_timestamp", "model_id"),
    Index(None, "experiment_id", "name"),
    Index(None, "source_run_id"),
    **MYSQL_TABLE_OPTIONS,
)

# Tag values reach 100,000 characters (the registry writes version lists into mlflow.modelVersions),
# past what MySQL's TEXT holds in utf8mb4.
logged_model_tags = Table(
    "logged_model_tags",
    metadata,
    Column("model_id", String(36), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", MediumText, nullable=True),
    PrimaryKeyConstraint("model_id", "key"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

logged_model_params = Table(
    "logged_model_params",
    metadata,
    Column("model_id", String(36), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("model_id", "key"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

# Points logged with a model_id, besides their run's history (as MLflow keeps them). One point per
# (model, key, timestamp, step, run), MLflow's key; NULL stands for NaN. The key's prefix serves
# the "latest value of metric k for model m" lookups of searches.
logged_model_metrics = Table(
    "logged_model_metrics",
    metadata,
    Column("model_id", String(36), nullable=False),
    Column("key", String(250), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("run_uuid", String(32), nullable=False),
    Column("value", Double, nullable=True),
    Column("dataset_name", String(500), nullable=True),
    Column("dataset_digest", String(36), nullable=True),
    PrimaryKeyConstraint("model_id", "key", "timestamp", "step", "run_uuid"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

# Links between runs and logged models: models a run produced (``log_outputs``, with the step) and
# models it used (``log_inputs(models=...)``).
run_model_outputs = Table(
    "run_model_outputs",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("model_id", String(36), nullable=False),
    Column("step", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_uuid", "model_id", "step"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

run_model_inputs = Table(
    "run_model_inputs",
    metadata,
    Column("run_uuid", String(32), nullable=False),
    Column("model_id", String(36), nullable=False),
    PrimaryKeyConstraint("run_uuid", "model_id"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)


# The model registry (revision 0003). Models carry a surrogate key, so a rename touches one row
# and the audit trail follows a model across renames; ``last_version`` is the highest version ever
# handed out (deleted versions included), so numbers are never reused, as in MLflow.
# AUTOINCREMENT on SQLite: keys of deleted models are never handed out again either.
AutoId = BigInteger().with_variant(Integer, "sqlite")

registered_models = Table(
    "registered_models",
    metadata,
    Column("model_key", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("deployment_job_id", String(256), nullable=True),
    Column("last_version", Integer, nullable=False),
    UniqueConstraint("name"),
    sqlite_autoincrement=True,
    **MYSQL_TABLE_OPTIONS,
)

registered_model_tags = Table(
    "registered_model_tags",
    metadata,
    Column("model_key", Integer, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", MediumText, nullable=True),
    PrimaryKeyConstraint("model_key", "key"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

# ``source`` is what the client registered; ``storage_location`` what it resolved to when it was
# checked (the download URI).
model_versions = Table(
    "model_versions",
    metadata,
    Column("model_key", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("creation_timestamp", BigInteger, nullable=False),
    Column("last_updated_timestamp", BigInteger, nullable=False),
    Column("description", Text, nullable=True),
    Column("user_id", String(256), nullable=True),
    Column("current_stage", String(20), nullable=False),
    Column("source", Text, nullable=False),
    Column("storage_location", Text, nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("run_link", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("model_id", String(36), nullable=True),
    PrimaryKeyConstraint("model_key", "version"),
    Index(None, "run_id"),
    **MYSQL_TABLE_OPTIONS,
)

model_version_tags = Table(
    "model_version_tags",
    metadata,
    Column("model_key", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", MediumText, nullable=True),
    PrimaryKeyConstraint("model_key", "version", "key"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

# One row per alias: the primary key is what makes "one holder per alias" hold under any concurrency.
registered_model_aliases = Table(
    "registered_model_aliases",
    metadata,
    Column("model_key", Integer, nullable=False),
    Column("alias", String(255), nullable=False),
    Column("version", Integer, nullable=False),
    PrimaryKeyConstraint("model_key", "alias"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE_OPTIONS,
)

# The audit trail; kept when its model is deleted. ``name`` is the model's name when the event
# happened (for a rename, the old one); ``key`` the stage or alias concerned.
registry_events = Table(
    "registry_events",
    metadata,
    Column("event_id", AutoId, primary_key=True, autoincrement=True),
    Column("model_key", Integer, nullable=False),
    Column("name", String(256), nullable=False),
    Column("action", String(32), nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("user_id", String(256), nullable=True),
    Column("version", Integer, nullable=True),
    Column("key", String(256), nullable=True),
    Column("from_value", String(256), nullable=True),
    Column("to_value", String(256), nullable=True),
    Index(None, "model_key", "event_id"),
    Index(None, "name", "timestamp"),
    sqlite_autoincrement=True,
    **MYSQL_TABLE_OPTIONS,
)


def _on_sqlite_or_mysql(ddl: Any, target: Any, bind: Any, dialect: Any = None, **kw: Any) -> bool:
    return dialect.name in ("sqlite", "mysql", "mariadb")


# Search by value: `params.x = 'a'` or `tags.mlflow.parentRunId = '...'` can start from the runs that
# match instead of probing every run of the experiment. Not on PostgreSQL, whose b-tree entries
# are capped at ~2.7 kB (tag values reach 8,000 characters); MySQL indexes a prefix of the value.
VALUE_INDEXES = tuple(
    Index(f"ix_{table.name}_key_value", table.c.key, table.c.value, mysql_length={"value": 191})
    .ddl_if(callable_=_on_sqlite_or_mysql)
    for table in (params, tags)
)


def _on_postgresql(ddl: Any, target: Any, bind: Any, dialect: Any = None, **kw: Any) -> bool:
    return dialect.name == "postgresql"


# Distinct param and tag keys by index walk (revision 0004). SQLite and MySQL walk VALUE_INDEXES,
# whose leading column is the key too; PostgreSQL has no such index, so it gets these.
KEY_INDEXES = tuple(
    Index(f"ix_{table.name}_key_run_uuid", table.c.key, table.c.run_uuid).ddl_if(callable_=_on_postgresql)
    for table in (params, tags)
)
