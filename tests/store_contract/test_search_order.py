"""search_runs ordered by a metric, param or tag: every page, against an order computed here.

On SQLite a page sorted by a param or tag is read along the key's value index (a part before a
cut value, the cut's group of equal values, or every value then the runs without one); otherwise,
and for metrics, every run is sorted. The walk's budget is lowered here so that a few dozen runs
take each of those paths. Ties on the value, on the start time, missing keys, NaN, deleted runs, runs of
other experiments with the same keys and page tokens across pages must all come out as the plain
sort puts them: the value (NULL, NaN and missing last), then start_time DESC, then run_id.
"""

from __future__ import annotations

import math

import pytest

from runyard.entities import LifecycleStage, Metric, Param, RunTag, ViewType
from runyard.stores.sql.tracking_store import SqlTrackingStore

ORDERS = [
    ["metrics.acc DESC"], ["metrics.acc ASC"], ["params.opt ASC"], ["params.opt DESC"], ["tags.team DESC"],
    ["metrics.acc DESC", "params.opt ASC"], ["params.opt DESC", "metrics.acc ASC"],
]
FILTERS = {None: lambda run: True,
           "params.opt != 'sgd'": lambda run: run["param", "opt"] not in (None, "sgd"),
           "metrics.acc > 0.2": lambda run: run["metric", "acc"] is not None and run["metric", "acc"] > 0.2}


@pytest.fixture(params=["default", "walk from one entry", "plain sort"])
def strategy(request, store):
    """The store's way to a page (see module docstring); REST answers through its server's default."""
    if request.param != "default":
        if not isinstance(store, SqlTrackingStore):
            pytest.skip("the sort strategy is a SQL store's choice; REST answers through the server's store")
        store.sort_walk_budget = 1 if request.param == "walk from one entry" else 0
    return request.param


def _log(store, experiment_id, name, start, acc, opt, team):
    run = store.create_run(experiment_id, "u", start, [], name)
    metrics = []
    if acc is not None:
        # An older, larger point first: the sort must use the latest value.
        metrics = [Metric("acc", 50.0, 1, 0), Metric("acc", acc, 2, 1)]
    params = [Param("opt", opt)] if opt is not None else []
    tags = [RunTag("team", team)] if team is not None else []
    store.log_batch(run.info.run_id, metrics=metrics, params=params, tags=tags)
    value = None if acc is None or math.isnan(acc) else acc
    return {"id": run.info.run_id, "name": name, "experiment": experiment_id, "start": start,
            ("metric", "acc"): value, ("param", "opt"): opt, ("tag", "team"): team, "deleted": False}


@pytest.fixture
def catalog(store):
    """Two experiments sharing keys and values. Main: 30 runs, start times in threes, acc with
    ties, NaN (i % 10 == 4) and missing (i % 10 == 9), param opt mostly 'adam' (a group larger than
    the walk's budget), tag team missing on some, three deleted. Other: 10 runs, the same keys."""
    main, other = store.create_experiment("order-main"), store.create_experiment("order-other")
    runs = []
    for i in range(30):
        acc = None if i % 10 == 9 else math.nan if i % 10 == 4 else (i * 7 % 11) / 10
        opt = None if i % 6 == 5 else "adam" if i % 3 else ("sgd" if i % 2 else "rms")
        team = None if i % 4 == 3 else "abc"[i % 3]
        runs.append(_log(store, main, f"m{i:02d}", 1000 + i // 3, acc, opt, team))
    for i in (2, 13, 27):
        store.delete_run(runs[i]["id"])
        runs[i]["deleted"] = True
    for j in range(10):
        runs.append(_log(store, other, f"o{j}", 1000 + j, j / 10, "adam", "a"))
    return main, other, runs


def expected(runs, experiments, order_by, view, matches):
    """The plain sort in Python: stable sorts from the last key to the first."""
    stages = LifecycleStage.stages_for(view)
    rows = [run for run in runs if run["experiment"] in experiments and matches(run)
            and (LifecycleStage.DELETED if run["deleted"] else LifecycleStage.ACTIVE) in stages]
    rows.sort(key=lambda run: run["id"])
    rows.sort(key=lambda run: run["start"], reverse=True)
    for clause in reversed(order_by):
        field, direction = clause.split(" ")
        kind, key = field.split(".")
        slot = (kind.rstrip("s"), key)
        rows.sort(key=lambda run: (0, run[slot]) if run[slot] is not None else (1, 0), reverse=direction == "DESC")
        rows.sort(key=lambda run: run[slot] is None)
    return [run["name"] for run in rows]


def all_pages(store, experiments, order_by, view, filter_string, size):
    names, token, pages = [], None, 0
    while True:
        page = store.search_runs(experiments, filter_string, view, size, order_by, token)
        names += [run.info.run_name for run in page]
        pages += 1
        assert len(page) <= size
        token = page.token
        if token is None:
            return names, pages
        assert len(page) == size


@pytest.mark.parametrize("order_by", ORDERS, ids=" ".join)
def test_pages_follow_the_plain_order(store, catalog, strategy, order_by):
    main, other, runs = catalog
    for filter_string, matches in FILTERS.items():
        for view in (ViewType.ACTIVE_ONLY, ViewType.ALL):
            want = expected(runs, [main], order_by, view, matches)
            for size in (4, 100):
                names, pages = all_pages(store, [main], order_by, view, filter_string, size)
                assert names == want, (filter_string, view, size)
                assert pages == max(1, -(-len(want) // size))  # no token after the last row


@pytest.mark.parametrize("order_by", [["metrics.acc DESC"], ["params.opt ASC"]], ids=" ".join)
def test_single_run_pages_and_several_experiments(store, catalog, strategy, order_by):
    main, other, runs = catalog
    want = expected(runs, [main, other], order_by, ViewType.ACTIVE_ONLY, lambda run: True)
    assert all_pages(store, [main, other], order_by, ViewType.ACTIVE_ONLY, None, 1)[0] == want
    assert all_pages(store, [main, other], order_by, ViewType.ACTIVE_ONLY, None, 7)[0] == want
    deleted_only = expected(runs, [main], order_by, ViewType.DELETED_ONLY, lambda run: True)
    assert all_pages(store, [main], order_by, ViewType.DELETED_ONLY, None, 2)[0] == deleted_only == [
        name for name in deleted_only if name in ("m02", "m13", "m27")]


def test_a_key_no_run_has_keeps_the_default_order(store, catalog, strategy):
    main, _, runs = catalog
    want = expected(runs, [main], [], ViewType.ACTIVE_ONLY, lambda run: True)
    for order_by in (["metrics.nothing DESC"], ["params.nothing ASC"], ["tags.nothing DESC"]):
        assert all_pages(store, [main], order_by, ViewType.ACTIVE_ONLY, None, 4)[0] == want
