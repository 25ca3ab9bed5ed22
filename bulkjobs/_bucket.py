"""The leaky bucket that paces one API: a pure core and a small asyncio waiter queue.

The rate controller retunes its bucket while tasks wait on it (every throttle, every
probe), which no general-purpose limiter supports: doing it to one from outside means
writing its private attributes. So the bucket is ours, and small.

:class:`LeakyBucket` is the decision: ``level`` units drain at ``rate`` per second, a
unit fits while ``level + 1 <= capacity``. It takes ``now`` on every call, so it is
tested with plain numbers. :class:`AsyncBucket` queues tasks in arrival order and keeps
one timer, for the head of the queue, on the running loop's clock (``loop.time``).
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["AsyncBucket", "LeakyBucket"]


class LeakyBucket:
    """``capacity`` units deep, draining ``rate`` units a second. Pure."""

    __slots__ = ("_last", "capacity", "level", "rate")

    def __init__(self, capacity: float, rate: float, *, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.level = 0.0
        self._last = now

    def _leak(self, now: float) -> None:
        if self.level:
            self.level = max(0.0, self.level - (now - self._last) * self.rate)
        self._last = now

    def retune(self, capacity: float, rate: float, *, now: float) -> None:
        """Drain at the old rate up to ``now``, then change both: a change applies
        from now on, never to the time already passed."""
        self._leak(now)
        self.capacity = capacity
        self.rate = rate

    def has_room(self, now: float) -> bool:
        self._leak(now)
        return self.level + 1 <= self.capacity

    def take(self, now: float) -> bool:
        """Take one unit if it fits now."""
        if not self.has_room(now):
            return False
        self.level += 1
        return True

    def give_back(self) -> None:
        """Return a unit taken for a waiter that then went away."""
        self.level = max(0.0, self.level - 1)

    def wait(self, now: float) -> float:
        """Seconds until one unit fits (0 if it fits now)."""
        self._leak(now)
        return max(0.0, (self.level + 1 - self.capacity) / self.rate)


class AsyncBucket:
    """Waits for room in a :class:`LeakyBucket`, first come first served.

    Bound to the event loop it is first used on, as every asyncio primitive is.
    """

    __slots__ = ("_bucket", "_capacity_rate", "_loop", "_timer", "_waiters")

    def __init__(self, capacity: float, rate: float) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._bucket: LeakyBucket | None = None
        self._capacity_rate = (capacity, rate)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._timer: asyncio.TimerHandle | None = None

    def _core(self) -> tuple[asyncio.AbstractEventLoop, LeakyBucket]:
        loop, bucket = self._loop, self._bucket
        if loop is None or bucket is None:
            loop = self._loop = asyncio.get_running_loop()
            capacity, rate = self._capacity_rate
            bucket = self._bucket = LeakyBucket(capacity, rate, now=loop.time())
        return loop, bucket

    @property
    def capacity(self) -> float:
        return self._capacity_rate[0]

    @property
    def rate(self) -> float:
        return self._capacity_rate[1]

    def retune(self, capacity: float, rate: float) -> None:
        """Change depth and drain rate; the head waiter's wake-up is recomputed."""
        if (capacity, rate) == self._capacity_rate:
            return
        self._capacity_rate = (capacity, rate)
        if self._bucket is None or self._loop is None:
            return
        self._bucket.retune(capacity, rate, now=self._loop.time())
        self._wake()

    def take_nowait(self) -> bool:
        """Take one unit if there is room now and nobody is waiting; False otherwise."""
        loop, bucket = self._core()
        return not self._waiters and bucket.take(loop.time())

    async def acquire(self) -> None:
        """Wait for one unit. Costs no trip through the loop when there is room."""
        if self.take_nowait():
            return
        loop, bucket = self._core()
        waiter = loop.create_future()
        self._waiters.append(waiter)
        self._wake()
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Granted and cancelled at once: the unit was never used.
                bucket.give_back()
            else:
                waiter.cancel()
            self._wake()
            raise

    def _wake(self) -> None:
        """Grant the head waiters that fit; set one timer for the next."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        loop, bucket = self._core()
        waiters = self._waiters
        while waiters:
            head = waiters[0]
            if head.done():
                waiters.popleft()
                continue
            now = loop.time()
            if bucket.take(now):
                waiters.popleft()
                head.set_result(None)
                continue
            self._timer = loop.call_at(now + bucket.wait(now), self._wake)
            return
