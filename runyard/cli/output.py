"""Plain-text tables, times and JSON for command output."""

from __future__ import annotations

import json
import time
from typing import Any, Sequence

import click


def format_time(ms: int | None) -> str:
    """Milliseconds since the epoch as local ``YYYY-MM-DD HH:MM:SS`` ('' when unset)."""
    if ms is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ms / 1000))


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Left-aligned columns separated by two spaces, with a dashed rule under the header."""
    cells = [[str(c) for c in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    click.echo(line(cells[0]))
    click.echo(line(["-" * w for w in widths]))
    for row in cells[1:]:
        click.echo(line(row))


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=False))
