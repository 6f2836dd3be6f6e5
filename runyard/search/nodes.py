"""The parsed form of filter and order-by strings: plain frozen values, no behaviour."""

from __future__ import annotations

from dataclasses import dataclass

METRIC = "metric"
PARAM = "param"
TAG = "tag"
ATTRIBUTE = "attribute"
DATASET = "dataset"

STRING = "string"
NUMERIC = "numeric"

EQ, NE, LT, LE, GT, GE = "=", "!=", "<", "<=", ">", ">="
LIKE, ILIKE = "LIKE", "ILIKE"
IN, NOT_IN = "IN", "NOT IN"
IS_NULL, IS_NOT_NULL = "IS NULL", "IS NOT NULL"

COMPARISON_OPS = frozenset({EQ, NE, LT, LE, GT, GE})
LIST_OPS = frozenset({IN, NOT_IN})
NULL_OPS = frozenset({IS_NULL, IS_NOT_NULL})
# The order operators are listed in when an error names the allowed ones.
ALL_OPS = (EQ, NE, LT, LE, GT, GE, LIKE, ILIKE, IN, NOT_IN, IS_NULL, IS_NOT_NULL)


@dataclass(frozen=True)
class Comparison:
    """One ``<identifier> <op> <value>`` clause of a filter.

    ``value`` is a float for numeric comparisons, a str for string ones, a tuple of str for
    ``IN``/``NOT IN`` and None for ``IS [NOT] NULL``.
    """

    kind: str
    key: str
    op: str
    value: str | float | tuple[str, ...] | None


@dataclass(frozen=True)
class OrderBy:
    """One ``<identifier> [ASC|DESC]`` entry of an order-by list.

    ``dataset_name`` / ``dataset_digest`` restrict a metric sort key to the points logged against
    that dataset (logged-model searches only).
    """

    kind: str
    key: str
    ascending: bool
    dataset_name: str | None = None
    dataset_digest: str | None = None
