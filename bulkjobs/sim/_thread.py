"""A simulator on its own event loop in a background thread, for synchronous callers.

boto3 code, synchronous test suites and notebooks have no event loop to run
:class:`Simulator` on; this runs one in a daemon thread and forwards calls to it, the
way ``moto.server.ThreadedMotoServer`` does for moto.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from types import TracebackType
from typing import Self, TypeVar

from bulkjobs.sim._config import SimConfig
from bulkjobs.sim._fleet import FleetSpec
from bulkjobs.sim._simulator import Simulator
from bulkjobs.sim._stats import SimStatistics

T = TypeVar("T")


class ThreadedSimulator:
    """Runs a :class:`Simulator` in a background thread; a sync context manager."""

    def __init__(
        self,
        config: SimConfig | None = None,
        fleet: FleetSpec | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
    ) -> None:
        self._args = (config, fleet)
        self._host, self._port, self._allow_remote = host, port, allow_remote
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._simulator: Simulator | None = None
        self._stopped: asyncio.Event | None = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the thread and return once the simulator accepts connections."""
        if self._thread is not None:
            raise RuntimeError("already started")
        ready: Future[None] = Future()
        self._thread = threading.Thread(
            target=asyncio.run, args=(self._main(ready),), name="bulkjobs-sim", daemon=True
        )
        self._thread.start()
        ready.result(timeout=60)

    def stop(self) -> None:
        """Stop the simulator and join its thread."""
        if self._thread is None:
            return
        if self._loop is not None and self._stopped is not None:
            self._loop.call_soon_threadsafe(self._stopped.set)
        self._thread.join(timeout=30)
        self._thread = None

    @property
    def endpoint_url(self) -> str:
        return self.simulator.endpoint_url

    @property
    def simulator(self) -> Simulator:
        """The simulator itself: call its methods only through :meth:`call`."""
        if self._simulator is None:
            raise RuntimeError("not started")
        return self._simulator

    def call(self, function: Callable[[Simulator], T]) -> T:
        """Run ``function(simulator)`` on the simulator's loop and return its result."""
        simulator = self.simulator
        assert self._loop is not None

        async def run() -> T:
            return function(simulator)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=60)

    def call_async(self, function: Callable[[Simulator], Awaitable[T]]) -> T:
        """Await ``function(simulator)`` on the simulator's loop and return its result.

        For the simulator's coroutines, e.g. ``call_async(lambda sim:
        sim.wait_job_cancellation("job-1"))``.
        """
        simulator = self.simulator
        assert self._loop is not None

        async def run() -> T:
            return await function(simulator)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=60)

    def statistics(self) -> SimStatistics:
        return self.call(lambda simulator: simulator.statistics())

    async def _main(self, ready: Future[None]) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stopped = asyncio.Event()
            simulator = Simulator(
                *self._args, host=self._host, port=self._port, allow_remote=self._allow_remote
            )
            await simulator.start()
        except Exception as exc:
            # Reported to the caller of start(), not as a thread traceback.
            ready.set_exception(exc)
            return
        self._simulator = simulator
        ready.set_result(None)
        try:
            await self._stopped.wait()
        finally:
            await simulator.stop()
