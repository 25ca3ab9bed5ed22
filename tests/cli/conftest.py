"""A simulator on a background thread, so tests can call the real ``main(argv)``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator

JOB = "fw-1"


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    """40 devices: 8 IN_PROGRESS, 4 terminal, the rest QUEUED; no quota, no faults."""
    fleet = FleetSpec(things=40, job_ids=(JOB,), in_progress=0.2, terminal=0.1, seed=3)
    with ThreadedSimulator(SimConfig(quota=None), fleet) as simulator:
        yield simulator


def statuses(sim: ThreadedSimulator, job: str = JOB) -> dict[str, ExecutionStatus]:
    executions = sim.call(lambda simulator: simulator.executions(job))
    return {e.thing_name: e.status for e in executions}
