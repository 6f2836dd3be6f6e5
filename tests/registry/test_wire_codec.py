"""Registry JSON (reference section 7) and ``models:/`` URI forms (section 11), without a store."""

from __future__ import annotations

import pytest

from runyard.entities.registry import ModelVersion, RegisteredModel, RegistryEvent
from runyard.errors import InvalidParameterValue
from runyard.uris import ModelsUri, parse_models_uri
from runyard.wire import codec_registry, messages


def test_model_version_json_as_mlflow_serves_it() -> None:
    mv = ModelVersion(name="n", version="2", creation_timestamp=5, last_updated_timestamp=6,
                      source="models:/m-1", run_id="r", aliases=("champion",), tags={"k": "v"}, model_id="m-1")
    body = codec_registry.encode_model_version(mv)
    assert body == {"name": "n", "version": "2", "creation_timestamp": 5, "last_updated_timestamp": 6,
                    "current_stage": "None", "description": "", "source": "models:/m-1", "run_id": "r",
                    "status": "READY", "tags": [{"key": "k", "value": "v"}], "run_link": "",
                    "aliases": ["champion"], "model_id": "m-1"}
    assert codec_registry.decode_model_version(body) == ModelVersion(
        name="n", version="2", creation_timestamp=5, last_updated_timestamp=6, description="", source="models:/m-1",
        run_id="r", aliases=("champion",), tags={"k": "v"}, run_link="", model_id="m-1")


def test_registered_model_json_as_mlflow_serves_it() -> None:
    latest = ModelVersion(name="n", version="1", creation_timestamp=1, current_stage="Production")
    rm = RegisteredModel(name="n", creation_timestamp=1, last_updated_timestamp=2, latest_versions=(latest,),
                         aliases={"champion": "1"}, tags={"t": "x"})
    body = codec_registry.encode_registered_model(rm)
    assert "description" not in body and body["aliases"] == [{"alias": "champion", "version": "1"}]
    assert body["latest_versions"][0]["current_stage"] == "Production" and body["tags"] == [{"key": "t", "value": "x"}]
    decoded = codec_registry.decode_registered_model(body)
    assert decoded.aliases == {"champion": "1"} and decoded.latest_versions[0].version == "1"
    assert codec_registry.encode_registered_model(RegisteredModel("bare", 1)) == {"name": "bare",
                                                                                  "creation_timestamp": 1}


def test_model_id_is_implied_by_a_logged_model_source() -> None:
    # MLflow servers leave model_id out; the source carries it.
    decoded = codec_registry.decode_model_version({"name": "n", "version": 2, "source": "models:/m-123"})
    assert decoded.model_id == "m-123" and decoded.current_stage == "None" and decoded.version == "2"
    assert codec_registry.model_id_of_source("models:/name/1") is None
    assert codec_registry.model_id_of_source("s3://b/m-1") is None


def test_events_round_trip() -> None:
    event = RegistryEvent(event_id=3, name="n", action="SET_ALIAS", timestamp=9, user_id="ada", version="2",
                          key="champion", from_value="1", to_value="2")
    assert codec_registry.decode_registry_event(codec_registry.encode_registry_event(event)) == event
    bare = RegistryEvent(event_id=1, name="n", action="CREATE_MODEL", timestamp=1)
    assert codec_registry.encode_registry_event(bare) == {"event_id": 1, "name": "n", "action": "CREATE_MODEL",
                                                          "timestamp": 1}


def test_request_messages() -> None:
    decoded = messages.decode("TransitionModelVersionStage",
                              {"name": "n", "version": 3, "stage": "production", "archiveExistingVersions": True})
    assert decoded == {"name": "n", "version": "3", "stage": "production", "archive_existing_versions": True}
    with pytest.raises(InvalidParameterValue, match="archive_existing_versions"):
        messages.decode("TransitionModelVersionStage", {"name": "n", "version": "1", "stage": "None"})
    query = messages.decode_query("GetLatestVersions", [("name", "n"), ("stages", "Staging"), ("stages", "None")])
    assert query == {"name": "n", "stages": ["Staging", "None"]}
    assert messages.decode("SetModelVersionTag", {"name": "n", "version": "1", "key": "k", "value": ""})["value"] == ""


@pytest.mark.parametrize("uri,parsed", [
    ("models:/m-abc", ModelsUri(model_id="m-abc")),
    ("models:/House/3", ModelsUri(name="House", version="3")),
    ("models:/House/007", ModelsUri(name="House", version="7")),
    ("models:/House/Production", ModelsUri(name="House", stage="Production")),
    ("models:/House/LATEST", ModelsUri(name="House")),
    ("models:/House@champion", ModelsUri(name="House", alias="champion")),
])
def test_models_uri_forms(uri, parsed) -> None:
    assert parse_models_uri(uri) == parsed


@pytest.mark.parametrize("uri", ["models:/", "models:/a/b/c", "models:/@x", "models:/a@", "models://p/a/1", "runs:/x"])
def test_improper_models_uris(uri) -> None:
    with pytest.raises(InvalidParameterValue, match="Not a proper models:/ URI"):
        parse_models_uri(uri)
