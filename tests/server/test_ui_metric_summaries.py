"""``metrics/summaries`` and ``metrics/downsampled-bulk``: shapes, values checked against numpy,
limits and error envelopes, through the ASGI app in process."""

from __future__ import annotations

import numpy as np
import pytest

from runyard.entities import Metric
from runyard.entities.metric_summaries import MAX_BULK_SERIES_RUNS, MAX_SUMMARY_KEYS, MAX_SUMMARY_RUNS
from tests.server.asgi_driver import AsgiDriver
from tests.server.test_ui_api import UI, error_of, store_of

SUMMARY_FIELDS = {"run_id", "key", "last", "last_step", "min", "min_step", "max", "max_step", "mean", "count"}


def _run_with(client: AsgiDriver, series: dict[str, list[float]]) -> str:
    store = store_of(client)
    run_id = store.create_run("0", "u", 0, [], None).info.run_id
    points = [Metric(key, float(v), 1_000 + step, step) for key, values in series.items()
              for step, v in enumerate(values)]
    for start in range(0, len(points), 1000):
        store.log_batch(run_id, metrics=points[start:start + 1000])
    return run_id


def test_summaries_match_numpy_under_both_prefixes(client: AsgiDriver) -> None:
    rng = np.random.default_rng(3)
    loss = rng.normal(1, 0.3, 3_000)
    loss[17] = np.nan
    acc = rng.uniform(0, 1, 50)
    first = _run_with(client, {"loss": list(loss), "acc": list(acc)})
    second = _run_with(client, {"loss": [np.nan, 2.0, np.inf]})
    for prefix in (UI, "/api/2.0/runyard"):
        body = client.post(f"{prefix}/metrics/summaries", {"run_ids": [second, first]}).json()
        assert set(body) == {"summaries"}
        rows = body["summaries"]
        assert [(r["run_id"], r["key"]) for r in rows] == [(second, "loss"), (first, "acc"), (first, "loss")]
        assert all(set(r) == SUMMARY_FIELDS for r in rows)
        assert rows[0] == {"run_id": second, "key": "loss", "last": "Infinity", "last_step": 2, "min": 2.0,
                           "min_step": 1, "max": "Infinity", "max_step": 2, "mean": "Infinity", "count": 3}
        got = rows[2]
        assert got["count"] == 3_000 and got["last"] == loss[-1] and got["last_step"] == 2_999
        assert got["min"] == np.nanmin(loss) and got["min_step"] == int(np.nanargmin(loss))
        assert got["max"] == np.nanmax(loss) and got["max_step"] == int(np.nanargmax(loss))
        assert got["mean"] == pytest.approx(np.nanmean(loss), rel=1e-12)
    only = client.post(f"{UI}/metrics/summaries", {"run_ids": [first], "metric_keys": ["acc"]}).json()
    assert [r["key"] for r in only["summaries"]] == ["acc"]
    nan_only = _run_with(client, {"m": [np.nan]})
    (row,) = client.post(f"{UI}/metrics/summaries", {"run_ids": [nan_only]}).json()["summaries"]
    assert row == {"run_id": nan_only, "key": "m", "last": "NaN", "last_step": 0, "min": None, "min_step": None,
                   "max": None, "max_step": None, "mean": None, "count": 1}


@pytest.mark.parametrize("body,fragment", [
    ({}, "'run_ids'"),
    ({"run_ids": "abc"}, "'run_ids'"),
    ({"run_ids": [f"{i:032x}" for i in range(MAX_SUMMARY_RUNS + 1)]}, f"at most {MAX_SUMMARY_RUNS} are allowed"),
    ({"run_ids": ["a" * 32], "metric_keys": [f"k{i}" for i in range(MAX_SUMMARY_KEYS + 1)]},
     f"at most {MAX_SUMMARY_KEYS} are allowed"),
    ({"run_ids": ["a" * 32], "metric_keys": "loss"}, "'metric_keys'"),
    ({"run_ids": ["../x"]}, "'run_ids'"),
])
def test_summaries_refuse_bad_input(client: AsgiDriver, body, fragment) -> None:
    response = client.post(f"{UI}/metrics/summaries", body)
    assert fragment in error_of(response)
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_summaries_need_a_json_body(client: AsgiDriver) -> None:
    response = client.request("POST", f"{UI}/metrics/summaries", body=b"run_ids=1", content_type="text/plain")
    assert "application/json" in error_of(response)


# -- metrics/downsampled-bulk ----------------------------------------------------------------------
def test_bulk_series_equal_the_single_run_route(client: AsgiDriver) -> None:
    rng = np.random.default_rng(8)
    runs = [_run_with(client, {"loss": list(rng.normal(0, 1, n))}) for n in (5, 4_000, 2_500)]
    runs.append(_run_with(client, {"other": [1.0]}))  # no 'loss': an empty series
    query = {"metric_key": "loss", "buckets": 100, "min_x": 10, "max_x": 3_000}
    for prefix in (UI, "/api/2.0/runyard"):
        body = client.post(f"{prefix}/metrics/downsampled-bulk", {"run_ids": runs, **query}).json()
        assert set(body) == {"series"} and [s["run_id"] for s in body["series"]] == runs
        for run_id, series in zip(runs, body["series"]):
            single = client.get(f"{UI}/metrics/downsampled", query={"run_id": run_id, **query}).json()
            assert {k: v for k, v in series.items() if k != "run_id"} == single
    empty = body["series"][3]
    assert empty == {"run_id": runs[3], "points": [], "total_points": 0, "downsampled": False}
    default = client.post(f"{UI}/metrics/downsampled-bulk", {"run_ids": runs[1:2], "metric_key": "loss"}).json()
    assert default["series"][0]["total_points"] == 4_000 and default["series"][0]["downsampled"] is True


@pytest.mark.parametrize("extra,fragment", [
    ({"metric_key": None}, "metric_key"),
    ({"buckets": 0}, "between 1 and 5000"),
    ({"buckets": "100"}, "'buckets'"),
    ({"x_axis": "wall_time"}, "'x_axis'"),
    ({"min_x": 9, "max_x": 3}, "min_x"),
    ({"run_ids": [f"{i:032x}" for i in range(MAX_BULK_SERIES_RUNS + 1)]},
     f"at most {MAX_BULK_SERIES_RUNS} are allowed"),
    ({"run_ids": []}, "'run_ids'"),
])
def test_bulk_series_refuse_bad_input(client: AsgiDriver, extra, fragment) -> None:
    run_id = store_of(client).create_run("0", "u", 0, [], None).info.run_id
    body = {"run_ids": [run_id], "metric_key": "loss", **extra}
    assert fragment in error_of(client.post(f"{UI}/metrics/downsampled-bulk", body))


def test_bulk_series_of_a_missing_run_is_404(client: AsgiDriver) -> None:
    run_id = store_of(client).create_run("0", "u", 0, [], None).info.run_id
    response = client.post(f"{UI}/metrics/downsampled-bulk", {"run_ids": [run_id, "a" * 32], "metric_key": "loss"})
    error_of(response, 404)
    assert response.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
