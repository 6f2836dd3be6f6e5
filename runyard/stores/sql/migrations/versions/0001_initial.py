"""Initial schema: experiments, runs, metric histories and latest values, params, tags, datasets.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None

_double = sa.Float(precision=53).with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
_medium = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
_long = sa.Text().with_variant(mysql.LONGTEXT(), "mysql", "mariadb")
_mysql = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=True),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=True),
        sa.Column("last_update_time", sa.BigInteger, nullable=True),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
        **_mysql,
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(250), nullable=True),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=True),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.Column("lifecycle_stage", sa.String(20), nullable=False),
        sa.Column("artifact_uri", sa.Text, nullable=True),
        **_mysql,
    )
    op.create_index(
        "ix_runs_experiment_id_lifecycle_stage_start_time_run_uuid", "runs",
        ["experiment_id", "lifecycle_stage", "start_time", "run_uuid"],
    )
    op.create_table(
        "metrics",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", _double, nullable=False),
        sa.Column("is_nan", sa.SmallInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "step", "key", "timestamp", "value", "is_nan", name="pk_metrics"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    op.create_table(
        "latest_metrics",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", _double, nullable=True),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_latest_metrics"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    for table, length in (("params", 6000), ("tags", 8000)):
        op.create_table(
            table,
            sa.Column("run_uuid", sa.String(32), nullable=False),
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", sa.String(length), nullable=table == "tags"),
            sa.PrimaryKeyConstraint("run_uuid", "key", name=f"pk_{table}"),
            sqlite_with_rowid=False,
            **_mysql,
        )
    if op.get_bind().dialect.name in ("sqlite", "mysql", "mariadb"):
        # Value lookups for searches; PostgreSQL caps b-tree entries (~2.7 kB) below the tag size.
        for table in ("params", "tags"):
            op.create_index(f"ix_{table}_key_value", table, ["key", "value"], mysql_length={"value": 191})
    op.create_table(
        "datasets",
        sa.Column("dataset_uuid", sa.String(36), primary_key=True),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(36), nullable=False),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("schema", _medium, nullable=True),
        sa.Column("profile", _long, nullable=True),
        sa.UniqueConstraint("experiment_id", "name", "digest", name="uq_datasets_experiment_id_name_digest"),
        **_mysql,
    )
    op.create_table(
        "inputs",
        sa.Column("input_uuid", sa.String(36), primary_key=True),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source_id", sa.String(36), nullable=False),
        sa.Column("destination_type", sa.String(36), nullable=False),
        sa.Column("destination_id", sa.String(36), nullable=False),
        sa.UniqueConstraint(
            "source_type", "source_id", "destination_type", "destination_id",
            name="uq_inputs_source_type_source_id_destination_type_destination_id",
        ),
        **_mysql,
    )
    op.create_index("ix_inputs_destination_type_destination_id", "inputs", ["destination_type", "destination_id"])
    op.create_table(
        "input_tags",
        sa.Column("input_uuid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("input_uuid", "name", name="pk_input_tags"),
        sqlite_with_rowid=False,
        **_mysql,
    )


def downgrade() -> None:
    for table in ("input_tags", "inputs", "datasets", "tags", "params", "latest_metrics", "metrics",
                  "runs", "experiment_tags", "experiments"):
        op.drop_table(table)
