"""Promotion policies: read from JSON or YAML files (the server's --promotion-policy), checked
against a version's tags and stage history, and the registry store factory that takes them."""

from __future__ import annotations

import pytest

from runyard.errors import InvalidParameterValue, PermissionDenied
from runyard.stores import factory
from runyard.stores.promotion import check_promotion, load_promotion_policy, parse_promotion_policy
from runyard.stores.registry import PromotionPolicy, PromotionRule
from runyard.stores.sql.registry_store import SqlRegistryStore

EXPECTED = PromotionPolicy(rules=(
    PromotionRule("Production", {"validation_status": "approved"}, "Staging"),
    PromotionRule("Staging", {}, None),
))


def test_json_and_yaml_files(tmp_path):
    (tmp_path / "policy.json").write_text(
        '{"rules": [{"stage": "production", "required_tags": {"validation_status": "approved"},'
        ' "required_previous_stage": "STAGING"}, {"stage": "Staging"}]}')
    (tmp_path / "policy.yaml").write_text(
        "rules:\n"
        "  - stage: Production\n"
        "    required_tags:\n"
        "      validation_status: approved\n"
        "    required_previous_stage: staging\n"
        "  - stage: staging\n")
    assert load_promotion_policy(tmp_path / "policy.json") == EXPECTED
    assert load_promotion_policy(str(tmp_path / "policy.yaml")) == EXPECTED
    assert factory.load_promotion_policy is load_promotion_policy
    (tmp_path / "empty.yml").write_text("")
    assert load_promotion_policy(tmp_path / "empty.yml") == PromotionPolicy()
    assert parse_promotion_policy([{"stage": "Archived"}]) == PromotionPolicy((PromotionRule("Archived"),))


@pytest.mark.parametrize(("content", "message"), [
    ('{"rules": [{"stage": "Deployed"}]}', r"rules\[0\]: Invalid Model Version stage: 'Deployed'"),
    ('{"rules": [{"required_tags": {}}]}', r"rules\[0\]: Invalid Model Version stage: None"),
    ('{"rules": [{"stage": "Production", "needs": 1}]}', r"rules\[0\] has unknown key\(s\) needs"),
    ('{"rules": [{"stage": "Production", "required_tags": {"a": 1}}]}', r"required_tags must map"),
    ('{"rules": [{"stage": "Production", "required_previous_stage": "Later"}]}', "Later"),
    ('{"rules": ["Production"]}', r"rules\[0\] must be an object"),
    ('{"rule": []}', r"unknown top-level key\(s\) rule"),
    ('{"rules": {}}', r"expected \{'rules': \[...\]\}"),
    ("{not json", "not valid JSON"),
])
def test_bad_json_policies_name_the_problem(tmp_path, content, message):
    path = tmp_path / "policy.json"
    path.write_text(content)
    with pytest.raises(InvalidParameterValue, match=message) as info:
        load_promotion_policy(path)
    assert str(path) in info.value.message


def test_unreadable_and_bad_yaml(tmp_path):
    with pytest.raises(InvalidParameterValue, match="cannot read it"):
        load_promotion_policy(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("rules: [unclosed\n")
    with pytest.raises(InvalidParameterValue, match="not valid YAML"):
        load_promotion_policy(tmp_path / "bad.yaml")


def test_check_promotion():
    check_promotion(None, "M", "1", "Production", {}, {"None"})
    check_promotion(EXPECTED, "M", "1", "Archived", {}, {"None"})
    check_promotion(EXPECTED, "M", "1", "Production", {"validation_status": "approved"}, {"None", "Staging"})
    with pytest.raises(PermissionDenied, match="^Moving M version 1 to Production requires the tag "
                                               "validation_status=approved"):
        check_promotion(EXPECTED, "M", "1", "Production", {}, {"None", "Staging"})
    with pytest.raises(PermissionDenied, match="has been in Staging first"):
        check_promotion(EXPECTED, "M", "1", "Production", {"validation_status": "approved"}, {"None"})


def test_registry_store_for(tmp_path):
    uri = f"sqlite:///{tmp_path}/runyard.db"
    root = (tmp_path / "artifacts").as_uri()
    try:
        plain = factory.registry_store_for(uri, root)
        assert isinstance(plain, SqlRegistryStore) and plain.artifact_root == root
        assert plain.promotion_policy is None
        assert factory.registry_store_for(uri, root) is plain
        governed = factory.registry_store_for(uri, root, promotion_policy=EXPECTED)
        assert governed is not plain and governed.promotion_policy == EXPECTED
        assert factory.registry_store_for(uri, root, promotion_policy=EXPECTED) is governed
        with pytest.raises(InvalidParameterValue, match="Unsupported registry URI"):
            factory.registry_store_for("ftp://x")
    finally:
        factory.clear_cache()
    assert factory.registry_store_for(uri, root) is not plain
    factory.clear_cache()
