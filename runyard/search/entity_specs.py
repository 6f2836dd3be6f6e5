"""The run and experiment search grammars (MLflow 3.x ``search_runs`` / ``search_experiments``)."""

from __future__ import annotations

from runyard.search.nodes import (
    ATTRIBUTE,
    COMPARISON_OPS,
    DATASET,
    EQ,
    ILIKE,
    IN,
    IS_NOT_NULL,
    IS_NULL,
    LIKE,
    METRIC,
    NE,
    NOT_IN,
    NUMERIC,
    PARAM,
    STRING,
    TAG,
)
from runyard.search.spec import EntitySpec, FieldSpec, KindSpec, frozen_map

STRING_OPS = frozenset({EQ, NE, LIKE, ILIKE})
STRING_LIST_OPS = STRING_OPS | {IN, NOT_IN}
KEY_VALUE_OPS = STRING_OPS | {IS_NULL, IS_NOT_NULL}

_NUMBER = FieldSpec(NUMERIC, COMPARISON_OPS)
_TEXT = FieldSpec(STRING, STRING_OPS)
_KEY_VALUE = FieldSpec(STRING, KEY_VALUE_OPS)

RUN_SPEC = EntitySpec(
    entity="run",
    prefixes=frozen_map({
        "metrics": METRIC, "metric": METRIC,
        "params": PARAM, "param": PARAM, "parameters": PARAM, "parameter": PARAM,
        "tags": TAG, "tag": TAG,
        "attributes": ATTRIBUTE, "attribute": ATTRIBUTE, "attr": ATTRIBUTE, "run": ATTRIBUTE,
        "datasets": DATASET, "dataset": DATASET,
    }),
    kinds=frozen_map({
        METRIC: KindSpec(METRIC, default=_NUMBER),
        PARAM: KindSpec(PARAM, default=_KEY_VALUE),
        TAG: KindSpec(TAG, default=_KEY_VALUE),
        ATTRIBUTE: KindSpec(
            ATTRIBUTE,
            fields=frozen_map({
                "run_id": FieldSpec(STRING, STRING_LIST_OPS),
                "run_name": _TEXT,
                "status": _TEXT,
                "user_id": _TEXT,
                "artifact_uri": _TEXT,
                # Searchable in MLflow but not a documented sort key.
                "lifecycle_stage": FieldSpec(STRING, STRING_OPS, orderable=False),
                "start_time": _NUMBER,
                "end_time": _NUMBER,
            }),
            aliases=frozen_map({"run name": "run_name", "created": "start_time"}),
        ),
        DATASET: KindSpec(
            DATASET,
            fields=frozen_map({
                name: FieldSpec(STRING, STRING_LIST_OPS) for name in ("name", "digest", "context")
            }),
            orderable=False,
        ),
    }),
    bare_kind=ATTRIBUTE,
)

EXPERIMENT_SPEC = EntitySpec(
    entity="experiment",
    prefixes=frozen_map({
        "tags": TAG, "tag": TAG,
        "attributes": ATTRIBUTE, "attribute": ATTRIBUTE, "attr": ATTRIBUTE,
    }),
    kinds=frozen_map({
        TAG: KindSpec(TAG, default=_KEY_VALUE, orderable=False),
        ATTRIBUTE: KindSpec(
            ATTRIBUTE,
            fields=frozen_map({
                "name": _TEXT,
                "experiment_id": FieldSpec(STRING, STRING_LIST_OPS),
                "creation_time": _NUMBER,
                "last_update_time": _NUMBER,
            }),
        ),
    }),
    bare_kind=ATTRIBUTE,
)

# MLflow 3 ``search_logged_models``: metrics compare numerically (the latest value of the model's
# metric), params and tags as strings; only attributes and metrics can be sorted on.
LOGGED_MODEL_SPEC = EntitySpec(
    entity="logged model",
    prefixes=frozen_map({
        "metrics": METRIC, "metric": METRIC,
        "params": PARAM, "param": PARAM,
        "tags": TAG, "tag": TAG,
        "attributes": ATTRIBUTE, "attribute": ATTRIBUTE, "attr": ATTRIBUTE,
    }),
    kinds=frozen_map({
        METRIC: KindSpec(METRIC, default=_NUMBER),
        PARAM: KindSpec(PARAM, default=_TEXT, orderable=False),
        TAG: KindSpec(TAG, default=_TEXT, orderable=False),
        ATTRIBUTE: KindSpec(
            ATTRIBUTE,
            fields=frozen_map({
                **{name: FieldSpec(STRING, STRING_LIST_OPS)
                   for name in ("name", "model_id", "status", "source_run_id", "model_type")},
                "creation_timestamp": _NUMBER,
                "last_updated_timestamp": _NUMBER,
            }),
            aliases=frozen_map({
                "creation_time": "creation_timestamp", "creation_timestamp_ms": "creation_timestamp",
                "last_updated_time": "last_updated_timestamp",
                "last_updated_timestamp_ms": "last_updated_timestamp",
            }),
        ),
    }),
    bare_kind=ATTRIBUTE,
)

# Model registry searches (MLflow's ``search_registered_models`` / ``search_model_versions``). Tag
# keys are free; ``tag.`` and ``tags.`` both work (the stock client writes ``tag.``). MLflow orders
# registered models by ``timestamp`` as ``last_updated_timestamp``.
_REGISTRY_PREFIXES = frozen_map({
    "tags": TAG, "tag": TAG,
    "attributes": ATTRIBUTE, "attribute": ATTRIBUTE, "attr": ATTRIBUTE,
})

REGISTERED_MODEL_SPEC = EntitySpec(
    entity="registered model",
    prefixes=_REGISTRY_PREFIXES,
    kinds=frozen_map({
        TAG: KindSpec(TAG, default=_TEXT, orderable=False),
        ATTRIBUTE: KindSpec(
            ATTRIBUTE,
            fields=frozen_map({
                "name": FieldSpec(STRING, STRING_LIST_OPS),
                "creation_timestamp": _NUMBER,
                "last_updated_timestamp": _NUMBER,
            }),
            aliases=frozen_map({"timestamp": "last_updated_timestamp"}),
        ),
    }),
    bare_kind=ATTRIBUTE,
)

MODEL_VERSION_SPEC = EntitySpec(
    entity="model version",
    prefixes=_REGISTRY_PREFIXES,
    kinds=frozen_map({
        TAG: KindSpec(TAG, default=_TEXT, orderable=False),
        ATTRIBUTE: KindSpec(
            ATTRIBUTE,
            fields=frozen_map({
                "name": FieldSpec(STRING, STRING_LIST_OPS),
                "version_number": _NUMBER,
                "run_id": FieldSpec(STRING, STRING_LIST_OPS, orderable=False),
                "source_path": FieldSpec(STRING, STRING_OPS, orderable=False),
                "creation_timestamp": _NUMBER,
                "last_updated_timestamp": _NUMBER,
            }),
            aliases=frozen_map({"version": "version_number", "source": "source_path",
                                "timestamp": "last_updated_timestamp"}),
        ),
    }),
    bare_kind=ATTRIBUTE,
)
