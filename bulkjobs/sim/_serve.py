"""Running a simulator as a service: until told to stop, then report the counters.

:func:`serve` is the async form (stop with an event or by cancelling); :func:`run_simulator`
is the blocking form the CLI uses, stopping on SIGINT or SIGTERM so ``kill`` and Ctrl-C
both end with the counters printed rather than a traceback.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Callable

from bulkjobs.sim._config import SimConfig
from bulkjobs.sim._fleet import FleetSpec
from bulkjobs.sim._simulator import Simulator
from bulkjobs.sim._stats import SimStatistics


async def serve(
    config: SimConfig | None = None,
    fleet: FleetSpec | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    allow_remote: bool = False,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Simulator], None] | None = None,
) -> SimStatistics:
    """Serve until ``stop`` is set (or the task is cancelled); return the final counters."""
    stop_event = stop if stop is not None else asyncio.Event()
    async with Simulator(config, fleet, host=host, port=port, allow_remote=allow_remote) as sim:
        if on_ready is not None:
            on_ready(sim)
        await stop_event.wait()
        return sim.statistics()


def run_simulator(
    config: SimConfig | None = None,
    fleet: FleetSpec | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    allow_remote: bool = False,
    on_ready: Callable[[Simulator], None] | None = None,
) -> SimStatistics:
    """Serve in this thread until SIGINT or SIGTERM; return the final counters."""

    async def main() -> SimStatistics:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM)
        for signum in signals:
            loop.add_signal_handler(signum, stop.set)
        try:
            return await serve(
                config,
                fleet,
                host=host,
                port=port,
                allow_remote=allow_remote,
                stop=stop,
                on_ready=on_ready,
            )
        finally:
            for signum in signals:
                loop.remove_signal_handler(signum)

    return asyncio.run(main())
