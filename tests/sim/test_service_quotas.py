"""Service Quotas' ListServiceQuotas and GetServiceQuota, through real aiobotocore."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiobotocore.session import AioSession
from botocore.exceptions import ClientError

from bulkjobs.sim import Operation, SimConfig, Simulator
from tests.sim.conftest import StartSim
from tests.sim.support import NO_RETRIES

QUOTAS = SimConfig(quota=40.0, quotas={"CancelJobExecution": 150.0, "DescribeJob": None})


@pytest.fixture
async def quotas_client(
    aio_session: AioSession,
) -> AsyncIterator[Callable[[Simulator], Awaitable[Any]]]:
    """aiobotocore Service Quotas clients for a simulator's endpoint."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(simulator: Simulator) -> Any:
            return await stack.enter_async_context(
                aio_session.create_client(
                    "service-quotas",
                    region_name="us-east-1",
                    endpoint_url=simulator.endpoint_url,
                    config=NO_RETRIES,
                )
            )

        yield make


async def listed(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    quotas: list[dict[str, Any]] = []
    async for page in client.get_paginator("list_service_quotas").paginate(
        ServiceCode="iot", **kwargs
    ):
        quotas.extend(page["Quotas"])
    return quotas


class TestListServiceQuotas:
    async def test_lists_each_limited_operation(
        self, start_sim: StartSim, quotas_client: Callable[[Simulator], Awaitable[Any]]
    ) -> None:
        """Every operation with a quota is listed by name with its value in force;
        unlimited ones are not."""
        sim = await start_sim(QUOTAS)
        client = await quotas_client(sim)
        by_name = {q["QuotaName"]: q for q in await listed(client)}
        assert by_name["CancelJobExecution throttle limit"]["Value"] == 150.0
        assert by_name["DeleteJobExecution throttle limit"]["Value"] == 40.0
        assert "DescribeJob throttle limit" not in by_name
        entry = by_name["CancelJobExecution throttle limit"]
        assert entry["QuotaCode"].startswith("L-") and entry["ServiceCode"] == "iot"
        assert entry["QuotaArn"].endswith(f"iot/{entry['QuotaCode']}")

    async def test_pages_follow_next_token(
        self, start_sim: StartSim, quotas_client: Callable[[Simulator], Awaitable[Any]]
    ) -> None:
        """One quota a page: botocore's paginator still gets them all, each once."""
        sim = await start_sim(QUOTAS)
        client = await quotas_client(sim)
        one_by_one = await listed(client, PaginationConfig={"PageSize": 1})
        assert [q["QuotaCode"] for q in one_by_one] == [
            q["QuotaCode"] for q in await listed(client)
        ]
        # Every operation but DescribeJob, which QUOTAS leaves unlimited.
        assert len(one_by_one) == len(Operation) - 1

    async def test_values_follow_quota_changes(
        self, start_sim: StartSim, quotas_client: Callable[[Simulator], Awaitable[Any]]
    ) -> None:
        """A quota set at run time is what Service Quotas answers."""
        sim = await start_sim(QUOTAS)
        sim.set_quota("CancelJobExecution", 500.0)
        client = await quotas_client(sim)
        by_name = {q["QuotaName"]: q["Value"] for q in await listed(client)}
        assert by_name["CancelJobExecution throttle limit"] == 500.0

    async def test_another_service_does_not_exist(
        self, start_sim: StartSim, quotas_client: Callable[[Simulator], Awaitable[Any]]
    ) -> None:
        """Only service code iot is known: others answer NoSuchResourceException."""
        sim = await start_sim(QUOTAS)
        client = await quotas_client(sim)
        with pytest.raises(ClientError) as caught:
            await client.list_service_quotas(ServiceCode="ec2")
        assert caught.value.response["Error"]["Code"] == "NoSuchResourceException"


class TestGetServiceQuota:
    async def test_answers_the_listed_code(
        self, start_sim: StartSim, quotas_client: Callable[[Simulator], Awaitable[Any]]
    ) -> None:
        """GetServiceQuota by a listed code gives that quota's applied value."""
        sim = await start_sim(QUOTAS)
        client = await quotas_client(sim)
        codes = {q["QuotaName"]: q["QuotaCode"] for q in await listed(client)}
        code = codes["CancelJobExecution throttle limit"]
        answer = await client.get_service_quota(ServiceCode="iot", QuotaCode=code)
        assert answer["Quota"]["Value"] == 150.0
        assert answer["Quota"]["QuotaName"] == "CancelJobExecution throttle limit"

    async def test_an_unknown_code_does_not_exist(
        self, start_sim: StartSim, quotas_client: Callable[[Simulator], Awaitable[Any]]
    ) -> None:
        """An unknown quota code answers NoSuchResourceException."""
        sim = await start_sim(QUOTAS)
        client = await quotas_client(sim)
        with pytest.raises(ClientError) as caught:
            await client.get_service_quota(ServiceCode="iot", QuotaCode="L-00000000")
        assert caught.value.response["Error"]["Code"] == "NoSuchResourceException"


class TestWithoutPermission:
    @pytest.mark.parametrize("call", ["list", "get"])
    async def test_access_denied(
        self,
        start_sim: StartSim,
        quotas_client: Callable[[Simulator], Awaitable[Any]],
        call: str,
    ) -> None:
        """Configured without Service Quotas, both calls answer AccessDeniedException,
        and nothing is charged to the IoT quotas."""
        sim = await start_sim(SimConfig(quota=40.0, service_quotas=False))
        client = await quotas_client(sim)
        with pytest.raises(ClientError) as caught:
            if call == "list":
                await client.list_service_quotas(ServiceCode="iot")
            else:
                await client.get_service_quota(ServiceCode="iot", QuotaCode="L-12345678")
        assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
        stats = sim.statistics()
        assert stats.service_quota_requests == 1
        assert stats.total_requests == 0
