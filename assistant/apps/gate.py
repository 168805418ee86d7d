"""The bounded worker in front of answering: one answer at a time (generation already uses every core),
at most `max_waiting` requests queued in FIFO order, each waiting at most `max_wait_s`. A request beyond
either bound is refused at once with a Retry-After estimate instead of piling up threads and memory.

It lives on the event loop: a waiting request holds a future, not a thread, so a full queue still
leaves the thread pool free for searches, document lists and /health."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from typing import Callable, TypeVar

import anyio

T = TypeVar("T")


class Busy(Exception):
    """The queue is full or the wait ran out; `retry_after` is a guess in whole seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Gate:
    def __init__(self, max_waiting: int = 32, max_wait_s: float = 600.0) -> None:
        if max_waiting < 0 or max_wait_s <= 0:
            raise ValueError(f"Gate: expected max_waiting >= 0 and max_wait_s > 0, found {max_waiting}, {max_wait_s}")
        self.max_waiting, self.max_wait_s = max_waiting, max_wait_s
        self._busy = False
        self._waiters: deque[asyncio.Future] = deque()
        self._recent: deque[float] = deque(maxlen=20)  # seconds per answer, for Retry-After
        self.served = 0
        self.refused = 0

    @property
    def busy(self) -> bool:
        return self._busy

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    def retry_after(self) -> int:
        per_answer = sum(self._recent) / len(self._recent) if self._recent else 10.0
        return max(1, math.ceil(per_answer * (self.waiting + 1)))

    def _refuse(self, why: str) -> Busy:
        self.refused += 1
        wait = self.retry_after()
        return Busy(f"{why}; retry in about {wait} s", wait)

    async def run(self, fn: Callable[..., T], *args) -> T:
        """`fn(*args)` in a worker thread once it is this request's turn."""
        await self._acquire()
        started = time.perf_counter()
        try:
            return await anyio.to_thread.run_sync(fn, *args)
        finally:
            self._recent.append(time.perf_counter() - started)
            self.served += 1
            self._release()

    def admit(self) -> None:
        """Raises Busy now when the queue is full, before a streamed response sends its status."""
        if self._busy and self.waiting >= self.max_waiting:
            raise self._refuse(f"the answer queue is full ({self.max_waiting} waiting)")

    async def _acquire(self) -> None:
        if not self._busy and not self._waiters:
            self._busy = True
            return
        self.admit()
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        try:
            # shield: a timeout cancels the wait, never the turn itself, so a turn handed over at the
            # last moment is seen (done) and used instead of being lost with the slot it carries.
            await asyncio.wait_for(asyncio.shield(turn), self.max_wait_s)
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:
            if turn.done():
                if isinstance(exc, asyncio.TimeoutError):
                    return  # granted just as the wait ran out: ours
                self._release()  # granted, but the request went away: pass the slot on
            else:
                self._waiters.remove(turn)
            if isinstance(exc, asyncio.CancelledError):
                raise
            raise self._refuse(f"waited {self.max_wait_s:g} s in the answer queue without a turn") from None

    def _release(self) -> None:
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)  # hand the slot over: _busy stays True
                return
        self._busy = False
