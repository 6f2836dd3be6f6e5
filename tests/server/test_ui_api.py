"""The web UI's data routes (``/ajax-api/2.0/runyard/...``): shapes, results checked against numpy
and pandas, limits and error envelopes, through the ASGI app in process."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from runyard.entities import Metric, Param, RunTag
from runyard.stores.tracking import TrackingStore
from tests.server.asgi_driver import AsgiDriver

UI = "/ajax-api/2.0/runyard"


def store_of(client: AsgiDriver) -> TrackingStore:
    return client.app.context.tracking


def make_run(store: TrackingStore, experiment_id: str, metrics=None, params=None, tags=None) -> str:
    run_id = store.create_run(experiment_id, "u", 1000, [], None).info.run_id
    store.log_batch(run_id, metrics=[Metric(k, v, 1, 0) for k, v in (metrics or {}).items()],
                    params=[Param(k, v) for k, v in (params or {}).items()],
                    tags=[RunTag(k, v) for k, v in (tags or {}).items()])
    return run_id


def error_of(response, status: int = 400) -> str:
    assert response.status == status, (response.status, response.body[:300])
    body = response.json()
    assert {"error_code", "message"} <= set(body)
    return body["message"]


# -- runs/keys ------------------------------------------------------------------------------------
def test_keys_lists_sorted_distinct_keys_under_both_prefixes(client: AsgiDriver) -> None:
    store = store_of(client)
    first, second = store.create_experiment("a"), store.create_experiment("b")
    make_run(store, first, {"loss": 1.0, "acc": 1.0}, {"lr": "0.1"}, {"team": "x"})
    make_run(store, first, {"loss": 2.0, "Val/Loss": 1.0})
    make_run(store, second, {"elsewhere": 1.0})
    for prefix in (UI, "/api/2.0/runyard"):
        body = client.get(f"{prefix}/runs/keys", query={"experiment_ids": first, "kind": "metrics"}).json()
        assert body == {"keys": ["Val/Loss", "acc", "loss"], "truncated": False}
    both = client.get(f"{UI}/runs/keys", query=[("experiment_ids", first), ("experiment_ids", second),
                                                ("kind", "metrics")]).json()
    assert both["keys"] == ["Val/Loss", "acc", "elsewhere", "loss"]
    params = client.get(f"{UI}/runs/keys", query={"experiment_ids": first, "kind": "params"}).json()
    assert params == {"keys": ["lr"], "truncated": False}


def test_keys_prefix_and_truncation(client: AsgiDriver) -> None:
    store = store_of(client)
    experiment_id = store.create_experiment("many")
    make_run(store, experiment_id, {f"m{i:03d}": 1.0 for i in range(300)} | {"M_upper": 1.0, "other": 1.0})
    default = client.get(f"{UI}/runs/keys", query={"experiment_ids": experiment_id, "kind": "metrics"}).json()
    assert len(default["keys"]) == 200 and default["truncated"] and default["keys"][0] == "M_upper"
    found = client.get(f"{UI}/runs/keys", query={"experiment_ids": experiment_id, "kind": "metrics",
                                                  "prefix": "m_", "max_results": 10}).json()
    assert found == {"keys": ["M_upper"], "truncated": False}
    page = client.get(f"{UI}/runs/keys", query={"experiment_ids": experiment_id, "kind": "metrics",
                                                 "prefix": "M0", "max_results": 3}).json()
    assert page == {"keys": ["m000", "m001", "m002"], "truncated": True}


@pytest.mark.parametrize("query,fragment", [
    ({"kind": "metrics"}, "experiment_ids"),
    ({"experiment_ids": "0", "kind": "models"}, "'kind'"),
    ({"experiment_ids": "0", "kind": "metrics", "max_results": "0"}, "between 1 and 10000"),
    ({"experiment_ids": "0", "kind": "metrics", "max_results": "10001"}, "between 1 and 10000"),
    ({"experiment_ids": "0", "kind": "metrics", "max_results": "ten"}, "'max_results'"),
    ({"experiment_ids": "0", "kind": "metrics", "prefix": "p" * 251}, "at most 250"),
    ({"experiment_ids": [str(i) for i in range(101)], "kind": "metrics"}, "at most 100"),
])
def test_keys_refuse_bad_input(client: AsgiDriver, query, fragment) -> None:
    assert fragment in error_of(client.get(f"{UI}/runs/keys", query=query))


# -- runs/count -----------------------------------------------------------------------------------
def test_count_applies_the_search_filter_and_view(client: AsgiDriver) -> None:
    store = store_of(client)
    experiment_id = store.create_experiment("count")
    ids = [make_run(store, experiment_id, {"m3": i / 10}, {"p2": "x" if i % 2 else "y"}) for i in range(10)]
    store.delete_run(ids[1])

    def count(**query) -> int:
        return client.get(f"{UI}/runs/count", query={"experiment_ids": experiment_id, **query}).json()["count"]

    assert count() == 9
    assert count(filter="metrics.m3 > 0.5 and params.p2 = 'x'") == 2  # 0.7 and 0.9
    assert count(run_view_type="DELETED_ONLY") == 1 and count(run_view_type="ALL") == 10
    assert "run_view_type" in error_of(client.get(f"{UI}/runs/count", query={
        "experiment_ids": experiment_id, "run_view_type": "SOME"}))
    assert error_of(client.get(f"{UI}/runs/count", query={"experiment_ids": experiment_id,
                                                          "filter": "metrics.m3 >"}))


# -- runs/group -----------------------------------------------------------------------------------
def _group_fixture(client: AsgiDriver) -> tuple[str, pd.DataFrame]:
    store = store_of(client)
    experiment_id = store.create_experiment("group")
    rng = np.random.default_rng(3)
    records = []
    for i in range(60):
        lr = [None, "0.1", "0.01", "0.001"][i % 4]
        team = ["vision", "nlp", None][i % 3]
        rmse = float(rng.random()) if i % 5 else None
        acc = math.nan if i % 7 == 0 else float(rng.random())
        metrics = {"acc": acc} | ({} if rmse is None else {"rmse": rmse})
        make_run(store, experiment_id, metrics, {} if lr is None else {"lr": lr}, {} if team is None else {"team": team})
        records.append({"lr": lr, "team": team, "rmse": rmse, "acc": acc})
    return experiment_id, pd.DataFrame.from_records(records)


def _check_against_pandas(body: dict, frame: pd.DataFrame, column: str, metrics: list[str]) -> None:
    grouped = frame.groupby(column, dropna=False)
    expected_values = sorted(v for v in frame[column].dropna().unique()) + (
        [None] if frame[column].isna().any() else [])
    assert [g["value"] for g in body["groups"]] == expected_values
    for group in body["groups"]:
        rows = frame[frame[column].isna()] if group["value"] is None else frame[frame[column] == group["value"]]
        assert group["count"] == len(rows)
        for metric in metrics:
            values = rows[metric].dropna()
            summary = group["metrics"][metric]
            assert summary["count"] == len(values)
            if len(values):
                assert summary["mean"] == pytest.approx(values.mean(), rel=1e-12)
                assert (summary["min"], summary["max"]) == (values.min(), values.max())
            else:
                assert summary["mean"] is summary["min"] is summary["max"] is None
    assert len(grouped) == len(body["groups"])


def test_group_aggregates_match_pandas(client: AsgiDriver) -> None:
    experiment_id, frame = _group_fixture(client)
    body = client.post(f"{UI}/runs/group", {"experiment_ids": [experiment_id], "group_by": "params.lr",
                                            "metrics": ["rmse", "acc"], "run_view_type": "ACTIVE_ONLY"}).json()
    assert body["truncated"] is False
    _check_against_pandas(body, frame, "lr", ["rmse", "acc"])
    filtered = client.post(f"{UI}/runs/group", {"experiment_ids": [experiment_id], "group_by": "tags.team",
                                                "metrics": ["rmse"], "filter": "params.lr = '0.1'"}).json()
    _check_against_pandas(filtered, frame[frame["lr"] == "0.1"], "team", ["rmse"])


def test_group_stops_at_1000_groups(client: AsgiDriver) -> None:
    store = store_of(client)
    experiment_id = store.create_experiment("wide")
    for i in range(1001):
        make_run(store, experiment_id, params={"seed": f"{i:05d}"})
    body = client.post(f"{UI}/runs/group", {"experiment_ids": [experiment_id], "group_by": "params.seed"}).json()
    assert body["truncated"] is True and len(body["groups"]) == 1000
    assert body["groups"][0] == {"value": "00000", "count": 1, "metrics": {}}
    assert body["groups"][-1]["value"] == "00999"


@pytest.mark.parametrize("body,fragment", [
    ({"experiment_ids": ["0"]}, "group_by"),
    ({"experiment_ids": ["0"], "group_by": "metrics.rmse"}, "group_by"),
    ({"experiment_ids": ["0"], "group_by": "params.lr", "metrics": [f"m{i}" for i in range(51)]}, "at most 50"),
    ({"experiment_ids": ["0"], "group_by": "params.lr", "metrics": "rmse"}, "metrics"),
    ({"experiment_ids": "0", "group_by": "params.lr"}, "experiment_ids"),
    ({"experiment_ids": ["0"], "group_by": "params.lr", "filter": 3}, "filter"),
    ({"experiment_ids": ["0"], "group_by": "params.lr", "run_view_type": "NONE"}, "run_view_type"),
])
def test_group_refuses_bad_input(client: AsgiDriver, body, fragment) -> None:
    assert fragment in error_of(client.post(f"{UI}/runs/group", body))


def test_group_needs_a_json_post(client: AsgiDriver) -> None:
    form = client.request("POST", f"{UI}/runs/group", body=b"experiment_ids=0", content_type="text/plain")
    assert "Content-Type" in error_of(form)
    assert client.get(f"{UI}/runs/group").status == 405
    assert error_of(client.request("POST", f"{UI}/runs/group", body=b"{nope", content_type="application/json"))


# -- metrics/downsampled --------------------------------------------------------------------------
def _series(client: AsgiDriver, values: np.ndarray, timestamps: np.ndarray | None = None) -> str:
    store = store_of(client)
    run_id = store.create_run("0", "u", 0, [], None).info.run_id
    steps = np.arange(len(values))
    stamps = timestamps if timestamps is not None else 1_000_000 + steps * 3
    points = [Metric("loss", float(v), int(t), int(s)) for s, t, v in zip(steps, stamps, values)]
    for start in range(0, len(points), 1000):
        store.log_batch(run_id, metrics=points[start:start + 1000])
    return run_id


def _numpy_selection(x: np.ndarray, other: np.ndarray, values: np.ndarray, buckets: int) -> set[tuple]:
    """(x, value) of the first, last and each bucket's min and max finite point."""
    order = np.lexsort((other, x))
    x, other, values = x[order], other[order], values[order]
    lo, hi = x[0], x[-1]
    bucket = (x - lo) * buckets // (hi - lo + 1)
    chosen = {(int(x[0]), values[0]), (int(x[-1]), values[-1])}
    finite = ~np.isnan(values)
    for b in np.unique(bucket[finite]):
        members = np.flatnonzero((bucket == b) & finite)
        for i in (members[np.argmin(values[members])], members[np.argmax(values[members])]):
            chosen.add((int(x[i]), values[i]))
    return {(xv, "NaN" if isinstance(v, float) and math.isnan(v) else float(v)) for xv, v in chosen}


def _value(v) -> float | str:
    return v if isinstance(v, str) else float(v)


def test_downsampling_keeps_the_spike_and_each_buckets_exact_extremes(client: AsgiDriver) -> None:
    rng = np.random.default_rng(11)
    values = np.sin(np.arange(20_000) / 500.0) + rng.normal(0, 0.1, 20_000)
    values[12_345] = 1e6
    run_id = _series(client, values)
    body = client.get(f"{UI}/metrics/downsampled", query={"run_id": run_id, "metric_key": "loss"}).json()
    assert set(body) == {"points", "total_points", "downsampled"}
    assert body["total_points"] == 20_000 and body["downsampled"] is True
    points = body["points"]
    assert [p["step"] for p in points] == sorted(p["step"] for p in points)
    assert {"step": 12_345, "timestamp": 1_000_000 + 12_345 * 3, "value": 1e6} in points
    assert points[0]["step"] == 0 and points[-1]["step"] == 19_999
    steps = np.arange(20_000)
    assert {(p["step"], _value(p["value"])) for p in points} == _numpy_selection(steps, steps * 3, values, 1000)
    assert len(points) <= 2 * 1000 + 2


def test_downsampling_zoom_window_and_timestamp_axis(client: AsgiDriver) -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(0, 1, 6_000)
    stamps = 5_000 + rng.permutation(6_000) * 7
    run_id = _series(client, values, stamps)
    steps = np.arange(6_000)
    zoom = client.get(f"{UI}/metrics/downsampled", query={"run_id": run_id, "metric_key": "loss", "buckets": 100,
                                                           "min_x": 1_000, "max_x": 2_999}).json()
    inside = (steps >= 1_000) & (steps <= 2_999)
    assert zoom["total_points"] == 2_000 and zoom["downsampled"] is True
    assert {(p["step"], p["value"]) for p in zoom["points"]} == _numpy_selection(
        steps[inside], stamps[inside], values[inside], 100)
    by_time = client.get(f"{UI}/metrics/downsampled", query={"run_id": run_id, "metric_key": "loss",
                                                              "x_axis": "timestamp", "buckets": 300}).json()
    assert {(p["timestamp"], p["value"]) for p in by_time["points"]} == _numpy_selection(stamps, steps, values, 300)
    assert [p["timestamp"] for p in by_time["points"]] == sorted(p["timestamp"] for p in by_time["points"])
    small = client.get(f"{UI}/metrics/downsampled", query={"run_id": run_id, "metric_key": "loss",
                                                            "min_x": 10, "max_x": 19}).json()
    assert small["downsampled"] is False and [p["step"] for p in small["points"]] == list(range(10, 20))


def test_downsampling_keeps_non_finite_values_representable(client: AsgiDriver) -> None:
    values = np.linspace(0, 1, 5_000)
    values[100], values[2_000], values[3_000], values[0] = np.nan, np.inf, -np.inf, np.nan
    run_id = _series(client, values)
    body = client.get(f"{UI}/metrics/downsampled", query={"run_id": run_id, "metric_key": "loss",
                                                           "buckets": 50}).json()
    got = {(p["step"], p["value"]) for p in body["points"]}
    assert (2_000, "Infinity") in got and (3_000, "-Infinity") in got and (0, "NaN") in got
    assert (100, "NaN") not in got  # NaN is never a bucket's min or max
    steps = np.arange(5_000)
    expected = {(s, "Infinity" if v == math.inf else "-Infinity" if v == -math.inf else v)
                for s, v in _numpy_selection(steps, steps, values, 50)}
    assert got == expected
    whole = client.get(f"{UI}/metrics/downsampled", query={"run_id": run_id, "metric_key": "loss",
                                                            "max_x": 200}).json()
    assert whole["downsampled"] is False and {"step": 100, "timestamp": 1_000_300, "value": "NaN"} in whole["points"]


@pytest.mark.parametrize("extra,fragment", [
    ({"buckets": "0"}, "between 1 and 5000"),
    ({"buckets": "5001"}, "between 1 and 5000"),
    ({"buckets": "many"}, "'buckets'"),
    ({"x_axis": "wall_time"}, "'x_axis'"),
    ({"min_x": "9", "max_x": "3"}, "min_x"),
    ({"min_x": str(2 ** 63)}, "'min_x'"),
    ({"metric_key": ""}, "metric_key"),
])
def test_downsampling_refuses_bad_input(client: AsgiDriver, extra, fragment) -> None:
    run_id = store_of(client).create_run("0", "u", 0, [], None).info.run_id
    query = {"run_id": run_id, "metric_key": "loss", **extra}
    assert fragment in error_of(client.get(f"{UI}/metrics/downsampled", query=query))


def test_downsampling_a_missing_run_is_404(client: AsgiDriver) -> None:
    response = client.get(f"{UI}/metrics/downsampled", query={"run_id": "a" * 32, "metric_key": "loss"})
    error_of(response, 404)
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_data_routes_are_off_on_an_artifacts_only_server(make_driver) -> None:
    client = make_driver(artifacts_only=True)
    assert client.get(f"{UI}/runs/keys", query={"experiment_ids": "0", "kind": "metrics"}).status == 503
