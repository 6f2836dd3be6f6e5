"""The registry through runyard's client and fluent API, on the embedded store and through a server:
the seed's workflow verbatim, every model URI form, stages with MLflow's warnings, aliases, tags,
searches, copies, deletion, the audit trail and registration from log_model and autolog."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

import runyard
from runyard import MlflowClient
from runyard.entities import ModelVersionStage, RegistryAction
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from tests.registry.seed import NAME, assert_loads_every_form, seed_workflow, train_best_run

stages_warn = pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning")


@stages_warn
def test_seed_workflow_and_every_uri_form(backend):
    best = train_best_run(runyard)
    mv = seed_workflow(runyard, MlflowClient, best.run_id)
    assert mv.version == "1" and mv.name == NAME
    logged = runyard.last_logged_model()
    # MLflow 3: a runs:/ URI whose run has no files at "model" registers the logged model.
    assert (mv.source, mv.model_id, mv.run_id) == (f"models:/{logged.model_id}", logged.model_id, best.run_id)
    assert mv.tags == {"purpose": "production"}

    client = MlflowClient()
    version = client.get_model_version(NAME, "1")
    assert version.current_stage == "Production" and version.description == "RF, R2=0.85"
    assert version.tags == {"purpose": "production", "approved_by": "alice"} and version.aliases == ("champion",)
    model = client.get_registered_model(NAME)
    assert model.aliases == {"champion": "1"}
    assert [(v.version, v.current_stage) for v in model.latest_versions] == [("1", "Production")]
    assert json.loads(client.get_logged_model(logged.model_id).tags["mlflow.modelVersions"]) == [
        {"name": NAME, "version": "1"}]
    assert_loads_every_form(runyard, NAME, "1", best.X, best.model.predict(best.X))

    events = client.get_registry_history(NAME)
    assert [(e.action, e.version, e.key, e.from_value, e.to_value) for e in events if e.action != "CREATE_MODEL"] == [
        (RegistryAction.CREATE_VERSION, "1", None, None, "None"),
        (RegistryAction.TRANSITION_STAGE, "1", "Staging", "None", "Staging"),
        (RegistryAction.TRANSITION_STAGE, "1", "Production", "Staging", "Production"),
        (RegistryAction.SET_ALIAS, "1", "champion", None, "1"),
    ]


@stages_warn
def test_stages_latest_versions_and_archiving(backend):
    best = train_best_run(runyard)
    client = MlflowClient()
    versions = [runyard.register_model(f"runs:/{best.run_id}/model", "stages").version for _ in range(3)]
    assert versions == ["1", "2", "3"]
    client.transition_model_version_stage("stages", 1, "production")
    client.transition_model_version_stage("stages", 2, "PRODUCTION")
    assert {v.version for v in client.get_latest_versions("stages", ["Production"])} == {"2"}
    assert client.get_model_version("stages", 1).current_stage == "Production"  # not archived
    client.transition_model_version_stage("stages", 3, "Production", archive_existing_versions=True)
    assert [client.get_model_version("stages", v).current_stage for v in versions] == [
        "Archived", "Archived", "Production"]
    latest = {v.current_stage: v.version for v in client.get_latest_versions("stages")}
    assert latest == {"Archived": "2", "Production": "3"}
    with pytest.raises(InvalidParameterValue, match="stage"):
        client.transition_model_version_stage("stages", 3, "Shipping")
    # A stage URI with nothing in that stage names what is missing.
    with pytest.raises(ResourceDoesNotExist, match="Staging"):
        runyard.pyfunc.load_model("models:/stages/Staging")


def test_stage_methods_warn_as_mlflow_does(backend):
    best = train_best_run(runyard)
    runyard.register_model(f"runs:/{best.run_id}/model", "warned")
    client = MlflowClient()
    with pytest.warns(FutureWarning, match="Model registry stages will be removed"):
        client.transition_model_version_stage("warned", "1", "Staging")
    with pytest.warns(FutureWarning, match="transition_model_version_stage`` is deprecated since 2.9.0"):
        client.transition_model_version_stage("warned", "1", "Production")
    with pytest.warns(FutureWarning, match="get_latest_versions`` is deprecated"):
        client.get_latest_versions("warned")
    # Loading by stage does not warn (MLflow's loader does not either): warnings are errors here.
    runyard.pyfunc.load_model("models:/warned/Production")


def test_aliases(backend):
    best = train_best_run(runyard)
    client = MlflowClient()
    for _ in range(2):
        runyard.register_model(f"runs:/{best.run_id}/model", "aliased")
    client.set_registered_model_alias("aliased", "champion", 1)
    client.set_registered_model_alias("aliased", "challenger", "2")
    client.set_registered_model_alias("aliased", "champion", "2")  # moves
    assert client.get_model_version_by_alias("aliased", "champion").version == "2"
    assert set(client.get_model_version("aliased", "2").aliases) == {"champion", "challenger"}
    assert client.get_model_version("aliased", "1").aliases == ()
    assert client.get_registered_model("aliased").aliases == {"champion": "2", "challenger": "2"}
    for reserved in ("latest", "LATEST", "v1", "V12"):
        with pytest.raises(InvalidParameterValue):
            client.set_registered_model_alias("aliased", reserved, "1")
    with pytest.raises(ResourceDoesNotExist):
        client.set_registered_model_alias("aliased", "nowhere", "9")
    client.delete_registered_model_alias("aliased", "challenger")
    # MLflow answers an unknown alias with INVALID_PARAMETER_VALUE (not RESOURCE_DOES_NOT_EXIST).
    with pytest.raises(InvalidParameterValue, match="alias challenger not found"):
        client.get_model_version_by_alias("aliased", "challenger")
    with pytest.raises(InvalidParameterValue, match="alias challenger not found"):
        runyard.pyfunc.load_model("models:/aliased@challenger")
    np.testing.assert_allclose(runyard.pyfunc.load_model("models:/aliased@champion").predict(best.X),
                               best.model.predict(best.X))


def test_registered_model_lifecycle_tags_and_search(backend):
    client = MlflowClient()
    created = client.create_registered_model("house-a", tags={"team": "pricing"}, description="first")
    assert (created.name, created.description, created.tags) == ("house-a", "first", {"team": "pricing"})
    with pytest.raises(ResourceAlreadyExists):
        client.create_registered_model("house-a")
    client.create_registered_model("house-b")
    client.create_registered_model("other")
    assert client.update_registered_model("house-a", description="second").description == "second"
    client.set_registered_model_tag("house-a", "owner", "ada")
    client.delete_registered_model_tag("house-a", "team")
    assert client.get_registered_model("house-a").tags == {"owner": "ada"}

    names = [m.name for m in client.search_registered_models("name LIKE 'house%'", order_by=["name DESC"])]
    assert names == ["house-b", "house-a"]
    assert [m.name for m in runyard.search_registered_models(filter_string="tags.owner = 'ada'")] == ["house-a"]
    page = client.search_registered_models(max_results=2, order_by=["name"])
    assert [m.name for m in page] == ["house-a", "house-b"] and page.token
    assert [m.name for m in client.search_registered_models(max_results=2, order_by=["name"], page_token=page.token)
            ] == ["other"]
    assert len(runyard.search_registered_models(max_results=2)) == 2

    renamed = client.rename_registered_model("house-b", "house-c")
    assert renamed.name == "house-c"
    with pytest.raises(ResourceDoesNotExist):
        client.get_registered_model("house-b")
    client.delete_registered_model("house-c")
    assert sorted(m.name for m in runyard.search_registered_models()) == ["house-a", "other"]


def test_versions_tags_search_copy_and_delete(backend):
    best = train_best_run(runyard)
    client = MlflowClient()
    first = runyard.register_model(f"runs:/{best.run_id}/model", "versions", tags={"k": "v"})
    second = runyard.register_model(f"models:/{first.model_id}", "versions")
    assert (first.version, second.version) == ("1", "2")
    assert second.source == f"models:/{first.model_id}" and second.model_id == first.model_id

    client.set_model_version_tag("versions", "2", "approved", "yes")
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage("versions", "2", "Staging")
    client.set_model_version_tag("versions", key="checked", value="true", stage="Staging")
    assert client.get_model_version("versions", "2").tags == {"approved": "yes", "checked": "true"}
    client.delete_model_version_tag("versions", "2", "approved")
    assert client.get_model_version("versions", "2").tags == {"checked": "true"}
    updated = client.update_model_version("versions", "1", description="baseline")
    assert updated.description == "baseline" and updated.last_updated_timestamp >= updated.creation_timestamp

    found = client.search_model_versions("name = 'versions'", order_by=["version_number DESC"])
    assert [v.version for v in found] == ["2", "1"]
    assert [v.version for v in runyard.search_model_versions(filter_string=f"run_id = '{best.run_id}'")] in (
        ["1", "2"], ["2", "1"])
    assert [v.version for v in runyard.search_model_versions(filter_string="tags.k = 'v'")] == ["1"]

    artifact_uri = client.get_model_version_download_uri("versions", "1")
    assert artifact_uri == runyard.last_logged_model().artifact_location

    copy = client.copy_model_version("models:/versions@" + _set_alias(client, "versions", "2"), "versions-copy")
    assert (copy.name, copy.version, copy.source) == ("versions-copy", "1", "models:/versions/2")
    assert copy.model_id == first.model_id and copy.tags == {"checked": "true"}
    np.testing.assert_allclose(runyard.pyfunc.load_model("models:/versions-copy/1").predict(best.X),
                               best.model.predict(best.X))

    client.delete_model_version("versions", "1")
    with pytest.raises(ResourceDoesNotExist):
        client.get_model_version("versions", "1")
    assert runyard.register_model(f"models:/{first.model_id}", "versions").version == "3"  # never reused
    assert [e.action for e in client.get_registry_history("versions") if e.version == "1"][-1] == \
        RegistryAction.DELETE_VERSION


def _set_alias(client, name: str, version: str) -> str:
    client.set_registered_model_alias(name, "copyme", version)
    return "copyme"


@stages_warn
def test_history_and_version_at(backend):
    best = train_best_run(runyard)
    client = MlflowClient()
    for _ in range(2):
        runyard.register_model(f"runs:/{best.run_id}/model", "timeline")
    client.transition_model_version_stage("timeline", "1", "Production")
    client.set_registered_model_alias("timeline", "champion", "1")
    time.sleep(0.01)
    between = int(time.time() * 1000)
    time.sleep(0.01)
    client.transition_model_version_stage("timeline", "2", "Production", archive_existing_versions=True)
    client.set_registered_model_alias("timeline", "champion", "2")
    after = int(time.time() * 1000)

    assert client.get_version_at("timeline", between, stage="Production") == "1"
    assert client.get_version_at("timeline", between, alias="champion") == "1"
    assert client.get_version_at("timeline", after, stage="production") == "2"
    assert client.get_version_at("timeline", after, alias="champion") == "2"
    assert client.get_version_at("timeline", 0, stage="Production") is None
    with pytest.raises(InvalidParameterValue):
        client.get_version_at("timeline", after)

    events = client.get_registry_history("timeline")
    assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
    moves = [(e.action, e.version, e.key, e.from_value, e.to_value) for e in events
             if e.action in (RegistryAction.TRANSITION_STAGE, RegistryAction.SET_ALIAS)]
    assert moves == [
        (RegistryAction.TRANSITION_STAGE, "1", "Production", "None", "Production"),
        (RegistryAction.SET_ALIAS, "1", "champion", None, "1"),
        (RegistryAction.TRANSITION_STAGE, "1", "Archived", "Production", "Archived"),
        (RegistryAction.TRANSITION_STAGE, "2", "Production", "None", "Production"),
        (RegistryAction.SET_ALIAS, "2", "champion", "1", "2"),
    ]
    assert all(e.user_id for e in events)
    recent = client.get_registry_history("timeline", since=between)
    assert recent and all(e.timestamp >= between for e in recent)
    assert client.get_registry_history("timeline", until=between) == [e for e in events if e.timestamp <= between]


def test_log_model_with_registered_model_name(backend):
    X = np.arange(12.0).reshape(6, 2)
    y = X @ np.array([1.0, 2.0])
    with runyard.start_run():
        info = runyard.sklearn.log_model(LinearRegression().fit(X, y), name="m", registered_model_name="from-log")
        again = runyard.sklearn.log_model(LinearRegression().fit(X, y), name="m2", registered_model_name="from-log")
    assert (info.registered_model_version, again.registered_model_version) == (1, 2)
    mv = MlflowClient().get_model_version("from-log", "1")
    assert mv.source == f"models:/{info.model_id}" and mv.model_id == info.model_id
    np.testing.assert_allclose(runyard.pyfunc.load_model("models:/from-log/latest").predict(X), y)


def test_registry_uri_follows_tracking_unless_set(tracking, tmp_path, monkeypatch):
    assert runyard.get_registry_uri() == tracking and MlflowClient().registry_uri == tracking
    other = f"sqlite:///{tmp_path}/registry.db"
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", other)
    assert runyard.get_registry_uri() == other and MlflowClient().registry_uri == other
    monkeypatch.setenv("RUNYARD_REGISTRY_URI", tracking)
    assert MlflowClient().registry_uri == tracking
    assert MlflowClient(registry_uri=other).registry_uri == other
    runyard.set_registry_uri(other)
    assert runyard.get_registry_uri() == other
    runyard.set_registry_uri(None)
    assert runyard.get_registry_uri() == tracking


def test_unknown_names_and_bad_uris(backend):
    client = MlflowClient()
    with pytest.raises(ResourceDoesNotExist):
        client.get_registered_model("nope")
    with pytest.raises(ResourceDoesNotExist):
        runyard.pyfunc.load_model("models:/nope/1")
    with pytest.raises(ResourceDoesNotExist):
        runyard.pyfunc.load_model("models:/nope/latest")
    with pytest.raises(InvalidParameterValue, match="models:/"):
        runyard.pyfunc.load_model("models:/a/b/c")
    with pytest.raises(InvalidParameterValue, match="copies registered model versions"):
        client.copy_model_version("models:/m-0123456789abcdef0123456789abcdef", "x")
    with runyard.start_run() as run:
        pass
    with pytest.raises(ResourceDoesNotExist, match="logged model"):
        runyard.register_model(f"runs:/{run.info.run_id}/model", "nothing-there")
    assert ModelVersionStage.canonical("archived") == "Archived"
