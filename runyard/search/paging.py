"""Offset page tokens for runs, experiments, registered models and model versions.

The token is base64 of JSON ``{"offset": N}``, byte-for-byte what MLflow hands out, so a client can
carry a token between a runyard server and an MLflow one.
"""

from __future__ import annotations

import base64
import binascii
import json

from runyard.errors import InvalidParameterValue

_SHOWN_LENGTH = 100


def _shown(token: str) -> str:
    return token if len(token) <= _SHOWN_LENGTH else token[:_SHOWN_LENGTH] + "..."


def encode_page_token(offset: int) -> str:
    """Token for the page that starts at ``offset`` (a non-negative int)."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidParameterValue(f"Invalid page offset {offset!r}: expected a non-negative integer")
    return base64.b64encode(json.dumps({"offset": offset}).encode("utf-8")).decode("ascii")


def _offset_of(decoded: object) -> int | None:
    if not isinstance(decoded, dict):
        return None
    offset = decoded.get("offset")
    # MLflow reads the offset with int(); accept a digit string too, but never a bool or float.
    if isinstance(offset, str) and offset.isascii() and offset.isdigit():
        return int(offset)
    if isinstance(offset, int) and not isinstance(offset, bool) and offset >= 0:
        return offset
    return None


def decode_page_token(token: str | None) -> int:
    """Offset carried by ``token``; 0 for None or ""."""
    if token is None or token == "":
        return 0
    if not isinstance(token, str):
        raise InvalidParameterValue(
            f"Invalid page token {token!r}: expected a string, got {type(token).__name__}"
        )
    try:
        decoded = json.loads(base64.b64decode(token.encode("ascii"), validate=True))
    except (UnicodeError, binascii.Error, ValueError):
        decoded = None
    offset = _offset_of(decoded)
    if offset is None:
        raise InvalidParameterValue(
            f"Invalid page token '{_shown(token)}': expected base64 of JSON "
            f'{{"offset": N}} with N a non-negative integer'
        )
    return offset
