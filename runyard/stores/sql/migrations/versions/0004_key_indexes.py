"""Indexes by key for the web UI: distinct metric (and, on PostgreSQL, param and tag) keys of an
experiment are found by walking an index on the key instead of reading every run's rows.

Revision ID: 0004_key_indexes
Revises: 0003_registry
Create Date: 2026-12-20
"""

from alembic import op

revision = "0004_key_indexes"
down_revision = "0003_registry"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_latest_metrics_key_run_uuid", "latest_metrics", ["key", "run_uuid"])
    if op.get_bind().dialect.name == "postgresql":
        # SQLite and MySQL walk the (key, value) indexes of revision 0001, which PostgreSQL lacks.
        for table in ("params", "tags"):
            op.create_index(f"ix_{table}_key_run_uuid", table, ["key", "run_uuid"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in ("params", "tags"):
            op.drop_index(f"ix_{table}_key_run_uuid", table_name=table)
    op.drop_index("ix_latest_metrics_key_run_uuid", table_name="latest_metrics")
