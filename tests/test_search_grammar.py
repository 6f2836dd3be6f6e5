"""The filter / order-by grammar and page tokens of runyard.search (no store involved)."""

from __future__ import annotations

import base64
import json
import subprocess
import sys

import pytest

from runyard.errors import InvalidParameterValue
from runyard.search import (
    EXPERIMENT_SPEC,
    RUN_SPEC,
    Comparison,
    EntitySpec,
    FieldSpec,
    KindSpec,
    OrderBy,
    decode_page_token,
    encode_page_token,
    parse_experiment_filter,
    parse_experiment_order_by,
    parse_filter,
    parse_logged_model_filter,
    parse_logged_model_order_by,
    parse_order_by,
    parse_run_filter,
    parse_run_order_by,
)

C = Comparison


def run_error(filter_string: str) -> str:
    with pytest.raises(InvalidParameterValue) as info:
        parse_run_filter(filter_string)
    assert info.value.error_code == "INVALID_PARAMETER_VALUE"
    return info.value.message


def experiment_error(filter_string: str) -> str:
    with pytest.raises(InvalidParameterValue) as info:
        parse_experiment_filter(filter_string)
    return info.value.message


# --- documented examples ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        (
            "metrics.test_r2 > 0.8 and params.max_depth = '6'",
            [C("metric", "test_r2", ">", 0.8), C("param", "max_depth", "=", "6")],
        ),
        ("tags.`mlflow.source.type` = 'LOCAL'", [C("tag", "mlflow.source.type", "=", "LOCAL")]),
        ("attributes.run_id IN ('a','b')", [C("attribute", "run_id", "IN", ("a", "b"))]),
        ("params.x IS NULL", [C("param", "x", "IS NULL", None)]),
        ("tags.t ILIKE '%abc%'", [C("tag", "t", "ILIKE", "%abc%")]),
        ("attributes.status = 'FINISHED'", [C("attribute", "status", "=", "FINISHED")]),
    ],
)
def test_documented_examples(filter_string, expected):
    assert parse_run_filter(filter_string) == expected


@pytest.mark.parametrize("empty", [None, "", "   ", "\n\t "])
def test_empty_filter_is_empty_list(empty):
    assert parse_run_filter(empty) == []
    assert parse_experiment_filter(empty) == []


# --- clauses and AND ----------------------------------------------------------------------------

def test_and_is_case_insensitive_and_whitespace_flexible():
    got = parse_run_filter("metrics.a>1 AnD\n\tmetrics.b<=2   and params.c='x'")
    assert got == [C("metric", "a", ">", 1.0), C("metric", "b", "<=", 2.0), C("param", "c", "=", "x")]


@pytest.mark.parametrize(
    "filter_string", ["metrics.a > 1 OR metrics.b > 2", "params.a = 'x' or params.b = 'y'"]
)
def test_or_is_rejected(filter_string):
    message = run_error(filter_string)
    assert "OR is not supported" in message
    assert filter_string in message


@pytest.mark.parametrize(
    "filter_string", ["(metrics.a > 1)", "(metrics.a > 1 AND metrics.b > 2)", "metrics.a > 1 AND (params.b = 'x')"]
)
def test_parentheses_grouping_is_rejected(filter_string):
    message = run_error(filter_string)
    assert "invalid clause" in message
    assert "parentheses" in message


@pytest.mark.parametrize("filter_string", ["metrics.a > 1 AND", "metrics.a > 1 and  ", "metrics.a > 1 AND AND metrics.b > 1"])
def test_dangling_and_is_rejected(filter_string):
    message = run_error(filter_string)
    assert "AND" in message


def test_leading_and_is_rejected():
    assert "unexpected token 'AND' at position 0" in run_error("AND metrics.a > 1")


def test_missing_and_between_clauses():
    message = run_error("metrics.a > 1 metrics.b > 2")
    assert "unexpected token 'metrics.b' at position 14" in message
    assert "expected AND" in message


def test_error_names_unexpected_token_and_position():
    assert run_error("metrics.acc ~ 1") == (
        "Invalid filter 'metrics.acc ~ 1': unexpected token '~' at position 12"
    )


# --- identifiers --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("identifier", "kind"),
    [
        ("metrics.k", "metric"), ("metric.k", "metric"), ("METRICS.k", "metric"),
        ("params.k", "param"), ("param.k", "param"), ("parameters.k", "param"),
        ("parameter.k", "param"), ("Params.k", "param"),
        ("tags.k", "tag"), ("tag.k", "tag"), ("TAGS.k", "tag"),
    ],
)
def test_run_prefixes(identifier, kind):
    value = "1" if kind == "metric" else "'v'"
    [comparison] = parse_run_filter(f"{identifier} = {value}")
    assert (comparison.kind, comparison.key) == (kind, "k")


@pytest.mark.parametrize("prefix", ["attributes.", "attribute.", "attr.", "run.", "ATTRIBUTES.", "Run.", ""])
def test_attribute_prefixes_and_bare_names(prefix):
    assert parse_run_filter(f"{prefix}status = 'RUNNING'") == [C("attribute", "status", "=", "RUNNING")]


@pytest.mark.parametrize("prefix", ["datasets.", "dataset.", "DATASETS."])
def test_dataset_prefixes(prefix):
    assert parse_run_filter(f"{prefix}name = 'train'") == [C("dataset", "name", "=", "train")]


@pytest.mark.parametrize(
    ("identifier", "key"),
    [
        ("tags.`mlflow.user`", "mlflow.user"),
        ('tags."mlflow.user"', "mlflow.user"),
        ("tags.mlflow.user", "mlflow.user"),
        ('params."my param"', "my param"),
        ("params.`my-param with spaces`", "my-param with spaces"),
        ("tags.`it``s`", "it`s"),
        ('tags."say ""hi"""', 'say "hi"'),
        ("params.a-b/c:d_e.f", "a-b/c:d_e.f"),
    ],
)
def test_key_quoting_and_unquoted_characters(identifier, key):
    [comparison] = parse_run_filter(f"{identifier} = 'v'")
    assert comparison.key == key


def test_unquoted_metric_key_with_slash():
    assert parse_run_filter("metrics.system/cpu >= 50") == [C("metric", "system/cpu", ">=", 50.0)]


def test_unicode_key():
    assert parse_run_filter("params.größe = 'x'") == [C("param", "größe", "=", "x")]


def test_unknown_prefix_is_rejected():
    message = run_error("foo.bar = 'x'")
    assert "prefix 'foo'" in message
    assert "metrics." in message


def test_missing_key_is_rejected():
    assert "missing key after 'params.'" in run_error("params. = 'x'")


def test_unterminated_quote_is_rejected():
    assert "unterminated" in run_error("tags.`abc = 'x'")
    assert "unterminated" in run_error("params.a = 'x")


# --- run attributes -----------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["run_id", "run_name", "status", "user_id", "artifact_uri", "lifecycle_stage"])
def test_string_attributes(name):
    for op in ("=", "!=", "LIKE", "ILIKE"):
        assert parse_run_filter(f"attributes.{name} {op} 'x'") == [C("attribute", name, op, "x")]


@pytest.mark.parametrize("name", ["start_time", "end_time"])
def test_numeric_attributes(name):
    for op in ("=", "!=", "<", "<=", ">", ">="):
        assert parse_run_filter(f"{name} {op} 1700000000000") == [C("attribute", name, op, 1700000000000.0)]


@pytest.mark.parametrize("written", ["created", "Created", "attributes.created"])
def test_created_is_start_time(written):
    assert parse_run_filter(f"{written} > 5") == [C("attribute", "start_time", ">", 5.0)]


@pytest.mark.parametrize(
    "written", ["attributes.`run name`", "`run name`", '"run name"', "attributes.`Run Name`", "run_name"]
)
def test_run_name_aliases(written):
    assert parse_run_filter(f"{written} = 'r1'") == [C("attribute", "run_name", "=", "r1")]


def test_unknown_attribute_names_it_and_lists_valid_ones():
    message = run_error("attributes.colour = 'red'")
    assert "'colour'" in message
    for valid in ("run_id", "run_name", "status", "user_id", "artifact_uri", "start_time", "end_time"):
        assert valid in message


def test_in_only_for_run_id():
    assert parse_run_filter("run_id NOT IN ('a')") == [C("attribute", "run_id", "NOT IN", ("a",))]
    message = run_error("attributes.status IN ('FINISHED')")
    assert "operator 'IN' is not supported for attribute 'status'" in message


def test_string_attribute_rejects_number_and_comparison():
    assert "expected a quoted string value for attribute 'status'" in run_error("status = 1")
    assert "operator '>' is not supported" in run_error("status > 'a'")


def test_numeric_attribute_rejects_string_and_like():
    assert "expected a numeric value for attribute 'start_time'" in run_error("start_time = '5'")
    assert "operator 'LIKE' is not supported" in run_error("end_time LIKE '5%'")


def test_attribute_is_null_is_rejected():
    assert "operator 'IS NULL' is not supported" in run_error("status IS NULL")


# --- metrics / params / tags / datasets -------------------------------------------------------

@pytest.mark.parametrize("op", ["=", "!=", "<", "<=", ">", ">="])
def test_metric_comparisons(op):
    assert parse_run_filter(f"metrics.loss {op} 0.5") == [C("metric", "loss", op, 0.5)]


@pytest.mark.parametrize(
    ("text", "number"),
    [("6", 6.0), ("-1", -1.0), ("-1.5e-3", -0.0015), ("1E3", 1000.0), (".5", 0.5), ("+2", 2.0), ("3.", 3.0)],
)
def test_number_forms(text, number):
    assert parse_run_filter(f"metrics.m > {text}") == [C("metric", "m", ">", number)]


def test_numbers_without_spaces():
    assert parse_run_filter("metrics.m<-1") == [C("metric", "m", "<", -1.0)]


def test_metric_rejects_string_value():
    message = run_error("metrics.x = 'a'")
    assert "expected a numeric value for metric 'x'" in message
    assert "''a''" in message


@pytest.mark.parametrize("op", ["IS NULL", "IS NOT NULL", "LIKE '%'", "IN ('a')"])
def test_metric_rejects_non_numeric_ops(op):
    assert "is not supported for metric 'x'" in run_error(f"metrics.x {op}")


@pytest.mark.parametrize("kind", ["params", "tags"])
def test_param_and_tag_ops(kind):
    singular = kind[:-1]
    for op in ("=", "!=", "LIKE", "ILIKE"):
        assert parse_run_filter(f"{kind}.k {op} 'v'") == [C(singular, "k", op, "v")]
    assert parse_run_filter(f"{kind}.k IS NULL") == [C(singular, "k", "IS NULL", None)]
    assert parse_run_filter(f"{kind}.k IS NOT NULL") == [C(singular, "k", "IS NOT NULL", None)]
    assert "is not supported" in run_error(f"{kind}.k > 'v'")
    assert "is not supported" in run_error(f"{kind}.k IN ('v')")


def test_param_rejects_number_and_bare_word():
    assert "expected a quoted string value for param 'max_depth'" in run_error("params.max_depth = 6")
    assert "found 'abc'" in run_error("params.x = abc")


def test_backtick_value_is_rejected():
    assert "expected a quoted string value" in run_error("params.x = `abc`")


def test_double_quoted_value_is_a_string():
    assert parse_run_filter('params.x = "a b"') == [C("param", "x", "=", "a b")]


def test_single_quote_escape_and_special_characters():
    assert parse_run_filter("tags.note = 'it''s AND or (x)'") == [C("tag", "note", "=", "it's AND or (x)")]
    assert parse_run_filter("params.p = ''") == [C("param", "p", "=", "")]


@pytest.mark.parametrize("field", ["name", "digest", "context"])
def test_dataset_fields(field):
    for op in ("=", "!=", "LIKE", "ILIKE"):
        assert parse_run_filter(f"datasets.{field} {op} 'v'") == [C("dataset", field, op, "v")]
    assert parse_run_filter(f"datasets.{field} IN ('a', 'b')") == [C("dataset", field, "IN", ("a", "b"))]
    assert parse_run_filter(f"datasets.{field} not in ('a')") == [C("dataset", field, "NOT IN", ("a",))]


def test_unknown_dataset_field():
    message = run_error("datasets.size = 'x'")
    assert "'size'" in message and "digest" in message


# --- operators ----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("written", "op"),
    [("like", "LIKE"), ("Ilike", "ILIKE"), ("is not null", "IS NOT NULL"), ("is  null", "IS NULL")],
)
def test_operators_are_case_insensitive(written, op):
    [comparison] = parse_run_filter(f"tags.t {written}" + ("" if "null" in written else " 'x'"))
    assert comparison.op == op


def test_in_keywords_case_insensitive():
    assert parse_run_filter("run_id in ('a') and run_id Not In ('b')") == [
        C("attribute", "run_id", "IN", ("a",)), C("attribute", "run_id", "NOT IN", ("b",))
    ]


@pytest.mark.parametrize(("written", "suggested"), [("<>", "!="), ("==", "=")])
def test_sql_alternative_operators_are_rejected(written, suggested):
    message = run_error(f"metrics.a {written} 1")
    assert f"operator '{written}'" in message and f"use '{suggested}'" in message


@pytest.mark.parametrize(
    ("filter_string", "fragment"),
    [
        ("params.a NOT LIKE 'x'", "expected IN after 'NOT'"),
        ("params.a IS 'x'", "expected NULL or NOT NULL after 'IS'"),
        ("params.a IS NOT 'x'", "expected NULL or NOT NULL after 'IS'"),
        ("params.a", "expected an operator after 'params.a'"),
        ("params.a =", "expected a value after 'params.a ='"),
        ("params.a CONTAINS 'x'", "unexpected token 'CONTAINS'"),
        ("metrics.a > 1e", "unexpected token '1e'"),
        ("metrics.a > 1 ;", "unexpected token ';'"),
        ("= 'x'", "unexpected token '=' at position 0"),
        ("'x' = 'x'", "expected an identifier"),
    ],
)
def test_malformed_clauses(filter_string, fragment):
    assert fragment in run_error(filter_string)


@pytest.mark.parametrize(
    ("filter_string", "fragment"),
    [
        ("run_id IN ()", "must not be empty"),
        ("run_id IN 'a'", "expected a parenthesised list"),
        ("run_id IN ('a',)", "expected a quoted string value"),
        ("run_id IN ('a' 'b')", "expected ',' or ')'"),
        ("run_id IN ('a', 1)", "expected a quoted string value"),
        ("run_id IN ('a'", "unclosed '('"),
        ("run_id IN", "expected a parenthesised list"),
    ],
)
def test_malformed_in_lists(filter_string, fragment):
    assert fragment in run_error(filter_string)


def test_in_list_values():
    assert parse_run_filter("run_id IN ( 'a' ,\"b\",'c''d' )") == [
        C("attribute", "run_id", "IN", ("a", "b", "c'd"))
    ]


# --- limits -------------------------------------------------------------------------------------

def test_filter_length_limit():
    assert parse_run_filter("params.p = '" + "x" * 19980 + "'")
    message = run_error("params.p = '" + "x" * 20000 + "'")
    assert "20000 characters" in message
    assert len(message) < 500


def test_clause_count_limit():
    at_limit = " AND ".join(f"metrics.m{i} > 0" for i in range(100))
    assert len(parse_run_filter(at_limit)) == 100
    message = run_error(at_limit + " AND metrics.extra > 0")
    assert "100 clauses" in message


# --- experiments --------------------------------------------------------------------------------

def test_experiment_attributes():
    assert parse_experiment_filter("name LIKE 'exp%' AND attributes.experiment_id IN ('1', '2')") == [
        C("attribute", "name", "LIKE", "exp%"), C("attribute", "experiment_id", "IN", ("1", "2"))
    ]
    assert parse_experiment_filter("creation_time >= 10 and last_update_time < 20") == [
        C("attribute", "creation_time", ">=", 10.0), C("attribute", "last_update_time", "<", 20.0)
    ]
    assert parse_experiment_filter("experiment_id != '3'") == [C("attribute", "experiment_id", "!=", "3")]


def test_experiment_tags():
    for op in ("=", "!=", "LIKE", "ILIKE"):
        assert parse_experiment_filter(f"tags.k {op} 'v'") == [C("tag", "k", op, "v")]
    assert parse_experiment_filter("tag.`a.b` IS NOT NULL") == [C("tag", "a.b", "IS NOT NULL", None)]


@pytest.mark.parametrize("filter_string", ["metrics.a > 1", "params.a = 'x'", "datasets.name = 'x'", "run.name = 'x'"])
def test_experiment_rejects_run_only_identifiers(filter_string):
    message = experiment_error(filter_string)
    assert "is not supported for experiment searches" in message
    assert filter_string.split(".")[0] in message


def test_experiment_rejects_bad_attribute_and_ops():
    assert "'status'" in experiment_error("status = 'x'")
    assert "operator 'IN' is not supported for attribute 'name'" in experiment_error("name IN ('a')")
    assert "expected a numeric value" in experiment_error("creation_time > 'x'")


# --- order_by -----------------------------------------------------------------------------------

def test_run_order_by():
    assert parse_run_order_by(
        ["metrics.`my metric` DESC", "params.lr asc", "tags.t", "start_time Desc", "attributes.run_id"]
    ) == [
        OrderBy("metric", "my metric", False),
        OrderBy("param", "lr", True),
        OrderBy("tag", "t", True),
        OrderBy("attribute", "start_time", False),
        OrderBy("attribute", "run_id", True),
    ]


@pytest.mark.parametrize("name", ["start_time", "end_time", "run_name", "status", "user_id", "run_id", "artifact_uri"])
def test_run_order_by_attributes(name):
    assert parse_run_order_by([name]) == [OrderBy("attribute", name, True)]


def test_run_order_by_aliases():
    assert parse_run_order_by(["created DESC"]) == [OrderBy("attribute", "start_time", False)]
    assert parse_run_order_by(['"run name"']) == [OrderBy("attribute", "run_name", True)]
    assert parse_run_order_by(["tags.`mlflow.user` ASC"]) == [OrderBy("tag", "mlflow.user", True)]


@pytest.mark.parametrize("empty", [None, [], ()])
def test_order_by_empty(empty):
    assert parse_run_order_by(empty) == []
    assert parse_experiment_order_by(empty) == []


def test_order_by_single_string_is_one_entry():
    assert parse_run_order_by("metrics.a DESC") == [OrderBy("metric", "a", False)]


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ("metrics.a DESC extra", "unexpected token 'extra' at position 15"),
        ("metrics.a up", "unexpected token 'up' at position 10"),
        ("", "empty clause"),
        ("   ", "empty clause"),
        ("'a' DESC", "unexpected token ''a''"),
        ("lifecycle_stage", "cannot order runs by attribute 'lifecycle_stage'"),
        ("datasets.name", "cannot order runs by dataset"),
        ("colour", "invalid attribute 'colour'"),
        ("metrics.`x", "unterminated"),
    ],
)
def test_run_order_by_errors(entry, fragment):
    with pytest.raises(InvalidParameterValue) as info:
        parse_run_order_by([entry])
    assert fragment in info.value.message
    assert f"Invalid order_by clause '{entry}'" in info.value.message


def test_order_by_rejects_non_string_entries_and_duplicates():
    with pytest.raises(InvalidParameterValue, match="expected a string"):
        parse_run_order_by([None])  # type: ignore[list-item]
    with pytest.raises(InvalidParameterValue, match="already ordered"):
        parse_run_order_by(["created DESC", "start_time"])


def test_experiment_order_by():
    assert parse_experiment_order_by(["name", "experiment_id DESC", "creation_time asc", "last_update_time"]) == [
        OrderBy("attribute", "name", True),
        OrderBy("attribute", "experiment_id", False),
        OrderBy("attribute", "creation_time", True),
        OrderBy("attribute", "last_update_time", True),
    ]
    for bad, fragment in [("tags.t", "cannot order experiments by tag"), ("metrics.m", "prefix 'metrics'"),
                          ("status", "invalid attribute 'status'")]:
        with pytest.raises(InvalidParameterValue, match=fragment):
            parse_experiment_order_by([bad])


# --- specs are data -----------------------------------------------------------------------------

def test_new_entity_is_one_more_spec():
    registered_models = EntitySpec(
        entity="registered model",
        prefixes={"tags": "tag", "tag": "tag"},
        kinds={
            "tag": KindSpec("tag", default=FieldSpec("string", frozenset({"=", "!=", "LIKE", "ILIKE"})), orderable=False),
            "attribute": KindSpec(
                "attribute",
                fields={
                    "name": FieldSpec("string", frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})),
                    "creation_timestamp": FieldSpec("numeric", frozenset({"<", ">"})),
                },
                aliases={"timestamp": "creation_timestamp"},
            ),
        },
        bare_kind="attribute",
    )
    assert parse_filter("name IN ('m') AND tags.`a b` = 'x'", registered_models) == [
        C("attribute", "name", "IN", ("m",)), C("tag", "a b", "=", "x")
    ]
    assert parse_order_by(["timestamp DESC"], registered_models) == [
        OrderBy("attribute", "creation_timestamp", False)
    ]
    with pytest.raises(InvalidParameterValue, match="registered model searches"):
        parse_filter("params.a = 'x'", registered_models)


def test_spec_consistency_is_checked():
    with pytest.raises(ValueError):
        EntitySpec(entity="x", prefixes={"m": "metric"}, kinds={})
    with pytest.raises(ValueError):
        KindSpec("attribute")
    with pytest.raises(ValueError):
        FieldSpec("boolean", frozenset())


def test_builtin_specs_are_read_only():
    with pytest.raises(TypeError):
        RUN_SPEC.prefixes["foo"] = "metric"  # type: ignore[index]
    assert EXPERIMENT_SPEC.bare_kind == "attribute"


def test_non_string_filter_is_rejected():
    with pytest.raises(InvalidParameterValue, match="expected a string"):
        parse_run_filter(42)  # type: ignore[arg-type]


# --- page tokens --------------------------------------------------------------------------------

def test_page_token_for_offset_one_matches_mlflow():
    assert encode_page_token(1) == "eyJvZmZzZXQiOiAxfQ=="


@pytest.mark.parametrize("offset", [0, 1, 7, 1000, 2**40])
def test_page_token_round_trip(offset):
    token = encode_page_token(offset)
    assert json.loads(base64.b64decode(token)) == {"offset": offset}
    assert decode_page_token(token) == offset


@pytest.mark.parametrize("empty", [None, ""])
def test_missing_page_token_is_offset_zero(empty):
    assert decode_page_token(empty) == 0


def _b64(obj: object) -> str:
    return base64.b64encode(json.dumps(obj).encode()).decode()


def test_page_token_with_string_offset_is_accepted():
    assert decode_page_token(_b64({"offset": "12"})) == 12


@pytest.mark.parametrize(
    "token",
    [
        "not base64!",
        "eyJvZmZzZXQiOiAxfQ",  # padding missing
        base64.b64encode(b"not json").decode(),
        _b64([1]),
        _b64({"other": 1}),
        _b64({"offset": -1}),
        _b64({"offset": "-1"}),
        _b64({"offset": 1.5}),
        _b64({"offset": True}),
        _b64({"offset": None}),
        "é",
    ],
)
def test_bad_page_tokens_are_rejected(token):
    with pytest.raises(InvalidParameterValue) as info:
        decode_page_token(token)
    assert token in info.value.message
    assert "offset" in info.value.message


@pytest.mark.parametrize("offset", [-1, 1.0, True, "1"])
def test_bad_offsets_cannot_be_encoded(offset):
    with pytest.raises(InvalidParameterValue, match="non-negative integer"):
        encode_page_token(offset)  # type: ignore[arg-type]


# --- import cost --------------------------------------------------------------------------------

# -- logged models -------------------------------------------------------------------------
def test_logged_model_filter():
    assert parse_logged_model_filter("name = 'm' AND creation_time > 5 AND metrics.acc >= 0.5") == [
        Comparison("attribute", "name", "=", "m"),
        Comparison("attribute", "creation_timestamp", ">", 5.0),
        Comparison("metric", "acc", ">=", 0.5),
    ]
    assert parse_logged_model_filter("tags.`mlflow.user` LIKE 'a%' AND params.lr != '1'") == [
        Comparison("tag", "mlflow.user", "LIKE", "a%"), Comparison("param", "lr", "!=", "1"),
    ]
    for bad in ("run_id = 'x'", "params.lr > '1'", "tags.t IS NULL", "datasets.name = 'd'"):
        with pytest.raises(InvalidParameterValue, match="Invalid filter"):
            parse_logged_model_filter(bad)


def test_logged_model_order_by_objects():
    assert parse_logged_model_order_by([
        {"field_name": "metrics.acc", "ascending": False, "dataset_name": "val", "dataset_digest": "d"},
        {"field_name": "creation_time"}, "name DESC",
    ]) == [
        OrderBy("metric", "acc", False, "val", "d"),
        OrderBy("attribute", "creation_timestamp", True),
        OrderBy("attribute", "name", False),
    ]
    assert parse_logged_model_order_by(None) == []
    for bad in ([{"field_name": "tags.t"}], [{"field_name": "name", "ascending": 1}], [{"field_name": ""}],
                [{"field_name": "metrics.a", "dataset_digest": "d"}], [{"field_name": "a b"}]):
        with pytest.raises(InvalidParameterValue, match="order_by"):
            parse_logged_model_order_by(bad)


def test_import_is_light():
    code = (
        "import sys, runyard.search; "
        "heavy = [m for m in ('sqlparse', 'sqlalchemy', 'numpy', 'pandas', 'requests', 'httpx') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
