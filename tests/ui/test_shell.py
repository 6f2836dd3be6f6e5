"""The UI shell in a real browser: routing, the top bar, the Content Security Policy, no third parties."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.sync_api import expect


def test_root_redirects_to_experiments_under_the_top_bar(ui_server, page, snap):
    response = page.goto(ui_server.url)
    assert response is not None and response.status == 200
    expect(page).to_have_url(ui_server.url + "#/experiments")
    expect(page).to_have_title("runyard")
    bar = page.locator("#topbar")
    expect(bar.locator("a.brand")).to_have_text("runyard")
    expect(bar.get_by_role("link", name="Experiments")).to_have_class("active")
    expect(bar.get_by_role("link", name="Models")).not_to_have_class("active")
    expect(page.locator("#main")).to_contain_text("Default")  # a fresh store's one experiment
    snap(page, "experiments")

    bar.get_by_role("link", name="Models").click()
    expect(page).to_have_url(ui_server.url + "#/models")
    expect(bar.get_by_role("link", name="Models")).to_have_class("active")
    expect(bar.get_by_role("link", name="Experiments")).not_to_have_class("active")
    expect(page.locator("#main")).not_to_have_text("Loading…")
    snap(page, "models")


def test_an_unknown_route_shows_not_found(ui_server, page, snap):
    page.goto(ui_server.url + "#/nope")
    main = page.locator("#main")
    expect(main.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(main.locator("code")).to_have_text("/nope")
    expect(page.locator("#banner")).to_be_hidden()
    snap(page, "not-found")
    main.get_by_role("link", name="Experiments").click()
    expect(page).to_have_url(ui_server.url + "#/experiments")
    expect(page.locator("#main")).not_to_have_text("Not found")


def test_the_content_security_policy_blocks_inline_script(ui_server, page, js_errors):
    response = page.goto(ui_server.url + "#/nope")
    policy = response.headers["content-security-policy"]
    directives = dict((part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    expect(page.locator("#main h1")).to_have_text("Not found")

    ran = page.evaluate("""() => new Promise(resolve => {
        const violations = [];
        document.addEventListener("securitypolicyviolation", e => violations.push(e.violatedDirective));
        const script = document.createElement("script");
        script.textContent = "window.__inline_ran = true";
        document.body.appendChild(script);
        const img = document.createElement("img");
        img.setAttribute("onerror", "window.__handler_ran = true");
        img.src = "static/no-such-image.png";
        document.body.appendChild(img);
        setTimeout(() => resolve({inline: window.__inline_ran === true, handler: window.__handler_ran === true,
                                  violations}), 500);
    })""")
    assert ran["inline"] is False and ran["handler"] is False
    assert any(v.startswith("script-src") for v in ran["violations"]), ran["violations"]
    # Chromium reports each refusal on the console; those are the point of this test.
    assert any("Content Security Policy" in line for line in js_errors), js_errors
    js_errors.clear()


def test_every_request_goes_to_the_same_origin(ui_server, page, snap):
    experiment_id = ui_server.client.create_experiment("origin-check")
    run = ui_server.client.create_run(experiment_id, run_name="only-run")
    ui_server.client.log_metric(run.info.run_id, "loss", 0.5, step=1)
    ui_server.client.log_param(run.info.run_id, "lr", "0.1")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    for route in ("#/experiments", f"#/experiments/{experiment_id}", f"#/runs/{run.info.run_id}",
                  f"#/compare?runs={run.info.run_id}", f"#/charts?runs={run.info.run_id}&keys=loss",
                  "#/models", "#/nope"):
        page.goto(ui_server.url + route)
        page.wait_for_load_state("networkidle")
        expect(page.locator("#main")).not_to_have_text("Loading…")
    snap(page, "last")
    origin = urlsplit(ui_server.url)
    foreign = [url for url in requested if urlsplit(url)[:2] != origin[:2] and not url.startswith("data:")]
    assert not foreign, f"requests to other origins: {foreign}"
    assert ui_server.url + "static/app.js" in requested
