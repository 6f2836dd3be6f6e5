"""Entities: immutable records with no I/O, shaped like MLflow's."""

from runyard.entities.dataset import Dataset, DatasetInput, InputTag
from runyard.entities.enums import LifecycleStage, RunStatus, ViewType
from runyard.entities.experiment import Experiment
from runyard.entities.files import FileInfo, PagedList
from runyard.entities.logged_model import (
    LoggedModel,
    LoggedModelInput,
    LoggedModelOutput,
    LoggedModelParameter,
    LoggedModelStatus,
    LoggedModelTag,
)
from runyard.entities.metric import ExperimentTag, Metric, Param, RunTag
from runyard.entities.registry import (
    ModelVersion,
    ModelVersionStage,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
    RegistryAction,
    RegistryEvent,
)
from runyard.entities.run import ModelInput, ModelOutput, Run, RunData, RunInfo, RunInputs, RunOutputs
from runyard.entities.run_table import RunTable

__all__ = [
    "Dataset",
    "DatasetInput",
    "Experiment",
    "ExperimentTag",
    "FileInfo",
    "InputTag",
    "LifecycleStage",
    "LoggedModel",
    "LoggedModelInput",
    "LoggedModelOutput",
    "LoggedModelParameter",
    "LoggedModelStatus",
    "LoggedModelTag",
    "Metric",
    "ModelInput",
    "ModelOutput",
    "ModelVersion",
    "ModelVersionStage",
    "ModelVersionStatus",
    "ModelVersionTag",
    "PagedList",
    "Param",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
    "RegistryAction",
    "RegistryEvent",
    "Run",
    "RunData",
    "RunInfo",
    "RunInputs",
    "RunOutputs",
    "RunStatus",
    "RunTable",
    "RunTag",
    "ViewType",
]
