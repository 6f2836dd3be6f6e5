"""Artifact path validation: every path from a request, a name or a URI passes through here.

A relative artifact path is checked in every form it could take on the way to the filesystem
(as given, and after each round of percent-decoding), so that no later decoding step can turn an
accepted path into a traversal. Containment is then checked on the joined, symlink-resolved path.
"""

from __future__ import annotations

import os
import re
import unicodedata
from urllib.parse import unquote

from runyard.errors import InvalidParameterValue

MAX_PATH_LENGTH = 4096
_MAX_DECODE_ROUNDS = 8
_DRIVE = re.compile(r"^[A-Za-z]:")


def _decoded_forms(path: str, field: str) -> list[str]:
    """The path as given plus every distinct result of repeated percent-decoding."""
    forms = [path]
    current = path
    for _ in range(_MAX_DECODE_ROUNDS):
        try:
            decoded = unquote(current, errors="strict")
        except UnicodeDecodeError:
            # Overlong or otherwise invalid UTF-8 (e.g. %c0%ae) is a classic filter bypass.
            raise InvalidParameterValue(
                f"Invalid {field} {path!r}: percent-encoding does not decode to valid UTF-8"
            ) from None
        if decoded == current:
            return forms
        forms.append(decoded)
        current = decoded
    raise InvalidParameterValue(f"Invalid {field} {path!r}: too many levels of percent-encoding")


def _check_form(form: str, original: str, field: str) -> None:
    def bad(reason: str) -> InvalidParameterValue:
        return InvalidParameterValue(f"Invalid {field} {original!r}: {reason}")

    if any(unicodedata.category(ch) == "Cc" for ch in form):
        raise bad("control characters (including NUL) are not allowed")
    if "\\" in form:
        raise bad("backslashes are not allowed; use '/' to separate path segments")
    if form.startswith("/"):
        raise bad("must be a relative path, not an absolute one")
    if _DRIVE.match(form):
        raise bad("must be a relative path, not a Windows drive path")
    for variant in (form, unicodedata.normalize("NFKC", form)):
        if ".." in variant.split("/"):
            raise bad("'..' path segments are not allowed")


def safe_relative_path(path: str | None, field: str = "artifact_path") -> str:
    """Validate and normalise a relative artifact path; ``''`` stands for the root.

    Rejects (with :class:`InvalidParameterValue` naming ``field``) absolute paths, ``..``
    segments, backslashes, control characters, Windows drive letters and percent-encoded
    forms of any of these. ``a//b`` and ``./a`` are normalised to ``a/b`` and ``a``.
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise InvalidParameterValue(f"Invalid {field}: expected a string, got {type(path).__name__}")
    if len(path) > MAX_PATH_LENGTH:
        raise InvalidParameterValue(
            f"Invalid {field}: length {len(path)} exceeds the limit of {MAX_PATH_LENGTH} characters"
        )
    for form in _decoded_forms(path, field):
        _check_form(form, path, field)
    return "/".join(part for part in path.split("/") if part not in ("", "."))


def is_within(root_real: str, candidate: str) -> bool:
    """Whether ``candidate`` resolves (following symlinks) to ``root_real`` or below it."""
    resolved = os.path.realpath(candidate)
    return resolved == root_real or resolved.startswith(root_real.rstrip(os.sep) + os.sep)


def contained_path(root: str, rel: str) -> str:
    """Join a validated relative path onto ``root`` and refuse results outside the root.

    The check uses :func:`os.path.realpath`, so a symlink below the root that points outside it
    is refused. Returns the joined path below the real root (not the symlink target), so that
    deleting a symlink removes the link rather than what it points at.
    """
    root_real = os.path.realpath(root)
    candidate = os.path.join(root_real, *rel.split("/")) if rel else root_real
    if not is_within(root_real, candidate):
        raise InvalidParameterValue(f"Invalid artifact path {rel!r}: it resolves outside the artifact root")
    return candidate
