"""The active experiment and the fluent experiment functions."""

from __future__ import annotations

import threading
from typing import Any

from runyard import config
from runyard.client.tracking_client import RunyardClient
from runyard.entities import Experiment, LifecycleStage
from runyard.errors import InvalidParameterValue, ResourceAlreadyExists, ResourceDoesNotExist
from runyard.fluent.tracking_uri import current_client

DEFAULT_EXPERIMENT_ID = "0"
_active_experiment_id: str | None = None
_lock = threading.Lock()


def active_experiment_id() -> str | None:
    """The experiment chosen with ``set_experiment`` in this process, if any."""
    return _active_experiment_id


def reset_active_experiment() -> None:
    """Forget the experiment chosen with ``set_experiment``."""
    global _active_experiment_id
    _active_experiment_id = None


def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment active (by name, created when missing, or by id) and return it.

    A deleted experiment cannot be made active: restore it first.
    """
    global _active_experiment_id
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidParameterValue("Must specify exactly one of: `experiment_id` or `experiment_name`.")
    client = current_client()
    with _lock:
        if experiment_id is not None:
            experiment = client.get_experiment(str(experiment_id))
        else:
            assert experiment_name is not None
            experiment = client.get_experiment_by_name(experiment_name) or _create_missing(client, experiment_name)
        if experiment.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidParameterValue(
                f"Cannot set a deleted experiment {experiment.name!r} as the active experiment. You can "
                "restore the experiment, or permanently delete the experiment to create a new one."
            )
        _active_experiment_id = experiment.experiment_id
    # Child processes (and `runyard run` subprocesses) inherit the choice.
    config.set_env("EXPERIMENT_ID", experiment.experiment_id)
    return experiment


def _create_missing(client: RunyardClient, name: str) -> Experiment:
    try:
        return client.get_experiment(client.create_experiment(name))
    except ResourceAlreadyExists:
        # Another process created it between our lookup and our create.
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found


def experiment_id_for_new_run(client: RunyardClient) -> str:
    """set_experiment's choice, else RUNYARD/MLFLOW_EXPERIMENT_NAME, else _EXPERIMENT_ID, else "0"."""
    if _active_experiment_id is not None:
        return _active_experiment_id
    name, env_id = config.experiment_name(), config.experiment_id()
    if name:
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            return client.create_experiment(name)
        if env_id and env_id != experiment.experiment_id:
            raise InvalidParameterValue(
                f"The experiment ID {env_id!r} from the environment does not match the ID "
                f"{experiment.experiment_id!r} of experiment {name!r} named there"
            )
        return experiment.experiment_id
    if env_id:
        try:
            return client.get_experiment(env_id).experiment_id
        except ResourceDoesNotExist:
            raise InvalidParameterValue(
                f"The experiment ID {env_id!r} from the environment (RUNYARD_EXPERIMENT_ID / "
                "MLFLOW_EXPERIMENT_ID) does not exist in the tracking store"
            ) from None
    return DEFAULT_EXPERIMENT_ID


def get_experiment(experiment_id: str) -> Experiment:
    """The experiment with this id (raises ResourceDoesNotExist)."""
    return current_client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    """The experiment with this name, or None."""
    return current_client().get_experiment_by_name(name)


def create_experiment(name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None) -> str:
    """Create an experiment; returns its id."""
    return current_client().create_experiment(name, artifact_location, tags)


def delete_experiment(experiment_id: str) -> None:
    """Mark an experiment deleted."""
    current_client().delete_experiment(experiment_id)


def restore_experiment(experiment_id: str) -> None:
    """Restore a deleted experiment."""
    current_client().restore_experiment(experiment_id)


def set_experiment_tag(key: str, value: Any) -> None:
    """Set a tag on the current experiment."""
    client = current_client()
    client.set_experiment_tag(experiment_id_for_new_run(client), key, value)


def set_experiment_tags(tags: dict[str, Any]) -> None:
    """Set several tags on the current experiment."""
    for key, value in tags.items():
        set_experiment_tag(key, value)


def delete_experiment_tag(key: str) -> None:
    """Remove a tag from the current experiment."""
    client = current_client()
    client.delete_experiment_tag(experiment_id_for_new_run(client), key)
