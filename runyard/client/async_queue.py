"""Asynchronous logging: calls return at once and one daemon thread writes them in batches.

Consecutive calls for the same run are merged into ``log_batch`` calls that respect the batch
limits. Nothing is dropped: when a merged batch fails, each call's share of it is retried on its
own, so an error reaches exactly the ``RunOperations`` of the calls that caused it.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
from typing import Any, Iterator, Sequence

from runyard import config
from runyard.entities import Metric, Param, RunTag
from runyard.errors import RunyardException
from runyard.stores.tracking import TrackingStore
from runyard.validation import MAX_BATCH_ENTITIES, MAX_BATCH_METRICS, MAX_BATCH_PARAMS, MAX_BATCH_TAGS

_logger = logging.getLogger(__name__)
_MAX_ITEMS_PER_ROUND = 10_000


class _Outcome:
    __slots__ = ("done", "error")

    def __init__(self) -> None:
        self.done = threading.Event()
        self.error: BaseException | None = None


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
        failures = []
        for outcome in self._outcomes:
            outcome.done.wait()
            if outcome.error is not None:
                failures.append(outcome.error)
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
    for batch in _batches([(i.metrics, i.params, i.tags) for i in items]):
        try:
            store.log_batch(run_id, *batch.flat())
            continue
        except Exception as exc:  # noqa: BLE001 - reported through RunOperations
            if len(batch.parts) == 1:
                errors.setdefault(next(iter(batch.parts)), exc)
                continue
        for owner, (m, p, t) in batch.parts.items():
            try:
                store.log_batch(run_id, m, p, t)
            except Exception as exc:  # noqa: BLE001
                errors.setdefault(owner, exc)
    for owner, item in enumerate(items):
        item.outcome.error = errors.get(owner)
        if item.outcome.error is not None:
            _logger.warning("Asynchronous logging to run %s failed: %s", run_id, item.outcome.error)
        item.outcome.done.set()


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
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="runyard-async-logging", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            buffer_seconds = config.async_logging_buffer_seconds()
            if buffer_seconds and isinstance(first, _Item):
                time.sleep(buffer_seconds)
            self._process([first, *self._drain()])

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
