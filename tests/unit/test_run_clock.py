"""The run's own time: it starts when the run starts, not when the engine was made."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bulkjobs import CancelExecution, Engine, RunConfig, Target
from bulkjobs._destination import Destination


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class SlowTransport:
    """Every call succeeds and takes two seconds of the injected clock."""

    default_destination = Destination(region="us-east-1")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    async def call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination
    ) -> dict[str, Any]:
        self.clock.now += 2.0
        return {}


async def test_a_wait_before_the_run_is_not_part_of_its_time() -> None:
    """An operator answers the confirmation prompt ten minutes after the engine was
    made: the wall time and the rate are the run's, not the prompt's."""
    clock = Clock()
    engine = Engine(
        CancelExecution(),
        RunConfig(rate=1e6),
        transport=SlowTransport(clock),
        clock=clock,
    )
    clock.now += 600.0  # the prompt
    targets = [Target(job_id="j", thing_name=f"t{i}") for i in range(3)]
    report = await engine.run(targets)
    assert report.wall_time == 6.0
    assert engine.statistics().elapsed == 6.0
    assert report.achieved_rate == 0.5
