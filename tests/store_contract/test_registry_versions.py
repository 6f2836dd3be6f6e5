"""Model versions: numbering, sources and download URIs (and the sources refused), stages and
latest versions, aliases, tags, updates, deletes, copies and version search."""

from __future__ import annotations

import time

import pytest

from runyard.entities.registry import ModelVersionTag, RegisteredModelTag
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.sql.tracking_store import SqlTrackingStore
from tests.store_contract.conftest import registry_backends

pytestmark = registry_backends


@pytest.fixture
def model(registry):
    return registry.create_registered_model("Housing").name


@pytest.fixture
def outside(store, tmp_path):
    """A run and a logged model of an experiment whose artifacts lie outside the default root (in an
    object store through a server, which refuses local locations outside its root)."""
    location = (tmp_path / "elsewhere").as_uri() if isinstance(store, SqlTrackingStore) else "s3://elsewhere/x"
    experiment = store.create_experiment("outside", artifact_location=location)
    run = store.create_run(experiment, "alice", 1, [], "run").info
    logged = store.create_logged_model(experiment, name="net", source_run_id=run.run_id)
    return run.run_id, run.artifact_uri, logged


def in_root(registry, *parts: str) -> str:
    return "/".join((registry.artifact_root, *parts))


def new_version(registry, name="Housing", **kwargs):
    return registry.create_model_version(name, in_root(registry, "m"), **kwargs)


def versions(found) -> list[str]:
    return [v.version for v in found]


def test_versions_are_numbered_and_never_reused(registry, model):
    first = registry.create_model_version(model, in_root(registry, "model"), tags=[ModelVersionTag("k", "v")],
                                          description="first", run_link="http://ui/run")
    assert (first.name, first.version, first.current_stage, first.status) == ("Housing", "1", "None", "READY")
    assert (first.tags, first.description, first.run_link, first.aliases) == ({"k": "v"}, "first", "http://ui/run", ())
    assert first.creation_timestamp == first.last_updated_timestamp > 0
    assert registry.get_model_version(model, "1") == first
    assert registry.get_model_version(model, 1) == first
    assert [new_version(registry).version for _ in range(3)] == ["2", "3", "4"]
    registry.delete_model_version(model, "4")
    registry.delete_model_version(model, "2")
    assert new_version(registry).version == "5"  # MLflow: max ever + 1, deleted numbers stay used
    assert versions(registry.search_model_versions(f"name = '{model}'")) == ["5", "3", "1"]
    # The model's own timestamp follows its versions.
    assert registry.get_registered_model(model).last_updated_timestamp >= first.creation_timestamp


def test_missing_versions(registry, model):
    new_version(registry)
    for name, version in (("Housing", "7"), ("nope", "1"), ("Housing", "0"), ("Housing", "-1"),
                          ("Housing", str(2**40))):
        with pytest.raises(ResourceDoesNotExist, match=rf"^Model Version \(name={name}, version={version}\) not found$"):
            registry.get_model_version(name, version)
        with pytest.raises(ResourceDoesNotExist):
            registry.get_model_version_download_uri(name, version)
    for call in (lambda: registry.update_model_version(model, "7", "d"),
                 lambda: registry.transition_model_version_stage(model, "7", "Staging", False),
                 lambda: registry.delete_model_version(model, "7"),
                 lambda: registry.set_model_version_tag(model, "7", ModelVersionTag("k", "v")),
                 lambda: registry.delete_model_version_tag(model, "7", "k"),
                 lambda: registry.set_registered_model_alias(model, "a", "7")):
        with pytest.raises(ResourceDoesNotExist, match=r"version=7\) not found"):
            call()
    with pytest.raises(ResourceDoesNotExist, match="Registered Model with name=nope not found"):
        registry.create_model_version("nope", in_root(registry, "m"))
    for bad in ("one", "1.0", "", None, True):
        with pytest.raises(InvalidParameterValue, match="version"):
            registry.get_model_version(model, bad)


def test_update_and_tags(registry, model):
    new_version(registry)
    time.sleep(0.002)
    updated = registry.update_model_version(model, "1", "better")
    assert updated.description == "better" and updated.last_updated_timestamp > updated.creation_timestamp
    registry.set_model_version_tag(model, "1", ModelVersionTag("approved_by", "alice"))
    registry.set_model_version_tag(model, "1", ModelVersionTag("approved_by", "bob"))
    registry.set_model_version_tag(model, "1", ModelVersionTag("big", "x" * 100_000))
    assert registry.get_model_version(model, "1").tags == {"approved_by": "bob", "big": "x" * 100_000}
    registry.delete_model_version_tag(model, "1", "big")
    registry.delete_model_version_tag(model, "1", "big")
    assert registry.get_model_version(model, "1").tags == {"approved_by": "bob"}
    with pytest.raises(InvalidParameterValue, match="limit of 100000"):
        registry.set_model_version_tag(model, "1", ModelVersionTag("k", "x" * 100_001))
    with pytest.raises(InvalidParameterValue):
        registry.set_model_version_tag(model, "1", ModelVersionTag("", "v"))


def test_sources_and_download_uris(store, registry, model, experiment_id, run_id):
    run_uri = store.get_run(run_id).info.artifact_uri
    from_run = registry.create_model_version(model, f"runs:/{run_id}/model/sub", run_id=run_id)
    assert (from_run.source, from_run.run_id) == (f"runs:/{run_id}/model/sub", run_id)
    assert registry.get_model_version_download_uri(model, from_run.version) == f"{run_uri}/model/sub"
    # runs:/ without run_id takes the run from the URI.
    assert registry.create_model_version(model, f"runs:/{run_id}/other").run_id == run_id

    logged = store.create_logged_model(experiment_id, name="model", source_run_id=run_id)
    from_model = registry.create_model_version(model, f"models:/{logged.model_id}", model_id=logged.model_id)
    assert (from_model.source, from_model.model_id, from_model.run_id) == (
        f"models:/{logged.model_id}", logged.model_id, run_id)
    assert registry.get_model_version_download_uri(model, from_model.version) == logged.artifact_location
    # MLflow 3: runs:/<run>/<name> is the logged model <name> the run produced.
    via_run = registry.create_model_version(model, f"runs:/{run_id}/model")
    assert registry.get_model_version_download_uri(model, via_run.version) == logged.artifact_location
    assert via_run.model_id == logged.model_id


def test_artifact_uri_sources_inside_known_roots(registry, model, outside):
    run_id, run_uri, logged = outside
    inside_run = registry.create_model_version(model, f"{run_uri}/model", run_id=run_id)
    assert registry.get_model_version_download_uri(model, inside_run.version) == f"{run_uri}/model"
    inside_model = registry.create_model_version(model, f"{logged.artifact_location}/MLmodel",
                                                 model_id=logged.model_id)
    assert registry.get_model_version_download_uri(model, inside_model.version) == (
        f"{logged.artifact_location}/MLmodel")
    assert inside_model.model_id == logged.model_id
    inside_root = registry.create_model_version(model, in_root(registry, "elsewhere", "model"))
    assert registry.get_model_version_download_uri(model, inside_root.version) == in_root(
        registry, "elsewhere", "model")


def test_unsafe_sources_are_refused(store, registry, model, experiment_id, run_id, outside):
    _, run_uri, logged = outside
    other_run = run_id  # a run whose artifacts lie elsewhere
    root = registry.artifact_root
    refused = [
        ("/etc/passwd", None, None), ("relative/path", None, None), ("//evil.example/x", None, None),
        ("file:///etc/passwd", run_id, None), ("file:///", None, None), (f"{root}/../secret", None, None),
        (f"{root}/a/%2e%2e/%2e%2e/secret", None, None), (f"{root}/a/%252e%252e/%252e%252e/x", None, None),
        (f"{root}/a/./b", None, None), (f"{root}\\..\\x", None, None), (f"{root}/a%00b", None, None),
        (f"{root}/a?x=1", None, None), (f"{root}/a#frag", None, None),
        (f"{root}-sibling/model", None, None), ("file://evil.example" + root.split("file://", 1)[1], None, None),
        (f"{run_uri}/model", None, None), (f"{run_uri}/model", other_run, None),
        (f"{logged.artifact_location}/x", None, None),
        ("s3://bucket/model", None, None), ("http://169.254.169.254/latest/meta-data", None, None),
        ("mlflow-artifacts://evil.example:80/x", None, None),
        (f"runs:/{run_id}/../../../etc", None, None), (f"runs:/{run_id}/a/%2E%2E/%2e%2e/x", None, None),
        (f"runs://host/{run_id}/model", None, None), ("runs:/" + "0" * 32 + "/model", None, None),
        (f"runs:/{outside[0]}/model", other_run, None),
        ("models:/m-" + "0" * 32, None, None), (f"models:/{logged.model_id}", None, "m-" + "1" * 32),
        ("models://host/x/1", None, None), ("models:/nope/1", None, None), ("models:/Housing/9", None, None),
        ("", None, None), ("x" * 4001, None, None),
    ]
    for source, run, model_id in refused:
        with pytest.raises(InvalidParameterValue, match="source") as info:
            registry.create_model_version(model, source, run_id=run, model_id=model_id)
        assert info.value.error_code == "INVALID_PARAMETER_VALUE", source
    assert registry.search_model_versions() == []
    # The refusals did not use up version numbers.
    assert new_version(registry).version == "1"


def test_stages_and_latest_versions(registry, model):
    for _ in range(4):
        new_version(registry)
    moved = registry.transition_model_version_stage(model, "1", "staging", False)
    assert moved.current_stage == "Staging"
    registry.transition_model_version_stage(model, "2", "PRODUCTION", False)
    registry.transition_model_version_stage(model, "3", "Production", False)
    latest = registry.get_latest_versions(model)
    assert [(v.version, v.current_stage) for v in latest] == [("4", "None"), ("1", "Staging"), ("3", "Production")]
    assert [v.version for v in registry.get_latest_versions(model, ["production"])] == ["3"]
    assert [v.version for v in registry.get_latest_versions(model, ["Archived"])] == []
    assert registry.get_registered_model(model).latest_versions == tuple(latest)
    # archive_existing_versions archives every other version in the target stage, nothing else.
    registry.transition_model_version_stage(model, "4", "Production", True)
    stages = {v.version: v.current_stage for v in registry.search_model_versions(f"name='{model}'")}
    assert stages == {"1": "Staging", "2": "Archived", "3": "Archived", "4": "Production"}
    registry.transition_model_version_stage(model, "4", "None", False)
    with pytest.raises(InvalidParameterValue, match="stage"):
        registry.transition_model_version_stage(model, "1", "Deployed", False)
    with pytest.raises(InvalidParameterValue, match="Active stage"):
        registry.transition_model_version_stage(model, "1", "Archived", True)
    with pytest.raises(InvalidParameterValue):
        registry.get_latest_versions(model, ["nope"])


def test_aliases(registry, model):
    for _ in range(3):
        new_version(registry)
    registry.set_registered_model_alias(model, "champion", "1")
    registry.set_registered_model_alias(model, "challenger", "2")
    registry.set_registered_model_alias(model, "champion", "2")  # moves
    assert registry.get_registered_model(model).aliases == {"challenger": "2", "champion": "2"}
    by_alias = registry.get_model_version_by_alias(model, "champion")
    assert by_alias.version == "2" and by_alias.aliases == ("challenger", "champion")
    assert registry.get_model_version(model, "1").aliases == ()
    assert registry.get_model_version_by_alias(model, "latest").version == "3"
    assert registry.get_model_version_by_alias(model, "LATEST").version == "3"
    for reserved in ("latest", "Latest", "v1", "V12"):
        with pytest.raises(InvalidParameterValue, match="reserved"):
            registry.set_registered_model_alias(model, reserved, "1")
    for bad in ("", "a b", "a/b", "a.b", "x" * 256):
        with pytest.raises(InvalidParameterValue):
            registry.set_registered_model_alias(model, bad, "1")
    assert registry.set_registered_model_alias(model, "x" * 255, "1") is None
    registry.delete_registered_model_alias(model, "challenger")
    registry.delete_registered_model_alias(model, "challenger")  # already gone: no error
    with pytest.raises(InvalidParameterValue, match="alias challenger not found"):
        registry.get_model_version_by_alias(model, "challenger")
    # Deleting a version drops its aliases.
    registry.delete_model_version(model, "2")
    assert registry.get_registered_model(model).aliases == {"x" * 255: "1"}
    with pytest.raises(ResourceDoesNotExist):
        registry.get_model_version_by_alias("nope", "champion")
    registry.create_registered_model("empty")
    with pytest.raises(ResourceDoesNotExist, match="Latest version not found"):
        registry.get_model_version_by_alias("empty", "latest")


def test_copy_model_version(registry, model, run_id):
    source = registry.create_model_version(model, f"runs:/{run_id}/model", tags=[ModelVersionTag("k", "v")],
                                           description="d")
    registry.transition_model_version_stage(model, "1", "Production", False)
    copy = registry.copy_model_version(registry.get_model_version(model, "1"), "Housing-prod")
    assert (copy.name, copy.version, copy.source, copy.run_id) == ("Housing-prod", "1", "models:/Housing/1", run_id)
    assert (copy.tags, copy.description, copy.current_stage) == ({"k": "v"}, "d", "None")
    assert registry.get_model_version_download_uri("Housing-prod", "1") == (
        registry.get_model_version_download_uri(model, source.version))
    assert registry.copy_model_version(source, "Housing-prod").version == "2"  # into an existing model
    # models:/<name>@<alias> and /<stage> sources resolve to the version they name.
    registry.set_registered_model_alias(model, "champ", "1")
    assert registry.create_model_version("Housing-prod", "models:/Housing@champ").source == "models:/Housing/1"
    assert registry.create_model_version("Housing-prod", "models:/Housing/Production").source == "models:/Housing/1"


def test_search_model_versions(registry, run_id):
    registry.create_registered_model("a")
    registry.create_registered_model("b", [RegisteredModelTag("mlflow.prompt.is_prompt", "true")])
    registry.create_registered_model("c")
    for name in ("a", "a", "a", "b", "c"):
        registry.create_model_version(name, in_root(registry, name), tags=[ModelVersionTag("n", name)])
    registry.create_model_version("c", f"runs:/{run_id}/model", run_id=run_id, tags=[ModelVersionTag("n", "x")])
    time.sleep(0.002)
    registry.update_model_version("a", "2", "touched")
    pairs = lambda found: [(v.name, v.version) for v in found]  # noqa: E731
    assert pairs(registry.search_model_versions())[0] == ("a", "2")  # last updated first
    assert sorted(pairs(registry.search_model_versions())) == [("a", "1"), ("a", "2"), ("a", "3"), ("c", "1"),
                                                               ("c", "2")]
    assert pairs(registry.search_model_versions("name = 'a'", order_by=["version_number ASC"])) == [
        ("a", "1"), ("a", "2"), ("a", "3")]
    assert pairs(registry.search_model_versions("name IN ('a', 'c') AND version >= 2", order_by=["name"])) == [
        ("a", "3"), ("a", "2"), ("c", "2")]
    assert pairs(registry.search_model_versions("version_number = 1", order_by=["name DESC"])) == [
        ("c", "1"), ("a", "1")]
    assert pairs(registry.search_model_versions(f"run_id = '{run_id}'")) == [("c", "2")]
    assert pairs(registry.search_model_versions(f"run_id IN ('{run_id}', 'x')")) == [("c", "2")]
    assert pairs(registry.search_model_versions("source_path LIKE '%/c'")) == [("c", "1")]
    assert pairs(registry.search_model_versions(f"source = 'runs:/{run_id}/model'")) == [("c", "2")]
    assert pairs(registry.search_model_versions("tags.n = 'x'")) == [("c", "2")]
    assert pairs(registry.search_model_versions("tag.`n` != 'a' AND name ILIKE 'C'")) == [("c", "2"), ("c", "1")]
    assert pairs(registry.search_model_versions("name = 'b'")) == []  # prompts are left out
    assert pairs(registry.search_model_versions("name = 'b' AND tags.`mlflow.prompt.is_prompt` != 'true'")) == []
    page = registry.search_model_versions(max_results=2, order_by=["name", "version_number"])
    assert pairs(page) == [("a", "1"), ("a", "2")] and page.token
    rest = registry.search_model_versions(max_results=5, order_by=["name", "version_number"], page_token=page.token)
    assert pairs(rest) == [("a", "3"), ("c", "1"), ("c", "2")] and rest.token is None
    for bad in ("version_number = 1.5", "version_number = '1'", "source_path IN ('x')", "current_stage = 'x'",
                "name = 'a' OR name = 'b'", "tags.n IN ('a')"):
        with pytest.raises(InvalidParameterValue):
            registry.search_model_versions(bad)
    for bad_order in (["run_id"], ["tags.n"], ["name", "name"]):
        with pytest.raises(InvalidParameterValue):
            registry.search_model_versions(order_by=bad_order)
    with pytest.raises(InvalidParameterValue, match="max_results"):
        registry.search_model_versions(max_results=200_001)
