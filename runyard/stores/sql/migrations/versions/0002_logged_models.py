"""MLflow 3 logged models: models, their tags, params and metrics, and run <-> model links.

Revision ID: 0002_logged_models
Revises: 0001_initial
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0002_logged_models"
down_revision = "0001_initial"
branch_labels = None
depends_on = None

_double = sa.Float(precision=53).with_variant(mysql.DOUBLE(asdecimal=False), "mysql", "mariadb")
_medium = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
_mysql = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("experiment_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.Text, nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("lifecycle_stage", sa.String(32), nullable=False),
        sa.Column("model_type", sa.String(500), nullable=True),
        sa.Column("source_run_id", sa.String(32), nullable=True),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
        **_mysql,
    )
    op.create_index(
        "ix_logged_models_listing", "logged_models",
        ["experiment_id", "lifecycle_stage", "creation_timestamp", "model_id"],
    )
    op.create_index("ix_logged_models_experiment_id_name", "logged_models", ["experiment_id", "name"])
    op.create_index("ix_logged_models_source_run_id", "logged_models", ["source_run_id"])
    for table, value_type, nullable in (("logged_model_tags", _medium, True), ("logged_model_params", sa.Text, False)):
        op.create_table(
            table,
            sa.Column("model_id", sa.String(36), nullable=False),
            sa.Column("key", sa.String(250), nullable=False),
            sa.Column("value", value_type, nullable=nullable),
            sa.PrimaryKeyConstraint("model_id", "key", name=f"pk_{table}"),
            sqlite_with_rowid=False,
            **_mysql,
        )
    op.create_table(
        "logged_model_metrics",
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("value", _double, nullable=True),
        sa.Column("dataset_name", sa.String(500), nullable=True),
        sa.Column("dataset_digest", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("model_id", "key", "timestamp", "step", "run_uuid", name="pk_logged_model_metrics"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    op.create_table(
        "run_model_outputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", "step", name="pk_run_model_outputs"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    op.create_table(
        "run_model_inputs",
        sa.Column("run_uuid", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", name="pk_run_model_inputs"),
        sqlite_with_rowid=False,
        **_mysql,
    )


def downgrade() -> None:
    for table in ("run_model_inputs", "run_model_outputs", "logged_model_metrics", "logged_model_params",
                  "logged_model_tags", "logged_models"):
        op.drop_table(table)
