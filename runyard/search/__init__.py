"""Filter and order-by grammar for runyard searches, parsed to a small AST (no SQL).

Each entity's grammar is an ``EntitySpec`` (see ``entity_specs``); ``parse_filter`` and
``parse_order_by`` take any spec, and the ``parse_<entity>_*`` functions bind the run,
experiment, logged-model, registered-model and model-version specs. Every bad input raises
``InvalidParameterValue``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runyard.search.entity_specs import (
    EXPERIMENT_SPEC,
    LOGGED_MODEL_SPEC,
    MODEL_VERSION_SPEC,
    REGISTERED_MODEL_SPEC,
    RUN_SPEC,
)
from runyard.search.filters import MAX_CLAUSES, MAX_FILTER_LENGTH, parse_filter
from runyard.search.nodes import Comparison, OrderBy
from runyard.search.ordering import parse_order_by, parse_order_by_fields
from runyard.search.paging import decode_page_token, encode_page_token
from runyard.search.spec import EntitySpec, FieldSpec, KindSpec

__all__ = [
    "EXPERIMENT_SPEC",
    "LOGGED_MODEL_SPEC",
    "MAX_CLAUSES",
    "MAX_FILTER_LENGTH",
    "MODEL_VERSION_SPEC",
    "REGISTERED_MODEL_SPEC",
    "RUN_SPEC",
    "Comparison",
    "EntitySpec",
    "FieldSpec",
    "KindSpec",
    "OrderBy",
    "decode_page_token",
    "encode_page_token",
    "parse_experiment_filter",
    "parse_experiment_order_by",
    "parse_filter",
    "parse_logged_model_filter",
    "parse_logged_model_order_by",
    "parse_model_version_filter",
    "parse_model_version_order_by",
    "parse_order_by",
    "parse_order_by_fields",
    "parse_registered_model_filter",
    "parse_registered_model_order_by",
    "parse_run_filter",
    "parse_run_order_by",
]


def parse_run_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a ``search_runs`` filter string; [] for None, "" or whitespace."""
    return parse_filter(filter_string, RUN_SPEC)


def parse_experiment_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a ``search_experiments`` filter string; [] for None, "" or whitespace."""
    return parse_filter(filter_string, EXPERIMENT_SPEC)


def parse_run_order_by(order_by: Sequence[str] | None) -> list[OrderBy]:
    """Parse ``search_runs`` order_by entries."""
    return parse_order_by(order_by, RUN_SPEC)


def parse_experiment_order_by(order_by: Sequence[str] | None) -> list[OrderBy]:
    """Parse ``search_experiments`` order_by entries."""
    return parse_order_by(order_by, EXPERIMENT_SPEC)


def parse_logged_model_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a ``search_logged_models`` filter string; [] for None, "" or whitespace."""
    return parse_filter(filter_string, LOGGED_MODEL_SPEC)


def parse_logged_model_order_by(order_by: Sequence[Mapping[str, Any] | str] | None) -> list[OrderBy]:
    """Parse ``search_logged_models`` order_by objects (``{"field_name", "ascending", ...}``)."""
    return parse_order_by_fields(order_by, LOGGED_MODEL_SPEC)


def parse_registered_model_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a ``search_registered_models`` filter string; [] for None, "" or whitespace."""
    return parse_filter(filter_string, REGISTERED_MODEL_SPEC)


def parse_registered_model_order_by(order_by: Sequence[str] | None) -> list[OrderBy]:
    """Parse ``search_registered_models`` order_by entries."""
    return parse_order_by(order_by, REGISTERED_MODEL_SPEC)


def parse_model_version_filter(filter_string: str | None) -> list[Comparison]:
    """Parse a ``search_model_versions`` filter string; [] for None, "" or whitespace."""
    return parse_filter(filter_string, MODEL_VERSION_SPEC)


def parse_model_version_order_by(order_by: Sequence[str] | None) -> list[OrderBy]:
    """Parse ``search_model_versions`` order_by entries."""
    return parse_order_by(order_by, MODEL_VERSION_SPEC)
