"""Filter strings (``<identifier> <op> <value> [AND ...]``) parsed against an EntitySpec."""

from __future__ import annotations

from runyard.errors import InvalidParameterValue
from runyard.search.nodes import (
    ALL_OPS,
    ILIKE,
    IN,
    IS_NOT_NULL,
    IS_NULL,
    LIKE,
    LIST_OPS,
    NOT_IN,
    NULL_OPS,
    NUMERIC,
    Comparison,
)
from runyard.search.spec import EntitySpec, Identifier, resolve_identifier
from runyard.search.tokens import GrammarError, Token, tokenize

MAX_FILTER_LENGTH = 20000
MAX_CLAUSES = 100
_SHOWN_LENGTH = 200
_REJECTED_OPS = {"<>": "!=", "==": "="}


def shown(text: str) -> str:
    """The input as quoted in an error message, cut short so a huge filter cannot flood logs."""
    if len(text) <= _SHOWN_LENGTH:
        return text
    return text[:_SHOWN_LENGTH] + "..."


class _FilterParser:
    def __init__(self, tokens: list[Token], spec: EntitySpec) -> None:
        self.tokens = tokens
        self.spec = spec
        self.index = 0

    def _next(self) -> Token | None:
        if self.index >= len(self.tokens):
            return None
        token = self.tokens[self.index]
        self.index += 1
        return token

    def _peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def parse(self) -> list[Comparison]:
        comparisons: list[Comparison] = []
        while True:
            if len(comparisons) == MAX_CLAUSES:
                raise GrammarError(f"too many clauses: the limit is {MAX_CLAUSES} clauses per filter")
            comparisons.append(self._clause())
            token = self._next()
            if token is None:
                return comparisons
            if token.is_keyword("OR"):
                raise GrammarError(
                    f"OR is not supported (found at position {token.pos}); clauses may only be "
                    f"joined by AND"
                )
            if not token.is_keyword("AND"):
                raise GrammarError(
                    f"unexpected token '{token.text}' at position {token.pos}; expected AND or the "
                    f"end of the filter"
                )
            if self._peek() is None:
                raise GrammarError(f"dangling 'AND' at position {token.pos}: expected a clause after it")

    def _clause(self) -> Comparison:
        token = self._next()
        if token is None:
            raise GrammarError("expected a clause, found the end of the filter")
        if token.kind in "()":
            raise GrammarError(
                f"invalid clause at position {token.pos}: parentheses grouping is not supported; "
                f"write clauses joined by AND"
            )
        if token.kind not in ("word", "quoted") or token.is_keyword("AND", "OR"):
            raise GrammarError(
                f"unexpected token '{token.text}' at position {token.pos}; expected an identifier "
                f"such as metrics.<key>, params.<key>, tags.<key> or an attribute name"
            )
        ident = resolve_identifier(token, self.spec)
        op = self._operator(ident)
        if op not in ident.field.ops:
            allowed = ", ".join(op for op in ALL_OPS if op in ident.field.ops)
            raise GrammarError(
                f"operator '{op}' is not supported for {ident.kind} '{ident.key}' "
                f"('{ident.text}'); allowed operators: {allowed}"
            )
        return Comparison(ident.kind, ident.key, op, self._value(ident, op))

    def _operator(self, ident: Identifier) -> str:
        token = self._next()
        if token is None:
            raise GrammarError(f"expected an operator after '{ident.text}', found the end of the filter")
        if token.kind == "op":
            if token.text in _REJECTED_OPS:
                raise GrammarError(
                    f"operator '{token.text}' at position {token.pos} is not supported; "
                    f"use '{_REJECTED_OPS[token.text]}'"
                )
            return token.text
        if token.is_keyword(LIKE, ILIKE, IN):
            return token.text.upper()
        if token.is_keyword("NOT"):
            following = self._next()
            if following is not None and following.is_keyword(IN):
                return NOT_IN
            raise GrammarError(f"expected IN after 'NOT' at position {token.pos}")
        if token.is_keyword("IS"):
            following = self._next()
            if following is not None and following.is_keyword("NULL"):
                return IS_NULL
            if following is not None and following.is_keyword("NOT"):
                last = self._next()
                if last is not None and last.is_keyword("NULL"):
                    return IS_NOT_NULL
            raise GrammarError(f"expected NULL or NOT NULL after 'IS' at position {token.pos}")
        raise GrammarError(
            f"unexpected token '{token.text}' at position {token.pos}; expected an operator after "
            f"'{ident.text}' (one of =, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL)"
        )

    def _value(self, ident: Identifier, op: str) -> str | float | tuple[str, ...] | None:
        if op in NULL_OPS:
            return None
        if op in LIST_OPS:
            return self._string_list(ident, op)
        token = self._next()
        if token is None:
            raise GrammarError(f"expected a value after '{ident.text} {op}', found the end of the filter")
        if ident.field.value_type == NUMERIC:
            if token.kind != "number":
                raise GrammarError(
                    f"expected a numeric value for {ident.kind} '{ident.key}', found "
                    f"'{token.text}' at position {token.pos}"
                )
            return float(token.value)  # type: ignore[arg-type]
        return self._string(ident, token)

    def _string(self, ident: Identifier, token: Token) -> str:
        # MLflow takes a double-quoted text as a string value too, but never a backtick one.
        if token.kind == "string" or (token.kind == "quoted" and token.text.startswith('"')):
            return str(token.value)
        raise GrammarError(
            f"expected a quoted string value for {ident.kind} '{ident.key}', found "
            f"'{token.text}' at position {token.pos}"
        )

    def _string_list(self, ident: Identifier, op: str) -> tuple[str, ...]:
        opening = self._next()
        if opening is None or opening.kind != "(":
            found = "the end of the filter" if opening is None else f"'{opening.text}'"
            raise GrammarError(
                f"expected a parenthesised list of quoted strings after '{ident.text} {op}', "
                f"found {found}"
            )
        values: list[str] = []
        while True:
            token = self._next()
            if token is None:
                raise GrammarError(f"unclosed '(' at position {opening.pos}")
            if token.kind == ")" and not values:
                raise GrammarError(f"the {op} list at position {opening.pos} must not be empty")
            values.append(self._string(ident, token))
            separator = self._next()
            if separator is None:
                raise GrammarError(f"unclosed '(' at position {opening.pos}")
            if separator.kind == ")":
                return tuple(values)
            if separator.kind != ",":
                raise GrammarError(
                    f"unexpected token '{separator.text}' at position {separator.pos}; expected ',' "
                    f"or ')' in the {op} list"
                )


def parse_filter(filter_string: str | None, spec: EntitySpec) -> list[Comparison]:
    """Parse ``filter_string`` with the grammar ``spec``; [] for None, "" or whitespace."""
    if filter_string is None:
        return []
    if not isinstance(filter_string, str):
        raise InvalidParameterValue(
            f"Invalid filter {filter_string!r}: expected a string, got {type(filter_string).__name__}"
        )
    if not filter_string.strip():
        return []
    if len(filter_string) > MAX_FILTER_LENGTH:
        raise InvalidParameterValue(
            f"Invalid filter '{shown(filter_string)}': it is {len(filter_string)} characters long; "
            f"the limit is {MAX_FILTER_LENGTH} characters"
        )
    try:
        return _FilterParser(tokenize(filter_string), spec).parse()
    except GrammarError as exc:
        raise InvalidParameterValue(f"Invalid filter '{shown(filter_string)}': {exc}") from None
