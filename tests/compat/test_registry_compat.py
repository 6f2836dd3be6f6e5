"""The model registry across the two systems: the stock ``mlflow`` 3.17.2 client drives a runyard
server, and runyard's client drives a real ``mlflow server``."""

from __future__ import annotations

import numpy as np
import pytest

from runyard.errors import EndpointNotFound, InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from tests.compat.names import unique
from tests.registry.seed import assert_loads_every_form, seed_workflow, train_best_run

pytestmark = [
    pytest.mark.filterwarnings(r"ignore:.*Any type hint is inferred as AnyType:UserWarning:mlflow\.types\.type_hints"),
    pytest.mark.filterwarnings(r"ignore:Starting with pandas version 4\.0:pandas.errors.Pandas4Warning:mlflow"),
    # Stages are deprecated in both clients; the seed's users still call them.
    pytest.mark.filterwarnings("ignore:.*Model registry stages will be removed:FutureWarning"),
]
REQUIREMENTS = {"pip_requirements": ["scikit-learn"]}  # inferring them costs mlflow ~10 s


# -- the stock mlflow client against a runyard server ---------------------------------------------
def test_mlflow_client_runs_the_seed_workflow_on_runyard(mlflow):
    mlflow.set_experiment(unique("registry"))
    best = train_best_run(mlflow, **REQUIREMENTS)
    name = unique("HousingPricePredictor")
    mv = seed_workflow(mlflow, mlflow.MlflowClient, best.run_id, name)
    assert mv.version == "1" and mv.run_id == best.run_id
    assert mv.source == f"models:/{mlflow.last_logged_model().model_id}"

    client = mlflow.MlflowClient()
    version = client.get_model_version(name, "1")
    assert (version.current_stage, version.description) == ("Production", "RF, R2=0.85")
    assert version.tags == {"purpose": "production", "approved_by": "alice"} and version.aliases == ["champion"]
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    assert_loads_every_form(mlflow, name, "1", best.X, best.model.predict(best.X))
    assert client.get_registered_model(name).aliases == {"champion": "1"}


def test_mlflow_client_stages_archiving_and_latest_versions(mlflow):
    mlflow.set_experiment(unique("stages"))
    best = train_best_run(mlflow, **REQUIREMENTS)
    name = unique("staged")
    client = mlflow.MlflowClient()
    for _ in range(3):
        mlflow.register_model(f"runs:/{best.run_id}/model", name)
    client.transition_model_version_stage(name, "1", "Production")
    client.transition_model_version_stage(name, "2", "staging")
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage(name, "3", "Production", archive_existing_versions=True)
    stages = {v.version: v.current_stage for v in client.search_model_versions(f"name = '{name}'")}
    assert stages == {"1": "Archived", "2": "Staging", "3": "Production"}
    with pytest.warns(FutureWarning):
        latest = client.get_latest_versions(name, stages=["Production", "Staging"])
    assert sorted((v.current_stage, v.version) for v in latest) == [("Production", "3"), ("Staging", "2")]
    assert {v.current_stage for v in client.get_latest_versions(name)} == {"Archived", "Staging", "Production"}
    loaded = mlflow.pyfunc.load_model(f"models:/{name}/Production")
    np.testing.assert_allclose(loaded.predict(best.X), best.model.predict(best.X))


def test_mlflow_client_aliases_tags_and_searches(mlflow):
    mlflow.set_experiment(unique("aliases"))
    best = train_best_run(mlflow, **REQUIREMENTS)
    client = mlflow.MlflowClient()
    prefix = unique("search")
    client.create_registered_model(f"{prefix}-a", tags={"team": "pricing"}, description="first")
    client.create_registered_model(f"{prefix}-b")
    for _ in range(2):
        mlflow.register_model(f"runs:/{best.run_id}/model", f"{prefix}-a")
    client.set_registered_model_alias(f"{prefix}-a", "champion", "1")
    client.set_registered_model_alias(f"{prefix}-a", "champion", "2")
    client.set_registered_model_alias(f"{prefix}-a", "challenger", "1")
    assert client.get_registered_model(f"{prefix}-a").aliases == {"champion": "2", "challenger": "1"}
    with pytest.raises(mlflow.exceptions.MlflowException) as info:
        client.set_registered_model_alias(f"{prefix}-a", "latest", "1")
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    client.delete_registered_model_alias(f"{prefix}-a", "challenger")
    client.set_model_version_tag(f"{prefix}-a", "2", "approved_by", "alice")
    client.delete_registered_model_tag(f"{prefix}-a", "team")
    client.set_registered_model_tag(f"{prefix}-a", "owner", "ada")

    # The stock client appends `tag.`mlflow.prompt.is_prompt` != 'true'` to every model search.
    found = client.search_registered_models(f"name LIKE '{prefix}%'", order_by=["name DESC"])
    assert [m.name for m in found] == [f"{prefix}-b", f"{prefix}-a"]
    assert [m.name for m in mlflow.search_registered_models(filter_string=f"name = '{prefix}-a'")] == [f"{prefix}-a"]
    assert found[1].tags == {"owner": "ada"} and found[1].description == "first"
    paged = client.search_registered_models(f"name LIKE '{prefix}%'", max_results=1, order_by=["name"])
    assert [m.name for m in paged] == [f"{prefix}-a"] and paged.token
    versions = mlflow.search_model_versions(filter_string=f"name = '{prefix}-a' AND tag.approved_by = 'alice'")
    assert [v.version for v in versions] == ["2"]
    by_run = client.search_model_versions(f"run_id = '{best.run_id}'")
    assert sorted(v.version for v in by_run) == ["1", "2"]

    loaded = mlflow.pyfunc.load_model(f"models:/{prefix}-a@champion")
    np.testing.assert_allclose(loaded.predict(best.X), best.model.predict(best.X))
    copied = client.copy_model_version(f"models:/{prefix}-a@champion", f"{prefix}-copy")
    assert (copied.name, copied.version, copied.source) == (f"{prefix}-copy", "1", f"models:/{prefix}-a/2")

    client.rename_registered_model(f"{prefix}-b", f"{prefix}-c")
    client.delete_model_version(f"{prefix}-a", "1")
    assert [v.version for v in client.search_model_versions(f"name = '{prefix}-a'")] == ["2"]
    client.delete_registered_model(f"{prefix}-c")
    with pytest.raises(mlflow.exceptions.MlflowException) as info:
        client.get_registered_model(f"{prefix}-c")
    assert info.value.error_code == "RESOURCE_DOES_NOT_EXIST"


# -- runyard's client against a real mlflow server ------------------------------------------------
def test_runyard_client_on_mlflow_registers_promotes_and_loads(runyard_on_mlflow):
    runyard = runyard_on_mlflow
    runyard.set_experiment(unique("registry"))
    best = train_best_run(runyard)
    name = unique("HousingPricePredictor")
    mv = seed_workflow(runyard, runyard.MlflowClient, best.run_id, name)
    logged = runyard.last_logged_model()
    assert (mv.version, mv.source, mv.model_id) == ("1", f"models:/{logged.model_id}", logged.model_id)

    client = runyard.MlflowClient()
    version = client.get_model_version(name, "1")
    assert (version.current_stage, version.description, version.aliases) == ("Production", "RF, R2=0.85",
                                                                              ("champion",))
    assert version.tags == {"purpose": "production", "approved_by": "alice"}
    assert version.model_id == logged.model_id  # implied by the source (MLflow does not send it)
    assert_loads_every_form(runyard, name, "1", best.X, best.model.predict(best.X))

    second = runyard.register_model(f"models:/{logged.model_id}", name)
    client.transition_model_version_stage(name, second.version, "Production", archive_existing_versions=True)
    assert client.get_model_version(name, "1").current_stage == "Archived"
    with pytest.warns(FutureWarning):
        latest = client.get_latest_versions(name, ["Production"])
    assert [v.version for v in latest] == ["2"]
    client.set_registered_model_alias(name, "champion", "2")
    assert client.get_registered_model(name).aliases == {"champion": "2"}
    assert client.get_model_version_download_uri(name, "2") == logged.artifact_location
    with pytest.raises(InvalidParameterValue):
        client.set_registered_model_alias(name, "v3", "1")
    with pytest.raises(ResourceAlreadyExists):
        client.create_registered_model(name)
    # The audit trail is runyard's own: an MLflow server has no such route.
    with pytest.raises(EndpointNotFound, match="audit trail"):
        client.get_registry_history(name)


def test_runyard_client_on_mlflow_searches_and_deletes(runyard_on_mlflow):
    runyard = runyard_on_mlflow
    client = runyard.MlflowClient()
    prefix = unique("rsearch")
    client.create_registered_model(f"{prefix}-a", tags={"team": "pricing"})
    client.create_registered_model(f"{prefix}-b", description="second")
    client.update_registered_model(f"{prefix}-a", description="first")
    found = client.search_registered_models(f"name LIKE '{prefix}%'", order_by=["name DESC"])
    assert [(m.name, m.description) for m in found] == [(f"{prefix}-b", "second"), (f"{prefix}-a", "first")]
    assert [m.name for m in runyard.search_registered_models(filter_string=f"tags.team = 'pricing'")
            if m.name.startswith(prefix)] == [f"{prefix}-a"]
    page = client.search_registered_models(f"name LIKE '{prefix}%'", max_results=1, order_by=["name"])
    assert [m.name for m in page] == [f"{prefix}-a"]
    rest = client.search_registered_models(f"name LIKE '{prefix}%'", max_results=1, order_by=["name"],
                                           page_token=page.token)
    assert [m.name for m in rest] == [f"{prefix}-b"]

    runyard.set_experiment(unique("rsearch"))
    best = train_best_run(runyard)
    for _ in range(2):
        runyard.register_model(f"runs:/{best.run_id}/model", f"{prefix}-a", tags={"k": "v"})
    client.set_model_version_tag(f"{prefix}-a", "2", "approved_by", "alice")
    versions = runyard.search_model_versions(filter_string=f"name = '{prefix}-a' AND tag.approved_by = 'alice'")
    assert [v.version for v in versions] == ["2"]
    client.delete_model_version(f"{prefix}-a", "1")
    with pytest.raises(ResourceDoesNotExist):
        client.get_model_version(f"{prefix}-a", "1")
    client.rename_registered_model(f"{prefix}-b", f"{prefix}-c")
    client.delete_registered_model(f"{prefix}-c")
    with pytest.raises(ResourceDoesNotExist):
        client.get_registered_model(f"{prefix}-c")
