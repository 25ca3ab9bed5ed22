"""Fixtures for the simulator's tests: simulators on loopback and real botocore clients.

Every client is built with botocore's retries off (one attempt), as the engine builds
its own, so each call maps to exactly one request the simulator counts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import boto3
import pytest
from aiobotocore.session import AioSession, get_session
from botocore.config import Config

from bulkjobs.sim import FleetSpec, SimConfig, Simulator
from tests.sim.support import NO_RETRIES, OPEN


@pytest.fixture(autouse=True)
def _dummy_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and no ~/.aws files: nothing here can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/bulkjobs-sim-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/bulkjobs-sim-credentials")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


StartSim = Callable[..., Awaitable[Simulator]]
AioClient = Any


@pytest.fixture
async def start_sim() -> AsyncIterator[StartSim]:
    """Start simulators (default: unlimited quota, 10 things) that stop after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            config: SimConfig = OPEN, fleet: FleetSpec | None = None, **kwargs: Any
        ) -> Simulator:
            simulator = Simulator(config, fleet or FleetSpec(things=10), **kwargs)
            return await stack.enter_async_context(simulator)

        yield start


@pytest.fixture(scope="session")
def aio_session() -> AioSession:
    """One aiobotocore session for the run: it caches the parsed IoT service model."""
    return get_session()


@pytest.fixture(scope="session")
def boto3_session() -> boto3.session.Session:
    """One boto3 session for the run, for the same reason."""
    return boto3.session.Session()


@pytest.fixture
async def make_client(
    aio_session: AioSession,
) -> AsyncIterator[Callable[..., Awaitable[AioClient]]]:
    """aiobotocore IoT clients for a simulator's endpoint, closed after the test."""
    async with contextlib.AsyncExitStack() as stack:
        session = aio_session

        async def make(simulator: Simulator, config: Config = NO_RETRIES) -> AioClient:
            return await stack.enter_async_context(
                session.create_client(
                    "iot",
                    region_name="us-east-1",
                    endpoint_url=simulator.endpoint_url,
                    config=config,
                )
            )

        yield make


@pytest.fixture
async def sim(start_sim: StartSim) -> Simulator:
    """A running simulator with 10 QUEUED things and job ``job-1``."""
    return await start_sim()


@pytest.fixture
async def iot(sim: Simulator, make_client: Callable[..., Awaitable[AioClient]]) -> AioClient:
    """An aiobotocore IoT client pointed at :func:`sim`."""
    return await make_client(sim)


@pytest.fixture
def boto3_client(boto3_session: boto3.session.Session) -> Iterator[Callable[..., Any]]:
    """Synchronous boto3 IoT clients (call them through ``asyncio.to_thread``)."""
    clients: list[Any] = []

    def make(simulator: Simulator, config: Config = NO_RETRIES) -> Any:
        client = boto3_session.client(
            "iot", region_name="us-east-1", endpoint_url=simulator.endpoint_url, config=config
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
