"""The simulator's accounts: STS, Organizations, and a fleet per account and region."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import botocore.exceptions
import pytest
from aiobotocore.session import AioSession

from bulkjobs.sim import (
    ExecutionStatus,
    FleetSpec,
    OrgAccount,
    Organization,
    OrgUnit,
    SimConfig,
    Simulator,
)
from tests.sim.conftest import StartSim
from tests.sim.support import NO_RETRIES

CALLER, A, B = "123456789012", "111111111111", "222222222222"
ROLE = "OrganizationAccountAccessRole"


@pytest.fixture
async def clients(aio_session: AioSession) -> AsyncIterator[Any]:
    """``make(sim, service, region=..., **credentials)``: clients closed after the test."""
    async with contextlib.AsyncExitStack() as stack:

        async def make(sim: Simulator, service: str, region: str = "us-east-1", **keys: Any) -> Any:
            return await stack.enter_async_context(
                aio_session.create_client(
                    service,
                    region_name=region,
                    endpoint_url=sim.endpoint_url,
                    config=NO_RETRIES,
                    **keys,
                )
            )

        yield make


async def assume(sts: Any, account: str, role: str = ROLE, **extra: Any) -> dict[str, str]:
    answer = await sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="test", **extra
    )
    creds = answer["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def members(**changes: Any) -> SimConfig:
    return SimConfig(quota=None, accounts=(A, B), **changes)


class TestSts:
    async def test_the_callers_identity(self, start_sim: StartSim, clients: Any) -> None:
        """A key the simulator did not issue is the caller's own account."""
        sts = await clients(await start_sim(members()), "sts")
        assert (await sts.get_caller_identity())["Account"] == CALLER

    async def test_an_assumed_roles_key_is_the_roles_account(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """GetCallerIdentity with the session's key names the role's account and ARN."""
        sim = await start_sim(members())
        keys = await assume(await clients(sim, "sts"), A)
        identity = await (await clients(sim, "sts", **keys)).get_caller_identity()
        assert identity["Account"] == A
        assert identity["Arn"] == f"arn:aws:sts::{A}:assumed-role/{ROLE}/test"

    @pytest.mark.parametrize(
        ("account", "role", "extra"),
        [
            ("999999999999", ROLE, {}),  # not a member
            (A, "SomeOtherRole", {}),  # no such role there
            (B, ROLE, {}),  # denied below
        ],
    )
    async def test_what_is_not_allowed_is_access_denied(
        self, start_sim: StartSim, clients: Any, account: str, role: str, extra: dict[str, Any]
    ) -> None:
        """Unknown accounts and roles, and denied accounts: AccessDenied, HTTP 403."""
        sim = await start_sim(members(denied_accounts=frozenset({B})))
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await assume(await clients(sim, "sts"), account, role, **extra)
        assert caught.value.response["Error"]["Code"] == "AccessDenied"
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert sim.refused_roles() == {account: 1}

    async def test_an_external_id_is_required_when_configured(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """Without the ExternalId: AccessDenied; with it: credentials."""
        sim = await start_sim(members(role_external_id="s3cret-id"))
        sts = await clients(sim, "sts")
        with pytest.raises(botocore.exceptions.ClientError):
            await assume(sts, A)
        assert (await assume(sts, A, ExternalId="s3cret-id"))["aws_access_key_id"]

    async def test_durations_outside_the_bounds_are_refused(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """DurationSeconds must be 900..43200: ValidationError."""
        sts = await clients(await start_sim(members()), "sts")
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await assume(sts, A, DurationSeconds=43_201)
        assert caught.value.response["Error"]["Code"] == "ValidationError"

    async def test_sessions_last_at_most_session_seconds(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """session_seconds cuts the session: its Expiration is that far away."""
        sim = await start_sim(members(session_seconds=60.0))
        answer = await (await clients(sim, "sts")).assume_role(
            RoleArn=f"arn:aws:iam::{A}:role/{ROLE}", RoleSessionName="test"
        )
        remaining = answer["Credentials"]["Expiration"].timestamp() - sim.config.clock_skew
        assert 0 < remaining - time.time() <= 61

    async def test_an_ended_session_is_expired_token(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """After expire_sessions, the key is answered ExpiredTokenException by IoT."""
        sim = await start_sim(members(), FleetSpec(things=2))
        keys = await assume(await clients(sim, "sts"), A)
        iot = await clients(sim, "iot", **keys)
        await iot.describe_job(jobId="job-1")
        assert sim.expire_sessions(A) == 1
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await iot.describe_job(jobId="job-1")
        assert caught.value.response["Error"]["Code"] == "ExpiredTokenException"


class TestDestinationsAreSeparate:
    async def test_a_cancel_changes_only_its_account_and_region(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """Signed with A's session in eu-west-1: A's eu-west-1 fleet changes, no other."""
        sim = await start_sim(members(), FleetSpec(things=3))
        keys = await assume(await clients(sim, "sts"), A)
        iot = await clients(sim, "iot", region="eu-west-1", **keys)
        await iot.cancel_job_execution(jobId="job-1", thingName="thing-000001")

        def status(account: str, region: str) -> ExecutionStatus:
            found = sim.execution("job-1", "thing-000001", account=account, region=region)
            assert found is not None
            return found.status

        assert status(A, "eu-west-1") is ExecutionStatus.CANCELED
        assert status(A, "us-east-1") is ExecutionStatus.QUEUED
        assert status(CALLER, "eu-west-1") is ExecutionStatus.QUEUED
        assert status(CALLER, "us-east-1") is ExecutionStatus.QUEUED
        assert sim.statistics().by_destination == {f"{A}/eu-west-1": 1}

    async def test_quotas_are_per_destination(self, start_sim: StartSim, clients: Any) -> None:
        """A quota of 1/s in A: A's second call is throttled, the caller's is not."""
        sim = await start_sim(SimConfig(quota=1.0, burst_seconds=1.0, accounts=(A,)))
        keys = await assume(await clients(sim, "sts"), A)
        in_a = await clients(sim, "iot", **keys)
        own = await clients(sim, "iot")
        await in_a.describe_job(jobId="job-1")
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await in_a.describe_job(jobId="job-1")
        assert caught.value.response["Error"]["Code"] == "ThrottlingException"
        await own.describe_job(jobId="job-1")

    async def test_faults_can_be_set_per_destination(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """reconfigure_destination: every call in A/us-east-1 answers 503, B's do not."""
        sim = await start_sim(members())
        sts = await clients(sim, "sts")
        in_a = await clients(sim, "iot", **(await assume(sts, A)))
        in_b = await clients(sim, "iot", **(await assume(sts, B)))
        await in_a.describe_job(jobId="job-1")  # the destination exists from now
        sim.reconfigure_destination(A, "us-east-1", p503=1.0)
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await in_a.describe_job(jobId="job-1")
        assert caught.value.response["Error"]["Code"] == "ServiceUnavailableException"
        await in_b.describe_job(jobId="job-1")


NESTED = Organization(
    management=CALLER,
    units=(
        OrgUnit(id="ou-root-prod0001", name="Prod"),
        OrgUnit(id="ou-root-eu000001", name="EU", parent="ou-root-prod0001"),
    ),
    accounts=(
        OrgAccount(id=CALLER, name="management"),
        OrgAccount(id=A, name="prod-us", parent="ou-root-prod0001"),
        OrgAccount(id=B, name="prod-eu", parent="ou-root-eu000001"),
        OrgAccount(id="444444444444", name="old", parent="ou-root-eu000001", state="SUSPENDED"),
    ),
)


class TestOrganizations:
    async def test_list_accounts(self, start_sim: StartSim, clients: Any) -> None:
        """Every account, with its state, paged at most 20 a page."""
        sim = await start_sim(members(organization=NESTED))
        org = await clients(sim, "organizations")
        pages = org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 2})
        found = [(a["Id"], a["State"]) async for page in pages for a in page["Accounts"]]
        assert found == [
            (CALLER, "ACTIVE"),
            (A, "ACTIVE"),
            (B, "ACTIVE"),
            ("444444444444", "SUSPENDED"),
        ]

    async def test_a_units_accounts_and_its_children(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """ListAccountsForParent lists one unit; ListOrganizationalUnitsForParent its units."""
        sim = await start_sim(members(organization=NESTED))
        org = await clients(sim, "organizations")
        direct = await org.list_accounts_for_parent(ParentId="ou-root-prod0001")
        assert [a["Id"] for a in direct["Accounts"]] == [A]
        units = await org.list_organizational_units_for_parent(ParentId="ou-root-prod0001")
        assert [u["Id"] for u in units["OrganizationalUnits"]] == ["ou-root-eu000001"]

    async def test_an_unknown_parent_is_not_found(self, start_sim: StartSim, clients: Any) -> None:
        sim = await start_sim(members(organization=NESTED))
        org = await clients(sim, "organizations")
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await org.list_accounts_for_parent(ParentId="ou-root-nope0001")
        assert caught.value.response["Error"]["Code"] == "ParentNotFoundException"

    async def test_only_the_management_account_may_ask(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """A member account's session: AccessDeniedException, as at AWS."""
        sim = await start_sim(members(organization=NESTED))
        keys = await assume(await clients(sim, "sts"), A)
        org = await clients(sim, "organizations", **keys)
        with pytest.raises(botocore.exceptions.ClientError) as caught:
            await org.list_accounts()
        assert caught.value.response["Error"]["Code"] == "AccessDeniedException"

    async def test_the_default_organisation_holds_the_member_accounts(
        self, start_sim: StartSim, clients: Any
    ) -> None:
        """Without an Organization: the caller in the root, the members in one unit."""
        sim = await start_sim(members())
        org = await clients(sim, "organizations")
        listed = await org.list_accounts_for_parent(ParentId="ou-sim0-workloads")
        assert [a["Id"] for a in listed["Accounts"]] == [A, B]


class TestSimulateOptions:
    def test_accounts_and_regions_from_the_command_line(self) -> None:
        """simulate --accounts 3 --regions R1,R2: three members, separate destinations."""
        import argparse

        from bulkjobs.sim._options import add_simulate_arguments, config_from_args

        parser = argparse.ArgumentParser()
        add_simulate_arguments(parser)
        args = parser.parse_args(["--accounts", "3", "--regions", "eu-west-1,us-east-1"])
        config, _ = config_from_args(args)
        assert config.accounts == ("111111111111", "222222222222", "333333333333")
        assert config.region == "eu-west-1" and config.separate
        assert config.org is not None and len(config.org.accounts) == 4
