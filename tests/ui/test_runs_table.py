"""The runs table in a real browser: columns, server-side sort and filter, the column chooser,
grouping, nested runs, selection (compare, delete, restore), URL state, and virtualized scrolling."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

from playwright.sync_api import expect

from runyard.entities import Metric, Param
from runyard.stores import factory

BASE_MS = 1_790_000_000_000

# name -> (params, metrics); started one second apart in this order
RUNS = {
    "rf-small": ({"model": "rf", "lr": "0.1"}, {"rmse": 0.9, "r2": 0.5}),
    "rf-large": ({"model": "rf", "lr": "0.01"}, {"rmse": 0.4, "r2": 0.8}),
    "xgb": ({"model": "xgb", "lr": "0.1"}, {"rmse": 0.6, "r2": 0.7}),
    "linear": ({"model": "linear", "lr": "0.01"}, {"rmse": 1.2, "r2": 0.2}),
}


def _seed(client, name: str = "table") -> tuple[str, dict[str, str]]:
    experiment_id = client.create_experiment(name)
    ids = {}
    for i, (run_name, (params, metrics)) in enumerate(RUNS.items()):
        start = BASE_MS + i * 1000
        run = client.create_run(experiment_id, run_name=run_name, start_time=start,
                                tags={"mlflow.source.name": "/home/ana/train.py", "mlflow.user": "ana"})
        client.log_batch(run.info.run_id, metrics=[Metric(k, v, start, 0) for k, v in metrics.items()],
                         params=[Param(k, v) for k, v in params.items()])
        client.set_terminated(run.info.run_id, end_time=start + 65_000)
        ids[run_name] = run.info.run_id
    return experiment_id, ids


def _names(page) -> list[str]:
    """Run names of the drawn rows, top to bottom."""
    return page.evaluate("""() => [...document.querySelectorAll('.vt-body .vt-row')]
        .sort((a, b) => Number(a.getAttribute('aria-rowindex')) - Number(b.getAttribute('aria-rowindex')))
        .map(row => (row.querySelector('.run-link') || {}).textContent || '')""")


def _wait_names(page, ok) -> list[str]:
    """The drawn run names once ``ok(names)`` holds (or after 5 s, for the assertion to show)."""
    deadline = time.monotonic() + 5
    while not ok(_names(page)) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    return _names(page)


def _expect_names(page, expected: list[str]) -> None:
    assert _wait_names(page, lambda names: names == expected) == expected


def _headers(page) -> list[str]:
    return [text.rstrip(" ↑↓") for text in page.locator(".vt-header [role=columnheader]").all_inner_texts()]


def _cell(page, run_name: str, column: str):
    row = page.locator(".vt-row").filter(has=page.get_by_role("link", name=run_name, exact=True))
    return row.get_by_role("cell").nth(_headers(page).index(column))


def _open(page, ui_server, experiment_id: str, query: str = "") -> None:
    page.goto(ui_server.url + f"#/experiments/{experiment_id}" + (f"?{query}" if query else ""))
    expect(page.locator(".summary")).to_contain_text(" ms")


def test_rows_and_columns_show_runs_attributes_params_and_metrics(ui_server, page, snap):
    experiment_id, ids = _seed(ui_server.client)
    _open(page, ui_server, experiment_id)
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs · table")
    expect(page.locator(".summary")).to_have_text(re.compile(r"^4 runs · \d+ ms$"))
    _expect_names(page, ["linear", "xgb", "rf-large", "rf-small"])  # newest first
    headers = _headers(page)
    assert headers[:7] == ["", "Run name", "Status", "Start time", "Duration", "User", "Source"]
    assert sorted(headers[7:]) == ["lr", "model", "r2", "rmse"]  # default: the first keys seen
    expect(page.get_by_role("link", name="xgb", exact=True)).to_have_attribute("href", "#/runs/" + ids["xgb"])
    expect(_cell(page, "xgb", "Status")).to_have_text("FINISHED")
    expect(_cell(page, "xgb", "Duration")).to_have_text("1m 5s")
    expect(_cell(page, "xgb", "User")).to_have_text("ana")
    expect(_cell(page, "xgb", "Source")).to_have_text("train.py")
    expect(_cell(page, "xgb", "rmse")).to_have_text("0.6")
    expect(_cell(page, "xgb", "model")).to_have_text("xgb")
    expect(_cell(page, "rf-large", "lr")).to_have_text("0.01")
    # The default columns went into the URL, so the link shows the same table elsewhere.
    assert "cols=" in page.url
    snap(page, "table")


def test_clicking_a_header_sorts_on_the_server_and_survives_reload(ui_server, page, snap):
    experiment_id, _ = _seed(ui_server.client)
    _open(page, ui_server, experiment_id)
    _expect_names(page, ["linear", "xgb", "rf-large", "rf-small"])

    page.get_by_role("button", name=re.compile(r"^rmse")).click()
    _expect_names(page, ["rf-large", "xgb", "rf-small", "linear"])
    expect(page.get_by_role("columnheader", name=re.compile("rmse"))).to_have_attribute("aria-sort", "ascending")
    assert "sort=metrics.rmse" in page.url and "dir=asc" in page.url

    page.get_by_role("button", name=re.compile(r"^rmse")).click()
    _expect_names(page, ["linear", "rf-small", "xgb", "rf-large"])
    expect(page.get_by_role("columnheader", name=re.compile("rmse"))).to_have_attribute("aria-sort", "descending")

    page.get_by_role("button", name=re.compile(r"^Run name")).click()
    _expect_names(page, ["linear", "rf-large", "rf-small", "xgb"])
    page.get_by_role("button", name=re.compile(r"^model")).click()  # params sort as text; ties by run id
    names = _wait_names(page, lambda names: names[:1] == ["linear"] and names[-1:] == ["xgb"])
    assert len(names) == 4 and names[0] == "linear" and names[-1] == "xgb"
    page.get_by_role("button", name=re.compile(r"^rmse")).click()
    page.get_by_role("button", name=re.compile(r"^rmse")).click()
    _expect_names(page, ["linear", "rf-small", "xgb", "rf-large"])

    page.reload()
    expect(page.locator(".summary")).to_contain_text("4 runs")
    _expect_names(page, ["linear", "rf-small", "xgb", "rf-large"])
    expect(page.get_by_role("columnheader", name=re.compile("rmse"))).to_have_attribute("aria-sort", "descending")
    snap(page, "sorted-by-rmse-desc")


def test_filter_narrows_rows_and_an_invalid_one_is_explained_inline(ui_server, page, snap):
    experiment_id, _ = _seed(ui_server.client)
    _open(page, ui_server, experiment_id)
    box = page.get_by_label("Filter runs")
    box.fill("metrics.rmse < 1 and params.model = 'rf'")
    box.press("Enter")
    _expect_names(page, ["rf-large", "rf-small"])
    expect(page.locator(".summary")).to_contain_text("2 runs")
    assert "filter=" in page.url

    box.fill("metrics.rmse < 'a'")
    box.press("Enter")
    error = page.locator(".filter-error")
    expect(error).to_contain_text("expected a numeric value for metric 'rmse'")
    expect(box).to_have_class(re.compile("invalid"))
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#banner")).to_be_hidden()  # inline, not a modal or a banner
    _expect_names(page, ["rf-large", "rf-small"])  # the previous rows stay
    expect(page.locator(".summary")).to_contain_text("2 runs")
    snap(page, "invalid-filter")

    box.fill("params.lr = '0.01'")
    page.get_by_role("button", name="Apply").click()
    _expect_names(page, ["linear", "rf-large"])
    expect(error).to_be_hidden()
    expect(box).not_to_have_class(re.compile("invalid"))


def test_a_shared_link_shows_the_same_table(ui_server, page):
    experiment_id, _ = _seed(ui_server.client)
    query = ("filter=" + quote("params.model = 'rf'") + "&sort=metrics.rmse&dir=desc"
             "&cols=" + quote("metrics.rmse,params.model") + "&view=all")
    _open(page, ui_server, experiment_id, query)
    expect(page.get_by_label("Filter runs")).to_have_value("params.model = 'rf'")
    _expect_names(page, ["rf-small", "rf-large"])
    assert _headers(page)[7:] == ["rmse", "model"]
    expect(page.get_by_role("button", name="All", exact=True)).to_have_attribute("aria-pressed", "true")


def test_column_chooser_finds_a_key_by_prefix_among_2000_metrics(ui_server, page, snap):
    client = ui_server.client
    experiment_id = client.create_experiment("wide")
    run = client.create_run(experiment_id, run_name="wide-run")
    client.log_batch(run.info.run_id, metrics=[Metric(f"loss_{i:04d}", i / 1000, BASE_MS, 0) for i in range(2000)])
    _open(page, ui_server, experiment_id)
    assert len(_headers(page)) == 7 + 4  # the first few keys, not 2,000 columns

    page.get_by_role("button", name="Columns (4)").click()
    chooser = page.get_by_role("dialog", name="Choose columns")
    expect(chooser.locator(".chooser-note")).to_contain_text("type more of the name to narrow")
    assert chooser.locator(".chooser-list li").count() <= 200
    chooser.get_by_label("Key prefix").fill("loss_173")
    expect(chooser.locator(".chooser-list li")).to_have_count(10)
    snap(page, "chooser-prefix")
    chooser.get_by_role("checkbox", name="loss_1734").check()
    chooser.get_by_role("button", name="Done").click()
    expect(chooser).to_be_hidden()
    expect(page.get_by_role("button", name="Columns (5)")).to_be_visible()
    assert _headers(page)[-1] == "loss_1734"
    expect(_cell(page, "wide-run", "loss_1734")).to_have_text("1.734")
    assert "metrics.loss_1734" in page.url

    page.get_by_role("button", name="Columns (5)").click()
    chooser.get_by_role("button", name="Remove column metrics.loss_0000").click()
    page.keyboard.press("Escape")
    assert "loss_0000" not in _headers(page)
    snap(page, "chosen")


def test_group_by_a_param_shows_count_mean_min_and_max(ui_server, page, snap):
    client = ui_server.client
    experiment_id = client.create_experiment("groups")
    for i, (lr, rmse) in enumerate([("0.1", 0.2), ("0.1", 0.4), ("0.1", 0.9), ("0.01", 1.0), ("0.01", 2.0)]):
        run = client.create_run(experiment_id, run_name=f"g{i}", start_time=BASE_MS + i)
        client.log_batch(run.info.run_id, metrics=[Metric("rmse", rmse, BASE_MS, 0)], params=[Param("lr", lr)])
    client.create_run(experiment_id, run_name="no-lr", start_time=BASE_MS + 10)
    _open(page, ui_server, experiment_id, "cols=" + quote("metrics.rmse,params.lr"))

    page.get_by_label("Group by").select_option("params.lr")
    groups = page.locator(".vt-row.group-group")
    expect(groups).to_have_count(3)
    expect(page.locator(".summary")).to_contain_text("3 groups of 6 runs")
    assert "group=params.lr" in page.url
    expect(page.get_by_label("Nest child runs")).to_be_hidden()  # groups are flat
    headers = _headers(page)
    assert headers[1:] == ["params.lr", "Runs", "rmse mean", "rmse min", "rmse max"]

    def stats(label: str) -> list[str]:
        row = groups.filter(has=page.locator(".group-value", has_text=re.compile(f"^{re.escape(label)}$")))
        return row.get_by_role("cell").all_inner_texts()[2:]

    assert stats("0.1") == ["3", "0.5", "0.2", "0.9"]
    assert stats("0.01") == ["2", "1.5", "1", "2"]
    assert stats("(not set)") == ["1", "", "", ""]
    snap(page, "grouped")

    page.get_by_role("button", name="Expand group 0.01").click()
    expect(page.get_by_role("link", name="g3", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="g4", exact=True)).to_be_visible()
    expect(page.locator(".vt-row.group-run")).to_have_count(2)
    snap(page, "group-expanded")
    page.get_by_role("button", name="Collapse group 0.01").click()
    expect(page.locator(".vt-row.group-run")).to_have_count(0)

    page.get_by_label("Group by").select_option("")
    expect(page.locator(".summary")).to_contain_text("6 runs")
    expect(page.get_by_role("link", name="no-lr", exact=True)).to_be_visible()


def test_nested_runs_collapse_under_their_parent(ui_server, page, snap):
    client = ui_server.client
    experiment_id = client.create_experiment("nested")
    parent = client.create_run(experiment_id, run_name="sweep", start_time=BASE_MS)
    for i in range(3):
        client.create_run(experiment_id, run_name=f"trial-{i}", start_time=BASE_MS + 1 + i,
                          tags={"mlflow.parentRunId": parent.info.run_id})
    client.create_run(experiment_id, run_name="solo", start_time=BASE_MS + 10)
    _open(page, ui_server, experiment_id)
    expect(page.locator(".summary")).to_contain_text("5 runs")
    _expect_names(page, ["solo", "sweep"])
    sweep = page.locator(".vt-row").filter(has=page.get_by_role("link", name="sweep", exact=True))
    expect(sweep.locator(".child-count")).to_have_text("(3)")

    page.get_by_role("button", name="Expand child runs of sweep").click()
    _expect_names(page, ["solo", "sweep", "trial-2", "trial-1", "trial-0"])
    expect(page.locator(".vt-row.child")).to_have_count(3)
    snap(page, "expanded")
    page.get_by_role("button", name="Collapse child runs of sweep").click()
    _expect_names(page, ["solo", "sweep"])

    page.get_by_label("Nest child runs").uncheck()
    _expect_names(page, ["solo", "trial-2", "trial-1", "trial-0", "sweep"])
    assert "flat=1" in page.url


def test_selected_runs_open_in_compare(ui_server, page):
    experiment_id, ids = _seed(ui_server.client)
    # Only the navigation is under test here; the compare page has its own tests.
    page.route("**/static/pages/compare.js", lambda route: route.fulfill(
        content_type="text/javascript", body="export function render(main) { main.textContent = 'compare'; }"))
    _open(page, ui_server, experiment_id)
    compare = page.get_by_role("button", name=re.compile("^Compare"))
    expect(compare).to_be_disabled()
    page.get_by_label("Select run xgb").check()
    expect(compare).to_be_disabled()  # comparing needs two
    page.get_by_label("Select run rf-small").check()
    expect(compare).to_have_text("Compare (2)")
    compare.click()
    expect(page).to_have_url(ui_server.url + f"#/compare?runs={ids['xgb']},{ids['rf-small']}")


def test_delete_and_restore_selected_runs_with_the_view_toggle(ui_server, page, snap):
    client = ui_server.client
    experiment_id, ids = _seed(client)
    _open(page, ui_server, experiment_id)
    page.get_by_label("Select run xgb").check()
    page.get_by_label("Select run linear").check()
    expect(page.get_by_role("button", name="Restore")).to_be_disabled()
    page.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator(".run-message")).to_contain_text("Deleted 2 runs.")
    _expect_names(page, ["rf-large", "rf-small"])
    expect(page.locator(".summary")).to_contain_text("2 runs")
    assert client.get_run(ids["xgb"]).info.lifecycle_stage == "deleted"

    page.get_by_role("button", name="Deleted", exact=True).click()
    _expect_names(page, ["linear", "xgb"])
    assert "view=deleted" in page.url
    snap(page, "deleted-view")
    page.get_by_label("Select run xgb").check()
    expect(page.get_by_role("button", name="Delete", exact=True)).to_be_disabled()
    page.get_by_role("button", name="Restore").click()
    expect(page.locator(".run-message")).to_contain_text("Restored 1 run.")
    _expect_names(page, ["linear"])
    assert client.get_run(ids["xgb"]).info.lifecycle_stage == "active"

    page.get_by_role("button", name="All", exact=True).click()
    _expect_names(page, ["linear", "xgb", "rf-large", "rf-small"])
    expect(page.locator(".vt-row.deleted")).to_have_count(1)
    page.get_by_role("button", name="Active", exact=True).click()
    _expect_names(page, ["xgb", "rf-large", "rf-small"])
    page.locator(".run-message").get_by_role("button", name="Undo").click()  # undo the restore
    _expect_names(page, ["rf-large", "rf-small"])


def test_three_thousand_runs_keep_a_bounded_dom_and_scroll_to_the_last(ui_server, page, snap):
    experiment_id = ui_server.client.create_experiment("many")
    # Straight into the server's SQLite store (3,000 REST calls would take ten times longer).
    store = factory.tracking_store_for(ui_server.server.settings.backend_store_uri)
    for i in range(3000):
        store.create_run(experiment_id, "ana", BASE_MS + i, [], f"run-{i:04d}")
    searches = []
    page.on("request", lambda request: searches.append(request.url) if "runs/search" in request.url else None)
    _open(page, ui_server, experiment_id)
    expect(page.locator(".summary")).to_contain_text("3,000 runs")
    expect(page.get_by_role("link", name="run-2999", exact=True)).to_be_visible()
    drawn = page.locator(".vt-body .vt-row").count()
    assert 10 < drawn < 100
    snap(page, "top")

    scroller = page.locator(".vt-scroller")
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight / 2; }")
    expect(page.get_by_role("link", name=re.compile(r"^run-1[45]\d\d$")).first).to_be_visible()
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    expect(page.get_by_role("link", name="run-0000", exact=True)).to_be_visible()
    assert page.locator(".vt-body .vt-row").count() < 100
    # The jumps fetched the pages they landed on, not every page in between (15 pages of 200).
    assert len(searches) < 10
    snap(page, "bottom")


def test_a_big_group_opens_its_first_runs_and_becomes_a_filter(ui_server, page):
    experiment_id = ui_server.client.create_experiment("big-group")
    store = factory.tracking_store_for(ui_server.server.settings.backend_store_uri)
    for i in range(60):
        run = store.create_run(experiment_id, "ana", BASE_MS + i, [], f"b{i:02d}")
        store.log_batch(run.info.run_id, [], [Param("optimizer", "adam's")], [])
    _open(page, ui_server, experiment_id, "group=params.optimizer")
    expect(page.get_by_label("Group by")).to_have_value("params.optimizer")
    page.get_by_role("button", name="Expand group adam's").click()
    expect(page.get_by_role("link", name="b59", exact=True)).to_be_visible()
    page.locator(".vt-scroller").evaluate("el => { el.scrollTop = el.scrollHeight; }")  # the note ends the group
    note = page.locator(".vt-row.group-note")
    expect(note).to_contain_text("First 50 of 60 runs")
    note.get_by_role("button", name="show all as a filter").click()
    expect(page.get_by_label("Filter runs")).to_have_value("params.`optimizer` = 'adam''s'")
    expect(page.get_by_label("Group by")).to_have_value("")
    expect(page.locator(".summary")).to_contain_text("60 runs")
    assert "group=" not in page.url and "filter=" in page.url
