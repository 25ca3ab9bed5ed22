"""The engine against moto's server: real HTTP, real aiobotocore, real signing.

moto is a third-party implementation of the IoT API, so these tests prove the wire
protocol, not IoT's deeper semantics (moto fixes versions at 123 and ignores
expectedVersion; our simulator covers those).
"""

from __future__ import annotations

import pytest

from bulkjobs import (
    CancelExecution,
    CancelJob,
    DeleteExecution,
    Engine,
    Outcome,
    Result,
    RunConfig,
    Target,
)
from tests.wire.moto_fleet import create_fleet, iot_client, set_status, statuses


def config(endpoint: str, **overrides: object) -> RunConfig:
    settings: dict[str, object] = {
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "rate": 10_000.0,
        "concurrency": 32,
        **overrides,
    }
    return RunConfig(**settings)  # type: ignore[arg-type]


class TestCancelExecutionOnMoto:
    async def test_cancels_a_thousand_executions_losing_none(self, moto_endpoint: str) -> None:
        """1,000 QUEUED executions: every one CANCELED on the server, counted once."""
        names = create_fleet(moto_endpoint, "fw-rollout", 1000)
        targets = [Target(job_id="fw-rollout", thing_name=n) for n in names]
        results: list[Result] = []

        report = await Engine(CancelExecution(), config(moto_endpoint)).run(
            targets, on_result=results.append
        )

        assert report.total == 1000
        assert report.count(Outcome.CANCELED) == 1000
        assert sorted(r.target.thing_name or "" for r in results) == sorted(names)
        server = statuses(moto_endpoint, "fw-rollout")
        assert set(server.values()) == {"CANCELED"}
        assert len(server) == 1000
        assert report.exit_code == 0

    async def test_in_progress_without_force_is_skipped(self, moto_endpoint: str) -> None:
        """moto refuses IN_PROGRESS without force; the engine reports needs-force."""
        names = create_fleet(moto_endpoint, "job-a", 4)
        set_status("job-a", names[0], "IN_PROGRESS")
        targets = [Target(job_id="job-a", thing_name=n) for n in names]

        report = await Engine(CancelExecution(), config(moto_endpoint)).run(targets)

        assert report.count(Outcome.CANCELED) == 3
        assert report.count(Outcome.IN_PROGRESS_NEEDS_FORCE) == 1
        assert report.error_codes == {"InvalidStateTransitionException": 1}
        assert statuses(moto_endpoint, "job-a")[names[0]] == "IN_PROGRESS"
        assert report.exit_code == 1

    async def test_force_cancels_in_progress(self, moto_endpoint: str) -> None:
        """With force, IN_PROGRESS executions are cancelled too."""
        names = create_fleet(moto_endpoint, "job-b", 3)
        set_status("job-b", names[1], "IN_PROGRESS")
        targets = [Target(job_id="job-b", thing_name=n) for n in names]

        report = await Engine(CancelExecution(force=True), config(moto_endpoint)).run(targets)

        assert report.count(Outcome.CANCELED) == 3
        assert set(statuses(moto_endpoint, "job-b").values()) == {"CANCELED"}

    async def test_fresh_version_round_trip(self, moto_endpoint: str) -> None:
        """expected_version=FRESH describes, then cancels with the reported version."""
        names = create_fleet(moto_endpoint, "job-c", 5)
        targets = [Target(job_id="job-c", thing_name=n) for n in names]
        results: list[Result] = []

        await Engine(CancelExecution(expected_version="fresh"), config(moto_endpoint)).run(
            targets, on_result=results.append
        )

        assert {r.outcome for r in results} == {Outcome.CANCELED}
        assert {r.version_before for r in results} == {123}  # moto's fixed version
        assert all(r.attempts == 2 for r in results)


class TestDeleteExecutionOnMoto:
    async def test_deletes_terminal_executions(self, moto_endpoint: str) -> None:
        """Terminal executions are deleted, execution numbers resolved by describe."""
        names = create_fleet(moto_endpoint, "old-job", 120)
        for name in names:
            set_status("old-job", name, "SUCCEEDED")
        targets = [Target(job_id="old-job", thing_name=n) for n in names]

        report = await Engine(DeleteExecution(), config(moto_endpoint)).run(targets)

        assert report.count(Outcome.DELETED) == 120
        assert statuses(moto_endpoint, "old-job") == {}


class TestCancelJobOnMoto:
    async def test_cancel_job(self, moto_endpoint: str) -> None:
        """CancelJob reaches moto and the job is CANCELED there."""
        create_fleet(moto_endpoint, "whole-job", 3)
        report = await Engine(
            CancelJob(reason_code="BAD_FW", comment="bad build"), config(moto_endpoint)
        ).run([Target(job_id="whole-job")])

        assert report.count(Outcome.CANCELED) == 1
        job = iot_client(moto_endpoint).describe_job(jobId="whole-job")["job"]
        assert job["status"] == "CANCELED"


@pytest.mark.parametrize("concurrency", [1, 8])
async def test_dry_run_leaves_the_server_untouched(moto_endpoint: str, concurrency: int) -> None:
    """A dry run reports dry_run for each target and changes nothing on the server."""
    names = create_fleet(moto_endpoint, "job-d", 6)
    targets = [Target(job_id="job-d", thing_name=n) for n in names]
    report = await Engine(
        CancelExecution(force=True), config(moto_endpoint, dry_run=True, concurrency=concurrency)
    ).run(targets)
    assert report.count(Outcome.DRY_RUN) == 6
    assert set(statuses(moto_endpoint, "job-d").values()) == {"QUEUED"}
