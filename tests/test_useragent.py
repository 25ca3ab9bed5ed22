"""The User-Agent memo sends the bytes botocore would build, request by request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import botocore
import pytest
from aiobotocore.config import AioConfig
from botocore.exceptions import ClientError

from bulkjobs import Destination, RunConfig
from bulkjobs._client import Clients
from bulkjobs._iotmodel import aio_session, recorded_release
from bulkjobs._useragent import memoize_user_agent
from bulkjobs.sim import FleetSpec, SimConfig, ThreadedSimulator

JOB = "ua"


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(SimConfig(quota=None), FleetSpec(things=6, job_ids=(JOB,))) as s:
        yield s


async def user_agents_sent(
    sim: ThreadedSimulator, *, memo: bool, cancel: tuple[str, str]
) -> list[str]:
    """The User-Agent of every request of a mix of calls: answered, refused, paged
    (``cancel``: the two things whose executions it cancels)."""
    config = AioConfig(
        user_agent_extra="bulkjobs", retries={"total_max_attempts": 1, "mode": "standard"}
    )
    session = aio_session()
    sent: list[str] = []

    def record(request: Any, **_: Any) -> None:
        value = request.headers["User-Agent"]
        sent.append(value.decode() if isinstance(value, bytes) else value)

    async with session.create_client(
        "iot", region_name="us-east-1", endpoint_url=sim.endpoint_url, config=config
    ) as iot:
        if memo:
            assert memoize_user_agent(iot, checked_release=botocore.__version__)
        iot.meta.events.register("before-send.iot", record)
        await iot.cancel_job_execution(jobId=JOB, thingName=cancel[0], force=True)
        await iot.describe_job_execution(jobId=JOB, thingName="thing-000002")
        pages = iot.get_paginator("list_job_executions_for_job")
        async for _ in pages.paginate(jobId=JOB, PaginationConfig={"PageSize": 2}):
            pass
        with pytest.raises(ClientError):
            await iot.describe_job(jobId="no-such-job")
        await iot.cancel_job_execution(jobId=JOB, thingName=cancel[1], force=True)
    return sent


def test_the_header_is_the_one_botocore_builds(sim: ThreadedSimulator) -> None:
    """Request by request the same header with the memo as without it, through a
    paginator whose pages carry a feature the single calls do not: so a memo that
    ignored the features (one string for all) would send a wrong one."""
    plain = anyio.run(
        lambda: user_agents_sent(sim, memo=False, cancel=("thing-000001", "thing-000003"))
    )
    memoized = anyio.run(
        lambda: user_agents_sent(sim, memo=True, cancel=("thing-000004", "thing-000005"))
    )
    assert len(plain) == 7  # 2 calls, 3 pages of 6 executions, a refusal, a call
    assert memoized == plain
    assert len(set(plain)) > 1
    assert all("bulkjobs" in agent for agent in plain)


async def creator_of(endpoint_url: str, *, release: str | None) -> tuple[bool, bool]:
    session = aio_session()
    async with session.create_client(
        "iot", region_name="us-east-1", endpoint_url=endpoint_url
    ) as iot:
        done = memoize_user_agent(iot, checked_release=release)
        return done, "to_string" in vars(iot._user_agent_creator)


def test_another_botocore_release_builds_its_own(sim: ThreadedSimulator) -> None:
    """A botocore release other than the checked one is left as it is."""
    assert anyio.run(lambda: creator_of(sim.endpoint_url, release="0.0.0")) == (False, False)
    assert anyio.run(lambda: creator_of(sim.endpoint_url, release=None)) == (False, False)


def test_the_run_s_clients_have_it(sim: ThreadedSimulator) -> None:
    """The IoT clients a run makes carry the memo (the shipped data was checked
    against the installed botocore: the model test holds them to the same release)."""
    assert recorded_release() == botocore.__version__

    async def made() -> bool:
        config = RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1")
        async with Clients(config) as clients:
            iot = await clients.client(Destination(region="us-east-1"))
            return "to_string" in vars(iot._user_agent_creator)

    assert anyio.run(made)
