"""Charts (downsampled long series, zoom, smoothing, log scale, live refresh) and the compare page."""

from __future__ import annotations

import json
import time

from playwright.sync_api import expect

from runyard.entities import Metric, Param

SPIKE = 1_000.0


def _long_run(client, experiment_id: str, points: int = 20_000) -> str:
    run_id = client.create_run(experiment_id, run_name="long").info.run_id
    now = int(time.time() * 1000)
    batch = []
    for step in range(points):
        value = SPIKE if step == 12_345 else 1.0 / (1 + step)
        batch.append(Metric("loss", value, now + step, step))
        if len(batch) == 1000:
            client.log_batch(run_id, metrics=batch)
            batch = []
    client.set_terminated(run_id)
    return run_id


def _chart_points(page, key: str) -> int:
    chart = page.locator(f".chart-cell[data-metric='{key}'] .chart")
    expect(chart).to_have_attribute("data-chart-ready", __import__("re").compile(r"^\d+$"))
    return int(chart.get_attribute("data-chart-ready"))


def test_long_series_is_downsampled_keeping_the_spike(ui_server, page, snap):
    client = ui_server.client
    run_id = _long_run(client, client.create_experiment("charts"))
    with page.expect_response(lambda r: "metrics/downsampled" in r.url) as answer:
        page.goto(ui_server.url + f"#/charts?runs={run_id}&keys=loss")
    body = json.loads(answer.value.body())
    assert body["total_points"] == 20_000 and body["downsampled"] is True
    assert max(float(p["value"]) for p in body["points"]) == SPIKE  # the spike survives
    drawn = _chart_points(page, "loss")
    assert 2 <= drawn <= 2 * 1000 + 2
    expect(page.locator(".chart-title")).to_contain_text("20,000 points, downsampled")
    snap(page, "downsampled")

    # Drag across the middle: the window is refetched with its bounds.
    canvas = page.locator(".chart-cell[data-metric='loss'] canvas")
    box = canvas.bounding_box()
    with page.expect_response(lambda r: "metrics/downsampled" in r.url and "min_x" in r.url) as zoomed:
        page.mouse.move(box["x"] + box["width"] * 0.4, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    window = json.loads(zoomed.value.body())["points"]
    steps = [int(p["step"]) for p in window]
    assert steps and min(steps) > 1000 and max(steps) < 19_000
    snap(page, "zoomed")
    with page.expect_response(lambda r: "metrics/downsampled" in r.url and "min_x" not in r.url):
        canvas.dblclick()

    page.get_by_label("Log scale").check()
    expect(page).to_have_url(__import__("re").compile(r"log=1"))
    page.get_by_label("X axis").select_option("relative")
    expect(page).to_have_url(__import__("re").compile(r"x=relative"))
    expect(page.locator(".chart-canvas")).to_have_count(1)
    snap(page, "log-relative")


def test_running_run_chart_updates_while_it_trains(ui_server, page):
    client = ui_server.client
    run_id = client.create_run(client.create_experiment("live"), run_name="training").info.run_id
    now = int(time.time() * 1000)
    client.log_batch(run_id, metrics=[Metric("acc", 0.1 * i, now + i, i) for i in range(3)])
    page.goto(ui_server.url + f"#/charts?runs={run_id}&keys=acc")
    assert _chart_points(page, "acc") == 3
    client.log_batch(run_id, metrics=[Metric("acc", 0.5, now + 10, 10), Metric("acc", 0.6, now + 11, 11)])
    expect(page.locator(".chart-cell[data-metric='acc'] .chart")).to_have_attribute("data-chart-ready", "5",
                                                                                    timeout=10_000)


def test_compare_page_differences_parallel_coordinates_and_diff(ui_server, page, snap):
    client = ui_server.client
    experiment_id = client.create_experiment("compare")
    ids = []
    for i, (lr, depth) in enumerate([("0.1", "4"), ("0.01", "4"), ("0.001", "4")]):
        run_id = client.create_run(experiment_id, run_name=f"run-{i}").info.run_id
        client.log_batch(run_id, params=[Param("lr", lr), Param("depth", depth)],
                         metrics=[Metric("rmse", 1.0 / (i + 1), 0, 0)])
        client.set_terminated(run_id)
        ids.append(run_id)
    page.goto(ui_server.url + "#/compare?runs=" + ",".join(ids))
    expect(page.get_by_role("heading", level=1)).to_have_text("Compare 3 runs")
    params = page.locator("table.compare-params tbody tr")
    expect(params).to_have_count(1)  # only differences: lr, not depth
    expect(params.first).to_contain_text("0.001")
    page.get_by_label("Only differences").uncheck()
    expect(params).to_have_count(2)
    expect(page.locator("table.compare-metrics")).to_contain_text("0.333333")
    expect(page.locator("svg.parallel polyline")).to_have_count(3)
    expect(page.locator(".chart-cell[data-metric='rmse'] .chart")).to_have_attribute("data-chart-ready", "3")
    snap(page, "compare-three")

    page.goto(ui_server.url + f"#/compare?runs={ids[0]},{ids[1]}")
    diff = page.locator("section.run-diff")
    expect(diff).to_contain_text("Params (1 of 2 differ)")
    expect(diff.locator("tr.diff-changed").first).to_contain_text("lr")
    snap(page, "compare-diff")
