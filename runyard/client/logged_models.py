"""Logged models (MLflow 3): the client methods, with MLflow's names and arguments."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runyard.entities import (
    LoggedModel,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
    PagedList,
)
from runyard.errors import InvalidParameterValue
from runyard.stores.tracking import TrackingStore


def _pairs(values: Mapping[str, Any] | None, cls: type, field: str) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise InvalidParameterValue(f"{field} must be a dict of str -> value, got {type(values).__name__}")
    return [cls(str(key), str(value)) for key, value in values.items()]


class LoggedModels:
    """Logged-model methods of the client; relies on ``self._store`` (a TrackingStore)."""

    _store: TrackingStore

    def create_logged_model(self, experiment_id: str, name: str | None = None, source_run_id: str | None = None,
                            tags: Mapping[str, Any] | None = None, params: Mapping[str, Any] | None = None,
                            model_type: str | None = None) -> LoggedModel:
        """Create a PENDING logged model in an experiment (a generated name when ``name`` is None)."""
        return self._store.create_logged_model(
            str(experiment_id), name, source_run_id, _pairs(tags, LoggedModelTag, "tags"),
            _pairs(params, LoggedModelParameter, "params"), model_type)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The logged model with this id (raises ResourceDoesNotExist)."""
        return self._store.get_logged_model(model_id)

    def finalize_logged_model(self, model_id: str, status: str | int) -> LoggedModel:
        """Set a logged model's final status: ``READY`` or ``UPLOAD_FAILED`` (or MLflow's enum names)."""
        status = getattr(status, "name", status)  # MLflow's LoggedModelStatus enum members
        return self._store.finalize_logged_model(model_id, LoggedModelStatus.from_wire(status))

    def delete_logged_model(self, model_id: str) -> None:
        """Delete a logged model (searches skip it afterwards)."""
        self._store.delete_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, Any]) -> None:
        """Set tags on a logged model."""
        self._store.set_logged_model_tags(model_id, _pairs(tags, LoggedModelTag, "tags"))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Remove a tag from a logged model."""
        self._store.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: Mapping[str, Any]) -> None:
        """Log params on a logged model."""
        self._store.log_logged_model_params(model_id, _pairs(params, LoggedModelParameter, "params"))

    def search_logged_models(self, experiment_ids: Sequence[str] | str, filter_string: str | None = None,
                             datasets: Sequence[Mapping[str, Any]] | None = None, max_results: int | None = None,
                             order_by: Sequence[Mapping[str, Any]] | None = None,
                             page_token: str | None = None) -> PagedList[LoggedModel]:
        """One page of the active logged models of these experiments matching ``filter_string``.

        ``order_by`` holds ``{"field_name", "ascending", "dataset_name", "dataset_digest"}`` dicts.
        """
        ids = [experiment_ids] if isinstance(experiment_ids, (str, int)) else list(experiment_ids)
        return self._store.search_logged_models([str(i) for i in ids], filter_string or None, datasets,
                                                max_results, order_by, page_token)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record logged models a run produced (``LoggedModelOutput(model_id, step)``)."""
        self._store.log_outputs(run_id, [m if type(m) is LoggedModelOutput
                                         else LoggedModelOutput(m.model_id, getattr(m, "step", 0) or 0)
                                         for m in models])
