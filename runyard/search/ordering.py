"""Order-by entries (``<identifier> [ASC|DESC]``) parsed against an EntitySpec."""

from __future__ import annotations

from collections.abc import Sequence

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
