"""Order-by entries (``<identifier> [ASC|DESC]`` strings, or MLflow 3 ``{field_name, ascending}``
objects) parsed against an EntitySpec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runyard.errors import InvalidParameterValue
from runyard.search.filters import shown
from runyard.search.nodes import OrderBy
from runyard.search.spec import EntitySpec, resolve_identifier
from runyard.search.tokens import GrammarError, tokenize

_EXPECTED = "expected '<identifier> [ASC|DESC]'"


def _parse_entry(entry: str, spec: EntitySpec) -> OrderBy:
    tokens = tokenize(entry)
    if not tokens:
        raise GrammarError(f"empty clause; {_EXPECTED}")
    first = tokens[0]
    if first.kind not in ("word", "quoted"):
        raise GrammarError(f"unexpected token '{first.text}' at position {first.pos}; {_EXPECTED}")
    ident = resolve_identifier(first, spec, for_order_by=True)
    ascending = True
    if len(tokens) >= 2:
        direction = tokens[1]
        if not direction.is_keyword("ASC", "DESC"):
            raise GrammarError(
                f"unexpected token '{direction.text}' at position {direction.pos}; {_EXPECTED}"
            )
        ascending = direction.text.upper() == "ASC"
    if len(tokens) > 2:
        extra = tokens[2]
        raise GrammarError(f"unexpected token '{extra.text}' at position {extra.pos}; {_EXPECTED}")
    return OrderBy(ident.kind, ident.key, ascending)


def parse_order_by(order_by: Sequence[str] | None, spec: EntitySpec) -> list[OrderBy]:
    """Parse order-by entries with the grammar ``spec``; [] for None or an empty list.

    A single string is taken as one entry. Naming the same field twice is an error, as in MLflow.
    """
    if order_by is None:
        return []
    entries = [order_by] if isinstance(order_by, str) else list(order_by)
    parsed: list[OrderBy] = []
    seen: dict[tuple[str, str], str] = {}
    for entry in entries:
        if not isinstance(entry, str):
            raise InvalidParameterValue(
                f"Invalid order_by clause {entry!r}: expected a string, got {type(entry).__name__}"
            )
        try:
            clause = _parse_entry(entry, spec)
        except GrammarError as exc:
            raise InvalidParameterValue(f"Invalid order_by clause '{shown(entry)}': {exc}") from None
        field = (clause.kind, clause.key)
        if field in seen:
            raise InvalidParameterValue(
                f"Invalid order_by clause '{shown(entry)}': {clause.kind} '{clause.key}' is already "
                f"ordered by '{shown(seen[field])}'; each field may appear once"
            )
        seen[field] = entry
        parsed.append(clause)
    return parsed


_FIELD_KEYS = ("field_name", "ascending", "dataset_name", "dataset_digest")


def _optional_text(entry: Mapping[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise GrammarError(f"'{name}' must be a string, got {type(value).__name__}")
    return value


def _parse_field_entry(entry: Mapping[str, Any], spec: EntitySpec) -> OrderBy:
    unknown = sorted(str(key) for key in entry if key not in _FIELD_KEYS)
    if unknown:
        raise GrammarError(f"unknown key(s) {', '.join(unknown)}; expected {', '.join(_FIELD_KEYS)}")
    field_name = entry.get("field_name")
    if not isinstance(field_name, str) or not field_name.strip():
        raise GrammarError("'field_name' is required and must be a non-empty string")
    ascending = entry.get("ascending", True)
    if ascending is None:
        ascending = True
    if not isinstance(ascending, bool):
        raise GrammarError(f"'ascending' must be true or false, got {ascending!r}")
    tokens = tokenize(field_name)
    if len(tokens) != 1 or tokens[0].kind not in ("word", "quoted"):
        raise GrammarError("'field_name' must be one identifier such as metrics.<key> or an attribute name")
    ident = resolve_identifier(tokens[0], spec, for_order_by=True)
    dataset_name = _optional_text(entry, "dataset_name")
    dataset_digest = _optional_text(entry, "dataset_digest")
    if (dataset_name or dataset_digest) and ident.kind != "metric":
        raise GrammarError("'dataset_name' and 'dataset_digest' apply only to metrics.<key> fields")
    if dataset_digest and not dataset_name:
        raise GrammarError("'dataset_digest' needs 'dataset_name'")
    return OrderBy(ident.kind, ident.key, ascending, dataset_name, dataset_digest)


def parse_order_by_fields(
    order_by: Sequence[Mapping[str, Any] | str] | None, spec: EntitySpec
) -> list[OrderBy]:
    """Parse MLflow 3 order-by objects ``{field_name, ascending, dataset_name, dataset_digest}``
    (what ``search_logged_models`` takes); a plain ``"<identifier> [ASC|DESC]"`` string is accepted
    for an entry too. Naming the same field twice is an error."""
    if order_by is None:
        return []
    entries = [order_by] if isinstance(order_by, (str, Mapping)) else list(order_by)
    parsed: list[OrderBy] = []
    seen: set[tuple[str, str, str | None, str | None]] = set()
    for entry in entries:
        if isinstance(entry, str):
            clause = parse_order_by([entry], spec)[0]
        elif isinstance(entry, Mapping):
            try:
                clause = _parse_field_entry(entry, spec)
            except GrammarError as exc:
                raise InvalidParameterValue(f"Invalid order_by entry {shown(repr(dict(entry)))}: {exc}") from None
        else:
            raise InvalidParameterValue(
                f"Invalid order_by entry {entry!r}: expected an object with 'field_name' "
                f"(and optionally 'ascending', 'dataset_name', 'dataset_digest'), got {type(entry).__name__}"
            )
        field = (clause.kind, clause.key, clause.dataset_name, clause.dataset_digest)
        if field in seen:
            raise InvalidParameterValue(
                f"Invalid order_by: {clause.kind} '{clause.key}' appears more than once; each field may appear once"
            )
        seen.add(field)
        parsed.append(clause)
    return parsed
