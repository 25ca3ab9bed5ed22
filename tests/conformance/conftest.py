"""Two implementations of the IoT Jobs API side by side: moto's server and bulkjobs.sim.

Each conformance test runs against both through the same synchronous boto3 client code.
Both servers start once per session on 127.0.0.1; every test starts from a clean state
(moto's reset endpoint, the simulator's :meth:`Simulator.reset`) and creates its own
things and job through :class:`Backend`.
"""

from __future__ import annotations

import abc
import json
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import boto3
import pytest
from botocore.config import Config

from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator

ACCOUNT_ID = "123456789012"  # moto's default account, and the simulator's
REGION = "us-east-1"
#: The thing group group-targeted jobs aim at (the simulator's fleets have it already).
GROUP = "fleet"
NO_RETRIES = Config(
    retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=2, read_timeout=10
)


@pytest.fixture(autouse=True)
def _dummy_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials, and no ~/.aws files: nothing here can reach a real account."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/bulkjobs-conformance-config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/bulkjobs-conformance-creds")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="session")
def moto_url(moto_server: str) -> str:
    """moto's server on 127.0.0.1: the session's one (see tests/conftest.py)."""
    return moto_server


@pytest.fixture(scope="session")
def simulator() -> Iterator[ThreadedSimulator]:
    """bulkjobs.sim in a background thread, once per session, with no quota or faults."""
    with ThreadedSimulator(SimConfig(quota=None), FleetSpec(things=0, job_ids=("unused",))) as sim:
        yield sim


class Backend(abc.ABC):
    """One implementation under test: a boto3 client plus the setup it needs."""

    name: str

    def __init__(self, session: boto3.session.Session, endpoint_url: str) -> None:
        self.iot: Any = session.client(
            "iot", region_name=REGION, endpoint_url=endpoint_url, config=NO_RETRIES
        )

    @abc.abstractmethod
    def create_job(self, job_id: str, things: Sequence[str]) -> None:
        """Create the things (where needed) and a job with one QUEUED execution each."""

    @abc.abstractmethod
    def create_things(
        self, things: Mapping[str, Mapping[str, str]], groups: Mapping[str, Sequence[str]]
    ) -> None:
        """Register things with their attributes, and thing groups with their members."""

    @abc.abstractmethod
    def set_status(self, job_id: str, thing: str, status: ExecutionStatus) -> None:
        """Move an execution as its device would (there is no device API on either)."""

    def settle_cancel_job(self, job_id: str) -> None:  # noqa: B027 - moto has nothing to wait for
        """Wait until CancelJob's background work is done (moto has none: it does nothing)."""

    @abc.abstractmethod
    def create_group_job(self, job_id: str, things: Sequence[str], *, continuous: bool) -> None:
        """A job targeting thing group :data:`GROUP` (created where needed), whose
        members are ``things``: one QUEUED execution each."""

    def thing_arn(self, thing: str) -> str:
        return f"arn:aws:iot:{REGION}:{ACCOUNT_ID}:thing/{thing}"


class MotoBackend(Backend):
    name = "moto"

    def create_job(self, job_id: str, things: Sequence[str]) -> None:
        for thing in things:
            self.iot.create_thing(thingName=thing)
        self.iot.create_job(
            jobId=job_id,
            targets=[self.thing_arn(thing) for thing in things],
            document=json.dumps({"operation": "update"}),
            targetSelection="SNAPSHOT",
        )

    def create_things(
        self, things: Mapping[str, Mapping[str, str]], groups: Mapping[str, Sequence[str]]
    ) -> None:
        for thing, attributes in things.items():
            self.iot.create_thing(
                thingName=thing, attributePayload={"attributes": dict(attributes)}
            )
        for group, members in groups.items():
            self.iot.create_thing_group(thingGroupName=group)
            for thing in members:
                self.iot.add_thing_to_thing_group(thingGroupName=group, thingName=thing)

    def set_status(self, job_id: str, thing: str, status: ExecutionStatus) -> None:
        # moto has no jobs data-plane API; its threaded server shares this process's backend.
        from moto.iot.models import iot_backends

        iot_backends[ACCOUNT_ID][REGION].job_executions[(job_id, thing)].status = status.value

    def create_group_job(self, job_id: str, things: Sequence[str], *, continuous: bool) -> None:
        try:
            group = self.iot.describe_thing_group(thingGroupName=GROUP)
        except self.iot.exceptions.ResourceNotFoundException:
            group = self.iot.create_thing_group(thingGroupName=GROUP)
        for thing in things:
            self.iot.create_thing(thingName=thing)
            self.iot.add_thing_to_thing_group(thingGroupName=GROUP, thingName=thing)
        self.iot.create_job(
            jobId=job_id,
            targets=[group["thingGroupArn"]],
            document=json.dumps({"operation": "update"}),
            targetSelection="CONTINUOUS" if continuous else "SNAPSHOT",
        )


class SimBackend(Backend):
    name = "sim"

    def __init__(self, session: boto3.session.Session, simulator: ThreadedSimulator) -> None:
        super().__init__(session, simulator.endpoint_url)
        self.simulator = simulator

    def create_job(self, job_id: str, things: Sequence[str]) -> None:
        self.simulator.call(lambda sim: sim.add_job(job_id, things))

    def create_things(
        self, things: Mapping[str, Mapping[str, str]], groups: Mapping[str, Sequence[str]]
    ) -> None:
        def register(sim: Any) -> None:
            for thing, attributes in things.items():
                member_of = tuple(g for g, members in groups.items() if thing in members)
                sim.add_thing(thing, attributes=dict(attributes), groups=member_of)

        self.simulator.call(register)

    def set_status(self, job_id: str, thing: str, status: ExecutionStatus) -> None:
        self.simulator.call(lambda sim: sim.set_execution_status(job_id, thing, status))

    def settle_cancel_job(self, job_id: str) -> None:
        self.simulator.call_async(lambda sim: sim.wait_job_cancellation(job_id))

    def create_group_job(self, job_id: str, things: Sequence[str], *, continuous: bool) -> None:
        selection = "CONTINUOUS" if continuous else "SNAPSHOT"
        self.simulator.call(
            lambda sim: sim.add_job(job_id, things, thing_group=GROUP, target_selection=selection)
        )


@pytest.fixture(scope="session")
def boto3_session() -> boto3.session.Session:
    """One boto3 session for the run: it caches the parsed IoT model (clients come cheap)."""
    return boto3.session.Session()


@pytest.fixture(params=["sim", "moto"])
def backend(
    request: pytest.FixtureRequest, boto3_session: boto3.session.Session
) -> Iterator[Backend]:
    """Each test runs once against the simulator and once against moto, from a clean state."""
    chosen: Backend
    if request.param == "moto":
        moto_url: str = request.getfixturevalue("moto_url")
        reset = urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(reset, timeout=10) as response:
            assert response.status == 200
        chosen = MotoBackend(boto3_session, moto_url)
    else:
        simulator: ThreadedSimulator = request.getfixturevalue("simulator")
        simulator.call(lambda sim: sim.reset())
        chosen = SimBackend(boto3_session, simulator)
    yield chosen
    chosen.iot.close()


def moto_deviates(backend: Backend, request: pytest.FixtureRequest, reason: str) -> None:
    """Mark the moto case as a known, strict deviation from the API reference."""
    if backend.name == "moto":
        request.applymarker(pytest.mark.xfail(strict=True, reason=f"moto: {reason}"))
