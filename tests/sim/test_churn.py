"""Devices moving their executions mid-run: versions change under the client's feet."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bulkjobs.sim import ExecutionStatus, FleetSpec, Simulator
from tests.sim.conftest import StartSim

THINGS = [f"thing-{i:06d}" for i in range(1, 21)]


async def versions(iot: Any) -> dict[str, int]:
    return {
        thing: (await iot.describe_job_execution(jobId="job-1", thingName=thing))["execution"][
            "versionNumber"
        ]
        for thing in THINGS
    }


async def test_device_updates_cause_version_conflicts(sim: Simulator, iot: Any) -> None:
    """A device update between describe and cancel turns the cancel into a 409 conflict."""
    described = await iot.describe_job_execution(jobId="job-1", thingName="thing-000001")
    version = described["execution"]["versionNumber"]
    sim.set_execution_status("job-1", "thing-000001", ExecutionStatus.IN_PROGRESS)
    with pytest.raises(iot.exceptions.VersionConflictException):
        await iot.cancel_job_execution(
            jobId="job-1", thingName="thing-000001", force=True, expectedVersion=version
        )
    await iot.cancel_job_execution(
        jobId="job-1", thingName="thing-000001", force=True, expectedVersion=version + 1
    )


async def test_advancing_devices_bumps_versions(start_sim: StartSim, make_client: Any) -> None:
    """advance_devices moves executions forward; their versions grow by one per step."""
    sim = await start_sim(fleet=FleetSpec(things=20))
    iot = await make_client(sim)
    before = await versions(iot)
    assert sim.advance_devices(30) == 30
    after = await versions(iot)
    assert sum(after.values()) - sum(before.values()) == 30
    counts = sim.job("job-1").counts
    assert counts[ExecutionStatus.QUEUED] < 20
    assert sim.statistics().device_updates == 30


async def test_background_churn_races_a_run(start_sim: StartSim, make_client: Any) -> None:
    """Churn in the background: every execution a device touched rejects its stale version."""
    sim = await start_sim(fleet=FleetSpec(things=20, in_progress=0.5, seed=4))
    iot = await make_client(sim)
    stale = await versions(iot)
    sim.reconfigure(churn_rate=500.0, churn_progress_share=0.5)
    deadline = asyncio.get_running_loop().time() + 5.0
    while sim.statistics().device_updates < 10:  # the churn task's own pace is under test
        assert asyncio.get_running_loop().time() < deadline, "churn made no progress"
        await asyncio.sleep(0.01)
    sim.reconfigure(churn_rate=0.0)
    touched = set()
    for thing, version in stale.items():
        snapshot = sim.execution("job-1", thing)
        assert snapshot is not None
        if snapshot.version_number != version:
            touched.add(thing)
    conflicts = set()
    for thing, version in stale.items():
        try:
            await iot.cancel_job_execution(
                jobId="job-1", thingName=thing, force=True, expectedVersion=version
            )
        except iot.exceptions.VersionConflictException:
            conflicts.add(thing)
    assert touched and conflicts == touched


async def test_churn_stops_when_everything_is_finished(start_sim: StartSim) -> None:
    """A fleet with nothing active gives churn nothing to do."""
    sim = await start_sim(fleet=FleetSpec(things=5, terminal=1.0))
    assert sim.advance_devices(10) == 0
