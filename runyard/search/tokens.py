"""Hand-written tokenizer shared by the filter and order-by parsers.

Token kinds:
  ``word``   an unquoted run such as ``metrics.acc``, ``AND`` or ``tags.`` followed directly by a
             quoted key (kept in ``tail``: ``tags.`mlflow.user```);
  ``quoted`` a stand-alone backtick or double-quoted text (identifier, or a string value for ``"``);
  ``string`` a single-quoted string value;
  ``number`` a numeric literal, ``value`` holds the float;
  ``op``     a comparison operator; ``(``, ``)`` and ``,`` are their own kinds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
# Longest first so "<=" wins over "<"; "<>" and "==" are recognised only to be rejected clearly.
_OPERATORS = ("!=", "<=", ">=", "<>", "==", "=", "<", ">")
_PUNCTUATION = "(),"
_WORD_EXTRA = "_.-/:"
_IDENT_QUOTES = "`\""


class GrammarError(Exception):
    """Internal: a syntax or validation problem; the caller adds the offending input."""


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int
    value: str | float | None = None
    tail: str | None = None

    def is_keyword(self, *names: str) -> bool:
        """True for an unquoted, undotted word equal (case-insensitively) to one of ``names``."""
        return (
            self.kind == "word"
            and self.tail is None
            and "." not in self.text
            and self.text.upper() in names
        )


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char in _WORD_EXTRA


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a quoted run at ``start``; a doubled quote inside stands for one quote."""
    quote = text[start]
    parts: list[str] = []
    i = start + 1
    while True:
        end = text.find(quote, i)
        if end < 0:
            raise GrammarError(f"unterminated quoted text starting at position {start}")
        parts.append(text[i:end])
        if end + 1 < len(text) and text[end + 1] == quote:
            parts.append(quote)
            i = end + 2
            continue
        return "".join(parts), end + 1


def _read_word(text: str, start: int) -> tuple[Token, int]:
    i = start
    while i < len(text) and _is_word_char(text[i]):
        i += 1
    head = text[start:i]
    if head.endswith(".") and i < len(text) and text[i] in _IDENT_QUOTES:
        tail, i = _read_quoted(text, i)
        return Token("word", text[start:i], start, head, tail), i
    return Token("word", head, start, head), i


def _read_number(text: str, start: int) -> tuple[Token, int] | None:
    match = _NUMBER.match(text, start)
    if match is None:
        return None
    end = match.end()
    if end < len(text) and (_is_word_char(text[end]) or text[end] in _IDENT_QUOTES + "'"):
        stop = end
        while stop < len(text) and _is_word_char(text[stop]):
            stop += 1
        raise GrammarError(f"unexpected token '{text[start:max(stop, end + 1)]}' at position {start}")
    return Token("number", match.group(), start, float(match.group())), end


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raise GrammarError naming the first character it cannot read."""
    tokens: list[Token] = []
    i = 0
    length = len(text)
    while i < length:
        char = text[i]
        if char.isspace():
            i += 1
            continue
        if char in _PUNCTUATION:
            tokens.append(Token(char, char, i))
            i += 1
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
        if op is not None:
            tokens.append(Token("op", op, i, op))
            i += len(op)
            continue
        if char == "'":
            value, end = _read_quoted(text, i)
            tokens.append(Token("string", text[i:end], i, value))
            i = end
            continue
        if char in _IDENT_QUOTES:
            value, end = _read_quoted(text, i)
            tokens.append(Token("quoted", text[i:end], i, value))
            i = end
            continue
        if char.isdigit() or char in "-+.":
            read = _read_number(text, i)
            if read is not None:
                tokens.append(read[0])
                i = read[1]
                continue
        if char.isalpha() or char == "_":
            token, i = _read_word(text, i)
            tokens.append(token)
            continue
        raise GrammarError(f"unexpected token '{char}' at position {i}")
    return tokens
