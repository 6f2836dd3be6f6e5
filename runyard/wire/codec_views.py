"""The web UI's data routes (``/ajax-api/2.0/runyard/...``) <-> entities, for the server and the REST store.

Unlike MLflow's proto JSON, every field is always present (``null`` where unset, ``[]`` where
empty): the UI reads these directly. Non-finite numbers are the strings ``"NaN"``,
``"Infinity"`` and ``"-Infinity"``, as in MLflow's metric JSON.
"""

from __future__ import annotations

from typing import Any, Mapping

from runyard.entities import Metric
from runyard.entities.metric_summaries import RunMetricSummary, RunSeries
from runyard.entities.run_diff import ArtifactDiff, RunDiff, ValueDiff
from runyard.entities.run_views import DownsampledSeries, MetricSummary, RunGroup, RunGroups, RunKeys
from runyard.wire.codec import decode_double, encode_double


def _number(value: float | None) -> float | str | None:
    return None if value is None else encode_double(value)


def _read_number(value: Any) -> float | None:
    return None if value is None else decode_double(value)


def encode_run_keys(keys: RunKeys) -> dict[str, Any]:
    return {"keys": list(keys.keys), "truncated": keys.truncated}


def decode_run_keys(body: Mapping[str, Any]) -> RunKeys:
    return RunKeys(tuple(body.get("keys") or ()), bool(body.get("truncated", False)))


def encode_run_groups(groups: RunGroups) -> dict[str, Any]:
    return {
        "groups": [{
            "value": g.value,
            "count": g.count,
            "metrics": {key: {"count": s.count, "mean": _number(s.mean), "min": _number(s.min),
                              "max": _number(s.max)} for key, s in g.metrics.items()},
        } for g in groups.groups],
        "truncated": groups.truncated,
    }


def decode_run_groups(body: Mapping[str, Any]) -> RunGroups:
    groups = tuple(
        RunGroup(g.get("value"), int(g.get("count", 0)), {
            key: MetricSummary(int(s.get("count", 0)), _read_number(s.get("mean")), _read_number(s.get("min")),
                               _read_number(s.get("max")))
            for key, s in (g.get("metrics") or {}).items()})
        for g in body.get("groups") or ())
    return RunGroups(groups, bool(body.get("truncated", False)))


def encode_series(series: DownsampledSeries) -> dict[str, Any]:
    return {
        "points": [{"step": p.step, "timestamp": p.timestamp, "value": encode_double(p.value)}
                   for p in series.points],
        "total_points": series.total_points,
        "downsampled": series.downsampled,
    }


def decode_series(body: Mapping[str, Any], key: str) -> DownsampledSeries:
    points = tuple(Metric(key, decode_double(p["value"]), int(p["timestamp"]), int(p["step"]))
                   for p in body.get("points") or ())
    return DownsampledSeries(points, int(body.get("total_points", 0)), bool(body.get("downsampled", False)))


def encode_metric_summaries(summaries: list[RunMetricSummary]) -> dict[str, Any]:
    return {"summaries": [{
        "run_id": s.run_id, "key": s.key, "last": encode_double(s.last), "last_step": s.last_step,
        "min": _number(s.min), "min_step": s.min_step, "max": _number(s.max), "max_step": s.max_step,
        "mean": _number(s.mean), "count": s.count,
    } for s in summaries]}


def decode_metric_summaries(body: Mapping[str, Any]) -> list[RunMetricSummary]:
    def step(value: Any) -> int | None:
        return None if value is None else int(value)

    return [RunMetricSummary(
        run_id=s["run_id"], key=s["key"], last=decode_double(s["last"]), last_step=int(s.get("last_step") or 0),
        min=_read_number(s.get("min")), min_step=step(s.get("min_step")),
        max=_read_number(s.get("max")), max_step=step(s.get("max_step")),
        mean=_read_number(s.get("mean")), count=int(s.get("count", 0)),
    ) for s in body.get("summaries") or ()]


def encode_bulk_series(series: list[RunSeries]) -> dict[str, Any]:
    return {"series": [{"run_id": s.run_id, **encode_series(s.series)} for s in series]}


def decode_bulk_series(body: Mapping[str, Any], key: str) -> list[RunSeries]:
    return [RunSeries(s["run_id"], decode_series(s, key)) for s in body.get("series") or ()]


def _value(value: Any) -> Any:
    return encode_double(value) if isinstance(value, float) else value


def _values(entries: tuple[ValueDiff, ...]) -> list[dict[str, Any]]:
    return [{"key": d.key, "a": _value(d.a), "b": _value(d.b), "status": d.status} for d in entries]


def encode_run_diff(diff: RunDiff) -> dict[str, Any]:
    return {
        "run_a": diff.run_a,
        "run_b": diff.run_b,
        "params": _values(diff.params),
        "metrics": _values(diff.metrics),
        "tags": _values(diff.tags),
        "artifacts": [{"path": d.path, "a_size": d.a_size, "b_size": d.b_size, "status": d.status}
                      for d in diff.artifacts],
        "truncated": diff.truncated,
    }


def decode_run_diff(body: Mapping[str, Any]) -> RunDiff:
    def values(name: str, number: bool = False) -> tuple[ValueDiff, ...]:
        read = _read_number if number else (lambda v: v)
        return tuple(ValueDiff(d["key"], read(d.get("a")), read(d.get("b")), d["status"])
                     for d in body.get(name) or ())

    return RunDiff(
        run_a=body["run_a"], run_b=body["run_b"],
        params=values("params"), metrics=values("metrics", number=True), tags=values("tags"),
        artifacts=tuple(ArtifactDiff(d["path"], d.get("a_size"), d.get("b_size"), d["status"])
                        for d in body.get("artifacts") or ()),
        truncated=bool(body.get("truncated", False)),
    )
