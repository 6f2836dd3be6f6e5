"""Registered-model and model-version searches (``runyard.search`` ASTs) to SQL clauses; paging.

Prompts (MLflow keeps them in the registry, tagged ``mlflow.prompt.is_prompt = 'true'``) are left
out of every search unless the filter asks for them, as MLflow's SQL store does: the stock client
always appends ``tag.`mlflow.prompt.is_prompt` != 'true'``, and models without the tag must match.
"""

from __future__ import annotations

from typing import Any, Sequence

import sqlalchemy as sa

from runyard import search, validation
from runyard.errors import InvalidParameterValue
from runyard.stores.sql.engine import Tx
from runyard.stores.sql.filters import compare
from runyard.stores.sql.registry_reads import MV, MVT, RM, RMT

IS_PROMPT_TAG = "mlflow.prompt.is_prompt"

_MODEL_ATTRIBUTES = {"name": RM.c.name, "creation_timestamp": RM.c.creation_timestamp,
                     "last_updated_timestamp": RM.c.last_updated_timestamp}
_VERSION_ATTRIBUTES = {"name": RM.c.name, "version_number": MV.c.version, "run_id": MV.c.run_id,
                       "source_path": MV.c.source, "creation_timestamp": MV.c.creation_timestamp,
                       "last_updated_timestamp": MV.c.last_updated_timestamp}


def _asks_for_prompts(comparisons: Sequence[search.Comparison]) -> bool:
    for comparison in comparisons:
        if comparison.kind == "tag" and comparison.key == IS_PROMPT_TAG and isinstance(comparison.value, str):
            value = comparison.value.lower()
            return (comparison.op == "=" and value == "true") or (comparison.op == "!=" and value == "false")
    return False


def _is_prompt(table: sa.Table, *owner: Any) -> Any:
    return sa.exists().where(*owner, table.c.key == IS_PROMPT_TAG, table.c.value == "true")


def _version_number(op: str, value: Any) -> int:
    if not isinstance(value, float) or not value.is_integer():
        raise InvalidParameterValue(
            f"Invalid value {value!r} for numeric attribute 'version_number' ({op}): must be an integer")
    return int(value)


def registered_model_filter_clauses(comparisons: Sequence[search.Comparison]) -> list[Any]:
    """WHERE clauses over ``registered_models`` for a parsed filter."""
    prompts = _asks_for_prompts(comparisons)
    clauses: list[Any] = []
    for comparison in comparisons:
        key, op, value = comparison.key, comparison.op, comparison.value
        if comparison.kind == "attribute":
            clauses.append(compare(_MODEL_ATTRIBUTES[key], op, value))
        elif key != IS_PROMPT_TAG or prompts:
            clauses.append(sa.exists().where(RMT.c.model_key == RM.c.model_key, RMT.c.key == key,
                                             compare(RMT.c.value, op, value)))
    if not prompts:
        clauses.append(~_is_prompt(RMT, RMT.c.model_key == RM.c.model_key))
    return clauses


def model_version_filter_clauses(comparisons: Sequence[search.Comparison]) -> list[Any]:
    """WHERE clauses over ``model_versions`` joined to ``registered_models``."""
    prompts = _asks_for_prompts(comparisons)
    clauses: list[Any] = []
    for comparison in comparisons:
        key, op, value = comparison.key, comparison.op, comparison.value
        if comparison.kind == "attribute":
            if key == "version_number":
                value = _version_number(op, value)
            clauses.append(compare(_VERSION_ATTRIBUTES[key], op, value))
        elif key != IS_PROMPT_TAG or prompts:
            clauses.append(sa.exists().where(MVT.c.model_key == MV.c.model_key, MVT.c.version == MV.c.version,
                                             MVT.c.key == key, compare(MVT.c.value, op, value)))
    if not prompts:
        clauses.append(~_is_prompt(RMT, RMT.c.model_key == MV.c.model_key))
        clauses.append(~_is_prompt(MVT, MVT.c.model_key == MV.c.model_key))
    return clauses


def _direction(column: Any, ascending: bool) -> Any:
    return column.asc() if ascending else column.desc()


def registered_model_order_clauses(ordering: Sequence[search.OrderBy]) -> list[Any]:
    """ORDER BY for registered models; ties broken by name (MLflow's natural order)."""
    clauses = [_direction(_MODEL_ATTRIBUTES[order.key], order.ascending) for order in ordering]
    if not any(order.key == "name" for order in ordering):
        clauses.append(RM.c.name.asc())
    return clauses


DEFAULT_VERSION_ORDER = ("last_updated_timestamp DESC", "name ASC", "version_number DESC")


def model_version_order_clauses(ordering: Sequence[search.OrderBy]) -> list[Any]:
    """ORDER BY for versions (default: last updated first); ties by name, then newest version."""
    clauses = [_direction(_VERSION_ATTRIBUTES[order.key], order.ascending) for order in ordering]
    keys = {order.key for order in ordering}
    if "name" not in keys:
        clauses.append(RM.c.name.asc())
    if "version_number" not in keys:
        clauses.append(MV.c.version.desc())
    return clauses


def page_rows(tx: Tx, query: sa.Select, max_results: Any, page_token: str | None,
              limit: int) -> tuple[list[tuple], str | None]:
    """One page of ``query``'s rows and the token of the next page (None on the last one)."""
    max_results = validation.validate_max_results(max_results, limit)
    offset = search.decode_page_token(page_token)
    rows = tx.query(query.limit(max_results + 1).offset(offset))
    token = search.encode_page_token(offset + max_results) if len(rows) > max_results else None
    return rows[:max_results], token
