"""Names for things created on servers shared by several tests."""

from __future__ import annotations

import uuid


def unique(prefix: str) -> str:
    """A name no other test on the same server uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
