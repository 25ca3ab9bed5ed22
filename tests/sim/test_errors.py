"""Each error reaches botocore as the exception class and HTTP status the IoT model names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

import pytest

from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator
from tests.sim.conftest import StartSim
from tests.sim.support import OPEN, in_thread

Scenario = Callable[[Simulator, Any], Awaitable[Any]]


async def bad_thing_name(sim: Simulator, iot: Any) -> Any:
    return await iot.cancel_job_execution(jobId="job-1", thingName="thing/000001")


async def cancel_in_progress_without_force(sim: Simulator, iot: Any) -> Any:
    sim.set_execution_status("job-1", "thing-000001", ExecutionStatus.IN_PROGRESS)
    return await iot.cancel_job_execution(jobId="job-1", thingName="thing-000001")


async def describe_missing_job(sim: Simulator, iot: Any) -> Any:
    return await iot.describe_job(jobId="no-such-job")


async def exhaust_quota(sim: Simulator, iot: Any) -> Any:
    await iot.describe_job_execution(jobId="job-1", thingName="thing-000001")
    return await iot.describe_job_execution(jobId="job-1", thingName="thing-000001")


async def unavailable(sim: Simulator, iot: Any) -> Any:
    return await iot.describe_job(jobId="job-1")


async def stale_version(sim: Simulator, iot: Any) -> Any:
    return await iot.cancel_job_execution(
        jobId="job-1", thingName="thing-000001", expectedVersion=99
    )


async def second_cancelling_job(sim: Simulator, iot: Any) -> Any:
    await iot.cancel_job(jobId="job-1")
    return await iot.cancel_job(jobId="job-2")


TWO_JOBS = FleetSpec(things=100, job_ids=("job-1", "job-2"))
# A slow CancelJob keeps job-1 cancelling while job-2's cancel arrives.
ONE_CANCELLATION = SimConfig(quota=None, max_cancelling_jobs=1, cancel_job_rate=1.0)

CASES = [
    pytest.param(bad_thing_name, OPEN, None, "InvalidRequestException", 400, id="invalid-request"),
    pytest.param(
        cancel_in_progress_without_force,
        OPEN,
        None,
        "InvalidStateTransitionException",
        409,
        id="invalid-state-transition",
    ),
    pytest.param(
        describe_missing_job, OPEN, None, "ResourceNotFoundException", 404, id="not-found"
    ),
    pytest.param(
        exhaust_quota,
        SimConfig(quota=1.0),
        None,
        "ThrottlingException",
        400,
        id="throttling-400",
    ),
    pytest.param(
        exhaust_quota,
        SimConfig(quota=1.0, throttle_status=429),
        None,
        "ThrottlingException",
        429,
        id="throttling-429",
    ),
    pytest.param(
        unavailable,
        SimConfig(quota=None, p503=1.0),
        None,
        "ServiceUnavailableException",
        503,
        id="service-unavailable",
    ),
    pytest.param(stale_version, OPEN, None, "VersionConflictException", 409, id="version-conflict"),
    pytest.param(
        second_cancelling_job,
        ONE_CANCELLATION,
        TWO_JOBS,
        "LimitExceededException",
        410,
        id="limit-exceeded",
    ),
]


@pytest.mark.parametrize(("scenario", "config", "fleet", "code", "status"), CASES)
async def test_aiobotocore_raises_the_modelled_exception(
    start_sim: StartSim,
    make_client: Callable[..., Awaitable[Any]],
    scenario: Scenario,
    config: SimConfig,
    fleet: FleetSpec | None,
    code: str,
    status: int,
) -> None:
    """client.exceptions.<Code>, with the model's HTTP status, header and message."""
    sim = await start_sim(config, fleet)
    iot = await make_client(sim)
    with pytest.raises(getattr(iot.exceptions, code)) as excinfo:
        await scenario(sim, iot)
    response = excinfo.value.response
    assert response["Error"]["Code"] == code
    assert response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert sim.statistics().total_requests >= 1


@pytest.mark.parametrize("throttle_status", [400, 429])
async def test_boto3_sees_throttling_at_either_status(
    start_sim: StartSim, boto3_client: Callable[..., Any], throttle_status: Literal[400, 429]
) -> None:
    """The synchronous client classifies ThrottlingException by code at 400 and at 429."""
    sim = await start_sim(SimConfig(quota=1.0, throttle_status=throttle_status))
    iot = boto3_client(sim)
    await in_thread(iot.describe_job, jobId="job-1")
    with pytest.raises(iot.exceptions.ThrottlingException) as excinfo:
        await in_thread(iot.describe_job, jobId="job-1")
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == throttle_status
    stats = sim.statistics().of("DescribeJob")
    assert (stats.requests, stats.accepted, stats.throttled) == (2, 1, 1)


async def test_boto3_sees_version_conflicts_and_not_found(
    sim: Simulator, boto3_client: Callable[..., Any]
) -> None:
    """The synchronous client maps the same bodies to the same exception classes."""
    iot = boto3_client(sim)
    with pytest.raises(iot.exceptions.VersionConflictException):
        await in_thread(
            iot.cancel_job_execution, jobId="job-1", thingName="thing-000002", expectedVersion=5
        )
    with pytest.raises(iot.exceptions.ResourceNotFoundException):
        await in_thread(iot.describe_job_execution, jobId="job-1", thingName="ghost")


@pytest.mark.parametrize(
    ("call", "kwargs"),
    [
        ("describe_job", {"jobId": "a" * 65}),
        ("cancel_job", {"jobId": "job-1", "reasonCode": "lower_case"}),
        ("cancel_job", {"jobId": "job-1", "comment": "x" * 2029}),
        (
            "cancel_job_execution",
            {"jobId": "job-1", "thingName": "thing-000001", "statusDetails": {"k": "a\x00b"}},
        ),
        ("list_job_executions_for_job", {"jobId": "job-1", "maxResults": 251}),
        ("list_job_executions_for_job", {"jobId": "job-1", "nextToken": "forged"}),
        ("delete_job_execution", {"jobId": "job-1", "thingName": "t t", "executionNumber": 1}),
    ],
)
async def test_server_enforces_what_botocore_does_not(
    sim: Simulator, iot: Any, call: str, kwargs: dict[str, Any]
) -> None:
    """Patterns and maxima pass botocore's client-side checks and fail at the server."""
    with pytest.raises(iot.exceptions.InvalidRequestException):
        await getattr(iot, call)(**kwargs)
    assert sim.statistics().mutating_requests == 0 or call.startswith(("cancel", "delete"))


async def test_unknown_paths_are_404s(sim: Simulator) -> None:
    """A path no operation serves answers 404 UnknownOperationException, counted apart."""
    import aiohttp

    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sim.endpoint_url}/nothing/here") as response,
    ):
        assert response.status == 404
        assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
        assert "message" in await response.json()
    assert sim.statistics().unknown_requests == 1
