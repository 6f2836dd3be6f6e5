"""What the side-by-side server benchmarks (``bench_server.py``, ``bench_scoring.py``) share when they
report: progress lines, library versions, and the speedup of one table row."""

from __future__ import annotations

from typing import Any


def log(msg: str) -> None:
    print(msg, flush=True)


def version(lib: str) -> str:
    """The installed version of ``lib``, or "?"."""
    try:
        from importlib.metadata import version as v
        return v(lib)
    except Exception:  # noqa: BLE001
        return "?"


def speedup(row: Any, ml: dict[str, Any] | None, ry: dict[str, Any] | None) -> float | None:
    """MLflow / runyard for rows where lower is better, runyard / MLflow otherwise; None when either
    side failed or measured zero."""
    if not (ml and ry and ml.get("ok") and ry.get("ok")) or not ry["value"] or not ml["value"]:
        return None
    return ml["value"] / ry["value"] if row.better == "lower" else ry["value"] / ml["value"]
