"""Metric summaries in the web UI: min/max/mean/last on the run page, the compare page of many runs
(one runs/search, one summaries request, the best run highlighted per metric and statistic) and
charts of many runs (one downsampled-bulk request per metric)."""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter

from playwright.sync_api import expect

from runyard.entities import Metric, Param


def test_run_page_shows_last_min_max_mean_and_steps(ui_server, page, snap):
    client = ui_server.client
    run_id = client.create_run(client.create_experiment("summaries"), run_name="known").info.run_id
    now = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric("loss", v, now + s, s)
                                      for s, v in enumerate([3.0, 1.0, math.nan, 2.0, 1.5])])
    client.log_batch(run_id, metrics=[Metric("acc", 0.25, now, 0)])
    page.goto(ui_server.url + f"#/runs/{run_id}?tab=metrics")
    section = page.locator("section.run-metrics")
    expect(section).to_have_attribute("data-summaries", "ready")
    expect(section.locator("thead th")).to_have_text(
        ["Metric", "Last", "Last step", "Min", "Max", "Mean", "Steps", "Logged"])
    loss = section.locator("tbody tr", has_text="loss")
    expect(loss.locator("td.stat-last")).to_have_text("1.5")
    expect(loss.locator("td").nth(2)).to_have_text("4")
    expect(loss.locator("td.stat-min")).to_have_text("1 @ 1")
    expect(loss.locator("td.stat-max")).to_have_text("3 @ 0")
    expect(loss.locator("td.stat-mean")).to_have_text("1.875")  # (3 + 1 + 2 + 1.5) / 4: NaN left out
    expect(loss.locator("td.stat-count")).to_have_text("5")  # ... but counted
    expect(loss.get_by_role("link")).to_have_attribute("href", f"#/charts?runs={run_id}&keys=loss")
    acc = section.locator("tbody tr", has_text="acc")
    expect(acc.locator("td.stat-mean")).to_have_text("0.25")
    snap(page, "run-metrics")


# Values chosen so that each statistic has a different, unique best run among 150:
#   loss last  = 1 + ((7i + 3) mod 150) / 100      -> lowest at i = 21 (1.0)
#   loss min   = 0.5 + ((11i + 5) mod 150) / 1000  -> lowest at i = 95 (0.5)
#   accuracy   = 0.5 + (13i mod 150) / 1000        -> highest at i = 23 (0.649)
RUNS = 150
LAST_BEST, MIN_BEST, ACC_BEST = 21, 95, 23


def _seed_compare(client) -> list[str]:
    experiment_id = client.create_experiment("compare-many")
    now = int(time.time() * 1000)
    ids = []
    for i in range(RUNS):
        run_id = client.create_run(experiment_id, run_name=f"r{i:03d}", start_time=now).info.run_id
        loss = [5 + i / 1000, 0.5 + ((11 * i + 5) % RUNS) / 1000, 1 + ((7 * i + 3) % RUNS) / 100]
        client.log_batch(run_id, params=[Param("lr", str(i / 1000)), Param("seed", "1")],
                         metrics=[Metric("loss", v, now + s, s) for s, v in enumerate(loss)]
                         + [Metric("accuracy", 0.5 + (13 * i % RUNS) / 1000, now, 0)])
        ids.append(run_id)
    return ids


def _requests(page) -> list:
    seen: list = []
    page.on("request", lambda request: seen.append(request))
    return seen


def test_compare_of_150_runs_highlights_the_best_run_per_statistic(ui_server, page, snap):
    ids = _seed_compare(ui_server.client)
    seen = _requests(page)
    page.goto(ui_server.url + "#/compare?runs=" + ",".join(ids))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Compare {RUNS} runs")  # default timeout
    metrics = page.locator("table.compare-metrics")
    loss = metrics.locator("tr[data-key='loss']")
    accuracy = metrics.locator("tr[data-key='accuracy']")
    expect(loss).to_have_attribute("data-direction", "min")
    expect(accuracy).to_have_attribute("data-direction", "max")
    expect(loss.locator("td.best")).to_have_count(1)
    expect(loss.locator("td.best")).to_have_attribute("data-run", ids[LAST_BEST])
    expect(loss.locator("td.best")).to_have_text("1")
    expect(accuracy.locator("td.best")).to_have_attribute("data-run", ids[ACC_BEST])
    expect(accuracy.locator("td.best")).to_have_text("0.649")
    expect(loss.locator(f"td[data-run='{ids[LAST_BEST]}']")).to_have_text("1")
    paths = Counter(re.sub(r"\?.*", "", r.url.split("/ajax-api/", 1)[-1]) for r in seen if "/ajax-api/" in r.url)
    assert paths["2.0/mlflow/runs/search"] == 1 and paths["2.0/mlflow/runs/get"] <= 1, paths
    assert paths["2.0/runyard/metrics/summaries"] == 1, paths
    # The params table and parallel coordinates hold every run; the key column stays put.
    expect(page.locator("table.compare-params thead th.run-col")).to_have_count(RUNS)
    expect(page.locator("svg.parallel.many polyline")).to_have_count(RUNS)
    scroller = page.locator(".compare-scroll").first
    scroller.evaluate("el => { el.scrollLeft = 2000; }")
    key_cell = page.locator("table.compare-params td.key-col").first
    assert key_cell.bounding_box()["x"] - scroller.bounding_box()["x"] < 5  # sticky
    snap(page, "compare-150-last")

    page.get_by_label("Metric value").select_option("min")
    expect(loss.locator("td.best")).to_have_attribute("data-run", ids[MIN_BEST])
    expect(loss.locator("td.best")).to_have_text("0.5")
    expect(loss.locator(f"td[data-run='{ids[LAST_BEST]}']")).to_have_text("0.586")  # 0.5 + 86 / 1000
    page.get_by_label("Metric value").select_option("max")
    expect(loss.locator(f"td[data-run='{ids[LAST_BEST]}']")).to_have_text("5.021")
    # Switching the direction of a metric moves its highlight.
    page.get_by_label("Metric value").select_option("last")
    loss.get_by_role("button", name="Best loss: lowest").click()
    expect(loss).to_have_attribute("data-direction", "max")
    expect(loss.locator("td.best")).to_have_text("2.49")  # 1 + 149 / 100
    page.get_by_label("Highlight best").uncheck()
    expect(metrics.locator("td.best")).to_have_count(0)
    snap(page, "compare-150-min")


def test_charts_of_50_runs_ask_once_per_metric(ui_server, page, snap):
    client = ui_server.client
    experiment_id = client.create_experiment("charts-many")
    now = int(time.time() * 1000)
    ids = []
    for i in range(50):
        run_id = client.create_run(experiment_id, run_name=f"c{i:02d}", start_time=now).info.run_id
        client.log_batch(run_id, metrics=[Metric("loss", 1.0 / (s + 1) + i / 100, now + s, s) for s in range(20)]
                         + [Metric("acc", i / 50 + s / 1000, now + s, s) for s in range(20)])
        client.set_terminated(run_id)
        ids.append(run_id)
    seen = _requests(page)
    page.goto(ui_server.url + f"#/charts?runs={','.join(ids)}&keys=acc,loss")
    for key in ("acc", "loss"):
        expect(page.locator(f".chart-cell[data-metric='{key}'] .chart")).to_have_attribute("data-chart-ready", "1000")
    bulk = [r for r in seen if "metrics/downsampled-bulk" in r.url]
    assert Counter(r.post_data_json["metric_key"] for r in bulk) == {"acc": 1, "loss": 1}
    assert all(r.method == "POST" and r.post_data_json["run_ids"] == ids for r in bulk)
    assert not [r for r in seen if "metrics/downsampled?" in r.url]
    assert sum("runs/get" in r.url for r in seen) <= 1 and sum("runs/search" in r.url for r in seen) == 1

    # A legend of 50 runs is folded; hovering reads out the 10 nearest runs, sorted by value.
    legend = page.locator(".chart-cell[data-metric='acc'] details.chart-legend")
    expect(legend.locator("summary")).to_have_text("Legend: 50 runs")
    expect(legend).not_to_have_attribute("open", "")
    canvas = page.locator(".chart-cell[data-metric='acc'] canvas")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    rows = page.locator(".chart-cell[data-metric='acc'] .chart-readout .readout-row")
    expect(rows).to_have_count(10)
    expect(page.locator(".chart-cell[data-metric='acc'] .readout-more")).to_have_text("40 more runs")
    values = [float(text.split("\n")[-1].strip()) for text in rows.all_inner_texts()]
    assert values == sorted(values, reverse=True)
    snap(page, "charts-50")

    # Zoom: one bulk request for the window.
    with page.expect_request(lambda r: "downsampled-bulk" in r.url and "min_x" in (r.post_data or "")) as zoomed:
        page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    body = json.loads(zoomed.value.post_data)
    assert body["metric_key"] == "acc" and len(body["run_ids"]) == 50 and body["min_x"] < body["max_x"]
