"""Per-run metric summaries (last, min, max, mean, count over the whole history), on every
backend (REST through the server's ``metrics/summaries`` route)."""

from __future__ import annotations

import math

import pytest

from runyard.entities import Metric
from runyard.entities.metric_summaries import MAX_SUMMARY_KEYS, MAX_SUMMARY_RUNS, RunMetricSummary
from runyard.errors import InvalidParameterValue


def _log(store, run_id: str, key: str, values, start_step: int = 0) -> None:
    store.log_batch(run_id, metrics=[Metric(key, v, 1000 + i, start_step + i) for i, v in enumerate(values)])


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == pytest.approx(b, rel=1e-12)


def _check(summary: RunMetricSummary, **expected) -> None:
    for name, value in expected.items():
        got = getattr(summary, name)
        assert _same(got, value) if isinstance(value, float) or value is None else got == value, (name, got, value)


def test_summary_of_a_known_history_with_a_nan_point(store, experiment_id):
    run_id = store.create_run(experiment_id, "u", 0, [], None).info.run_id
    _log(store, run_id, "loss", [3.0, 1.0, math.nan, 2.0, 1.0, 1.5])
    (summary,) = store.get_metric_summaries([run_id])
    _check(summary, run_id=run_id, key="loss", last=1.5, last_step=5, min=1.0, min_step=1, max=3.0, max_step=0,
           mean=(3.0 + 1.0 + 2.0 + 1.0 + 1.5) / 5, count=6)


def test_last_is_the_highest_step_not_the_last_logged(store, experiment_id):
    run_id = store.create_run(experiment_id, "u", 0, [], None).info.run_id
    store.log_batch(run_id, metrics=[Metric("m", 9.0, 5, 10)])
    store.log_batch(run_id, metrics=[Metric("m", 4.0, 6, 3), Metric("m", -2.0, 7, 7)])
    (summary,) = store.get_metric_summaries([run_id], ["m"])
    _check(summary, last=9.0, last_step=10, min=-2.0, min_step=7, max=9.0, max_step=10, mean=11.0 / 3, count=3)


def test_nan_last_all_nan_and_infinities(store, experiment_id):
    run_id = store.create_run(experiment_id, "u", 0, [], None).info.run_id
    _log(store, run_id, "a_nan_last", [0.5, math.nan])
    _log(store, run_id, "b_all_nan", [math.nan, math.nan], start_step=3)
    _log(store, run_id, "c_inf", [1.0, math.inf, 2.0])
    _log(store, run_id, "d_both_inf", [math.inf, -math.inf, 1.0])
    _log(store, run_id, "e_neg_inf", [-math.inf, 4.0])
    got = {s.key: s for s in store.get_metric_summaries([run_id])}
    assert list(got) == ["a_nan_last", "b_all_nan", "c_inf", "d_both_inf", "e_neg_inf"]
    _check(got["a_nan_last"], last=math.nan, last_step=1, min=0.5, max=0.5, mean=0.5, count=2)
    _check(got["b_all_nan"], last=math.nan, last_step=4, min=None, min_step=None, max=None, max_step=None,
           mean=None, count=2)
    _check(got["c_inf"], last=2.0, min=1.0, min_step=0, max=math.inf, max_step=1, mean=math.inf, count=3)
    _check(got["d_both_inf"], min=-math.inf, min_step=1, max=math.inf, max_step=0, mean=math.nan, count=3)
    _check(got["e_neg_inf"], min=-math.inf, max=4.0, mean=-math.inf)


def test_many_runs_keys_filter_order_and_unknown_runs(store, experiment_id):
    runs = []
    for i in range(5):
        run_id = store.create_run(experiment_id, "u", i, [], None).info.run_id
        _log(store, run_id, "loss", [10.0 - i, 5.0 - i, 7.0 - i])
        _log(store, run_id, "acc", [0.1 * i, 0.2 * i])
        runs.append(run_id)
    asked = [runs[3], runs[0], "0" * 32, runs[3], runs[1]]
    got = store.get_metric_summaries(asked)
    assert [(s.run_id, s.key) for s in got] == [
        (runs[3], "acc"), (runs[3], "loss"), (runs[0], "acc"), (runs[0], "loss"), (runs[1], "acc"), (runs[1], "loss")]
    losses = store.get_metric_summaries(runs, ["loss", "absent"])
    assert [s.run_id for s in losses] == runs and {s.key for s in losses} == {"loss"}
    for i, summary in enumerate(losses):
        _check(summary, last=7.0 - i, last_step=2, min=5.0 - i, min_step=1, max=10.0 - i, max_step=0,
               mean=(22.0 - 3 * i) / 3, count=3)
    assert store.get_metric_summaries(["f" * 32]) == []


@pytest.mark.parametrize("args,fragment", [
    (([],), "'run_ids'"),
    (([f"{i:032x}" for i in range(MAX_SUMMARY_RUNS + 1)],), f"at most {MAX_SUMMARY_RUNS}"),
    ((["bad id!"],), "'run_ids'"),
    ((["a" * 32], [f"k{i}" for i in range(MAX_SUMMARY_KEYS + 1)]), f"at most {MAX_SUMMARY_KEYS}"),
    ((["a" * 32], [""]), "'metric_keys'"),
])
def test_summaries_refuse_bad_arguments(store, args, fragment):
    with pytest.raises(InvalidParameterValue, match=fragment):
        store.get_metric_summaries(*args)
