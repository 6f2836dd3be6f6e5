"""The registry pages in a real browser: models list, a model's page, a version's page."""

from __future__ import annotations

import warnings

from playwright.sync_api import expect


def _seed(client) -> tuple[str, str]:
    """Model 'HousingPricePredictor' with versions 1 (Production) and 2 (@champion), plus 'Other'."""
    experiment_id = client.create_experiment("registry-ui")
    run = client.create_run(experiment_id, run_name="trainer")
    run_id = run.info.run_id
    client.create_registered_model("HousingPricePredictor", description="Predicts **house prices**.")
    client.create_registered_model("OtherModel")
    client.create_model_version("HousingPricePredictor", f"runs:/{run_id}/model", run_id=run_id)
    client.create_model_version("HousingPricePredictor", f"runs:/{run_id}/model", run_id=run_id,
                                description="second try")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # stages are deprecated in MLflow too
        client.transition_model_version_stage("HousingPricePredictor", "1", "Production")
    client.set_registered_model_alias("HousingPricePredictor", "champion", "2")
    client.set_model_version_tag("HousingPricePredictor", "2", "validated", "yes")
    return run_id, experiment_id


def test_models_list_shows_stages_aliases_and_searches(ui_server, page, snap):
    _seed(ui_server.client)
    page.goto(ui_server.url + "#/models")
    rows = page.locator("table.models tbody tr")
    expect(rows).to_have_count(2)
    row = page.locator("tr[data-model='HousingPricePredictor']")
    expect(row.locator("td").nth(1)).to_have_text("Version 2")
    expect(row.locator("td").nth(3)).to_have_text("Version 1")
    expect(row.locator(".badge.alias")).to_have_text("@champion:2")
    snap(page, "models")

    page.get_by_label("Search models").fill("other")
    page.get_by_role("button", name="Search").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("OtherModel")
    expect(page).to_have_url(ui_server.url + "#/models?q=other")


def test_model_page_versions_history_and_edits(ui_server, page, snap):
    client = ui_server.client
    run_id, _ = _seed(client)
    page.goto(ui_server.url + "#/models")
    page.get_by_role("link", name="HousingPricePredictor").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("HousingPricePredictor")
    versions = page.locator("table.versions tbody tr")
    expect(versions).to_have_count(2)
    expect(page.locator("tr[data-version='1'] .badge")).to_have_text("Production")
    expect(page.locator("tr[data-version='2'] .badge.alias")).to_have_text("@champion")
    expect(page.locator("tr[data-version='2']")).to_contain_text(run_id[:8])
    # Markdown description renders (strong text), the audit trail lists the transition and alias.
    expect(page.locator(".description-body")).to_contain_text("Predicts house prices.")
    history = page.locator("table.history")
    expect(history).to_contain_text("TRANSITION_STAGE")
    expect(history).to_contain_text("stage None → Production")
    expect(history).to_contain_text("@champion → version 2")
    snap(page, "model")

    # Move the alias to version 1 through the form; the API sees it, the history records it.
    page.get_by_label("Alias", exact=True).fill("champion")
    page.get_by_label("Alias version").select_option("1")
    page.get_by_role("button", name="Set alias").click()
    expect(page.locator("tr[data-version='1'] .badge.alias")).to_have_text("@champion")
    assert client.get_model_version_by_alias("HousingPricePredictor", "champion").version == "1"
    expect(page.locator("table.history")).to_contain_text("(was version 2)")

    page.get_by_role("button", name="Edit description").click()
    page.get_by_label("Description").fill("Now with *gradient boosting*.")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".description-body")).to_contain_text("Now with gradient boosting.")
    assert client.get_registered_model("HousingPricePredictor").description == "Now with *gradient boosting*."

    page.get_by_label("Tag key").fill("owner")
    page.get_by_label("Tag value").fill("pricing-team")
    page.get_by_role("button", name="Add tag").click()
    expect(page.locator("section.tags")).to_contain_text("pricing-team")
    assert client.get_registered_model("HousingPricePredictor").tags["owner"] == "pricing-team"
    snap(page, "model-edited")


def test_version_page_transition_and_source_run(ui_server, page, snap):
    client = ui_server.client
    run_id, _ = _seed(client)
    page.goto(ui_server.url + "#/models/HousingPricePredictor/versions/2")
    expect(page.get_by_role("heading", level=1)).to_have_text("HousingPricePredictor · Version 2")
    fields = page.locator("table.fields")
    expect(fields).to_contain_text("@champion")
    expect(fields).to_contain_text(f"runs:/{run_id}/model")
    expect(page.locator("section.tags")).to_contain_text("validated")
    snap(page, "version")

    page.get_by_label("New stage").select_option("Production")
    page.locator("#archive-existing").check()
    page.get_by_role("button", name="Transition").click()
    expect(fields.locator(".badge").first).to_have_text("Production")
    assert client.get_model_version("HousingPricePredictor", "2").current_stage == "Production"
    assert client.get_model_version("HousingPricePredictor", "1").current_stage == "Archived"
    expect(page.locator("table.history")).to_contain_text("stage None → Production")
    snap(page, "version-promoted")

    page.locator("a.source-run").click()
    expect(page).to_have_url(ui_server.url + f"#/runs/{run_id}")
