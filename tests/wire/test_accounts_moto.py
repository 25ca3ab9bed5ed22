"""Cross-account runs against moto's server: an implementation nobody here wrote.

moto processes a request signed with credentials from its STS ``AssumeRole`` in the
role's account, and implements Organizations: a run that assumes a role per account
must land its calls there, and ``--from-organization`` must find the accounts moto's
Organizations lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest

from bulkjobs.cli import main

CALLER = "123456789012"  # moto's default account
ROLE = "OrganizationAccountAccessRole"
JOB = "fw-moto"


def client(endpoint: str, service: str, **keys: Any) -> Any:
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", **keys)


def keys_for(endpoint: str, account: str) -> dict[str, str]:
    """Credentials of the role in ``account``, from moto's STS."""
    answer = client(endpoint, "sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="setup"
    )
    creds = answer["Credentials"]
    return {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }


def fleet(endpoint: str, account: str, names: list[str]) -> Any:
    """Things and a job in ``account`` (created with its role's credentials)."""
    iot = client(endpoint, "iot", **(keys_for(endpoint, account) if account != CALLER else {}))
    arns = [iot.create_thing(thingName=name)["thingArn"] for name in names]
    iot.create_job(jobId=JOB, targets=arns, document="{}")
    return iot


def statuses(iot: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for page in iot.get_paginator("list_job_executions_for_job").paginate(jobId=JOB):
        for summary in page["executionSummaries"]:
            found[summary["thingArn"].rsplit("/", 1)[-1]] = summary["jobExecutionSummary"]["status"]
    return found


def run(endpoint: str, *argv: str) -> int:
    return main([*argv, "--endpoint-url", endpoint, "--region", "us-east-1", "-q"])


class TestAgainstMoto:
    def test_calls_land_in_the_roles_account(self, moto_endpoint: str, tmp_path: Path) -> None:
        """A row for account A: moto cancels A's execution, the caller's stays QUEUED."""
        account = "111111111111"
        names = ["dev-1", "dev-2"]
        in_a = fleet(moto_endpoint, account, names)
        own = fleet(moto_endpoint, CALLER, names)
        source = tmp_path / "t.csv"
        source.write_text(f"account,thingName\n{account},dev-1\n")
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(moto_endpoint, *argv, "--role-name", ROLE) == 0
        assert statuses(in_a) == {"dev-1": "CANCELED", "dev-2": "QUEUED"}
        assert statuses(own) == {"dev-1": "QUEUED", "dev-2": "QUEUED"}

    def test_the_sdks_endpoint_variables_reach_every_service(
        self, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No --endpoint-url: the standard AWS_ENDPOINT_URL_<SERVICE> variables send IoT,
        STS (the role) and Service Quotas where they say, as botocore reads them."""
        account = "111111111111"
        in_a = fleet(moto_endpoint, account, ["dev-1"])
        for service in ("IOT", "STS", "SERVICE_QUOTAS"):
            monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", moto_endpoint)
        source = tmp_path / "t.csv"
        source.write_text(f"account,thingName\n{account},dev-1\n")
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        code = main([*argv, "--role-name", ROLE, "--region", "us-east-1", "-q"])
        assert code == 0
        assert statuses(in_a) == {"dev-1": "CANCELED"}

    @pytest.mark.parametrize("by", ["--endpoint-url", "AWS_ENDPOINT_URL_<SERVICE>"])
    def test_the_accounts_of_the_organisation(
        self, moto_endpoint: str, by: str, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """--from-organization: moto's ListAccounts decides, each account is reached by
        its role, and the one job is cancelled everywhere it exists — with the endpoint
        given as an option, or for each service in the SDK's standard variables."""
        org = client(moto_endpoint, "organizations")
        org.create_organization(FeatureSet="ALL")
        members = []
        for n in range(2):
            created = org.create_account(AccountName=f"m{n}", Email=f"m{n}@example.com")
            members.append(created["CreateAccountStatus"]["AccountId"])
        fleets = {a: fleet(moto_endpoint, a, ["dev-1"]) for a in [CALLER, *members]}
        argv = ["cancel-job", "--job-id", JOB, "--from-organization", "--role-name", ROLE]
        if by == "--endpoint-url":
            assert run(moto_endpoint, *argv, "--expect-accounts", "3") == 0
        else:
            for service in ("IOT", "STS", "ORGANIZATIONS", "SERVICE_QUOTAS"):
                monkeypatch.setenv(f"AWS_ENDPOINT_URL_{service}", moto_endpoint)
            argv += ["--expect-accounts", "3", "--region", "us-east-1", "-q"]
            assert main(argv) == 0
        for account, iot in fleets.items():
            job = iot.describe_job(jobId=JOB)["job"]
            assert job["status"] in ("CANCELED", "CANCELLATION_IN_PROGRESS"), account

    def test_a_wrong_count_is_refused_before_any_call(self, moto_endpoint: str) -> None:
        org = client(moto_endpoint, "organizations")
        org.create_organization(FeatureSet="ALL")
        argv = ["cancel-job", "--job-id", JOB, "--from-organization", "--role-name", ROLE]
        assert run(moto_endpoint, *argv, "--expect-accounts", "5") == 2


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
