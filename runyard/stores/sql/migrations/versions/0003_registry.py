"""The model registry: registered models, versions, their tags, aliases, and the audit trail.

Revision ID: 0003_registry
Revises: 0002_logged_models
Create Date: 2026-12-10
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003_registry"
down_revision = "0002_logged_models"
branch_labels = None
depends_on = None

_medium = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
_auto_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_mysql = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("model_key", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("deployment_job_id", sa.String(256), nullable=True),
        sa.Column("last_version", sa.Integer, nullable=False),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
        sqlite_autoincrement=True,
        **_mysql,
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model_key", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", _medium, nullable=True),
        sa.PrimaryKeyConstraint("model_key", "key", name="pk_registered_model_tags"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    op.create_table(
        "model_versions",
        sa.Column("model_key", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("current_stage", sa.String(20), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("storage_location", sa.Text, nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("run_link", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("model_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("model_key", "version", name="pk_model_versions"),
        **_mysql,
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("model_key", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("value", _medium, nullable=True),
        sa.PrimaryKeyConstraint("model_key", "version", "key", name="pk_model_version_tags"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model_key", sa.Integer, nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("model_key", "alias", name="pk_registered_model_aliases"),
        sqlite_with_rowid=False,
        **_mysql,
    )
    op.create_table(
        "registry_events",
        sa.Column("event_id", _auto_id, primary_key=True, autoincrement=True),
        sa.Column("model_key", sa.Integer, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.String(256), nullable=True),
        sa.Column("version", sa.Integer, nullable=True),
        sa.Column("key", sa.String(256), nullable=True),
        sa.Column("from_value", sa.String(256), nullable=True),
        sa.Column("to_value", sa.String(256), nullable=True),
        sqlite_autoincrement=True,
        **_mysql,
    )
    op.create_index("ix_registry_events_model_key_event_id", "registry_events", ["model_key", "event_id"])
    op.create_index("ix_registry_events_name_timestamp", "registry_events", ["name", "timestamp"])


def downgrade() -> None:
    for table in ("registry_events", "registered_model_aliases", "model_version_tags", "model_versions",
                  "registered_model_tags", "registered_models"):
        op.drop_table(table)
