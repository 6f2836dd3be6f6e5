"""The experiments page in a real browser: search, create, rename, delete with undo, open several."""

from __future__ import annotations

import re

from playwright.sync_api import expect


def _row(page, name: str):
    return page.locator("table.experiments tbody tr").filter(has=page.get_by_role("link", name=name, exact=True))


def test_create_search_rename_and_delete_experiments(ui_server, page, snap):
    client = ui_server.client
    client.create_experiment("housing-prices")
    client.create_experiment("churn-model")
    page.goto(ui_server.url + "#/experiments")
    rows = page.locator("table.experiments tbody tr")
    expect(rows).to_have_count(3)  # with Default
    expect(page.get_by_text("3 experiments")).to_be_visible()

    page.get_by_label("New experiment name").fill("fraud-detector")
    page.get_by_role("button", name="Create experiment").click()
    expect(page.get_by_role("status")).to_contain_text("Created experiment fraud-detector")
    expect(_row(page, "fraud-detector")).to_have_count(1)
    assert client.get_experiment_by_name("fraud-detector").lifecycle_stage == "active"

    # A taken name is refused next to the box, with the server's reason.
    page.get_by_label("New experiment name").fill("churn-model")
    page.get_by_role("button", name="Create experiment").click()
    expect(page.get_by_role("alert").filter(has_text="churn-model")).to_contain_text("already exists")
    expect(page.get_by_label("New experiment name")).to_have_class(re.compile("invalid"))

    page.get_by_label("Search experiments").fill("CHURN")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("churn-model")
    expect(page).to_have_url(ui_server.url + "#/experiments?q=CHURN")
    snap(page, "searched")

    rows.first.get_by_role("button", name="Rename").click()
    box = page.get_by_label("New name for churn-model")
    box.fill("churn-model-v2")
    box.press("Enter")
    expect(_row(page, "churn-model-v2")).to_have_count(1)
    assert client.get_experiment_by_name("churn-model-v2").name == "churn-model-v2"

    page.get_by_label("Search experiments").fill("")
    expect(rows).to_have_count(4)
    row = _row(page, "housing-prices")
    row.get_by_role("button", name="Delete").click()
    expect(row).to_contain_text("Delete this experiment and its runs?")
    snap(page, "confirm-delete")
    row.get_by_role("button", name="Cancel").click()  # nothing happens on cancel
    expect(row.get_by_role("button", name="Rename")).to_be_visible()
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Confirm delete").click()
    expect(_row(page, "housing-prices")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Deleted experiment “housing-prices”")
    assert client.get_experiment_by_name("housing-prices").lifecycle_stage == "deleted"

    page.get_by_role("status").get_by_role("button", name="Undo").click()
    expect(_row(page, "housing-prices")).to_have_count(1)
    assert client.get_experiment_by_name("housing-prices").lifecycle_stage == "active"
    snap(page, "restored")


def test_each_experiment_links_to_its_runs_and_several_open_together(ui_server, page, snap):
    client = ui_server.client
    first = client.create_experiment("alpha")
    second = client.create_experiment("beta")
    client.create_experiment("gamma")
    client.create_run(first, run_name="alpha-run")
    client.create_run(second, run_name="beta-run")
    page.goto(ui_server.url + "#/experiments")

    page.get_by_role("link", name="alpha", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(f"#/experiments/{first}") + r"($|\?)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs · alpha")
    expect(page.get_by_role("link", name="alpha-run")).to_be_visible()

    page.go_back()
    open_button = page.get_by_role("button", name=re.compile("^Open runs"))
    expect(open_button).to_be_disabled()
    page.get_by_label("Select alpha").check()
    page.get_by_label("Select beta").check()
    expect(open_button).to_have_text("Open runs of 2 experiments")
    snap(page, "two-selected")
    open_button.click()
    expect(page).to_have_url(re.compile(re.escape(f"#/experiments/{first},{second}") + r"($|\?)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Runs · alpha, beta")
    expect(page.get_by_role("link", name="alpha-run")).to_be_visible()
    expect(page.get_by_role("link", name="beta-run")).to_be_visible()
    expect(page.locator(".summary")).to_contain_text("2 runs")
    beta_row = page.locator(".vt-row").filter(has=page.get_by_role("link", name="beta-run"))
    expect(page.get_by_role("columnheader", name="Experiment")).to_be_visible()
    expect(beta_row.get_by_role("cell").nth(2)).to_have_text("beta")
    snap(page, "two-experiments-runs")
