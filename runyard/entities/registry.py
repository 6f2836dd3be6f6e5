"""Model registry entities: registered models, their versions, tags, aliases, and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field

from runyard.errors import InvalidParameterValue


class ModelVersionStage:
    """Registry stages (deprecated in MLflow in favour of aliases, still widely used)."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"
    ALL = (NONE, STAGING, PRODUCTION, ARCHIVED)
    _BY_LOWER = {s.lower(): s for s in ALL}

    @classmethod
    def canonical(cls, stage: str) -> str:
        """The canonical spelling of ``stage`` (input is case-insensitive)."""
        found = cls._BY_LOWER.get(stage.strip().lower()) if isinstance(stage, str) else None
        if found is None:
            raise InvalidParameterValue(
                f"Invalid Model Version stage: {stage!r}. Value must be one of {', '.join(cls.ALL)}."
            )
        return found


class ModelVersionStatus:
    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"
    ALL = (PENDING_REGISTRATION, FAILED_REGISTRATION, READY)


@dataclass(frozen=True, slots=True)
class RegisteredModelTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ModelVersionTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RegisteredModelAlias:
    alias: str
    version: str


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One version of a registered model (MLflow's attribute names; ``version`` is a string)."""

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str | None = None
    user_id: str | None = None
    current_stage: str = ModelVersionStage.NONE
    source: str | None = None
    run_id: str | None = None
    status: str = ModelVersionStatus.READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    run_link: str | None = None
    aliases: tuple[str, ...] = ()
    model_id: str | None = None


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    name: str
    creation_timestamp: int
    last_updated_timestamp: int | None = None
    description: str | None = None
    latest_versions: tuple[ModelVersion, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    # alias -> version, as MLflow's RegisteredModel.aliases
    aliases: dict[str, str] = field(default_factory=dict)
    deployment_job_id: str | None = None
    deployment_job_state: str | None = None


class RegistryAction:
    """What a registry audit event records."""

    CREATE_MODEL = "CREATE_MODEL"
    RENAME_MODEL = "RENAME_MODEL"
    DELETE_MODEL = "DELETE_MODEL"
    CREATE_VERSION = "CREATE_VERSION"
    DELETE_VERSION = "DELETE_VERSION"
    TRANSITION_STAGE = "TRANSITION_STAGE"
    SET_ALIAS = "SET_ALIAS"
    DELETE_ALIAS = "DELETE_ALIAS"


@dataclass(frozen=True, slots=True)
class RegistryEvent:
    """One audit record: ``who`` did ``action`` to ``name``/``version`` at ``timestamp`` (ms), moving
    ``key`` (a stage name for transitions, an alias for alias moves) from ``from_value`` to ``to_value``
    (versions for aliases, stages for transitions)."""

    event_id: int
    name: str
    action: str
    timestamp: int
    user_id: str | None = None
    version: str | None = None
    key: str | None = None
    from_value: str | None = None
    to_value: str | None = None
