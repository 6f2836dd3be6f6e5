"""Runs as columns: what ``search_runs`` needs to build a DataFrame without a Run per row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from runyard.entities.run import Run


@dataclass(frozen=True, slots=True)
class RunTable:
    """One page of runs, column-wise.

    ``metrics``, ``params`` and ``tags`` map each key to ``{run_id: value}`` holding only the runs
    that have the key, so the cost follows the number of values, not runs x keys.
    """

    run_ids: list[str] = field(default_factory=list)
    experiment_ids: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    artifact_uris: list[str] = field(default_factory=list)
    start_times: list[int | None] = field(default_factory=list)
    end_times: list[int | None] = field(default_factory=list)
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    params: dict[str, dict[str, str]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    token: str | None = None

    @classmethod
    def from_runs(cls, runs: Iterable[Run], token: str | None = None) -> "RunTable":
        """The table of ready-made runs (what stores without a columnar path return)."""
        table = cls(token=token)
        for run in runs:
            info, data, run_id = run.info, run.data, run.info.run_id
            table.run_ids.append(run_id)
            table.experiment_ids.append(info.experiment_id)
            table.statuses.append(info.status)
            table.artifact_uris.append(info.artifact_uri)
            table.start_times.append(info.start_time)
            table.end_times.append(info.end_time)
            for sink, values in ((table.metrics, data.metrics), (table.params, data.params), (table.tags, data.tags)):
                for key, value in values.items():
                    column = sink.get(key)
                    if column is None:
                        column = sink[key] = {}
                    column[run_id] = value
        return table

    def extend(self, other: "RunTable") -> None:
        """Append the rows of a later page (run ids are unique across pages)."""
        for name in ("run_ids", "experiment_ids", "statuses", "artifact_uris", "start_times", "end_times"):
            getattr(self, name).extend(getattr(other, name))
        for mine, theirs in ((self.metrics, other.metrics), (self.params, other.params), (self.tags, other.tags)):
            for key, column in theirs.items():
                mine.setdefault(key, {}).update(column)

    def __len__(self) -> int:
        return len(self.run_ids)
