"""Asynchronous logging: calls return at once and one daemon thread writes them in batches.

Consecutive calls for the same run are merged into ``log_batch`` calls that respect the batch
limits. Nothing is dropped: when a merged batch fails, each call's share of it is retried on its
own, so an error reaches exactly the ``RunOperations`` of the calls that caused it.
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from typing import Any, Iterator, Sequence

from runyard import config
from runyard.diagnostics import get_logger
from runyard.entities import Metric, Param, RunTag
from runyard.errors import RunyardException
from runyard.stores.tracking import TrackingStore
from runyard.validation import MAX_BATCH_ENTITIES, MAX_BATCH_METRICS, MAX_BATCH_PARAMS, MAX_BATCH_TAGS

_logger = get_logger(__name__)
_MAX_ITEMS_PER_ROUND = 10_000


# One condition for every outcome: a threading.Event per queued call would cost more than the call.
_settled = threading.Condition()


class _Outcome:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = False
        self.error: BaseException | None = None


def _settle(outcomes: Sequence[_Outcome], errors: dict[int, BaseException]) -> None:
    with _settled:
        for index, outcome in enumerate(outcomes):
            outcome.error = errors.get(index)
            outcome.done = True
        _settled.notify_all()


class RunOperations:
    """Handle on queued logging calls; ``wait()`` blocks until they are written."""

    def __init__(self, outcomes: Sequence[_Outcome] = ()) -> None:
        self._outcomes = list(outcomes)

    @classmethod
    def combine(cls, operations: Sequence["RunOperations | None"]) -> "RunOperations":
        """One handle for several queued calls."""
        return cls([o for ops in operations if ops is not None for o in ops._outcomes])

    def wait(self) -> None:
        """Block until every call is written; raise one RunyardException listing the failures."""
        pending = 0
        with _settled:
            while pending < len(self._outcomes):
                if self._outcomes[pending].done:
                    pending += 1
                else:
                    _settled.wait()
        failures = [o.error for o in self._outcomes if o.error is not None]
        if failures:
            listed = "; ".join(f"{type(e).__name__}: {e}" for e in failures)
            raise RunyardException(
                f"The following failures occurred while performing one or more logging operations: {listed}"
            )


class _Batch:
    """One ``log_batch`` call being assembled from the shares of several queued calls."""

    __slots__ = ("parts", "n_metrics", "n_params", "n_tags", "param_keys", "tag_keys")

    def __init__(self) -> None:
        self.parts: dict[int, tuple[list[Metric], list[Param], list[RunTag]]] = {}
        self.n_metrics = self.n_params = self.n_tags = 0
        self.param_keys: set[str] = set()
        self.tag_keys: set[str] = set()

    def total(self) -> int:
        return self.n_metrics + self.n_params + self.n_tags

    def part(self, owner: int) -> tuple[list[Metric], list[Param], list[RunTag]]:
        part = self.parts.get(owner)
        if part is None:
            part = self.parts[owner] = ([], [], [])
        return part

    def metric_room(self) -> int:
        return min(MAX_BATCH_METRICS - self.n_metrics, MAX_BATCH_ENTITIES - self.total())

    def takes_param(self, key: str) -> bool:
        # A repeated key goes to the next batch so that the store sees calls in their order.
        return self.n_params < MAX_BATCH_PARAMS and self.total() < MAX_BATCH_ENTITIES and key not in self.param_keys

    def takes_tag(self, key: str) -> bool:
        return self.n_tags < MAX_BATCH_TAGS and self.total() < MAX_BATCH_ENTITIES and key not in self.tag_keys

    def flat(self) -> tuple[list[Metric], list[Param], list[RunTag]]:
        metrics: list[Metric] = []
        params: list[Param] = []
        tags: list[RunTag] = []
        for m, p, t in self.parts.values():
            metrics.extend(m)
            params.extend(p)
            tags.extend(t)
        return metrics, params, tags


def _batches(calls: Sequence[tuple[Sequence[Metric], Sequence[Param], Sequence[RunTag]]]) -> Iterator[_Batch]:
    """Pack calls, in order, into batches within MLflow's limits (1000/100/100, 1000 in all)."""
    batch = _Batch()
    for owner, (metrics, params, tags) in enumerate(calls):
        for param in params:
            if not batch.takes_param(param.key):
                yield batch
                batch = _Batch()
            batch.part(owner)[1].append(param)
            batch.n_params += 1
            batch.param_keys.add(param.key)
        for tag in tags:
            if not batch.takes_tag(tag.key):
                yield batch
                batch = _Batch()
            batch.part(owner)[2].append(tag)
            batch.n_tags += 1
            batch.tag_keys.add(tag.key)
        pos = 0
        while pos < len(metrics):
            room = batch.metric_room()
            if room <= 0:
                yield batch
                batch = _Batch()
                continue
            chunk = metrics[pos : pos + room]
            batch.part(owner)[0].extend(chunk)
            batch.n_metrics += len(chunk)
            pos += len(chunk)
    if batch.total():
        yield batch


def split_batch(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> Iterator[tuple[list[Metric], list[Param], list[RunTag]]]:
    """Split one logging call into ``log_batch``-sized pieces."""
    for batch in _batches([(metrics, params, tags)]):
        yield batch.flat()


class _Item:
    __slots__ = ("store", "run_id", "metrics", "params", "tags", "outcome")

    def __init__(self, store: TrackingStore, run_id: str, metrics: Sequence[Metric],
                 params: Sequence[Param], tags: Sequence[RunTag]) -> None:
        self.store, self.run_id = store, run_id
        self.metrics, self.params, self.tags = metrics, params, tags
        self.outcome = _Outcome()


class _FlushMarker:
    __slots__ = ("reached",)

    def __init__(self) -> None:
        self.reached = threading.Event()


def _write_group(items: list[_Item]) -> None:
    """Write consecutive calls for one run; attribute each failure to the calls it contained."""
    store, run_id = items[0].store, items[0].run_id
    errors: dict[int, BaseException] = {}
    try:
        for batch in _batches([(i.metrics, i.params, i.tags) for i in items]):
            _write_batch(store, run_id, batch, errors)
    except Exception as exc:  # noqa: BLE001 - a bug here must not leave callers waiting forever
        errors.update((owner, exc) for owner in range(len(items)) if owner not in errors)
    for error in errors.values():
        _logger.warning("Asynchronous logging to run %s failed: %s", run_id, error)
    _settle([item.outcome for item in items], errors)


def _write_batch(store: TrackingStore, run_id: str, batch: _Batch, errors: dict[int, BaseException]) -> None:
    try:
        store.log_batch(run_id, *batch.flat())
        return
    except Exception as exc:  # noqa: BLE001 - reported through RunOperations
        if len(batch.parts) == 1:
            errors.setdefault(next(iter(batch.parts)), exc)
            return
    # Retry each call's share alone, so only the calls at fault see the error.
    for owner, (metrics, params, tags) in batch.parts.items():
        try:
            store.log_batch(run_id, metrics, params, tags)
        except Exception as exc:  # noqa: BLE001
            errors.setdefault(owner, exc)


def _abandon(entries: list[Any], error: BaseException) -> None:
    """Release everyone waiting on ``entries`` after an unexpected failure."""
    items = [e for e in entries if isinstance(e, _Item) and not e.outcome.done]
    _settle([i.outcome for i in items], dict.fromkeys(range(len(items)), error))
    for entry in entries:
        if isinstance(entry, _FlushMarker):
            entry.reached.set()


class AsyncLoggingQueue:
    """A process's queue of pending logging calls and the one thread that writes them."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def enqueue(self, store: TrackingStore, run_id: str, metrics: Sequence[Metric] = (),
                params: Sequence[Param] = (), tags: Sequence[RunTag] = ()) -> RunOperations:
        """Queue one logging call; the returned handle reports its outcome."""
        item = _Item(store, run_id, metrics, params, tags)
        self._ensure_thread()
        self._queue.put(item)
        return RunOperations([item.outcome])

    def _ensure_thread(self) -> None:
        # Thread.is_alive() costs more than the rest of enqueue; the writer never exits on its
        # own, and flush() covers the case where it was stopped at interpreter shutdown.
        if self._thread is not None:
            return
        with self._start_lock:
            if self._thread is None:
                thread = threading.Thread(target=self._work, name="runyard-async-logging", daemon=True)
                thread.start()
                self._thread = thread

    def _work(self) -> None:
        while True:
            entries = [self._queue.get()]
            try:
                buffer_seconds = config.async_logging_buffer_seconds()
                if buffer_seconds and isinstance(entries[0], _Item):
                    time.sleep(buffer_seconds)
                entries.extend(self._drain())
                self._process(entries)
            except Exception as exc:  # noqa: BLE001 - the writer must outlive any one bad round
                _logger.exception("Asynchronous logging writer failed a round")
                _abandon(entries, exc)

    def _drain(self) -> list[Any]:
        items = []
        while len(items) < _MAX_ITEMS_PER_ROUND:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return items

    def _process(self, entries: list[Any]) -> None:
        with self._write_lock:
            group: list[_Item] = []
            for entry in entries:
                if isinstance(entry, _Item):
                    if group and (entry.store is not group[0].store or entry.run_id != group[0].run_id):
                        _write_group(group)
                        group = []
                    group.append(entry)
                else:
                    if group:
                        _write_group(group)
                        group = []
                    entry.reached.set()
            if group:
                _write_group(group)

    def flush(self) -> None:
        """Block until every call queued before this one is written."""
        if self._thread is None:
            return
        marker = _FlushMarker()
        self._queue.put(marker)
        while not marker.reached.wait(0.2):
            if self._thread is None or not self._thread.is_alive():
                # The writer is gone (interpreter shutdown): write what is left from here.
                self._process(self._drain())
                return


_queue_instance = AsyncLoggingQueue()


def logging_queue() -> AsyncLoggingQueue:
    """The process's async logging queue."""
    return _queue_instance


def flush_async_logging() -> None:
    """Write every queued logging call now (no-op when nothing was ever queued)."""
    _queue_instance.flush()


def _reset_after_fork() -> None:
    global _queue_instance
    _queue_instance = AsyncLoggingQueue()


def _flush_at_exit() -> None:
    try:
        flush_async_logging()
    except Exception as exc:  # noqa: BLE001 - never fail interpreter shutdown
        _logger.warning("Flushing asynchronous logging at exit failed: %s", exc)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)
atexit.register(_flush_at_exit)
