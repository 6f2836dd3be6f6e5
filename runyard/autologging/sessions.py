"""What happens around one patched training call.

Only the outermost patched call logs: a Pipeline's ``fit`` calls its steps' ``fit`` (patched too)
and ``XGBClassifier.fit`` calls ``xgboost.train``, and those inner calls run unobserved. Nesting
is tracked per context; a worker thread that a framework starts inside a patched call (joblib's
threading backend) has a context of its own, so a call in a thread other than the main one while
another thread is inside a patched call counts as nested as well.

The outermost call logs into the active run, or starts a run (tagged ``mlflow.autologging``) and
ends it after training: FINISHED, or FAILED when training raised, the user's exception
propagating unchanged. With ``exclusive=True`` nothing is logged into a run the user started.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from runyard.autologging.configs import AutologConfig, get_config
from runyard.autologging.safety import safely, warn
from runyard.client.tracking_client import RunyardClient
from runyard.entities import Metric
from runyard.fluent import runs as fluent_runs
from runyard.fluent.tracking_uri import current_client

AUTOLOGGING_TAG = "mlflow.autologging"

_depth: ContextVar[int] = ContextVar("runyard_autolog_depth", default=0)
_busy_threads: dict[int, int] = {}  # thread id -> outermost patched calls running in it
_threads_lock = threading.Lock()


def in_patched_call() -> bool:
    """Whether a patched training call is running around this one."""
    if _depth.get():
        return True
    if threading.current_thread() is threading.main_thread():
        return False
    me = threading.get_ident()
    with _threads_lock:
        return any(thread != me for thread in _busy_threads)


@contextmanager
def _outermost() -> Iterator[None]:
    token = _depth.set(_depth.get() + 1)
    me = threading.get_ident()
    with _threads_lock:
        _busy_threads[me] = _busy_threads.get(me, 0) + 1
    try:
        yield
    finally:
        with _threads_lock:
            left = _busy_threads.pop(me) - 1
            if left:
                _busy_threads[me] = left
        _depth.reset(token)


class AutologRun:
    """The run one outermost call logs into (started by autolog, or the user's active run)."""

    def __init__(self, run_id: str, experiment_id: str, created: bool, client: RunyardClient) -> None:
        self.run_id = run_id
        self.experiment_id = experiment_id
        self.created = created
        self.client = client

    @classmethod
    def begin(cls, config: AutologConfig) -> "AutologRun | None":
        active = fluent_runs.active_run()
        if active is not None:
            if config.exclusive:
                return None
            return cls(active.info.run_id, active.info.experiment_id, False, current_client())
        tags = {AUTOLOGGING_TAG: config.flavor, **{k: str(v) for k, v in (config.extra_tags or {}).items()}}
        run = fluent_runs.start_run(tags=tags)
        return cls(run.info.run_id, run.info.experiment_id, True, current_client())

    def end(self, status: str) -> None:
        """End the run autolog started (and any the training left open above it)."""
        if not self.created:
            return
        while True:
            top = fluent_runs.active_run()
            if top is None:
                return
            fluent_runs.end_run(status)
            if top.info.run_id == self.run_id:
                return


class MetricBuffer:
    """Per-iteration metrics of a training loop, written in batches (every ``interval`` seconds,
    every ``size`` points, and at the end) rather than one request per point.

    ``add`` runs inside the framework's training loop, so it never raises: the first failure is
    a warning and the buffer stops logging for the rest of the training.
    """

    def __init__(self, config: AutologConfig, run: AutologRun, interval: float = 2.0, size: int = 1000) -> None:
        self._config = config
        self._run = run
        self._points: list[Metric] = []
        self._interval = interval
        self._size = size
        self._last_flush = time.monotonic()
        self._failed = False

    def add(self, metrics: Callable[[], dict[str, float]], step: int) -> None:
        """Record ``metrics()`` (computed here, so that its errors are caught too) at ``step``."""
        if self._failed:
            return
        try:
            now = int(time.time() * 1000)
            self._points.extend(Metric(key, float(value), now, step) for key, value in metrics().items())
            if len(self._points) >= self._size or time.monotonic() - self._last_flush >= self._interval:
                self.flush()
        except Exception as exc:  # noqa: BLE001 - never let logging break the training loop
            self._failed, self._points = True, []
            warn(self._config, f"runyard {self._config.flavor} autologging could not log per-iteration "
                               f"metrics: {type(exc).__name__}: {exc}")

    def flush(self) -> None:
        points, self._points = self._points, []
        self._last_flush = time.monotonic()
        if points and not self._failed:
            self._run.client.log_batch(self._run.run_id, metrics=points, synchronous=True)


class TrainingCall:
    """One outermost patched call; flavors override ``prepare``, ``log`` and ``finish``."""

    def __init__(self, config: AutologConfig, run: AutologRun, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self.config = config
        self.run = run
        self.args = args
        self.kwargs = kwargs

    def step(self, what: str, action: Callable[..., Any], *args: Any, default: Any = None, **kwargs: Any) -> Any:
        """Run one logging action on its own: its failure is a warning and the next action still runs."""
        return safely(self.config, what, action, *args, default=default, **kwargs)

    def prepare(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The arguments to train with (a flavor may add a callback); the given ones by default."""
        return self.args, self.kwargs

    def log(self, result: Any) -> None:
        """Log what training produced (params, metrics, the model)."""

    def finish(self, failed: bool) -> None:
        """Called last, also when training raised (flush buffered metrics)."""


def patched_training(flavor: str, call_class: type[TrainingCall]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A wrapper factory for ``patching.patch``: the wrapper trains through ``original`` and logs
    around it with ``call_class`` when it is the outermost call and ``flavor``'s autolog is on."""

    def make_wrapper(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            config = get_config(flavor)
            if config is None or in_patched_call():
                return original(*args, **kwargs)
            with _outermost():
                return _train_and_log(config, original, call_class, args, kwargs)

        return wrapper

    return make_wrapper


def _train_and_log(config: AutologConfig, original: Callable[..., Any], call_class: type[TrainingCall],
                   args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    run = safely(config, "start a run", AutologRun.begin, config)
    if run is None:
        return original(*args, **kwargs)
    call = call_class(config, run, args, kwargs)
    call_args, call_kwargs = safely(config, "prepare the training call", call.prepare, default=(args, kwargs))
    try:
        result = original(*call_args, **call_kwargs)
    except BaseException:
        safely(config, "finish logging", call.finish, True)
        safely(config, "end the run", run.end, "FAILED")
        raise
    safely(config, "log the training results", call.log, result)
    safely(config, "finish logging", call.finish, False)
    safely(config, "end the run", run.end, "FINISHED")
    return result
