"""Background activity: devices moving their executions, and CancelJob reaching them.

Both loops turn a rate (per second) into whole steps per tick, carrying the fraction
over, so a rate of 0.5/s still makes a step every two seconds. When there is nothing to
do (churn rate 0, no job cancelling) they wait on an event instead of ticking, so an idle
simulator costs no CPU during benchmarks.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from bulkjobs.sim._app import Service

#: Seconds between background steps.
TICK = 0.01


def churn(service: Service, rng: random.Random, steps: int, now: float) -> int:
    """Move up to ``steps`` executions one step each, as devices would; returns how many."""
    config = service.config
    done = 0
    # Every destination's devices move at the configured rate: each is its own fleet.
    for state in service.states():
        for _ in range(steps):
            moved = state.churn_step(
                rng,
                now,
                failure_share=config.churn_failure_share,
                progress_share=config.churn_progress_share,
            )
            if moved is None:
                break
            done += 1
    service.recorder.device_updates += done
    return done


async def run_device_churn(
    service: Service, *, wake: asyncio.Event, wall_clock: Callable[[], float]
) -> None:
    """Forever: move executions at ``config.churn_rate`` steps per second."""
    loop = asyncio.get_running_loop()
    rng = random.Random(service.config.seed + 1)
    owed = 0.0
    last = loop.time()
    while True:
        rate = service.config.churn_rate
        if rate <= 0.0:
            wake.clear()
            await wake.wait()
            owed, last = 0.0, loop.time()
            continue
        await asyncio.sleep(TICK)
        # Re-read: the rate may have changed (even to 0) while this task slept.
        rate = service.config.churn_rate
        current = loop.time()
        # Never owe more than a second's worth: a stalled loop should not burst.
        owed = min(owed + rate * (current - last), rate + 1.0)
        last = current
        steps = int(owed)
        owed -= steps
        if steps and churn(service, rng, steps, wall_clock()) < steps:
            owed = 0.0


async def run_job_cancellations(
    service: Service,
    *,
    wake: asyncio.Event,
    wall_clock: Callable[[], float],
    finished: Callable[[tuple[str, ...]], None],
) -> None:
    """Forever: let CancelJob reach ``config.cancel_job_rate`` executions per second."""
    loop = asyncio.get_running_loop()
    owed = 0.0
    last = loop.time()
    while True:
        if not any(state.has_pending_cancellations() for state in service.states()):
            wake.clear()
            await wake.wait()
            owed, last = 0.0, loop.time()
            continue
        await asyncio.sleep(TICK)
        current = loop.time()
        rate = service.config.cancel_job_rate
        owed = min(owed + rate * (current - last), rate + 1.0)
        last = current
        budget = int(owed)
        if budget == 0:
            continue
        owed -= budget
        for state in service.states():
            result = state.sweep_cancellations(budget, wall_clock())
            service.recorder.job_cancellation_updates += result.canceled
            if result.finished_jobs:
                finished(result.finished_jobs)
