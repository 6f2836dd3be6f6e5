"""MLflow 3 logged models: a model's record of its own, apart from the run that produced it."""

from __future__ import annotations

from dataclasses import dataclass, field

from runyard.entities.metric import Metric
from runyard.entities.run import ModelInput, ModelOutput
from runyard.errors import InvalidParameterValue

# One entity each for a run's model inputs and outputs, under both names.
LoggedModelInput = ModelInput
LoggedModelOutput = ModelOutput


class LoggedModelStatus:
    """Logged model states; values are what runyard stores, ``to_wire`` gives MLflow's enum names."""

    UNSPECIFIED = "UNSPECIFIED"
    PENDING = "PENDING"
    READY = "READY"
    UPLOAD_FAILED = "UPLOAD_FAILED"

    _WIRE = {
        UNSPECIFIED: "LOGGED_MODEL_STATUS_UNSPECIFIED",
        PENDING: "LOGGED_MODEL_PENDING",
        READY: "LOGGED_MODEL_READY",
        UPLOAD_FAILED: "LOGGED_MODEL_UPLOAD_FAILED",
    }
    _NUMBERS = {UNSPECIFIED: 0, PENDING: 1, READY: 2, UPLOAD_FAILED: 3}
    _BY_NUMBER = {number: value for value, number in _NUMBERS.items()}
    # Any spelling a caller may send, upper-cased: our value, the wire name, the wire name's tail.
    _BY_NAME = {
        **{value: value for value in _WIRE},
        **{wire: value for value, wire in _WIRE.items()},
        "STATUS_UNSPECIFIED": UNSPECIFIED,
    }

    @classmethod
    def all_statuses(cls) -> list[str]:
        return list(cls._WIRE)

    @classmethod
    def from_wire(cls, status: str | int) -> str:
        """The status value from a wire name (``LOGGED_MODEL_READY``), a value (``READY``, any
        case) or a proto number (0-3)."""
        if isinstance(status, int) and not isinstance(status, bool):
            found = cls._BY_NUMBER.get(status)
        elif isinstance(status, str):
            found = cls._BY_NAME.get(status.strip().upper())
        else:
            found = None
        if found is None:
            raise InvalidParameterValue(
                f"Invalid logged model status {status!r} for field 'status': expected one of "
                f"{', '.join(cls._WIRE.values())} (or 0-3)"
            )
        return found

    @classmethod
    def to_wire(cls, status: str | int) -> str:
        """MLflow's enum name (``LOGGED_MODEL_READY``) for a status in any accepted form."""
        return cls._WIRE[cls.from_wire(status)]

    @classmethod
    def to_number(cls, status: str | int) -> int:
        """MLflow's proto number for a status in any accepted form."""
        return cls._NUMBERS[cls.from_wire(status)]

    @classmethod
    def normalize(cls, status: str | int) -> str:
        """Canonical status value from any accepted form (same as ``from_wire``)."""
        return cls.from_wire(status)


@dataclass(frozen=True, slots=True)
class LoggedModelTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LoggedModelParameter:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class LoggedModel:
    """A logged model with MLflow's Python attribute names.

    ``metrics`` holds every point logged with this model's id (key, value, timestamp, step, run_id,
    dataset_name, dataset_digest, model_id), as MLflow's ``LoggedModel.metrics`` does.
    """

    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp: int
    last_updated_timestamp: int
    status: str
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()

    @property
    def model_uri(self) -> str:
        return f"models:/{self.model_id}"
