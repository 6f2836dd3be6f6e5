"""The model registry store interface: what every registry backend (SQL, REST) must do.

Names and argument order follow MLflow's registry store, so client code ports unchanged. Every
change to stages, aliases and versions is also recorded as a ``RegistryEvent`` (the audit trail);
``get_registry_history`` lists them and ``get_version_at`` answers "which version held this stage
(or alias) at time T".
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Sequence

from runyard.entities import PagedList
from runyard.entities.registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    RegistryEvent,
)

SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT = 100
SEARCH_REGISTERED_MODEL_MAX_RESULTS_LIMIT = 1000
SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT = 10_000
SEARCH_MODEL_VERSION_MAX_RESULTS_LIMIT = 200_000

# Who is acting, for the audit trail: the server sets it per request (the authenticated user once
# auth exists); when unset, stores record the local user (runyard.config.current_user()).
acting_user: ContextVar[str | None] = ContextVar("runyard_registry_acting_user", default=None)


@dataclass(frozen=True)
class PromotionRule:
    """Moving a version to ``stage`` requires every tag in ``required_tags`` on the version, and,
    when ``required_previous_stage`` is set, that the version has been in that stage before."""

    stage: str
    required_tags: dict[str, str] = field(default_factory=dict)
    required_previous_stage: str | None = None


@dataclass(frozen=True)
class PromotionPolicy:
    """Server-side rules for stage transitions (empty: everything allowed, as in MLflow)."""

    rules: tuple[PromotionRule, ...] = ()


class RegistryStore(ABC):
    """Registered models, versions, stages, aliases, tags and the audit trail."""

    # -- registered models ------------------------------------------------------------------------
    @abstractmethod
    def create_registered_model(self, name: str, tags: Sequence[RegisteredModelTag] | None = None,
                                description: str | None = None,
                                deployment_job_id: str | None = None) -> RegisteredModel: ...

    @abstractmethod
    def update_registered_model(self, name: str, description: str | None,
                                deployment_job_id: str | None = None) -> RegisteredModel: ...

    @abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    @abstractmethod
    def delete_registered_model(self, name: str) -> None: ...

    @abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel: ...

    @abstractmethod
    def search_registered_models(self, filter_string: str | None = None,
                                 max_results: int = SEARCH_REGISTERED_MODEL_MAX_RESULTS_DEFAULT,
                                 order_by: Sequence[str] | None = None,
                                 page_token: str | None = None) -> PagedList[RegisteredModel]: ...

    @abstractmethod
    def get_latest_versions(self, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]: ...

    @abstractmethod
    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None: ...

    @abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    # -- versions ---------------------------------------------------------------------------------
    @abstractmethod
    def create_model_version(self, name: str, source: str, run_id: str | None = None,
                             tags: Sequence[ModelVersionTag] | None = None, run_link: str | None = None,
                             description: str | None = None, local_model_path: str | None = None,
                             model_id: str | None = None) -> ModelVersion: ...

    @abstractmethod
    def update_model_version(self, name: str, version: str, description: str | None) -> ModelVersion: ...

    @abstractmethod
    def transition_model_version_stage(self, name: str, version: str, stage: str,
                                       archive_existing_versions: bool) -> ModelVersion: ...

    @abstractmethod
    def delete_model_version(self, name: str, version: str) -> None: ...

    @abstractmethod
    def get_model_version(self, name: str, version: str) -> ModelVersion: ...

    @abstractmethod
    def get_model_version_download_uri(self, name: str, version: str) -> str: ...

    @abstractmethod
    def search_model_versions(self, filter_string: str | None = None,
                              max_results: int = SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT,
                              order_by: Sequence[str] | None = None,
                              page_token: str | None = None) -> PagedList[ModelVersion]: ...

    @abstractmethod
    def set_model_version_tag(self, name: str, version: str, tag: ModelVersionTag) -> None: ...

    @abstractmethod
    def delete_model_version_tag(self, name: str, version: str, key: str) -> None: ...

    @abstractmethod
    def copy_model_version(self, src_mv: ModelVersion, dst_name: str) -> ModelVersion: ...

    # -- aliases ----------------------------------------------------------------------------------
    @abstractmethod
    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None: ...

    @abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    @abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # -- audit trail (runyard) --------------------------------------------------------------------
    @abstractmethod
    def get_registry_history(self, name: str, since: int | None = None,
                             until: int | None = None) -> list[RegistryEvent]:
        """Audit events of model ``name`` in time order (ms bounds inclusive)."""

    @abstractmethod
    def get_version_at(self, name: str, timestamp: int, *, stage: str | None = None,
                       alias: str | None = None) -> str | None:
        """The version that held ``stage`` (highest version when several did) or ``alias`` at
        ``timestamp``; None when none did."""
