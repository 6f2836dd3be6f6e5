"""The active-run stack: start_run, end_run, active_run, last_active_run.

The stack is one ContextVar holding an immutable tuple, so threads and asyncio tasks never share
mutations. A thread that has not started runs of its own sees the main thread's stack: a run
started in the main thread is the one that worker threads log to (MLflow's thread-local stack
makes each worker start a stray run instead). A worker's own ``start_run`` starts a stack of its
own, and its ``end_run`` never ends the main thread's runs.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from runyard import config
from runyard.client.tracking_client import RunyardClient
from runyard.diagnostics import get_logger
from runyard.entities import LifecycleStage, Run, RunStatus, RunTag
from runyard.errors import InvalidParameterValue, RunyardException
from runyard.fluent.experiments import active_experiment_id, experiment_id_for_new_run
from runyard.fluent.tracking_uri import current_client
from runyard.validation import validate_run_id

_logger = get_logger(__name__)
_NOTE_TAG = "mlflow.note.content"
_PARENT_TAG = "mlflow.parentRunId"


class ActiveRun(Run):
    """A started run; use it as a context manager to end it (FAILED when the block raises)."""

    def __enter__(self) -> "ActiveRun":
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> bool:
        _end_through(self, "FINISHED" if exc_type is None else "FAILED")
        return exc_type is None


_stack_var: ContextVar[tuple[ActiveRun, ...] | None] = ContextVar("runyard_active_runs", default=None)
_last_var: ContextVar[str | None] = ContextVar("runyard_last_active_run", default=None)
_main_stack: tuple[ActiveRun, ...] = ()
_last_run_id: str | None = None
_open_runs: dict[str, tuple[ActiveRun, str]] = {}  # run id -> (run, tracking URI), for atexit
_lock = threading.Lock()


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def visible_stack() -> tuple[ActiveRun, ...]:
    """This context's runs, or the main thread's when this thread has none of its own."""
    own = _stack_var.get()
    if own is not None:
        return own
    return () if _on_main_thread() else _main_stack


def _set_stack(stack: tuple[ActiveRun, ...]) -> None:
    global _main_stack
    on_main = _on_main_thread()
    # An emptied worker stack goes back to following the main thread's.
    _stack_var.set(stack if (stack or on_main) else None)
    if on_main:
        _main_stack = stack


def _remember_last(run_id: str) -> None:
    global _last_run_id
    _last_var.set(run_id)
    _last_run_id = run_id


def _client_for(run_id: str) -> RunyardClient:
    entry = _open_runs.get(run_id)
    return RunyardClient(entry[1]) if entry is not None else current_client()


def _end_through(run: ActiveRun, status: str) -> None:
    """End ``run`` and any runs started above it in this context."""
    own = _stack_var.get() or ()
    position = next((i for i, r in enumerate(own) if r is run), None)
    if position is None:
        return
    for _ in range(len(own) - position):
        end_run(status)


def _unset_run_id_env() -> None:
    os.environ.pop("RUNYARD_RUN_ID", None)
    os.environ.pop("MLFLOW_RUN_ID", None)


def _resume_run(client: RunyardClient, run_id: str, run_name: str | None, tags: dict[str, Any],
                description: str | None) -> Run:
    validate_run_id(run_id)
    run = client.get_run(run_id)
    active_exp = active_experiment_id()
    if active_exp is not None and active_exp != run.info.experiment_id:
        raise RunyardException(
            f"Cannot start run with ID {run_id} because active experiment ID {active_exp} does not match "
            f"the run's experiment ID {run.info.experiment_id}"
        )
    if run.info.lifecycle_stage == LifecycleStage.DELETED:
        raise RunyardException(f"Cannot start run with ID {run_id} because it is in the deleted state.")
    client.update_run(run_id, status=RunStatus.to_string(RunStatus.RUNNING), name=run_name)
    tags = dict(tags)
    if description:
        tags[_NOTE_TAG] = description
    if tags:
        client.log_batch(run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()], synchronous=True)
    return client.get_run(run_id)


def _create_run(client: RunyardClient, experiment_id: str | None, run_name: str | None, parent_id: str | None,
                tags: dict[str, Any], description: str | None) -> Run:
    resolved = {
        "mlflow.user": config.current_user(),
        "mlflow.source.name": sys.argv[0] if sys.argv and sys.argv[0] else "<console>",
        "mlflow.source.type": "LOCAL",
        **tags,
    }
    if description:
        resolved[_NOTE_TAG] = description
    if parent_id:
        resolved[_PARENT_TAG] = parent_id
    if run_name:
        resolved["mlflow.runName"] = run_name
    exp_id = str(experiment_id) if experiment_id is not None else experiment_id_for_new_run(client)
    return client.create_run(exp_id, tags=resolved, run_name=run_name)


def _parent_for(client: RunyardClient, parent_run_id: str | None, stack: tuple[ActiveRun, ...]) -> str | None:
    if not parent_run_id:
        return stack[-1].info.run_id if stack else None
    validate_run_id(parent_run_id)
    if stack and parent_run_id != stack[-1].info.run_id:
        raise RunyardException(
            f"Current run with UUID {stack[-1].info.run_id} does not match the specified parent_run_id "
            f"{parent_run_id}. To start a new nested run under the parent run with UUID "
            f"{stack[-1].info.run_id}, first end the current run with end_run()."
        )
    if client.get_run(parent_run_id).info.lifecycle_stage == LifecycleStage.DELETED:
        raise RunyardException(f"Cannot start run under parent run with ID {parent_run_id} because it is deleted.")
    return parent_run_id


def start_run(run_id: str | None = None, experiment_id: str | None = None, run_name: str | None = None,
              nested: bool = False, parent_run_id: str | None = None, tags: dict[str, Any] | None = None,
              description: str | None = None, log_system_metrics: bool | None = None) -> ActiveRun:
    """Start a run (or resume ``run_id`` / ``RUNYARD_RUN_ID`` / ``MLFLOW_RUN_ID``) and make it active.

    A second top-level run while one is active needs ``nested=True``. Use the result in a ``with``
    block to end the run when the block ends (FAILED if it raised).
    """
    own = _stack_var.get()
    inherited = own is None and not _on_main_thread()
    stack = visible_stack()
    if stack and not nested and not inherited:
        raise RunyardException(
            f"Run with UUID {stack[0].info.run_id} is already active. To start a new run, first end the "
            "current run with end_run(). To start a nested run, call start_run with nested=True"
        )
    if tags and description and _NOTE_TAG in tags:
        raise InvalidParameterValue(f"Description is already set via the tag {_NOTE_TAG} in tags; pass only one")
    client = current_client()
    resume_id = run_id or config.run_id()
    if resume_id:
        if not run_id:
            _unset_run_id_env()
        run = _resume_run(client, resume_id, run_name, tags or {}, description)
    else:
        parent = _parent_for(client, parent_run_id, stack if (nested or parent_run_id) else ())
        run = _create_run(client, experiment_id, run_name, parent, tags or {}, description)
    active = ActiveRun(run.info, run.data, run.inputs, run.outputs)
    with _lock:
        _open_runs[run.info.run_id] = (active, client.tracking_uri)
    _set_stack((own or ()) + (active,))
    return active


def end_run(status: str = "FINISHED") -> None:
    """End the innermost active run of this context (no-op when there is none)."""
    own = _stack_var.get()
    if not own:
        return
    run = own[-1]
    _set_stack(own[:-1])
    run_id = run.info.run_id
    _unset_run_id_env()
    _remember_last(run_id)
    client = _client_for(run_id)
    with _lock:
        _open_runs.pop(run_id, None)
    client.set_terminated(run_id, status)


def active_run() -> ActiveRun | None:
    """The innermost active run (or the main thread's, in a thread without runs of its own)."""
    stack = visible_stack()
    return stack[-1] if stack else None


def active_run_id_or_start() -> str:
    """The active run's id; starts a run when none is active (as MLflow's logging calls do)."""
    stack = visible_stack()
    if stack:
        return stack[-1].info.run_id
    return start_run().info.run_id


def last_active_run() -> Run | None:
    """The active run, else the last run this process ended (fetched fresh), else None."""
    current = active_run()
    if current is not None:
        return current
    run_id = _last_var.get() or _last_run_id
    return current_client().get_run(run_id) if run_id else None


def get_run(run_id: str) -> Run:
    """The run with its latest metrics, params, tags and inputs."""
    return current_client().get_run(run_id)


def get_parent_run(run_id: str) -> Run | None:
    """The parent of a nested run, or None."""
    return current_client().get_parent_run(run_id)


def delete_run(run_id: str) -> None:
    """Mark a run deleted."""
    current_client().delete_run(run_id)


def restore_run(run_id: str) -> None:
    """Restore a deleted run."""
    current_client().restore_run(run_id)


def reset_state() -> None:
    """End nothing, forget everything: the stacks and the last run (for tests and forks)."""
    global _main_stack, _last_run_id
    _stack_var.set(None)
    _last_var.set(None)
    _main_stack = ()
    _last_run_id = None
    with _lock:
        _open_runs.clear()


def _end_runs_at_exit() -> None:
    with _lock:
        pending = list(_open_runs.items())
        _open_runs.clear()
    for run_id, (_, uri) in reversed(pending):
        try:
            RunyardClient(uri).set_terminated(run_id, "FINISHED")
        except Exception as exc:  # noqa: BLE001 - never fail interpreter shutdown
            _logger.warning("Could not end run %s at exit: %s", run_id, exc)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=reset_state)
atexit.register(_end_runs_at_exit)
