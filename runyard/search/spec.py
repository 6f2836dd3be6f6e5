"""Grammar specs: what one entity's filters and order-bys may name, as data.

A new searchable entity (registered models, model versions, logged models) is one more
``EntitySpec``; the parsers in ``filters`` and ``ordering`` read specs and never name an entity.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from runyard.search.nodes import NUMERIC, STRING
from runyard.search.tokens import GrammarError, Token


def frozen_map(items: Mapping[str, object] | None = None) -> Mapping:
    return MappingProxyType(dict(items or {}))


@dataclass(frozen=True, eq=False)
class FieldSpec:
    """How one searchable field behaves: its value type, allowed operators, sortability."""

    value_type: str
    ops: frozenset[str]
    orderable: bool = True

    def __post_init__(self) -> None:
        if self.value_type not in (STRING, NUMERIC):
            raise ValueError(f"value_type must be {STRING!r} or {NUMERIC!r}, got {self.value_type!r}")


@dataclass(frozen=True, eq=False)
class KindSpec:
    """One identifier kind (metric, param, tag, attribute, dataset) for one entity.

    Free-key kinds (metrics, params, tags) give ``default``; fixed-field kinds (attributes,
    datasets) list ``fields`` and may map case-insensitive ``aliases`` to a canonical field.
    """

    kind: str
    default: FieldSpec | None = None
    fields: Mapping[str, FieldSpec] = field(default_factory=frozen_map)
    aliases: Mapping[str, str] = field(default_factory=frozen_map)
    orderable: bool = True

    def __post_init__(self) -> None:
        if (self.default is None) == (not self.fields):
            raise ValueError(f"kind {self.kind!r} needs exactly one of default or fields")
        for alias, target in self.aliases.items():
            if alias != alias.lower() or target not in self.fields:
                raise ValueError(f"alias {alias!r} must be lower-case and name a field of {self.kind!r}")


@dataclass(frozen=True, eq=False)
class EntitySpec:
    """The search grammar of one entity.

    ``prefixes`` maps a lower-case identifier prefix (``metrics``) to a kind in ``kinds``;
    ``bare_kind`` is the kind of an identifier written without a prefix (None: not allowed).
    """

    entity: str
    prefixes: Mapping[str, str]
    kinds: Mapping[str, KindSpec]
    bare_kind: str | None = None

    def __post_init__(self) -> None:
        targets = set(self.prefixes.values()) | ({self.bare_kind} - {None})
        missing = targets - set(self.kinds)
        if missing:
            raise ValueError(f"{self.entity} spec names kinds without a KindSpec: {sorted(missing)}")


@dataclass(frozen=True)
class Identifier:
    """An identifier resolved against a spec: canonical kind and key plus the field's rules."""

    kind: str
    key: str
    field: FieldSpec
    text: str


def _split(token: Token) -> tuple[str | None, str]:
    if token.kind == "quoted":
        return None, str(token.value)
    head = str(token.value)
    if token.tail is not None:
        return head[:-1], token.tail
    if "." in head:
        prefix, key = head.split(".", 1)
        return prefix, key
    return None, head


def _valid_prefixes(spec: EntitySpec) -> str:
    return ", ".join(f"{prefix}." for prefix in spec.prefixes)


def resolve_identifier(token: Token, spec: EntitySpec, *, for_order_by: bool = False) -> Identifier:
    """Map an identifier token to its kind, canonical key and field rules, or raise GrammarError."""
    prefix, key = _split(token)
    if prefix is None:
        kind = spec.bare_kind
        if kind is None:
            raise GrammarError(
                f"identifier '{token.text}' needs a prefix; valid prefixes are: {_valid_prefixes(spec)}"
            )
    else:
        kind = spec.prefixes.get(prefix.lower())
        if kind is None:
            raise GrammarError(
                f"invalid identifier '{token.text}': prefix '{prefix}' is not supported for "
                f"{spec.entity} searches; valid prefixes are: {_valid_prefixes(spec)}"
            )
    if not key:
        raise GrammarError(f"invalid identifier '{token.text}': missing key after '{prefix}.'")
    kind_spec = spec.kinds[kind]
    if for_order_by and not kind_spec.orderable:
        raise GrammarError(f"cannot order {spec.entity}s by {kind} '{key}' ('{token.text}')")
    if kind_spec.default is not None:
        return Identifier(kind, key, kind_spec.default, token.text)
    canonical = key if key in kind_spec.fields else kind_spec.aliases.get(key.lower())
    if canonical is None:
        valid = ", ".join(sorted(kind_spec.fields))
        written = "" if token.text == key else f" in '{token.text}'"
        raise GrammarError(
            f"invalid {kind} '{key}'{written}; valid {kind}s for {spec.entity} searches are: {valid}"
        )
    field_spec = kind_spec.fields[canonical]
    if for_order_by and not field_spec.orderable:
        valid = ", ".join(sorted(name for name, f in kind_spec.fields.items() if f.orderable))
        raise GrammarError(
            f"cannot order {spec.entity}s by {kind} '{key}'; valid {kind}s to order by are: {valid}"
        )
    return Identifier(kind, canonical, field_spec, token.text)
