"""Fluent model registry: ``register_model`` and the two registry searches, through the current client."""

from __future__ import annotations

import os
from typing import Any, Callable

from runyard.client.model_sources import register_model as _register
from runyard.entities.registry import ModelVersion, RegisteredModel
from runyard.fluent.tracking_uri import current_client
from runyard.stores.registry import SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT, SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT


def register_model(model_uri: str | os.PathLike[str], name: str, await_registration_for: int = 300, *,
                   tags: dict[str, Any] | None = None) -> ModelVersion:
    """Register the model at ``model_uri`` (``runs:/<run>/<name>``, ``models:/<model_id>`` or an
    artifact URI) as the next version of the registered model ``name``, creating that model when it
    does not exist. From ``runs:/`` and ``models:/`` URIs the version's source is
    ``models:/<model_id>``, as in MLflow 3. Versions are READY at once: nothing to await."""
    return _register(current_client(), os.fspath(model_uri), name, tags)


def _all_pages(fetch: Callable[[int, str | None], Any], max_results: int | None, page_size: int) -> list[Any]:
    items: list[Any] = []
    token = None
    while True:
        size = page_size if max_results is None else min(page_size, max_results - len(items))
        page = fetch(size, token)
        items.extend(page)
        token = page.token
        if not token or (max_results is not None and len(items) >= max_results):
            return items


def search_registered_models(max_results: int | None = None, filter_string: str | None = None,
                             order_by: list[str] | None = None) -> list[RegisteredModel]:
    """Every registered model matching ``filter_string`` (at most ``max_results``), all pages."""
    client = current_client()
    return _all_pages(lambda size, token: client.search_registered_models(filter_string, size, order_by, token),
                      max_results, SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT)


def search_model_versions(max_results: int | None = None, filter_string: str | None = None,
                          order_by: list[str] | None = None) -> list[ModelVersion]:
    """Every model version matching ``filter_string`` (at most ``max_results``), all pages."""
    client = current_client()
    return _all_pages(lambda size, token: client.search_model_versions(filter_string, size, order_by, token),
                      max_results, SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT)
