"""What the web UI reads through a store: distinct keys, run counts, grouped aggregates and
downsampled metric series, on every backend (REST through runyard's own routes)."""

from __future__ import annotations

import math
import random

import pytest

from runyard.entities import Metric, Param, RunTag, ViewType
from runyard.entities.run_views import BUCKETS_LIMIT, MAX_GROUP_METRICS, RUN_KEYS_LIMIT
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql.tracking_store import SqlTrackingStore


def _run(store, experiment_id: str, metrics=None, params=None, tags=None, start: int = 1000) -> str:
    run_id = store.create_run(experiment_id, "alice", start, [], None).info.run_id
    store.log_batch(run_id,
                    metrics=[Metric(k, v, 5, 0) for k, v in (metrics or {}).items()],
                    params=[Param(k, v) for k, v in (params or {}).items()],
                    tags=[RunTag(k, v) for k, v in (tags or {}).items()])
    return run_id


@pytest.fixture(params=["from runs", "index walk"])
def key_strategy(request, store):
    """Both ways a SQL store lists keys (reading the runs, walking the key index) must agree."""
    if request.param == "index walk":
        if not isinstance(store, SqlTrackingStore):
            pytest.skip("the key strategy is a SQL store's choice; REST answers through the server's store")
        store.keys_read_from_runs_up_to = 0
    return request.param


def test_run_keys_are_sorted_distinct_and_per_experiment(store, key_strategy):
    first, second = store.create_experiment("keys-1"), store.create_experiment("keys-2")
    _run(store, first, {"loss": 1.0, "acc": 0.5}, {"lr": "0.1"}, {"team": "a"})
    _run(store, first, {"loss": 2.0, "Val/loss": math.nan}, {"lr": "0.2", "depth": "3"})
    _run(store, second, {"other": 1.0}, {"seed": "1"}, {"owner": "b"})
    assert store.search_run_keys([first], "metrics").keys == ("Val/loss", "acc", "loss")
    assert store.search_run_keys([first], "params").keys == ("depth", "lr")
    assert "team" in store.search_run_keys([first], "tags").keys
    assert "owner" not in store.search_run_keys([first], "tags").keys
    assert store.search_run_keys([first, second], "metrics").keys == ("Val/loss", "acc", "loss", "other")
    assert store.search_run_keys(["987654"], "metrics").keys == ()


def test_run_keys_prefix_is_case_insensitive_and_results_are_capped(store, key_strategy):
    experiment_id = store.create_experiment("keys-prefix")
    _run(store, experiment_id, {f"train/m{i:02d}": float(i) for i in range(12)} | {"Train/extra": 1.0, "val": 2.0})
    found = store.search_run_keys([experiment_id], "metrics", prefix="TRAIN/")
    assert found.keys == ("Train/extra", *(f"train/m{i:02d}" for i in range(12))) and not found.truncated
    capped = store.search_run_keys([experiment_id], "metrics", prefix="train/m", max_results=5)
    assert capped.keys == tuple(f"train/m{i:02d}" for i in range(5)) and capped.truncated
    exact = store.search_run_keys([experiment_id], "metrics", prefix="train/m", max_results=12)
    assert len(exact.keys) == 12 and not exact.truncated
    assert store.search_run_keys([experiment_id], "metrics", prefix="%").keys == ()
    assert store.search_run_keys([experiment_id], "metrics", prefix="_").keys == ()


@pytest.mark.parametrize("kwargs,fragment", [
    ({"kind": "models"}, "'kind'"),
    ({"kind": "metrics", "max_results": 0}, f"between 1 and {RUN_KEYS_LIMIT}"),
    ({"kind": "metrics", "max_results": RUN_KEYS_LIMIT + 1}, "'max_results'"),
    ({"kind": "metrics", "prefix": "x" * 251}, "'prefix'"),
])
def test_run_keys_refuse_bad_arguments(store, experiment_id, kwargs, fragment):
    with pytest.raises(InvalidParameterValue, match=fragment):
        store.search_run_keys([experiment_id], **kwargs)
    with pytest.raises(InvalidParameterValue, match="experiment_ids"):
        store.search_run_keys([], "metrics")


def test_count_runs_uses_the_search_filter_and_view(store):
    experiment_id = store.create_experiment("count")
    ids = [_run(store, experiment_id, {"m": float(i)}, {"p": "x" if i % 3 == 0 else "y"}) for i in range(9)]
    store.delete_run(ids[0])
    assert store.count_runs([experiment_id]) == 8
    assert store.count_runs([experiment_id], run_view_type=ViewType.ALL) == 9
    assert store.count_runs([experiment_id], run_view_type=ViewType.DELETED_ONLY) == 1
    assert store.count_runs([experiment_id], "metrics.m > 4 and params.p = 'y'") == 3
    expected = len(store.search_runs([experiment_id], "params.p = 'x'"))
    assert store.count_runs([experiment_id], "params.p = 'x'") == expected == 2
    with pytest.raises(InvalidParameterValue):
        store.count_runs([experiment_id], "metrics.m >>> 3")


def test_group_runs_aggregates_latest_metrics_per_value(store):
    experiment_id = store.create_experiment("group")
    rows = [("0.1", 1.0, "a"), ("0.1", 3.0, "a"), ("0.1", math.nan, "b"), ("0.01", 5.0, "b"),
            ("0.01", None, "b"), (None, 7.0, "a"), (None, 9.0, None)]
    for lr, rmse, team in rows:
        _run(store, experiment_id, {} if rmse is None else {"rmse": rmse, "acc": 1.0},
             {} if lr is None else {"lr": lr}, {} if team is None else {"team": team})
    result = store.group_runs([experiment_id], "params.lr", ["rmse", "missing"])
    assert not result.truncated
    assert [(g.value, g.count) for g in result.groups] == [("0.01", 2), ("0.1", 3), (None, 2)]
    by_value = {g.value: g.metrics for g in result.groups}
    assert (by_value["0.1"]["rmse"].count, by_value["0.1"]["rmse"].mean) == (2, 2.0)
    assert (by_value["0.1"]["rmse"].min, by_value["0.1"]["rmse"].max) == (1.0, 3.0)
    assert (by_value["0.01"]["rmse"].count, by_value["0.01"]["rmse"].mean) == (1, 5.0)
    assert (by_value[None]["rmse"].min, by_value[None]["rmse"].max) == (7.0, 9.0)
    assert by_value["0.1"]["missing"].count == 0 and by_value["0.1"]["missing"].mean is None
    teams = store.group_runs([experiment_id], "tags.team", ["acc"], filter_string="params.lr = '0.1'")
    assert [(g.value, g.count, g.metrics["acc"].count) for g in teams.groups] == [("a", 2, 2), ("b", 1, 1)]
    statuses = store.group_runs([experiment_id], "attributes.status")
    assert [(g.value, g.count) for g in statuses.groups] == [("RUNNING", 7)]


@pytest.mark.parametrize("group_by,metrics,fragment", [
    ("metrics.rmse", [], "group_by"),
    ("params.lr DESC", [], "group_by"),
    ("attributes.start_time", [], "group_by"),
    ("", [], "group_by"),
    ("params.lr", [f"m{i}" for i in range(MAX_GROUP_METRICS + 1)], f"at most {MAX_GROUP_METRICS}"),
    ("params.lr", [3], "metrics"),
])
def test_group_runs_refuses_bad_arguments(store, experiment_id, group_by, metrics, fragment):
    with pytest.raises(InvalidParameterValue, match=fragment):
        store.group_runs([experiment_id], group_by, metrics)


def _expected_selection(points: list[tuple[int, int, float]], x_index: int, buckets: int) -> set[tuple]:
    """First, last and per-bucket lowest and highest finite points, computed the slow way."""
    ordered = sorted(points, key=lambda p: (p[x_index], p[1 - x_index]))
    lo, hi = ordered[0][x_index], ordered[-1][x_index]
    chosen = {ordered[0], ordered[-1]}
    by_bucket: dict[int, list[tuple]] = {}
    for p in ordered:
        if not math.isnan(p[2]):
            by_bucket.setdefault((p[x_index] - lo) * buckets // (hi - lo + 1), []).append(p)
    for members in by_bucket.values():
        chosen.add(min(members, key=lambda p: p[2]))
        chosen.add(max(members, key=lambda p: p[2]))
    return chosen


def _key(points) -> set[tuple]:
    return {(p.step, p.timestamp, "nan" if math.isnan(p.value) else p.value) for p in points}


def _as_key(points) -> set[tuple]:
    return {(s, t, "nan" if math.isnan(v) else v) for s, t, v in points}


@pytest.mark.parametrize("x_axis", ["step", "timestamp"])
def test_downsampled_series_keeps_each_buckets_extremes(store, run_id, x_axis):
    rng = random.Random(7)
    timestamps = list(range(10_000, 10_600))
    rng.shuffle(timestamps)
    points = [(step, timestamps[step], rng.uniform(-1, 1)) for step in range(600)]
    points[111] = (111, points[111][1], 1e9)  # a spike
    points[222] = (222, points[222][1], -math.inf)
    points[333] = (333, points[333][1], math.nan)
    points[0] = (0, points[0][1], math.nan)
    store.log_batch(run_id, metrics=[Metric("loss", v, t, s) for s, t, v in points])
    x_index = 0 if x_axis == "step" else 1
    series = store.get_metric_downsampled(run_id, "loss", x_axis=x_axis, buckets=25)
    assert series.downsampled and series.total_points == 600
    assert _key(series.points) == _as_key(_expected_selection(points, x_index, 25))
    xs = [(p.step, p.timestamp)[x_index] for p in series.points]
    assert xs == sorted(xs)
    assert any(p.value == 1e9 for p in series.points) and any(p.value == -math.inf for p in series.points)
    window = store.get_metric_downsampled(run_id, "loss", x_axis=x_axis, buckets=5,
                                          min_x=points[100][x_index], max_x=points[399][x_index])
    inside = [p for p in points if points[100][x_index] <= p[x_index] <= points[399][x_index]]
    assert window.total_points == len(inside) and window.downsampled
    assert _key(window.points) == _as_key(_expected_selection(inside, x_index, 5))


def _rising_series(shape: str) -> list[tuple[int, int, float]]:
    """Points whose time rises with the step (SQLite reads such time buckets as ranges of steps),
    with equal times, sparse steps, several points at one step, or one point back in time."""
    rng = random.Random(11)
    points, t = [], 50_000
    for step in range(0, 3000, 1 if shape == "rising" else 3):
        t += 5 if shape == "rising" else rng.choice([0, 1, 1, 2, 9])
        points.append((step, t, rng.uniform(-1, 1)))
        if shape == "two points at some steps" and step % 7 == 0:
            t += 1
            points.append((step, t, rng.uniform(-1, 1)))
    points[400] = (points[400][0], points[400][1], math.nan)
    points[500] = (points[500][0], points[500][1], 1e9)  # a spike
    if shape == "one point back in time":
        points[700] = (points[700][0], points[300][1], points[700][2])
    return points


@pytest.mark.parametrize("shape", ["rising", "sparse steps, equal times", "two points at some steps",
                                   "one point back in time"])
def test_downsampled_time_axis_of_series_whose_time_rises_with_the_step(store, run_id, shape):
    points = _rising_series(shape)
    for start in range(0, len(points), 1000):
        store.log_batch(run_id, metrics=[Metric("loss", v, t, s) for s, t, v in points[start:start + 1000]])
    for buckets in (40, 7, 1):
        series = store.get_metric_downsampled(run_id, "loss", x_axis="timestamp", buckets=buckets)
        assert series.downsampled and series.total_points == len(points)
        assert _key(series.points) == _as_key(_expected_selection(points, 1, buckets))
        assert [p.timestamp for p in series.points] == sorted(p.timestamp for p in series.points)
        assert any(p.value == 1e9 for p in series.points)


def test_short_series_come_back_whole(store, run_id):
    values = [0.5, math.nan, math.inf, -math.inf, 2.0]
    store.log_batch(run_id, metrics=[Metric("m", v, 100 + i, i) for i, v in enumerate(values)])
    series = store.get_metric_downsampled(run_id, "m", buckets=3)
    assert not series.downsampled and series.total_points == 5
    assert _key(series.points) == {(i, 100 + i, "nan" if math.isnan(v) else v) for i, v in enumerate(values)}
    assert [p.step for p in series.points] == [0, 1, 2, 3, 4]
    assert store.get_metric_downsampled(run_id, "absent").points == ()


@pytest.mark.parametrize("kwargs,error", [
    ({"buckets": 0}, f"between 1 and {BUCKETS_LIMIT}"),
    ({"buckets": BUCKETS_LIMIT + 1}, "'buckets'"),
    ({"x_axis": "wall"}, "'x_axis'"),
    ({"min_x": 5, "max_x": 4}, "min_x"),
])
def test_downsampled_series_refuse_bad_arguments(store, run_id, kwargs, error):
    with pytest.raises(InvalidParameterValue, match=error):
        store.get_metric_downsampled(run_id, "m", **kwargs)


def test_downsampled_series_of_a_missing_run(store):
    with pytest.raises(ResourceDoesNotExist):
        store.get_metric_downsampled("f" * 32, "m")
