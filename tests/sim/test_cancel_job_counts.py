"""While CancelJob works server-side, DescribeJob's counters agree with the listing.

``cancel-job --wait`` trusts ``jobProcessDetails`` to say when the cancel is over, so
the simulator's counters must move with the executions themselves as its background
sweep cancels them at ``cancel_job_rate``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bulkjobs._jobstatus import JobCounts
from bulkjobs.sim import FleetSpec, SimConfig
from tests.sim.conftest import AioClient, StartSim

THINGS = 120


async def listed(iot: AioClient, status: str) -> int:
    """Executions of job-1 in ``status``, by ListJobExecutionsForJob."""
    paginator = iot.get_paginator("list_job_executions_for_job")
    count = 0
    async for page in paginator.paginate(jobId="job-1", status=status):
        count += len(page["executionSummaries"])
    return count


async def counted(iot: AioClient) -> JobCounts:
    return JobCounts.from_describe("job-1", await iot.describe_job(jobId="job-1"))


class TestCountersDuringCancelJob:
    async def test_counters_fall_with_the_listing_to_zero(
        self, start_sim: StartSim, make_client: Callable[..., Awaitable[Any]]
    ) -> None:
        """Each listing lies between the counters read just before and just after it;
        the counters always add up to the fleet, fall monotonically, and reach zero."""
        fleet = FleetSpec(things=THINGS, in_progress=0.3, terminal=0.1, seed=4)
        sim = await start_sim(SimConfig(quota=None, cancel_job_rate=60), fleet)
        iot = await make_client(sim)
        await iot.cancel_job(jobId="job-1", force=True)
        previous = await counted(iot)
        polls = 0
        while previous.active:
            polls += 1
            queued, in_progress = await listed(iot, "QUEUED"), await listed(iot, "IN_PROGRESS")
            after = await counted(iot)
            assert after.counts["QUEUED"] <= queued <= previous.counts["QUEUED"]
            assert after.counts["IN_PROGRESS"] <= in_progress <= previous.counts["IN_PROGRESS"]
            assert after.of(None) == THINGS
            assert after.active <= previous.active
            previous = after
        assert polls > 1  # the sweep was caught mid-way, not before or after
        assert previous.status == "CANCELED"
        assert await listed(iot, "QUEUED") == await listed(iot, "IN_PROGRESS") == 0
