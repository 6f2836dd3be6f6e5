"""The registered-model and model-version search grammars (no store involved)."""

from __future__ import annotations

import pytest

from runyard.errors import InvalidParameterValue
from runyard.search import (
    Comparison as C,
    OrderBy,
    parse_model_version_filter,
    parse_model_version_order_by,
    parse_registered_model_filter,
    parse_registered_model_order_by,
)


def test_the_stock_clients_prompt_filter():
    assert parse_registered_model_filter("name ILIKE '%house%' AND tag.`mlflow.prompt.is_prompt` != 'true'") == [
        C("attribute", "name", "ILIKE", "%house%"), C("tag", "mlflow.prompt.is_prompt", "!=", "true")]
    assert parse_registered_model_filter("tags.\"a b\" = 'x' AND attributes.name IN ('m', 'n')") == [
        C("tag", "a b", "=", "x"), C("attribute", "name", "IN", ("m", "n"))]


def test_model_version_attributes_and_aliases():
    assert parse_model_version_filter(
        "name = 'm' AND version >= 2 AND version_number < 9 AND run_id IN ('a') AND source LIKE 's3://%' "
        "AND source_path != 'x' AND tags.k = 'v'") == [
        C("attribute", "name", "=", "m"), C("attribute", "version_number", ">=", 2.0),
        C("attribute", "version_number", "<", 9.0), C("attribute", "run_id", "IN", ("a",)),
        C("attribute", "source_path", "LIKE", "s3://%"), C("attribute", "source_path", "!=", "x"),
        C("tag", "k", "=", "v")]


def test_orderings():
    assert parse_registered_model_order_by(["timestamp DESC", "name"]) == [
        OrderBy("attribute", "last_updated_timestamp", False), OrderBy("attribute", "name", True)]
    assert parse_registered_model_order_by(["creation_timestamp"]) == [OrderBy("attribute", "creation_timestamp", True)]
    assert parse_model_version_order_by(["version DESC", "last_updated_timestamp"]) == [
        OrderBy("attribute", "version_number", False), OrderBy("attribute", "last_updated_timestamp", True)]


@pytest.mark.parametrize(("parse", "text"), [
    (parse_registered_model_filter, "run_id = 'x'"),
    (parse_registered_model_filter, "name = 'a' OR name = 'b'"),
    (parse_registered_model_filter, "tags.k IS NULL"),
    (parse_registered_model_filter, "metrics.x > 1"),
    (parse_model_version_filter, "version_number = '1'"),
    (parse_model_version_filter, "source_path IN ('a')"),
    (parse_model_version_filter, "current_stage = 'Production'"),
    (parse_model_version_filter, "tags.k IN ('a')"),
    (parse_registered_model_order_by, ["tags.k"]),
    (parse_model_version_order_by, ["run_id"]),
    (parse_model_version_order_by, ["source_path DESC"]),
])
def test_refused(parse, text):
    with pytest.raises(InvalidParameterValue):
        parse(text)
