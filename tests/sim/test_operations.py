"""The served operations, end to end through aiobotocore (and boto3 where noted)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from bulkjobs.sim import (
    AWS_CANCEL_JOB_RATE,
    ExecutionStatus,
    FleetSpec,
    JobStatus,
    SimConfig,
    Simulator,
)
from tests.sim.conftest import StartSim
from tests.sim.support import in_thread

THING = "thing-000001"


class TestDescribe:
    async def test_job_execution_shape(self, iot: Any) -> None:
        """DescribeJobExecution returns the model's members, timestamps as datetimes."""
        execution = (await iot.describe_job_execution(jobId="job-1", thingName=THING))["execution"]
        assert execution["jobId"] == "job-1"
        assert execution["status"] == "QUEUED"
        assert execution["thingArn"] == f"arn:aws:iot:us-east-1:123456789012:thing/{THING}"
        assert (execution["executionNumber"], execution["versionNumber"]) == (1, 1)
        assert execution["statusDetails"] == {"detailsMap": {}}
        assert isinstance(execution["queuedAt"], dt.datetime)
        assert execution["queuedAt"].tzinfo is not None
        assert execution["queuedAt"] <= execution["lastUpdatedAt"]

    async def test_execution_number_must_match_when_given(self, iot: Any) -> None:
        """executionNumber=1 finds the execution; another number does not."""
        await iot.describe_job_execution(jobId="job-1", thingName=THING, executionNumber=1)
        with pytest.raises(iot.exceptions.ResourceNotFoundException):
            await iot.describe_job_execution(jobId="job-1", thingName=THING, executionNumber=2)

    async def test_job_counts_every_status(self, start_sim: StartSim, make_client: Any) -> None:
        """DescribeJob's jobProcessDetails add up to the fleet, per status."""
        sim = await start_sim(fleet=FleetSpec(things=40, in_progress=0.25, terminal=0.25, seed=1))
        iot = await make_client(sim)
        job = (await iot.describe_job(jobId="job-1"))["job"]
        details = job["jobProcessDetails"]
        assert sum(details.values()) == 40
        counts = sim.job("job-1").counts
        assert details["numberOfQueuedThings"] == counts[ExecutionStatus.QUEUED]
        assert details["numberOfInProgressThings"] == counts[ExecutionStatus.IN_PROGRESS]
        assert job["status"] == "IN_PROGRESS"
        assert job["targets"] == ["arn:aws:iot:us-east-1:123456789012:thinggroup/fleet"]


class TestCancelExecution:
    async def test_cancel_queued(self, sim: Simulator, iot: Any) -> None:
        """A QUEUED execution becomes CANCELED with version + 1 and the status details sent."""
        await iot.cancel_job_execution(
            jobId="job-1", thingName=THING, expectedVersion=1, statusDetails={"why": "bad fw"}
        )
        execution = (await iot.describe_job_execution(jobId="job-1", thingName=THING))["execution"]
        assert execution["status"] == "CANCELED"
        assert execution["versionNumber"] == 2
        assert execution["forceCanceled"] is False
        assert execution["statusDetails"] == {"detailsMap": {"why": "bad fw"}}

    async def test_force_cancels_in_progress(self, sim: Simulator, iot: Any) -> None:
        """With force=True an IN_PROGRESS execution is canceled and marked forceCanceled."""
        sim.set_execution_status("job-1", THING, ExecutionStatus.IN_PROGRESS)
        await iot.cancel_job_execution(jobId="job-1", thingName=THING, force=True)
        snapshot = sim.execution("job-1", THING)
        assert snapshot is not None
        assert (snapshot.status, snapshot.force_canceled) == (ExecutionStatus.CANCELED, True)

    async def test_terminal_cannot_be_canceled(self, sim: Simulator, iot: Any) -> None:
        """Canceling a SUCCEEDED execution, even with force, is an invalid transition."""
        sim.set_execution_status("job-1", THING, ExecutionStatus.SUCCEEDED)
        with pytest.raises(iot.exceptions.InvalidStateTransitionException):
            await iot.cancel_job_execution(jobId="job-1", thingName=THING, force=True)

    async def test_boto3_cancel(self, sim: Simulator, boto3_client: Callable[..., Any]) -> None:
        """The synchronous client cancels too (same wire, different HTTP stack)."""
        iot = boto3_client(sim)
        await in_thread(iot.cancel_job_execution, jobId="job-1", thingName=THING)
        snapshot = sim.execution("job-1", THING)
        assert snapshot is not None and snapshot.status is ExecutionStatus.CANCELED


class TestDeleteExecution:
    async def test_delete_terminal_with_listed_number(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """The executionNumber from a listing deletes a terminal execution; it is gone."""
        sim = await start_sim(fleet=FleetSpec(things=3, terminal=1.0, max_execution_number=5))
        iot = await make_client(sim)
        listed = await iot.list_job_executions_for_job(jobId="job-1", maxResults=1)
        summary = listed["executionSummaries"][0]
        thing = summary["thingArn"].rsplit("/", 1)[1]
        number = summary["jobExecutionSummary"]["executionNumber"]
        await iot.delete_job_execution(jobId="job-1", thingName=thing, executionNumber=number)
        assert sim.execution("job-1", thing) is None
        with pytest.raises(iot.exceptions.ResourceNotFoundException):
            await iot.describe_job_execution(jobId="job-1", thingName=thing)

    async def test_queued_needs_force(self, sim: Simulator, iot: Any) -> None:
        """Deleting a QUEUED execution: 409 without force, done with force."""
        with pytest.raises(iot.exceptions.InvalidStateTransitionException):
            await iot.delete_job_execution(jobId="job-1", thingName=THING, executionNumber=1)
        await iot.delete_job_execution(
            jobId="job-1", thingName=THING, executionNumber=1, force=True, namespaceId="ns-1"
        )
        assert sim.execution("job-1", THING) is None


class TestCancelJob:
    async def test_cancel_job_reaches_every_queued_execution(
        self, sim: Simulator, iot: Any
    ) -> None:
        """CancelJob answers with the job, then cancels its executions in the background."""
        sim.set_execution_status("job-1", THING, ExecutionStatus.IN_PROGRESS)
        answer = await iot.cancel_job(jobId="job-1", reasonCode="BAD_FW", comment="stop now")
        assert answer["jobId"] == "job-1"
        assert answer["jobArn"].endswith(":job/job-1")
        await sim.wait_job_cancellation("job-1")
        job = (await iot.describe_job(jobId="job-1"))["job"]
        assert (job["status"], job["reasonCode"], job["comment"]) == (
            "CANCELED",
            "BAD_FW",
            "stop now",
        )
        assert job["jobProcessDetails"]["numberOfCanceledThings"] == 9
        assert job["jobProcessDetails"]["numberOfInProgressThings"] == 1

    async def test_cancel_job_at_aws_pace_is_not_instant(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """At AWS's ~1,000/min, executions are still QUEUED right after CancelJob returns."""
        sim = await start_sim(
            SimConfig(quota=None, cancel_job_rate=AWS_CANCEL_JOB_RATE), FleetSpec(things=200)
        )
        iot = await make_client(sim)
        await iot.cancel_job(jobId="job-1")
        snapshot = sim.job("job-1")
        assert snapshot.status is JobStatus.CANCELED
        assert snapshot.counts[ExecutionStatus.QUEUED] > 150
        sim.reconfigure(cancel_job_rate=1e6)
        await sim.wait_job_cancellation("job-1")
        assert sim.job("job-1").counts[ExecutionStatus.CANCELED] == 200


class TestListings:
    async def test_job_listing_paginates_with_the_botocore_paginator(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """The stock paginator walks 23 executions in pages of 5, each exactly once."""
        sim = await start_sim(fleet=FleetSpec(things=23))
        iot = await make_client(sim)
        paginator = iot.get_paginator("list_job_executions_for_job")
        pages = [
            page
            async for page in paginator.paginate(jobId="job-1", PaginationConfig={"PageSize": 5})
        ]
        things = [s["thingArn"] for page in pages for s in page["executionSummaries"]]
        assert len(pages) == 5 and len(things) == 23 == len(set(things))
        summary = pages[0]["executionSummaries"][0]["jobExecutionSummary"]
        assert set(summary) == {"status", "queuedAt", "lastUpdatedAt", "executionNumber"}
        assert sim.statistics().of("ListJobExecutionsForJob").requests == 5

    async def test_job_listing_filters_by_status(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """status=IN_PROGRESS lists exactly the IN_PROGRESS executions."""
        sim = await start_sim(fleet=FleetSpec(things=30, in_progress=0.5, seed=2))
        iot = await make_client(sim)
        answer = await iot.list_job_executions_for_job(
            jobId="job-1", status="IN_PROGRESS", maxResults=250
        )
        statuses = {s["jobExecutionSummary"]["status"] for s in answer["executionSummaries"]}
        assert statuses == {"IN_PROGRESS"}
        assert (
            len(answer["executionSummaries"])
            == sim.job("job-1").counts[ExecutionStatus.IN_PROGRESS]
        )

    async def test_thing_listing(self, start_sim: StartSim, make_client: Any) -> None:
        """ListJobExecutionsForThing lists one summary per job, filterable by jobId."""
        sim = await start_sim(fleet=FleetSpec(things=2, job_ids=("a", "b")))
        iot = await make_client(sim)
        both = await iot.list_job_executions_for_thing(thingName=THING)
        assert [s["jobId"] for s in both["executionSummaries"]] == ["a", "b"]
        only = await iot.list_job_executions_for_thing(thingName=THING, jobId="b", status="QUEUED")
        assert [s["jobId"] for s in only["executionSummaries"]] == ["b"]

    async def test_recursive_group_listing(self, start_sim: StartSim, make_client: Any) -> None:
        """Things sit in child groups: the root lists none directly, all recursively."""
        sim = await start_sim(fleet=FleetSpec(things=12, groups=3))
        iot = await make_client(sim)
        direct = await iot.list_things_in_thing_group(thingGroupName="fleet")
        assert direct["things"] == []
        paginator = iot.get_paginator("list_things_in_thing_group")
        things = [
            name
            async for page in paginator.paginate(
                thingGroupName="fleet", recursive=True, PaginationConfig={"PageSize": 5}
            )
            for name in page["things"]
        ]
        assert sorted(things) == [f"thing-{i:06d}" for i in range(1, 13)]


async def test_reads_are_not_mutations(sim: Simulator, iot: Any) -> None:
    """Reads never count as mutating requests; a cancel does."""
    await iot.describe_job(jobId="job-1")
    await iot.list_job_executions_for_job(jobId="job-1")
    assert sim.statistics().mutating_requests == 0
    await iot.cancel_job_execution(jobId="job-1", thingName=THING)
    assert sim.statistics().mutating_requests == 1
