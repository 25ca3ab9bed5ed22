"""Wire details the API reference specifies, and the record of who changed what."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from bulkjobs.sim import ExecutionStatus, Simulator
from tests.sim.conftest import AioClient, StartSim
from tests.sim.support import NO_RETRIES

THING = "thing-000001"


async def raw(sim: Simulator, method: str, path: str, body: bytes = b"") -> tuple[int, bytes]:
    """One SigV4-signed request with the raw response body (botocore hides it)."""
    url = f"{sim.endpoint_url}{path}"
    request = AWSRequest(method=method, url=url, data=body)
    SigV4Auth(Credentials("testing", "testing"), "iot", "us-east-1").add_auth(request)
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=body, headers=dict(request.headers)) as response,
    ):
        return response.status, await response.read()


class TestEmptyBodies:
    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("PUT", f"/things/{THING}/jobs/job-1/cancel"),
            ("DELETE", f"/things/{THING}/jobs/job-1/executionNumber/1?force=true"),
        ],
        ids=["CancelJobExecution", "DeleteJobExecution"],
    )
    async def test_success_is_an_empty_200(self, sim: Simulator, method: str, path: str) -> None:
        """Both answer HTTP 200 with an empty body, as the REST reference specifies."""
        status, body = await raw(sim, method, path, b"{}" if method == "PUT" else b"")
        assert (status, body) == (200, b"")


class TestVersionConflictBody:
    async def test_carries_the_current_execution_state(self, sim: Simulator) -> None:
        """The 409 names the current status, details and version beside its message."""
        sim.set_execution_status("job-1", THING, "IN_PROGRESS", status_details={"step": "2"})
        path = f"/things/{THING}/jobs/job-1/cancel?force=true"
        status, body = await raw(sim, "PUT", path, b'{"expectedVersion": 99}')
        document = json.loads(body)
        assert status == 409
        assert "99" in document["message"]
        assert document["executionState"] == {
            "status": "IN_PROGRESS",
            "statusDetails": {"step": "2"},
            "versionNumber": 2,
        }


class TestArnsInTheRequestsRegion:
    @pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
    async def test_every_arn_names_the_signing_region(
        self,
        sim: Simulator,
        aio_session: Any,
        region: str,
    ) -> None:
        """Describe, listing, DescribeJob and CancelJob answer ARNs in the region asked."""
        async with aio_session.create_client(
            "iot", region_name=region, endpoint_url=sim.endpoint_url, config=NO_RETRIES
        ) as iot:
            execution = (await iot.describe_job_execution(jobId="job-1", thingName=THING))[
                "execution"
            ]
            listed = await iot.list_job_executions_for_job(jobId="job-1", maxResults=2)
            job = (await iot.describe_job(jobId="job-1"))["job"]
            canceled = await iot.cancel_job(jobId="job-1")
        arns = [
            execution["thingArn"],
            *(entry["thingArn"] for entry in listed["executionSummaries"]),
            job["jobArn"],
            *job["targets"],
            canceled["jobArn"],
        ]
        assert all(arn.split(":")[3] == region for arn in arns), arns


class TestChangedBy:
    async def test_records_the_request_that_made_each_change(
        self, sim: Simulator, make_client: Callable[..., Awaitable[AioClient]]
    ) -> None:
        """changed_by is the number of the API request that changed the execution; a
        device's change clears it."""
        iot = await make_client(sim)
        before = sim.requests_received
        await iot.cancel_job_execution(jobId="job-1", thingName=THING)
        snapshot = sim.execution("job-1", THING)
        assert snapshot is not None and snapshot.changed_by == before + 1
        assert sim.requests_received == before + 1
        untouched = sim.execution("job-1", "thing-000002")
        assert untouched is not None and untouched.changed_by is None
        moved = sim.set_execution_status("job-1", "thing-000003", ExecutionStatus.IN_PROGRESS)
        assert moved.changed_by is None

    async def test_refused_requests_change_nothing(
        self, start_sim: StartSim, make_client: Callable[..., Awaitable[AioClient]]
    ) -> None:
        """A request the server refused leaves the last change's number in place."""
        sim = await start_sim()
        iot = await make_client(sim)
        await iot.cancel_job_execution(jobId="job-1", thingName=THING)
        first = sim.execution("job-1", THING)
        with pytest.raises(iot.exceptions.InvalidStateTransitionException):
            await iot.cancel_job_execution(jobId="job-1", thingName=THING)
        assert sim.execution("job-1", THING) == first
