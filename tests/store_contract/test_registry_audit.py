"""The registry's audit trail (who, when, from, to; history across renames and deletes; the version
that held a stage or alias at a time) and promotion rules checked inside the transition."""

from __future__ import annotations

import time

import pytest

from runyard.entities.registry import ModelVersionTag, RegistryAction
from runyard.errors import InvalidParameterValue, PermissionDenied, ResourceDoesNotExist
from runyard.stores.registry import PromotionPolicy, PromotionRule, acting_user
from runyard.stores.rest.registry_store import RestRegistryStore
from runyard.stores.sql.registry_store import SqlRegistryStore
from tests.store_contract.conftest import registry_backends

pytestmark = registry_backends

A = RegistryAction


def in_root(registry) -> str:
    return f"{registry.artifact_root}/model"


def tick() -> int:
    """A timestamp strictly between the events before and after it."""
    time.sleep(0.003)
    now = int(time.time() * 1000)
    time.sleep(0.003)
    return now


def summary(events) -> list[tuple]:
    return [(e.action, e.name, e.version, e.key, e.from_value, e.to_value) for e in events]


@pytest.fixture
def as_alice(registry):
    if isinstance(registry, RestRegistryStore):
        pytest.skip("through a server the acting user is the client's Basic-auth name, not this process's "
                    "context (tests/registry/test_routes.py)")
    token = acting_user.set("alice")
    yield "alice"
    acting_user.reset(token)


def test_every_change_is_recorded_with_who_when_from_and_to(registry, as_alice):
    start = int(time.time() * 1000)
    registry.create_registered_model("M")
    for _ in range(3):
        registry.create_model_version("M", in_root(registry))
    registry.transition_model_version_stage("M", "1", "Production", False)
    registry.transition_model_version_stage("M", "2", "Staging", False)
    registry.transition_model_version_stage("M", "2", "Production", True)  # archives 1
    registry.set_registered_model_alias("M", "champion", "1")
    registry.set_registered_model_alias("M", "champion", "2")
    registry.delete_registered_model_alias("M", "champion")
    registry.set_registered_model_alias("M", "old", "3")
    registry.delete_model_version("M", "3")  # drops alias 'old' with it
    registry.update_model_version("M", "1", "not audited")
    registry.set_model_version_tag("M", "1", ModelVersionTag("k", "v"))
    history = registry.get_registry_history("M")
    assert summary(history) == [
        (A.CREATE_MODEL, "M", None, None, None, None),
        (A.CREATE_VERSION, "M", "1", None, None, "None"),
        (A.CREATE_VERSION, "M", "2", None, None, "None"),
        (A.CREATE_VERSION, "M", "3", None, None, "None"),
        (A.TRANSITION_STAGE, "M", "1", "Production", "None", "Production"),
        (A.TRANSITION_STAGE, "M", "2", "Staging", "None", "Staging"),
        (A.TRANSITION_STAGE, "M", "1", "Archived", "Production", "Archived"),
        (A.TRANSITION_STAGE, "M", "2", "Production", "Staging", "Production"),
        (A.SET_ALIAS, "M", "1", "champion", None, "1"),
        (A.SET_ALIAS, "M", "2", "champion", "1", "2"),
        (A.DELETE_ALIAS, "M", "2", "champion", "2", None),
        (A.SET_ALIAS, "M", "3", "old", None, "3"),
        (A.DELETE_ALIAS, "M", "3", "old", "3", None),
        (A.DELETE_VERSION, "M", "3", None, "None", None),
    ]
    assert {e.user_id for e in history} == {"alice"}
    assert all(start <= e.timestamp <= int(time.time() * 1000) for e in history)
    assert [e.event_id for e in history] == sorted(e.event_id for e in history)
    assert [e.timestamp for e in history] == sorted(e.timestamp for e in history)


def test_the_local_user_is_recorded_when_no_one_is_acting(registry, monkeypatch):
    monkeypatch.setenv("RUNYARD_USER", "carol")
    registry.create_registered_model("M")
    assert [e.user_id for e in registry.get_registry_history("M")] == ["carol"]


def test_history_bounds_renames_and_deletes(registry):
    registry.create_registered_model("M")
    registry.create_model_version("M", in_root(registry))
    middle = tick()
    registry.transition_model_version_stage("M", "1", "Staging", False)
    assert [e.action for e in registry.get_registry_history("M", until=middle)] == [A.CREATE_MODEL, A.CREATE_VERSION]
    assert [e.action for e in registry.get_registry_history("M", since=middle)] == [A.TRANSITION_STAGE]
    exact = registry.get_registry_history("M")[1].timestamp
    assert A.CREATE_VERSION in [e.action for e in registry.get_registry_history("M", since=exact, until=exact)]

    registry.rename_registered_model("M", "N")
    registry.set_registered_model_alias("N", "a", "1")
    # A name's history is the whole life of every model that bore it, each event under the name of the day.
    assert summary(registry.get_registry_history("N"))[-2:] == [
        (A.RENAME_MODEL, "M", None, None, "M", "N"), (A.SET_ALIAS, "N", "1", "a", None, "1")]
    assert registry.get_registry_history("M") == registry.get_registry_history("N")
    assert len(registry.get_registry_history("N")) == 5
    registry.create_registered_model("M")  # a new model under the old name joins M's history
    assert [e.action for e in registry.get_registry_history("M")][-1] == A.CREATE_MODEL
    assert len(registry.get_registry_history("M")) == 6 and len(registry.get_registry_history("N")) == 5

    registry.delete_registered_model("N")
    assert [e.action for e in registry.get_registry_history("N")][-1] == A.DELETE_MODEL
    registry.create_registered_model("N")  # a new model of the old name: both lives are listed
    assert [e.action for e in registry.get_registry_history("N")][-2:] == [A.DELETE_MODEL, A.CREATE_MODEL]
    with pytest.raises(ResourceDoesNotExist, match="Registered Model with name=never not found"):
        registry.get_registry_history("never")
    with pytest.raises(InvalidParameterValue):
        registry.get_registry_history("M", since="yesterday")


def test_version_at(registry):
    registry.create_registered_model("M")
    before_versions = tick()
    for _ in range(3):
        registry.create_model_version("M", in_root(registry))
    registry.transition_model_version_stage("M", "1", "Production", False)
    registry.set_registered_model_alias("M", "champion", "1")
    t1 = tick()
    registry.transition_model_version_stage("M", "2", "Production", False)  # two in Production
    t2 = tick()
    registry.transition_model_version_stage("M", "3", "Production", True)
    registry.set_registered_model_alias("M", "champion", "3")
    t3 = tick()
    registry.delete_model_version("M", "3")
    t4 = tick()
    registry.rename_registered_model("M", "Renamed")
    t5 = tick()

    def at(t, **kw):
        return registry.get_version_at("M", t, **kw)

    assert at(before_versions, stage="Production") is None and at(before_versions, alias="champion") is None
    assert (at(t1, stage="Production"), at(t1, stage="None"), at(t1, alias="champion")) == ("1", "3", "1")
    assert at(t2, stage="production") == "2"  # several held it: the highest
    assert (at(t3, stage="Production"), at(t3, stage="Archived"), at(t3, alias="champion")) == ("3", "2", "3")
    assert (at(t4, stage="Production"), at(t4, alias="champion")) == (None, None)
    assert at(t4, stage="Archived") == "2"
    # After the rename nothing is called M; the new name answers from the rename on.
    assert at(t5, stage="Archived") is None
    assert registry.get_version_at("Renamed", t5, stage="Archived") == "2"
    assert registry.get_version_at("Renamed", t1, alias="champion") is None
    registry.delete_registered_model("Renamed")
    assert registry.get_version_at("Renamed", t5, stage="Archived") == "2"
    assert registry.get_version_at("Renamed", int(time.time() * 1000) + 1, stage="Archived") is None
    for bad in ({}, {"stage": "Production", "alias": "champion"}, {"stage": "Deployed"}, {"alias": "a b"}):
        with pytest.raises(InvalidParameterValue):
            registry.get_version_at("M", t1, **bad)
    with pytest.raises(ResourceDoesNotExist):
        registry.get_version_at("never", t1, stage="Production")


POLICY = PromotionPolicy(rules=(
    PromotionRule("Production", required_tags={"validation_status": "approved"},
                  required_previous_stage="Staging"),
))


@pytest.fixture
def governed(registry):
    """The registry with a promotion policy (same database)."""
    if isinstance(registry, RestRegistryStore):
        pytest.skip("a server's policy is set at its start (tests/registry/test_promotion_policy.py)")
    store = SqlRegistryStore(registry.uri, POLICY, default_artifact_root=registry.artifact_root)
    yield store
    store.close()


def test_promotion_rules_refuse_with_the_rule_that_failed(governed):
    name = "HousingPricePredictor"
    governed.create_registered_model(name)
    for _ in range(3):
        governed.create_model_version(name, in_root(governed))
    # Without the policy's conditions the transition is refused and nothing changes.
    with pytest.raises(PermissionDenied, match=(
            r"^Moving HousingPricePredictor version 3 to Production requires the tag "
            r"validation_status=approved \(it is not set\)$")) as info:
        governed.transition_model_version_stage(name, "3", "Production", True)
    assert info.value.error_code == "PERMISSION_DENIED" and info.value.get_http_status_code() == 403
    governed.set_model_version_tag(name, "3", ModelVersionTag("validation_status", "pending"))
    with pytest.raises(PermissionDenied, match=r"validation_status=approved \(it is 'pending'\)"):
        governed.transition_model_version_stage(name, "3", "Production", False)
    governed.set_model_version_tag(name, "3", ModelVersionTag("validation_status", "approved"))
    with pytest.raises(PermissionDenied, match="requires that the version has been in Staging first"):
        governed.transition_model_version_stage(name, "3", "Production", False)
    assert governed.get_model_version(name, "3").current_stage == "None"
    assert A.TRANSITION_STAGE not in [e.action for e in governed.get_registry_history(name)]
    # Other stages are not governed; once it has been in Staging, Production is allowed.
    governed.transition_model_version_stage(name, "3", "Staging", False)
    governed.transition_model_version_stage(name, "3", "Archived", False)
    assert governed.transition_model_version_stage(name, "3", "Production", True).current_stage == "Production"


def test_policy_applies_per_store(registry, governed):
    registry.create_registered_model("M")
    registry.create_model_version("M", in_root(registry))
    with pytest.raises(PermissionDenied):
        governed.transition_model_version_stage("M", "1", "Production", False)
    assert registry.transition_model_version_stage("M", "1", "Production", False).current_stage == "Production"
