"""Registered models: create, get, update, rename, delete, tags, validation, search and paging."""

from __future__ import annotations

import time

import pytest

from runyard.entities.registry import ModelVersionTag, RegisteredModelTag
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from runyard.search import decode_page_token
from tests.store_contract.conftest import registry_backends

pytestmark = registry_backends

PROMPT_FILTER = "tag.`mlflow.prompt.is_prompt` != 'true'"  # what the stock client appends


def names(models) -> list[str]:
    return [m.name for m in models]


def source_in_root(registry, name: str = "model") -> str:
    return f"{registry.artifact_root}/{name}"


def test_create_get_and_the_duplicate(registry):
    created = registry.create_registered_model("Housing", [RegisteredModelTag("team", "ml")], "prices")
    assert (created.name, created.tags, created.description) == ("Housing", {"team": "ml"}, "prices")
    assert created.creation_timestamp == created.last_updated_timestamp > 0
    got = registry.get_registered_model("Housing")
    assert got == created
    assert got.latest_versions == () and got.aliases == {}
    with pytest.raises(ResourceAlreadyExists, match=r"Registered Model \(name=Housing\) already exists"):
        registry.create_registered_model("Housing")
    assert ResourceAlreadyExists("x").get_http_status_code() == 400


def test_missing_model_errors_name_it(registry):
    for call in (lambda: registry.get_registered_model("nope"),
                 lambda: registry.update_registered_model("nope", "d"),
                 lambda: registry.rename_registered_model("nope", "other"),
                 lambda: registry.delete_registered_model("nope"),
                 lambda: registry.get_latest_versions("nope"),
                 lambda: registry.set_registered_model_tag("nope", RegisteredModelTag("k", "v")),
                 lambda: registry.delete_registered_model_tag("nope", "k")):
        with pytest.raises(ResourceDoesNotExist, match=r"^Registered Model with name=nope not found$"):
            call()


def test_invalid_names_are_refused(registry):
    for bad in ("", "  ", "a/b", "a:b", "a%2Fb", "a%253Ab", "./a", "a/../b", "..", "x\ny", "n" * 257, None, 3):
        with pytest.raises(InvalidParameterValue):
            registry.create_registered_model(bad)
    assert registry.search_registered_models() == []


def test_names_keep_spaces_unicode_and_percent(registry):
    for name in ("my model", "modèle-1", "50% off", "n" * 256):
        assert registry.create_registered_model(name).name == name
        assert registry.get_registered_model(name).name == name


def test_tag_rules(registry):
    registry.create_registered_model("m")
    with pytest.raises(InvalidParameterValue, match="limit of 250"):
        registry.set_registered_model_tag("m", RegisteredModelTag("k" * 251, "v"))
    with pytest.raises(InvalidParameterValue, match="limit of 100000"):
        registry.set_registered_model_tag("m", RegisteredModelTag("k", "v" * 100_001))
    with pytest.raises(InvalidParameterValue, match="must be a string"):
        registry.set_registered_model_tag("m", RegisteredModelTag("k", None))
    with pytest.raises(InvalidParameterValue):
        registry.create_registered_model("other", [RegisteredModelTag("../k", "v")])
    registry.set_registered_model_tag("m", RegisteredModelTag("big", "é" * 100_000))
    registry.set_registered_model_tag("m", RegisteredModelTag("k", "1"))
    registry.set_registered_model_tag("m", RegisteredModelTag("k", "2"))
    assert registry.get_registered_model("m").tags == {"big": "é" * 100_000, "k": "2"}
    registry.delete_registered_model_tag("m", "k")
    registry.delete_registered_model_tag("m", "k")  # a missing tag is no error, as in MLflow
    assert registry.get_registered_model("m").tags == {"big": "é" * 100_000}


def test_update_description(registry):
    registry.create_registered_model("m", description="first")
    updated = registry.update_registered_model("m", "second")
    assert updated.description == "second"
    assert updated.last_updated_timestamp >= updated.creation_timestamp
    assert registry.update_registered_model("m", None).description is None
    with pytest.raises(InvalidParameterValue, match="limit of 5000"):
        registry.update_registered_model("m", "d" * 5001)


def test_rename_moves_versions_and_aliases(registry):
    registry.create_registered_model("old", [RegisteredModelTag("t", "1")])
    registry.create_model_version("old", source_in_root(registry), tags=[ModelVersionTag("k", "v")])
    registry.create_model_version("old", source_in_root(registry))
    registry.set_registered_model_alias("old", "champion", "2")
    renamed = registry.rename_registered_model("old", "new")
    assert renamed.name == "new" and renamed.tags == {"t": "1"} and renamed.aliases == {"champion": "2"}
    with pytest.raises(ResourceDoesNotExist):
        registry.get_registered_model("old")
    assert registry.get_model_version("new", "1").tags == {"k": "v"}
    assert registry.get_model_version_by_alias("new", "champion").version == "2"
    assert registry.create_model_version("new", source_in_root(registry)).version == "3"
    registry.create_registered_model("taken")
    with pytest.raises(ResourceAlreadyExists, match=r"name=taken"):
        registry.rename_registered_model("new", "taken")
    with pytest.raises(InvalidParameterValue):
        registry.rename_registered_model("new", "a/b")
    assert registry.rename_registered_model("new", "new").name == "new"


def test_delete_removes_versions_tags_and_aliases(registry):
    registry.create_registered_model("m", [RegisteredModelTag("t", "1")])
    registry.create_model_version("m", source_in_root(registry), tags=[ModelVersionTag("k", "v")])
    registry.set_registered_model_alias("m", "a", "1")
    registry.delete_registered_model("m")
    with pytest.raises(ResourceDoesNotExist):
        registry.get_registered_model("m")
    assert registry.search_model_versions("name = 'm'") == []
    # A new model of that name starts afresh (as MLflow's cascade does).
    recreated = registry.create_registered_model("m")
    assert recreated.tags == {} and recreated.aliases == {}
    assert registry.create_model_version("m", source_in_root(registry)).version == "1"
    assert registry.get_model_version("m", "1").tags == {}


def _seed(registry):
    for name, team in (("alpha", "a"), ("Beta", "b"), ("gamma", "a"), ("delta.v2", "b")):
        registry.create_registered_model(name, [RegisteredModelTag("team", team),
                                                RegisteredModelTag("mlflow.source", "x")])


def test_search_filters(registry):
    _seed(registry)
    assert names(registry.search_registered_models()) == ["Beta", "alpha", "delta.v2", "gamma"]
    assert names(registry.search_registered_models("name = 'alpha'")) == ["alpha"]
    assert names(registry.search_registered_models("name != 'alpha'")) == ["Beta", "delta.v2", "gamma"]
    assert names(registry.search_registered_models("name LIKE '%a'")) == ["Beta", "alpha", "gamma"]
    assert names(registry.search_registered_models("name LIKE 'b%'")) == []
    assert names(registry.search_registered_models("name ILIKE 'b%'")) == ["Beta"]
    assert names(registry.search_registered_models("name IN ('alpha', 'gamma')")) == ["alpha", "gamma"]
    assert names(registry.search_registered_models("tags.team = 'a'")) == ["alpha", "gamma"]
    assert names(registry.search_registered_models("tag.team != 'a'")) == ["Beta", "delta.v2"]
    assert names(registry.search_registered_models("tags.`mlflow.source` = 'x' AND name ILIKE '%ta%'")) == [
        "Beta", "delta.v2"]
    assert names(registry.search_registered_models('tags."team" LIKE \'b\'')) == ["Beta", "delta.v2"]
    assert names(registry.search_registered_models("tags.missing = 'a'")) == []


def test_search_with_the_stock_clients_prompt_filter(registry):
    _seed(registry)
    registry.create_registered_model("a-prompt", [RegisteredModelTag("mlflow.prompt.is_prompt", "true")])
    registry.create_registered_model("not-prompt", [RegisteredModelTag("mlflow.prompt.is_prompt", "false")])
    everything = ["Beta", "alpha", "delta.v2", "gamma", "not-prompt"]
    assert names(registry.search_registered_models(PROMPT_FILTER)) == everything
    assert names(registry.search_registered_models()) == everything  # prompts are left out by default
    assert names(registry.search_registered_models(f"name LIKE '%ta%' AND {PROMPT_FILTER}")) == ["Beta", "delta.v2"]
    assert names(registry.search_registered_models(f"tags.team = 'a' AND {PROMPT_FILTER}")) == ["alpha", "gamma"]
    assert names(registry.search_registered_models("tags.`mlflow.prompt.is_prompt` = 'true'")) == ["a-prompt"]


def test_search_grammar_errors(registry):
    for bad in ("name = 'a' OR name = 'b'", "(name = 'a')", "run_id = 'x'", "metrics.x > 1", "name > 'a'",
                "tags.team IN ('a')", "name = alpha", "tags.team IS NULL"):
        with pytest.raises(InvalidParameterValue):
            registry.search_registered_models(bad)


def test_search_order_and_paging(registry):
    _seed(registry)
    time.sleep(0.005)
    registry.update_registered_model("alpha", "touched")  # newest last_updated_timestamp
    assert names(registry.search_registered_models(order_by=["name DESC"])) == ["gamma", "delta.v2", "alpha", "Beta"]
    assert names(registry.search_registered_models(order_by=["timestamp DESC"]))[0] == "alpha"
    assert names(registry.search_registered_models(order_by=["last_updated_timestamp DESC"]))[0] == "alpha"
    by_creation = registry.search_registered_models(order_by=["creation_timestamp DESC"])
    assert [(-m.creation_timestamp, m.name) for m in by_creation] == sorted(
        (-m.creation_timestamp, m.name) for m in by_creation)
    with pytest.raises(InvalidParameterValue):
        registry.search_registered_models(order_by=["tags.team"])
    with pytest.raises(InvalidParameterValue):
        registry.search_registered_models(order_by=["name", "name DESC"])
    seen, token = [], None
    for _ in range(3):
        page = registry.search_registered_models(max_results=3, page_token=token)
        seen += names(page)
        token = page.token
        if token is None:
            break
    assert seen == ["Beta", "alpha", "delta.v2", "gamma"]
    first = registry.search_registered_models(max_results=3)
    assert decode_page_token(first.token) == 3
    assert registry.search_registered_models(max_results=4).token is None
    for bad in (0, -1, 1001, True, "5"):
        with pytest.raises(InvalidParameterValue, match="max_results"):
            registry.search_registered_models(max_results=bad)
    with pytest.raises(InvalidParameterValue, match="page token"):
        registry.search_registered_models(page_token="not-a-token")
