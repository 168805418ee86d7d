"""Ingest plumbing: read sources in a background thread, and show documents/s and chunks/s."""

from __future__ import annotations

import queue
import sys
import threading
import time
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from tqdm import tqdm

_DONE = object()


def prefetch(items: Iterable[Any], size: int = 64) -> Iterator[Any]:
    """Iterate `items` in a daemon thread, `size` ahead of the consumer. Parsing (pypdf, lxml, SQL
    drivers) then overlaps with embedding, whose torch kernels release the GIL. An exception raised
    by the producer is re-raised here, in the consumer."""
    buffer: queue.Queue = queue.Queue(maxsize=size)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                buffer.put(item)
            buffer.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which decides
            buffer.put(_Failure(exc))

    thread = threading.Thread(target=produce, name="ingest-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting on a full queue so it can see `stop`
            try:
                buffer.get(timeout=0.05)
            except queue.Empty:
                pass


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class Throughput:
    """A progress bar over documents read, with chunks embedded and both rates in its postfix."""

    def __init__(self, enabled: bool, label: str = "ingest") -> None:
        self.started = time.perf_counter()
        self.documents = 0
        self.chunks = 0
        self.bar = tqdm(desc=label, unit="doc", file=sys.stderr, disable=not enabled, dynamic_ncols=True)

    def read(self) -> None:
        self.bar.update(1)

    def wrote(self, documents: int, chunks: int) -> None:
        self.documents += documents
        self.chunks += chunks
        elapsed = max(time.perf_counter() - self.started, 1e-9)
        self.bar.set_postfix_str(f"{self.chunks} chunks, {self.documents / elapsed:.1f} docs/s, "
                                 f"{self.chunks / elapsed:.1f} chunks/s", refresh=False)

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def close(self) -> None:
        self.bar.close()


@contextmanager
def stage(stages: dict[str, float], name: str) -> Iterator[None]:
    """Adds the seconds the block takes to stages[name] (an ingest's per-stage time)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = round(stages.get(name, 0.0) + time.perf_counter() - started, 6)


def waited(items: Iterable[Any], stages: dict[str, float], name: str) -> Iterator[Any]:
    """`items`, adding to stages[name] the time the consumer waits for each one (for a prefetch: how long
    the reader, not the embedding, held the ingest up)."""
    iterator = iter(items)
    while True:
        with stage(stages, name):
            item = next(iterator, _DONE)
        if item is _DONE:
            return
        yield item
