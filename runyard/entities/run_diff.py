"""The difference between two runs: params, latest metrics, tags and artifact files, side by side.

Pure computation over two ``Run`` records and two artifact listings, so that the server's route and
the client (and through it the CLI) compute the same diff without either importing the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

from runyard.entities.files import FileInfo
from runyard.entities.run import Run

SAME, CHANGED, ONLY_A, ONLY_B = "same", "changed", "only_a", "only_b"
STATUSES = (SAME, CHANGED, ONLY_A, ONLY_B)
# A diff lists at most this many artifact files per run; beyond it ``truncated`` is set.
MAX_DIFF_ARTIFACTS = 10_000


@dataclass(frozen=True, slots=True)
class ValueDiff:
    """One key's values in run A and run B (None where the run lacks the key)."""

    key: str
    a: Any
    b: Any
    status: str


@dataclass(frozen=True, slots=True)
class ArtifactDiff:
    """One artifact file's size in run A and run B (None where the run lacks the file)."""

    path: str
    a_size: int | None
    b_size: int | None
    status: str


@dataclass(frozen=True, slots=True)
class RunDiff:
    run_a: str
    run_b: str
    params: tuple[ValueDiff, ...]
    metrics: tuple[ValueDiff, ...]
    tags: tuple[ValueDiff, ...]
    artifacts: tuple[ArtifactDiff, ...]
    # Whether either run had more artifact files than were listed.
    truncated: bool = False

    def only_differences(self) -> "RunDiff":
        """The same diff without the entries whose status is ``same``."""
        return replace(
            self,
            params=tuple(d for d in self.params if d.status != SAME),
            metrics=tuple(d for d in self.metrics if d.status != SAME),
            tags=tuple(d for d in self.tags if d.status != SAME),
            artifacts=tuple(d for d in self.artifacts if d.status != SAME),
        )


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True  # two NaN metrics read alike
    return a == b


def _status(in_a: bool, in_b: bool, same: bool) -> str:
    if in_a and in_b:
        return SAME if same else CHANGED
    return ONLY_A if in_a else ONLY_B


def diff_values(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[ValueDiff, ...]:
    """Every key of either mapping, sorted, with both values and a status."""
    out = []
    for key in sorted(set(a) | set(b)):
        in_a, in_b = key in a, key in b
        va, vb = a.get(key), b.get(key)
        out.append(ValueDiff(key, va, vb, _status(in_a, in_b, _equal(va, vb))))
    return tuple(out)


def diff_files(a: Iterable[FileInfo], b: Iterable[FileInfo]) -> tuple[ArtifactDiff, ...]:
    """Files (directories left out) of two listings by path; equal sizes count as the same file."""
    sizes_a = {f.path: f.file_size for f in a if not f.is_dir}
    sizes_b = {f.path: f.file_size for f in b if not f.is_dir}
    out = []
    for path in sorted(set(sizes_a) | set(sizes_b)):
        in_a, in_b = path in sizes_a, path in sizes_b
        size_a, size_b = sizes_a.get(path), sizes_b.get(path)
        out.append(ArtifactDiff(path, size_a, size_b, _status(in_a, in_b, size_a == size_b)))
    return tuple(out)


def diff_runs(run_a: Run, run_b: Run, files_a: Sequence[FileInfo] = (), files_b: Sequence[FileInfo] = (),
              truncated: bool = False) -> RunDiff:
    """Compare two runs; ``files_a``/``files_b`` are their artifact files with paths relative to
    each run's artifact root (``truncated``: a listing stopped at its cap)."""
    return RunDiff(
        run_a=run_a.info.run_id,
        run_b=run_b.info.run_id,
        params=diff_values(run_a.data.params, run_b.data.params),
        metrics=diff_values(run_a.data.metrics, run_b.data.metrics),
        tags=diff_values(run_a.data.tags, run_b.data.tags),
        artifacts=diff_files(files_a, files_b),
        truncated=truncated,
    )
