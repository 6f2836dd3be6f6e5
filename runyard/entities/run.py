"""Run entity: info, data, inputs and outputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from runyard.entities.dataset import DatasetInput
from runyard.entities.metric import Metric


@dataclass(frozen=True, slots=True)
class RunInfo:
    run_id: str
    experiment_id: str
    run_name: str
    user_id: str
    status: str
    start_time: int | None
    end_time: int | None
    artifact_uri: str
    lifecycle_stage: str

    @property
    def run_uuid(self) -> str:
        return self.run_id


@dataclass(frozen=True, eq=False, slots=True)
class RunData:
    """Latest value per metric key, params and tags, as dicts (MLflow's shape)."""

    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metric_objects: tuple[Metric, ...] = ()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunData):
            return NotImplemented
        return (self.metrics, self.params, self.tags) == (other.metrics, other.params, other.tags)

    @property
    def _metric_objs(self) -> list[Metric]:
        # MLflow code reaches for this private name; keep it working.
        return list(self.metric_objects)


@dataclass(frozen=True, slots=True)
class ModelInput:
    """A logged model a run used (MLflow's ``LoggedModelInput``)."""

    model_id: str


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """A logged model a run produced, at a step (MLflow's ``LoggedModelOutput``)."""

    model_id: str
    step: int


@dataclass(frozen=True, slots=True)
class RunInputs:
    dataset_inputs: tuple[DatasetInput, ...] = ()
    model_inputs: tuple[ModelInput, ...] = ()


@dataclass(frozen=True, slots=True)
class RunOutputs:
    model_outputs: tuple[ModelOutput, ...] = ()


@dataclass(frozen=True, slots=True)
class Run:
    info: RunInfo
    data: RunData = field(default_factory=RunData)
    inputs: RunInputs = field(default_factory=RunInputs)
    outputs: RunOutputs = field(default_factory=RunOutputs)
