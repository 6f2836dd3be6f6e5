"""Model registry methods of the client, with MLflow's names and arguments, plus runyard's audit
trail (``get_registry_history``, ``get_version_at``).

Stages are deprecated in MLflow in favour of aliases: ``transition_model_version_stage`` and
``get_latest_versions`` warn with MLflow's FutureWarning and keep working. Loading
``models:/<name>/<stage>`` resolves through the store and does not warn (MLflow's loader does not).
"""

from __future__ import annotations

import datetime
import functools
import warnings
from collections.abc import Mapping
from typing import Any, Callable, TypeVar

from runyard import uris
from runyard.entities import PagedList
from runyard.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    RegistryEvent,
)
from runyard.errors import InvalidParameterValue, ResourceDoesNotExist
from runyard.stores.factory import registry_store_for
from runyard.stores.registry import (
    SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
    SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
    RegistryStore,
)
from runyard.wire.codec_registry import model_id_of_source

_STAGES_DEPRECATION = (
    "Model registry stages will be removed in a future major release. To learn more about the deprecation of "
    "model registry stages, see our migration guide here: "
    "https://mlflow.org/docs/latest/model-registry.html#migrating-from-stages"
)
# MLflow's client hides prompts (registered models tagged as prompts) from model searches.
PROMPT_TAG = "mlflow.prompt.is_prompt"

F = TypeVar("F", bound=Callable[..., Any])


def _stages_deprecated(fn: F) -> F:
    notice = f"``runyard.MlflowClient.{fn.__name__}`` is deprecated since 2.9.0. {_STAGES_DEPRECATION}"

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(notice, FutureWarning, stacklevel=2)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def _pairs(values: Mapping[str, Any] | None, cls: type) -> list[Any]:
    if values is None:
        return []
    if not isinstance(values, Mapping):
        raise InvalidParameterValue(f"tags must be a dict of str -> value, got {type(values).__name__}")
    return [cls(str(k), str(v)) for k, v in values.items()]


def _exclude_prompts(filter_string: str | None) -> str:
    if PROMPT_TAG in (filter_string or ""):
        return filter_string or ""
    clause = f"tag.`{PROMPT_TAG}` != 'true'"
    return f"{filter_string} AND {clause}" if filter_string else clause


def _as_millis(value: Any, field: str) -> int:
    """Milliseconds since the epoch from an int (ms) or a ``datetime`` (naive means local time)."""
    if isinstance(value, datetime.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameterValue(f"{field} must be milliseconds since the epoch or a datetime, got {value!r}")
    return value


class RegistryMethods:
    """Registry methods of the client; relies on ``self._registry_uri``."""

    _registry_uri: str
    _registry: RegistryStore | None = None

    @property
    def registry_uri(self) -> str:
        """The model registry URI this client talks to."""
        return self._registry_uri

    @property
    def _registry_store(self) -> RegistryStore:
        # Built on first use: most clients never touch the registry.
        if self._registry is None:
            self._registry = registry_store_for(self._registry_uri)
        return self._registry

    # -- registered models ------------------------------------------------------------------------
    def create_registered_model(self, name: str, tags: dict[str, Any] | None = None,
                                description: str | None = None,
                                deployment_job_id: str | None = None) -> RegisteredModel:
        """Create a registered model (RESOURCE_ALREADY_EXISTS if the name is taken)."""
        return self._registry_store.create_registered_model(name, _pairs(tags, RegisteredModelTag), description,
                                                            deployment_job_id)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a registered model (its versions and aliases follow)."""
        return self._registry_store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None = None,
                                deployment_job_id: str | None = None) -> RegisteredModel:
        """Change a registered model's description."""
        return self._registry_store.update_registered_model(name, description, deployment_job_id)

    def delete_registered_model(self, name: str) -> None:
        """Delete a registered model with all its versions."""
        self._registry_store.delete_registered_model(name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """The registered model called ``name`` (raises ResourceDoesNotExist)."""
        return self._registry_store.get_registered_model(name)

    def search_registered_models(self, filter_string: str | None = None,
                                 max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
                                 order_by: list[str] | None = None,
                                 page_token: str | None = None) -> PagedList[RegisteredModel]:
        """One page of registered models matching ``filter_string`` (prompts left out, as MLflow does)."""
        return self._registry_store.search_registered_models(_exclude_prompts(filter_string), max_results,
                                                             order_by, page_token)

    @_stages_deprecated
    def get_latest_versions(self, name: str, stages: list[str] | None = None) -> list[ModelVersion]:
        """The newest version in each of ``stages`` (default: every stage). Deprecated with stages."""
        return self._registry_store.get_latest_versions(name, stages)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        """Set a tag on a registered model."""
        self._registry_store.set_registered_model_tag(name, RegisteredModelTag(key, str(value)))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        """Remove a tag from a registered model."""
        self._registry_store.delete_registered_model_tag(name, key)

    # -- aliases ----------------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at ``version`` (moving it if it pointed elsewhere)."""
        self._registry_store.set_registered_model_alias(name, alias, str(version))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        """Remove an alias."""
        self._registry_store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at."""
        return self._registry_store.get_model_version_by_alias(name, alias)

    # -- versions ---------------------------------------------------------------------------------
    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: dict[str, Any] | None = None, run_link: str | None = None,
                             description: str | None = None, await_creation_for: int = 300,
                             model_id: str | None = None) -> ModelVersion:
        """Register ``source`` (``models:/<model_id>``, ``runs:/`` or an artifact URI) as the next
        version of ``name``. Versions are READY when created: nothing to wait for."""
        if model_id is None:
            model_id = model_id_of_source(source)
        return self._registry_store.create_model_version(name, source, run_id, _pairs(tags, ModelVersionTag),
                                                         run_link, description, model_id=model_id)

    def update_model_version(self, name: str, version: str | int, description: str | None = None) -> ModelVersion:
        """Change a version's description."""
        return self._registry_store.update_model_version(name, str(version), description)

    @_stages_deprecated
    def transition_model_version_stage(self, name: str, version: str | int, stage: str,
                                       archive_existing_versions: bool = False) -> ModelVersion:
        """Move a version to ``stage`` (None, Staging, Production, Archived; any case); with
        ``archive_existing_versions`` the versions already in that stage move to Archived.
        Deprecated with stages."""
        return self._registry_store.transition_model_version_stage(name, str(version), stage,
                                                                   archive_existing_versions)

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete one version (its number is not reused)."""
        self._registry_store.delete_model_version(name, str(version))

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        """One version of a registered model."""
        return self._registry_store.get_model_version(name, str(version))

    def search_model_versions(self, filter_string: str | None = None,
                              max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                              order_by: list[str] | None = None,
                              page_token: str | None = None) -> PagedList[ModelVersion]:
        """One page of model versions matching ``filter_string``."""
        return self._registry_store.search_model_versions(filter_string, max_results, order_by, page_token)

    def _version_in_stage(self, name: str, stage: str) -> str:
        latest = self._registry_store.get_latest_versions(name, [stage])
        if not latest:
            raise ResourceDoesNotExist(f"No versions of model with name '{name}' and stage '{stage}' found")
        return max(latest, key=lambda mv: int(mv.version)).version

    def _tag_target(self, name: str, version: str | int | None, stage: str | None) -> str:
        if (version is None) == (stage is None):
            raise InvalidParameterValue("Give exactly one of version and stage")
        return str(version) if version is not None else self._version_in_stage(name, stage)  # type: ignore[arg-type]

    def set_model_version_tag(self, name: str, version: str | int | None = None, key: str | None = None,
                              value: Any = None, stage: str | None = None) -> None:
        """Set a tag on a version (named by number, or by ``stage``: the newest version in it)."""
        target = self._tag_target(name, version, stage)
        self._registry_store.set_model_version_tag(name, target, ModelVersionTag(key, str(value)))  # type: ignore[arg-type]

    def delete_model_version_tag(self, name: str, version: str | int | None = None, key: str | None = None,
                                 stage: str | None = None) -> None:
        """Remove a tag from a version (by number, or by ``stage``)."""
        self._registry_store.delete_model_version_tag(name, self._tag_target(name, version, stage), key)  # type: ignore[arg-type]

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Where the files of a version are (a logged model's artifact location for versions
        registered from one)."""
        return self._registry_store.get_model_version_download_uri(name, str(version))

    def resolve_registry_version(self, parsed: uris.ModelsUri) -> tuple[str, str]:
        """(name, version) of a registry ``models:/`` URI: its version, the newest version in its
        stage, the one its alias points at, or the newest version of all."""
        name = parsed.name or ""
        if parsed.version is not None:
            return name, parsed.version
        if parsed.alias is not None:
            return name, self._registry_store.get_model_version_by_alias(name, parsed.alias).version
        if parsed.stage is not None:
            return name, self._version_in_stage(name, ModelVersionStage.canonical(parsed.stage))
        latest = self._registry_store.get_latest_versions(name, None)
        if not latest:
            raise ResourceDoesNotExist(f"No versions of model with name '{name}' found")
        return name, max(latest, key=lambda mv: int(mv.version)).version

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy a version (named by a ``models:/`` registry URI) into ``dst_name`` as its next
        version, creating ``dst_name`` if needed."""
        parsed = uris.parse_models_uri(src_model_uri)
        if parsed.model_id is not None:
            raise InvalidParameterValue(f"Unsupported source model URI {src_model_uri!r}: copy_model_version "
                                        "copies registered model versions (models:/<name>/<version> or @alias)")
        name, version = self.resolve_registry_version(parsed)
        return self._registry_store.copy_model_version(self._registry_store.get_model_version(name, version),
                                                       dst_name)

    # -- audit trail (runyard) --------------------------------------------------------------------
    def get_registry_history(self, name: str, since: int | datetime.datetime | None = None,
                             until: int | datetime.datetime | None = None) -> list[RegistryEvent]:
        """Every recorded change to ``name`` (versions created and deleted, stage transitions,
        alias moves; who, when, from and to), oldest first; ``since``/``until`` bound it (inclusive)."""
        return self._registry_store.get_registry_history(
            name, None if since is None else _as_millis(since, "since"),
            None if until is None else _as_millis(until, "until"))

    def get_version_at(self, name: str, timestamp: int | datetime.datetime, stage: str | None = None,
                       alias: str | None = None) -> str | None:
        """The version that held ``stage`` (or ``alias``) at ``timestamp``; None when none did."""
        if (stage is None) == (alias is None):
            raise InvalidParameterValue("Give exactly one of stage and alias")
        return self._registry_store.get_version_at(
            name, _as_millis(timestamp, "timestamp"),
            stage=None if stage is None else ModelVersionStage.canonical(stage), alias=alias)

