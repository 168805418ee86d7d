"""The answer queue: one at a time in arrival order, bounded in length and in waiting time."""

import asyncio
import time

import pytest

from assistant.apps.gate import Busy, Gate


def test_one_at_a_time_in_order_and_refuses_beyond_the_queue():
    async def main():
        gate, log = Gate(max_waiting=2, max_wait_s=30), []

        def work(n):
            log.append(("start", n))
            time.sleep(0.1)
            log.append(("end", n))
            return n

        tasks = [asyncio.ensure_future(gate.run(work, n)) for n in range(3)]
        await asyncio.sleep(0.02)  # the first runs, two wait: the queue is full
        with pytest.raises(Busy, match="queue is full") as refused:
            await gate.run(work, 99)
        assert refused.value.retry_after >= 1
        assert await asyncio.gather(*tasks) == [0, 1, 2]
        return gate, log

    gate, log = asyncio.run(main())
    assert log == [(e, n) for n in range(3) for e in ("start", "end")]  # never two at once
    assert (gate.served, gate.refused, gate.waiting) == (3, 1, 0)


def test_a_wait_beyond_the_limit_is_refused_and_leaves_the_queue():
    async def main():
        gate = Gate(max_waiting=4, max_wait_s=0.05)
        slow = asyncio.ensure_future(gate.run(time.sleep, 0.3))
        await asyncio.sleep(0.01)
        with pytest.raises(Busy, match="waited 0.05 s"):
            await gate.run(time.sleep, 0)
        assert gate.waiting == 0
        await slow
        assert await gate.run(lambda: "free again") == "free again"

    asyncio.run(main())


def test_a_cancelled_waiter_gives_its_place_up():
    async def main():
        gate = Gate(max_waiting=4, max_wait_s=30)
        slow = asyncio.ensure_future(gate.run(time.sleep, 0.2))
        await asyncio.sleep(0.01)
        waiter = asyncio.ensure_future(gate.run(lambda: "never"))
        await asyncio.sleep(0.01)
        waiter.cancel()
        await asyncio.sleep(0.01)
        assert gate.waiting == 0
        await slow
        assert await asyncio.wait_for(gate.run(lambda: "next"), 1) == "next"  # the slot was not lost

    asyncio.run(main())
