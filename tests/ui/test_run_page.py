"""The run page (#/runs/<id>) in a real browser: every tab, editing, artifact previews, and that
nothing a run carries (description, tags, artifacts) can run script in the page."""

from __future__ import annotations

import io
import json
import re
import time

import numpy as np
from playwright.sync_api import expect

import runyard
from runyard.entities import Dataset

NOTE = "mlflow.note.content"
HOSTILE_SCRIPT = "<script>window.pwned=1</script>"
HOSTILE_IMG = '<img src=x onerror="window.pwned=1">'
HOSTILE_LINK = "[x](javascript:window.pwned=1)"
DESCRIPTION = f"""# Results

Baseline with **strong** and *emphasis* and `inline code`; see [the paper](https://example.com/paper).

- first point
- second point

> quoted remark

```python
print("hello")
```

{HOSTILE_SCRIPT}

{HOSTILE_IMG}

{HOSTILE_LINK}
"""
SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="window.pwned=1">'
       "<script>window.pwned=1</script><rect width=\"10\" height=\"10\"/></svg>")
HTML = "<html><body><h1>report</h1><script>window.pwned=1</script><img src=x onerror=\"window.pwned=1\"></body></html>"
CSV = 'epoch,loss,note\n0,0.9,"warm, up"\n1,0.5,plain\n2,0.25,"says ""hi"""\n'
YAML = "model:\n  depth: 50\n  pretrained: true\noptimizer: adam\n"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.full((120, 160, 3), (30, 120, 200), dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def _seed_artifacts(client, run_id: str, tmp_path) -> None:
    client.log_text(run_id, "line one\nline two <b>not bold</b>\n", "notes/readme.txt")
    client.log_dict(run_id, {"lr": 0.01, "layers": [64, 128], "nested": {"ok": True}}, "config/params.json")
    client.log_text(run_id, YAML, "config/train.yaml")
    client.log_text(run_id, "# Summary\n\n" + HOSTILE_SCRIPT + "\n", "notes/summary.md")
    client.log_text(run_id, CSV, "data/predictions.csv")
    client.log_text(run_id, SVG, "plots/evil.svg")
    client.log_text(run_id, HTML, "report/evil.html")
    client.log_text(run_id, "x" * 100 + "\n" + ("step ok\n" * 160_000), "logs/train.log")  # > 1 MB
    (tmp_path / "sample.png").write_bytes(_png())
    client.log_artifact(run_id, str(tmp_path / "sample.png"), "plots")
    (tmp_path / "weights.bin").write_bytes(bytes(range(256)) * 8)
    client.log_artifact(run_id, str(tmp_path / "weights.bin"))


def _seed_run(ui_server, tmp_path, *, with_model: bool) -> dict:
    client = ui_server.client
    experiment_id = client.create_experiment("vision")
    parent = client.create_run(experiment_id, run_name="sweep-parent")
    run = client.create_run(experiment_id, run_name="resnet-baseline", tags={
        "mlflow.parentRunId": parent.info.run_id, "mlflow.source.name": "train.py",
        "mlflow.source.type": "LOCAL", "mlflow.source.git.commit": "0123456789abcdef0123456789abcdef01234567",
        "team": "vision", "priority": "high", NOTE: DESCRIPTION, "evil": HOSTILE_SCRIPT})
    run_id = run.info.run_id
    child = client.create_run(experiment_id, run_name="resnet-child", tags={"mlflow.parentRunId": run_id})
    for key, value in {"lr": "0.01", "batch_size": "64", "optimizer": "adam", "html_param": HOSTILE_IMG}.items():
        client.log_param(run_id, key, value)
    for layer in range(20):
        client.log_param(run_id, f"layer_{layer:02d}_width", str(64 * (layer + 1)))
    for step in range(5):
        client.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
        client.log_metric(run_id, "val/accuracy", 0.5 + step / 10, step=step)
    _seed_artifacts(client, run_id, tmp_path)
    seeded = {"experiment_id": experiment_id, "run_id": run_id, "parent_id": parent.info.run_id,
              "child_id": child.info.run_id}
    if with_model:
        from sklearn.linear_model import LinearRegression

        runyard.set_tracking_uri(ui_server.tracking_uri)
        X = np.arange(20, dtype=float).reshape(10, 2)
        with runyard.start_run(run_id=run_id):
            runyard.log_input(Dataset("iris-train", "d1g35t", "code", "{}"), context="training")
            # pickle: the page does not care about the format, and skops takes seconds to import.
            info = runyard.sklearn.log_model(LinearRegression().fit(X, X @ [1.0, 2.0]), name="model",
                                             serialization_format="pickle")
        version = runyard.register_model(info.model_uri, "vision-model")
        seeded.update(model_id=info.model_id, version=version.version)
    return seeded


def _open(page, ui_server, run_id: str, tab: str | None = None):
    page.goto(ui_server.url + f"#/runs/{run_id}" + (f"?tab={tab}" if tab else ""))
    expect(page.locator(".run-head h1")).to_be_visible()


def _pwned(page) -> bool:
    return page.evaluate("() => window.pwned !== undefined")


def test_run_page_shows_every_tab_and_persists_edits(ui_server, tracking, tmp_path, page, snap):
    seeded = _seed_run(ui_server, tmp_path, with_model=True)
    run_id, client = seeded["run_id"], ui_server.client
    _open(page, ui_server, run_id)
    main = page.locator("#main")

    # Overview: the facts a person looks for first.
    expect(page.locator(".run-head h1")).to_have_text("resnet-baseline")
    expect(page.locator(".run-head .status")).to_have_text("FINISHED")
    details = main.locator("table.run-details")
    expect(details.locator("tr", has_text="Run ID")).to_contain_text(run_id)
    experiment = details.locator("a.experiment-link")
    expect(experiment).to_have_text("vision")
    expect(experiment).to_have_attribute("href", f"#/experiments/{seeded['experiment_id']}")
    expect(main.locator(".crumbs a.experiment-link")).to_have_text("vision")
    parent = details.locator("tr", has_text="Parent run").get_by_role("link")
    expect(parent).to_have_text("sweep-parent")
    expect(parent).to_have_attribute("href", f"#/runs/{seeded['parent_id']}")
    child = details.locator("tr", has_text="Child runs").get_by_role("link", name="resnet-child")
    expect(child).to_have_attribute("href", f"#/runs/{seeded['child_id']}")
    expect(details.locator("tr", has_text="Source")).to_contain_text("train.py")
    expect(details.locator("tr", has_text="Git commit")).to_contain_text("0123456789ab")
    expect(details.locator("tr", has_text="Datasets")).to_contain_text("iris-train")
    expect(details.locator("tr", has_text="Datasets")).to_contain_text("training")
    expect(details.locator("tr", has_text="Duration")).to_contain_text(re.compile(r"\d+s"))

    # The description renders as Markdown; the hostile parts stay visible text.
    description = main.locator("section.description")
    expect(description.locator("h1")).to_have_text("Results")
    expect(description.locator("strong")).to_have_text("strong")
    expect(description.locator("li")).to_have_count(2)
    expect(description.locator("blockquote")).to_have_text("quoted remark")
    expect(description.locator("pre code")).to_have_text('print("hello")')
    expect(description.get_by_role("link", name="the paper")).to_have_attribute("href", "https://example.com/paper")
    for hostile in (HOSTILE_SCRIPT, HOSTILE_IMG, HOSTILE_LINK):
        expect(description).to_contain_text(hostile)
    assert description.locator("script, img, iframe, [onerror], a[href^='javascript']").count() == 0

    # Tags: user tags editable, system tags read-only and apart; the note is not listed as a tag.
    user_tags = main.locator("section.user-tags")
    expect(user_tags.locator("tr[data-key='team']")).to_contain_text("vision")
    expect(user_tags.locator("tr[data-key='evil']")).to_contain_text(HOSTILE_SCRIPT)
    system_tags = main.locator("section.system-tags")
    expect(system_tags.locator("tr[data-key='mlflow.source.name']")).to_contain_text("train.py")
    assert system_tags.locator("button").count() == 0
    assert main.locator(f"tr[data-key='{NOTE}']").count() == 0
    snap(page, "overview")

    user_tags.get_by_role("button", name="Edit tag team").click()
    user_tags.get_by_label("Value of team").fill("vision-core")
    user_tags.get_by_role("button", name="Save").click()
    expect(user_tags.locator("tr[data-key='team']")).to_contain_text("vision-core")
    user_tags.get_by_role("button", name="Delete tag priority").click()
    expect(user_tags.locator("tr[data-key='priority']")).to_have_count(0)
    user_tags.get_by_label("New tag key").fill("mlflow.sneaky")
    user_tags.get_by_role("button", name="Add tag").click()
    expect(user_tags).to_contain_text("reserved for the system")
    user_tags.get_by_label("New tag key").fill("reviewed")
    user_tags.get_by_label("New tag value").fill("yes")
    user_tags.get_by_role("button", name="Add tag").click()
    expect(user_tags.locator("tr[data-key='reviewed']")).to_contain_text("yes")

    description.get_by_role("button", name="Edit").click()
    description.get_by_label("Description").fill("## Updated\n\nNow with _more_ detail.")
    description.get_by_role("button", name="Save").click()
    expect(description.locator("h2", has_text="Updated")).to_be_visible()
    expect(description.locator("em")).to_have_text("more")

    page.locator(".run-head").get_by_role("button", name="Rename").click()
    page.get_by_label("Run name").fill("resnet-renamed")
    page.locator(".run-head").get_by_role("button", name="Save").click()
    expect(page.locator(".run-head h1")).to_have_text("resnet-renamed")
    # The server moved the mlflow.runName tag too; the page shows it without a reload.
    expect(page.locator("section.system-tags")).to_contain_text("resnet-renamed")
    snap(page, "overview-edited")

    stored = client.get_run(run_id)
    assert stored.info.run_name == "resnet-renamed"
    assert stored.data.tags["team"] == "vision-core" and stored.data.tags["reviewed"] == "yes"
    assert "priority" not in stored.data.tags and "mlflow.sneaky" not in stored.data.tags
    assert stored.data.tags[NOTE] == "## Updated\n\nNow with _more_ detail."

    # Parameters: all there, filterable, the filter kept in the URL.
    page.locator(".tabs").get_by_role("tab", name=re.compile("Parameters")).click()
    expect(page).to_have_url(re.compile(r"tab=params"))
    params = main.locator("section.run-parameters")
    expect(params.locator("tbody tr")).to_have_count(24)
    expect(params.locator("tr", has_text="optimizer")).to_contain_text("adam")
    expect(params.locator("tr", has_text="html_param")).to_contain_text(HOSTILE_IMG)
    params.get_by_label("Filter parameters").fill("layer_1")
    expect(params.locator("tbody tr")).to_have_count(10)
    expect(params.locator(".count-note")).to_contain_text("10 shown of 24")
    expect(page).to_have_url(re.compile(r"q=layer_1"))
    snap(page, "params")

    # Metrics: latest values, each linking to its chart.
    page.locator(".tabs").get_by_role("tab", name=re.compile("Metrics")).click()
    metrics = main.locator("section.run-metrics")
    expect(metrics.locator("tbody tr")).to_have_count(2)
    loss = metrics.locator("tr", has_text="loss")
    expect(loss.locator("td").nth(1)).to_have_text("0.2")
    expect(loss.locator("td").nth(2)).to_have_text("4")
    expect(loss.get_by_role("link")).to_have_attribute("href", f"#/charts?runs={run_id}&keys=loss")
    expect(metrics.get_by_role("link", name="val/accuracy")).to_have_attribute(
        "href", f"#/charts?runs={run_id}&keys=val%2Faccuracy")
    snap(page, "metrics")

    # Models: the logged model and its registered version, linked to the registry page.
    page.locator(".tabs").get_by_role("tab", name="Models").click()
    logged = main.locator("section.logged-models")
    row = logged.locator(f"tr[data-model-id='{seeded['model_id']}']")
    expect(row).to_contain_text("model")
    expect(row).to_contain_text("ready")
    expect(row.get_by_role("link", name="vision-model v1")).to_have_attribute("href", "#/models/vision-model/versions/1")
    versions = main.locator("section.registered-versions")
    expect(versions.get_by_role("link", name="vision-model v1")).to_have_attribute(
        "href", "#/models/vision-model/versions/1")
    snap(page, "models")

    # Artifacts are covered in detail below; the tree lists them here too.
    page.locator(".tabs").get_by_role("tab", name="Artifacts").click()
    expect(main.locator("ul.tree a.dir", has_text="config/")).to_be_visible()
    assert not _pwned(page)


def _click_artifact(page, path: str):
    tree = page.locator("ul.tree")
    parts = path.split("/")
    for depth in range(1, len(parts)):
        folder = tree.locator(f"a.dir[data-path='{'/'.join(parts[:depth])}']")
        if folder.get_attribute("aria-expanded") != "true":
            folder.click()
    tree.locator(f"a.file[data-path='{path}']").click()
    preview = page.locator(".preview")
    expect(preview.locator(".preview-path")).to_have_text(path)
    expect(preview).not_to_contain_text("Loading…")
    return preview


def test_artifact_previews_show_content_and_never_run_it(ui_server, page, tmp_path, snap):
    seeded = _seed_run(ui_server, tmp_path, with_model=False)
    run_id = seeded["run_id"]
    _open(page, ui_server, run_id, "artifacts")
    tree = page.locator("ul.tree")
    expect(tree.locator("> li > a.dir")).to_have_text(["config/", "data/", "logs/", "notes/", "plots/", "report/"])
    expect(tree.locator("> li > a.file")).to_have_text(["weights.bin"])

    preview = _click_artifact(page, "notes/readme.txt")
    expect(preview.locator("pre")).to_have_text("line one\nline two <b>not bold</b>\n")
    expect(page).to_have_url(re.compile(r"path=notes%2Freadme\.txt"))

    preview = _click_artifact(page, "notes/summary.md")
    expect(preview.locator("pre")).to_have_text("# Summary\n\n" + HOSTILE_SCRIPT + "\n")
    preview.get_by_role("button", name="Render Markdown").click()
    expect(preview.locator(".markdown h1")).to_have_text("Summary")
    expect(preview.locator(".markdown p")).to_have_text(HOSTILE_SCRIPT)
    assert preview.locator("script").count() == 0

    preview = _click_artifact(page, "config/params.json")
    assert json.loads(preview.locator("pre").inner_text()) == {"lr": 0.01, "layers": [64, 128], "nested": {"ok": True}}
    expect(preview.locator("pre")).to_contain_text('"layers": [\n    64,')

    preview = _click_artifact(page, "config/train.yaml")
    expect(preview.locator("pre")).to_have_text(YAML)

    preview = _click_artifact(page, "data/predictions.csv")
    table = preview.locator("table")
    expect(table.locator("thead th")).to_have_text(["epoch", "loss", "note"])
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(0).locator("td")).to_have_text(["0", "0.9", "warm, up"])
    expect(table.locator("tbody tr").nth(2).locator("td").nth(2)).to_have_text('says "hi"')
    snap(page, "csv")

    preview = _click_artifact(page, "plots/sample.png")
    image = preview.locator("img")
    expect(image).to_be_visible()
    page.wait_for_function("() => document.querySelector('.preview img').naturalWidth === 160")
    expect(preview.locator(".image-size")).to_have_text("160 × 120 px")
    assert image.get_attribute("src").startswith("blob:")
    snap(page, "image")

    preview = _click_artifact(page, "plots/evil.svg")
    expect(preview.locator("pre")).to_have_text(SVG)
    expect(preview).to_contain_text("never rendered")
    assert preview.locator("img, svg, object, embed, iframe").count() == 0
    snap(page, "svg-as-text")

    preview = _click_artifact(page, "report/evil.html")
    expect(preview.locator("pre")).to_have_text(HTML)
    assert preview.locator("img, script, iframe, h1").count() == 0

    preview = _click_artifact(page, "logs/train.log")
    expect(preview.locator(".note")).to_contain_text("Showing the first 1.0 MB of")
    text_length = page.evaluate("() => document.querySelector('.preview pre').textContent.length")
    assert text_length == 1024 * 1024
    snap(page, "truncated-log")

    preview = _click_artifact(page, "weights.bin")
    expect(preview).to_contain_text("No preview for this type of file")
    expect(preview.locator(".preview-head")).to_contain_text("2.0 KB")
    preview.get_by_role("button", name="Show as text").click()
    expect(preview.locator("pre")).to_be_visible()
    download = preview.get_by_role("link", name="Download")
    expect(download).to_have_attribute("href", re.compile(r"^get-artifact\?run_uuid=" + run_id + r"&path=weights\.bin$"))

    # The download route answers the bytes as an attachment, never as a page.
    response = page.request.get(ui_server.url + f"get-artifact?run_uuid={run_id}&path=report/evil.html")
    assert response.status == 200 and response.body() == HTML.encode()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in response.headers.get("content-disposition", "")
    assert "html" not in response.headers["content-type"]

    # A deep link opens the folders on the way and previews the file.
    page.goto(ui_server.url + f"#/runs/{run_id}?tab=artifacts&path=data%2Fpredictions.csv")
    expect(page.locator(".preview table tbody tr")).to_have_count(3)
    expect(page.locator("ul.tree a.file.selected")).to_have_text("predictions.csv")

    # Everything visited, on every tab: no script of the run's ran.
    for tab in ("overview", "params", "metrics", "models"):
        _open(page, ui_server, run_id, tab)
        expect(page.locator(".tab-body")).not_to_contain_text("Loading…")
    assert not _pwned(page)
    expect(page.locator(".tab-body")).to_contain_text("No models logged by this run.")


def test_delete_restore_and_a_running_run(ui_server, page, snap):
    client = ui_server.client
    experiment_id = client.create_experiment("ops")
    run = client.create_run(experiment_id, run_name="live-run", start_time=int(time.time() * 1000) - 5000)
    run_id = run.info.run_id
    _open(page, ui_server, run_id)
    expect(page.locator(".run-head .status")).to_have_text("RUNNING")
    duration = page.locator("table.run-details .duration")
    first = duration.inner_text()
    expect(duration).not_to_have_text(first, timeout=3000)  # ticking while RUNNING
    expect(page.locator("table.run-details tr", has_text="Ended")).to_contain_text("—")
    expect(page.locator("table.run-details tr", has_text="Child runs")).to_contain_text("None")

    head = page.locator(".run-head")
    head.get_by_role("button", name="Delete run").click()
    head.get_by_role("button", name="Cancel").click()
    assert client.get_run(run_id).info.lifecycle_stage == "active"
    head.get_by_role("button", name="Delete run").click()
    head.get_by_role("button", name="Yes, delete").click()
    expect(head.locator(".badge.deleted")).to_have_text("Deleted")
    assert client.get_run(run_id).info.lifecycle_stage == "deleted"
    snap(page, "deleted")
    head.get_by_role("button", name="Restore run").click()
    expect(head.locator(".badge.deleted")).to_have_count(0)
    expect(head.get_by_role("button", name="Delete run")).to_be_visible()
    assert client.get_run(run_id).info.lifecycle_stage == "active"

    # The page follows a running run: a new metric and the end of the run show up without a reload.
    client.log_metric(run_id, "loss", 0.5, step=3)
    client.set_terminated(run_id)
    expect(head.locator(".status")).to_have_text("FINISHED", timeout=15_000)
    expect(page.locator(".tabs [data-tab='metrics'] .count")).to_have_text("1")
    expect(page.locator("table.run-details tr", has_text="Ended")).not_to_contain_text("—")
    settled = duration.inner_text()
    page.wait_for_timeout(1500)
    expect(duration).to_have_text(settled)  # stopped ticking

    page.goto(ui_server.url + "#/runs/0123456789abcdef0123456789abcdef")
    expect(page.locator("#main h1")).to_have_text("Run not found")


HOSTILE_MARKDOWN = [
    HOSTILE_SCRIPT,
    HOSTILE_IMG,
    HOSTILE_LINK,
    "[a](JaVaScRiPt:alert(1)) [b](java\tscript:alert(1)) [c]( javascript:alert(1) ) [d](vbscript:msgbox)",
    "[e](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==) ![f](javascript:alert(1))",
    "<javascript:alert(1)> <data:text/html,x> <https://ok.example/auto>",
    "[ok](https://example.com/x \"t\") [rel](../other) [hash](#/runs/abc) [slash](/static/x)",
    "<iframe src=https://example.com></iframe><svg onload=alert(1)><style>*{}</style>",
    "**<b onclick=x>bold</b>** _<i>it</i>_ `<code>` ~~<s>gone</s>~~",
    "```html\n<script>window.pwned=1</script>\n```",
    "> <script>q</script>\n> - <img src=x onerror=alert(1)>",
    "| a | <b>b</b> |\n|---|:-:|\n| <script>1</script> | [z](javascript:1) |",
    "# <h1>x</h1>\n1. one\n2. [two](http://example.com)\n   - nested <em>raw</em>",
    "*a " * 5000 + "`" * 3000 + "[" * 3000 + ">" * 500 + "x",  # pathological: must stay fast
]


def test_markdown_renderer_builds_only_allowed_elements(ui_server, page):
    page.goto(ui_server.url + "#/nope")
    expect(page.locator("#main h1")).to_have_text("Not found")
    result = page.evaluate("""async (inputs) => {
        const { renderMarkdown, ALLOWED_TAGS } = await import(new URL("static/components/markdown.js", document.baseURI).href);
        const allowed = new Set(ALLOWED_TAGS.map((t) => t.toUpperCase()));
        const found = [], hrefs = [], handlers = [], texts = [], roots = [];
        for (const input of inputs) {
            const root = renderMarkdown(input);
            document.body.appendChild(root);  // attached, so anything active would load or run
            roots.push(root);
            for (const el of [root, ...root.querySelectorAll("*")]) {
                if (!allowed.has(el.tagName)) found.push(el.tagName);
                for (const attr of el.attributes) {
                    if (attr.name.startsWith("on") || attr.name === "srcdoc" || attr.name === "src") handlers.push(attr.name);
                }
                if (el.tagName === "A") hrefs.push(el.getAttribute("href"));
            }
            texts.push(root.textContent);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
        const pwned = window.pwned !== undefined;
        for (const root of roots) root.remove();
        const sample = renderMarkdown("# T\\n\\npara *e* **s** `c`\\n\\n- a\\n- b\\n\\n> q\\n\\n---\\n\\n1. x\\n2. y\\n");
        const shape = [...sample.children].map((el) => el.tagName);
        return { found, hrefs, handlers, texts, shape, pwned, allowed: ALLOWED_TAGS };
    }""", HOSTILE_MARKDOWN)
    assert result["found"] == [] and result["handlers"] == []
    assert not result["pwned"]
    assert set(result["allowed"]) <= {"div", "p", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "del", "code",
                                      "pre", "ul", "ol", "li", "blockquote", "a", "br", "hr", "table", "thead",
                                      "tbody", "tr", "th", "td"}
    origin = ui_server.url.rstrip("/")
    assert all(re.match(r"^https?://", href) for href in result["hrefs"]), result["hrefs"]
    assert "https://example.com/x" in result["hrefs"] and "https://ok.example/auto" in result["hrefs"]
    assert origin + "/#/runs/abc" in result["hrefs"] and origin + "/static/x" in result["hrefs"]
    assert "http://example.com/" in result["hrefs"]
    texts = result["texts"]
    assert texts[0] == HOSTILE_SCRIPT and texts[1] == HOSTILE_IMG and texts[2] == HOSTILE_LINK
    assert "[a](JaVaScRiPt:alert(1))" in texts[3] and "[d](vbscript:msgbox)" in texts[3]
    assert "![f](javascript:alert(1))" in texts[4] and "<javascript:alert(1)>" in texts[5]
    assert "<iframe src=https://example.com></iframe>" in texts[7]
    assert "<script>window.pwned=1</script>" in texts[9]
    assert result["shape"] == ["H1", "P", "UL", "BLOCKQUOTE", "HR", "OL"]

