"""Pages of runs ordered by a param or tag (NULLs last) on SQLite, read along its (key, value) index.

``apply_run_order`` puts NULLs last with a CASE expression that no index can serve, so the database
reads and sorts the value of every run of the experiment for one page. Here a page is put together
from parts whose order the (key, value) index of ``params`` or ``tags`` gives:

1. the runs whose value comes before a cut, the value ``budget`` entries into the key's index: the
   planner walks the index from that end and stops after the page;
2. the runs whose value is the cut, in the rest of the ordering: a large group (a param with a few
   distinct values) from the runs' own index, newest first; a small one from the (key, value) index;
3. when the key has fewer entries than the budget: every run with a value, then the runs without
   one (no such key, or a NULL tag).

Each part's rows all come before the next part's, so one after the other they are exactly
``apply_run_order``'s order. The walk is bounded: where the experiment's runs are rare among the
key's entries (a common param name in a store of many experiments) or the page lies past the cut,
at most ``budget`` entries are read before the plain sort answers instead.

Metrics have no such index on purpose: their latest values change at every logged step, and an
index entry ordered by (key, value) lands on a different page for each key, so a ``log_metrics``
call of 100 keys would dirty about 100 more pages (measured: 4-5x slower once a thousand runs share
the keys). PostgreSQL has no index on param and tag values (too long for its b-tree entries) and
MySQL indexes a 191-character prefix, which gives no order: they sort.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

from runyard import search
from runyard.stores.sql import schema
from runyard.stores.sql.engine import Tx
from runyard.stores.sql.filters import RUN_KEYED_TABLES, apply_run_order

R = schema.runs
# Index entries a page may walk: at least this many, or this many per row of the page and those
# before it. Where fewer of them than that belong to matching runs, the walk gives up.
BUDGET_MIN = 10_000
BUDGET_PER_ROW = 4
# A group of equal values up to one budget is read from the (key, value) index; a larger one from
# the runs' index, newest first, which stops after the page unless the rest of the ordering makes it
# sort the group anyway: then the index serves groups up to this many budgets.
GROUP_FROM_INDEX_UP_TO = 4
# Pages that end further in than this many rows are left to the plain sort: its cost does not
# grow with the offset, the walk's does.
MAX_ROWS = 5_000


class Unindexed(sa.sql.expression.FunctionElement):
    """``column`` as a term that SQLite will not look up in an index (``+column``); as is elsewhere.

    For a group of runs with the same value (``params.p = 'v'``) that most runs are in, walking the
    runs newest first stops after a page, where SQLite (which keeps no statistics) would read
    every 'v' through the (key, value) index and sort them.
    """

    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(Unindexed)
def _unindexed(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(Unindexed, "sqlite")
def _unindexed_sqlite(element: Unindexed, compiler: Any, **kw: Any) -> str:
    return "+" + compiler.process(element.clauses, **kw)  # SQLite's documented way


def _walkable(db_kind: str, kind: str) -> bool:
    return db_kind == "sqlite" and kind in ("param", "tag")


def _with_value(query: sa.Select, order: search.OrderBy, rest: Sequence[search.OrderBy],
                value_test: Callable[[Any], Any], by_value: bool) -> sa.Select:
    table = RUN_KEYED_TABLES[order.kind].alias()
    value = table.c.value
    query = query.join(table, sa.and_(table.c.run_uuid == R.c.run_uuid, table.c.key == order.key, value_test(value)))
    if by_value:
        query = query.order_by(value.asc() if order.ascending else value.desc())
    return apply_run_order(query, rest)


def _without_value(query: sa.Select, order: search.OrderBy, rest: Sequence[search.OrderBy]) -> sa.Select:
    table = RUN_KEYED_TABLES[order.kind].alias()
    having = sa.exists().where(table.c.run_uuid == R.c.run_uuid, table.c.key == order.key, table.c.value.is_not(None))
    return apply_run_order(query.where(~having), rest)


def _count(tx: Tx, query: sa.Select) -> int:
    return tx.query(sa.select(sa.func.count()).select_from(query.subquery()))[0][0]


def _rows(tx: Tx, parts: Sequence[sa.Select], want: int) -> list[tuple]:
    """The first ``want`` rows of the parts read one after the other (pages are near the start:
    reading the rows before the page costs less than counting the parts to skip them)."""
    rows: list[tuple] = []
    for part in parts:
        if len(rows) >= want:
            break
        rows += tx.query(part.limit(want - len(rows)))
    return rows


def keyed_page(tx: Tx, query: sa.Select, ordering: Sequence[search.OrderBy], max_results: int,
               offset: int, budget_min: int = BUDGET_MIN) -> list[tuple] | None:
    """``max_results + 1`` rows from ``offset`` of ``query`` (one run_uuid column, filters applied)
    in ``apply_run_order(query, ordering)``'s order; None where the plain sort is the way."""
    want = offset + max_results + 1
    if budget_min <= 0 or want > MAX_ROWS or not ordering or not _walkable(tx.db.kind, ordering[0].kind):
        return None
    order, rest = ordering[0], ordering[1:]
    table = RUN_KEYED_TABLES[order.kind]
    budget = max(budget_min, BUDGET_PER_ROW * want)
    entries = sa.select(table.c.value).where(table.c.key == order.key, table.c.value.is_not(None))
    in_order = table.c.value.asc() if order.ascending else table.c.value.desc()
    found = tx.query(entries.order_by(in_order).limit(1).offset(budget - 1))
    if not found:
        # Fewer entries than the budget: walk them all, then the runs without a value. The walk is
        # bounded by its first value rather than by IS NOT NULL, which SQLite drops for a NOT NULL
        # column (params), and then reads every run of the experiment instead.
        parts = [_without_value(query, order, rest)]
        first = tx.query(entries.order_by(in_order).limit(1))
        if first:
            start = first[0][0]
            walk = _with_value(query, order, rest, lambda value: value >= start if order.ascending else value <= start,
                               by_value=True)
            parts.insert(0, walk)
        return _rows(tx, parts, want)[offset:]
    cut = found[0][0]
    group_limit = GROUP_FROM_INDEX_UP_TO * budget if rest else budget
    equal = sa.select(sa.literal(1)).where(table.c.key == order.key, table.c.value == cut).limit(group_limit + 1)
    large = _count(tx, equal) > group_limit
    parts = [
        _with_value(query, order, rest, lambda value: value < cut if order.ascending else value > cut, by_value=True),
        # Within the group the value is the same: no ORDER BY on it, or SQLite would sort the group
        # it reads newest first from the runs' index.
        _with_value(query, order, rest, lambda value: (Unindexed(value) if large else value) == cut, by_value=False),
    ]
    rows = _rows(tx, parts, want)
    return rows[offset:] if len(rows) == want else None
