"""Hot-path statements: multi-row inserts and upserts, built per dialect and row count.

One statement carrying N rows costs a fraction of N executions of a one-row statement (the
per-execution overhead of the drivers dominates), so batches are written with a statement
compiled for their exact size, cached per size.
"""

from __future__ import annotations

from itertools import chain
from typing import Any, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import mysql, postgresql, sqlite

from runyard.stores.sql import schema
from runyard.stores.sql.engine import Compiled, Database, Tx

M = schema.metrics
LM = schema.latest_metrics
P = schema.params
T = schema.tags
R = schema.runs

METRIC_COLUMNS = ("run_uuid", "key", "value", "is_nan", "timestamp", "step")
LATEST_COLUMNS = ("run_uuid", "key", "value", "timestamp", "step")
KEYED_COLUMNS = ("run_uuid", "key", "value")
# Table order: a multi-row statement binds its columns in the order the table declares them.
MODEL_METRIC_COLUMNS = ("model_id", "key", "timestamp", "step", "run_uuid", "value", "dataset_name", "dataset_digest")
_MAX_ROWS_PER_STATEMENT = 500


def _insert_for(db: Database, table: sa.Table) -> Any:
    module = {"sqlite": sqlite, "postgresql": postgresql, "mysql": mysql}[db.kind]
    return module.insert(table)


def _rows(columns: Sequence[str], count: int) -> list[dict[str, sa.BindParameter]]:
    return [{c: sa.bindparam(f"{c}_{i}") for c in columns} for i in range(count)]


def _ignore_duplicates(db: Database, stmt: Any) -> Any:
    return stmt.prefix_with("IGNORE") if db.kind == "mysql" else stmt.on_conflict_do_nothing()


def _newer(new: Any) -> Any:
    return sa.or_(new.step > LM.c.step,
                  sa.and_(new.step == LM.c.step, new.timestamp > LM.c.timestamp),
                  sa.and_(new.step == LM.c.step, new.timestamp == LM.c.timestamp, new.value > LM.c.value))


def _upsert_latest(db: Database, stmt: Any) -> Any:
    if db.kind == "mysql":
        new = stmt.inserted
        newer = _newer(new)
        # MySQL applies assignments left to right: step goes last so the test sees the old step.
        return stmt.on_duplicate_key_update([
            ("value", sa.case((newer, new.value), else_=LM.c.value)),
            ("timestamp", sa.case((newer, new.timestamp), else_=LM.c.timestamp)),
            ("step", sa.case((newer, new.step), else_=LM.c.step)),
        ])
    new = stmt.excluded
    return stmt.on_conflict_do_update(index_elements=[LM.c.run_uuid, LM.c.key],
                                      set_={"value": new.value, "timestamp": new.timestamp, "step": new.step},
                                      where=_newer(new))


def _upsert_tag(db: Database, stmt: Any) -> Any:
    if db.kind == "mysql":
        return stmt.on_duplicate_key_update(value=stmt.inserted.value)
    return stmt.on_conflict_do_update(index_elements=[T.c.run_uuid, T.c.key], set_={"value": stmt.excluded.value})


class MultiRow:
    """A family of N-row statements over one table, compiled lazily per N."""

    def __init__(self, db: Database, name: str, table: sa.Table, columns: tuple[str, ...],
                 finish: Callable[[Database, Any], Any]) -> None:
        self.db, self.name, self.table, self.columns, self.finish = db, name, table, columns, finish
        self._by_count: dict[int, Compiled] = {}

    def compiled(self, count: int) -> Compiled:
        found = self._by_count.get(count)
        if found is not None:
            return found

        def build() -> Any:
            return self.finish(self.db, _insert_for(self.db, self.table).values(_rows(self.columns, count)))

        compiled = self.db.cached(f"{self.name}:{count}", build)
        expected = tuple(f"{c}_{i}" for i in range(count) for c in self.columns)
        if compiled.names != expected:
            raise RuntimeError(f"Statement {self.name} binds {compiled.names[:8]}..., expected {expected[:8]}...")
        self._by_count[count] = compiled
        return compiled

    def write(self, tx: Tx, rows: Sequence[tuple]) -> None:
        """Write rows (tuples in ``columns`` order), a few hundred per statement."""
        for start in range(0, len(rows), _MAX_ROWS_PER_STATEMENT):
            chunk = rows[start:start + _MAX_ROWS_PER_STATEMENT]
            tx.cursor.execute(self.compiled(len(chunk)).sql, tuple(chain.from_iterable(chunk)))


class Statements:
    """The compiled hot-path statements of one store."""

    def __init__(self, db: Database) -> None:
        self.run_stage = db.cached("run_stage", lambda: sa.select(R.c.lifecycle_stage).where(
            R.c.run_uuid == sa.bindparam("run_uuid")))
        self.metrics = MultiRow(db, "insert_metrics", M, METRIC_COLUMNS, _ignore_duplicates)
        self.latest_metrics = MultiRow(db, "upsert_latest", LM, LATEST_COLUMNS, _upsert_latest)
        self.params = MultiRow(db, "insert_params", P, KEYED_COLUMNS, lambda _db, stmt: stmt)
        self.tags = MultiRow(db, "upsert_tags", T, KEYED_COLUMNS, _upsert_tag)
        # Points logged with a model_id; a point already there (MLflow's key) is kept, as in MLflow.
        self.model_metrics = MultiRow(db, "insert_model_metrics", schema.logged_model_metrics,
                                      MODEL_METRIC_COLUMNS, _ignore_duplicates)
        # Run <-> model links; logging a link twice keeps one.
        self.model_outputs = MultiRow(db, "insert_model_outputs", schema.run_model_outputs,
                                      ("run_uuid", "model_id", "step"), _ignore_duplicates)
        self.model_inputs = MultiRow(db, "insert_model_inputs", schema.run_model_inputs,
                                     ("run_uuid", "model_id"), _ignore_duplicates)
        # Three plain columns: every extra text column (the key, say) costs the driver a string
        # decode per point, the largest part of reading a million-point history.
        value = sa.case((M.c.is_nan == 1, sa.null()), else_=M.c.value)
        # SQLite sorts again for any ORDER BY longer than the step, although its primary-key scan
        # already yields (step, key, timestamp) order, and the key is fixed here; a contract test
        # pins the timestamp order within a step.
        order = (M.c.step,) if db.kind == "sqlite" else (M.c.step, M.c.timestamp)
        self.metric_history = db.cached("metric_history", lambda: sa.select(value, M.c.timestamp, M.c.step).where(
            M.c.run_uuid == sa.bindparam("run_uuid"), M.c.key == sa.bindparam("key")).order_by(*order))
