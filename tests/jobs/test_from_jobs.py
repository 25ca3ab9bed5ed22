"""FromJobs, the library's job selection over ListJobs, through RunSession and real
aiobotocore against the simulator; and its client-side rules as pure logic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest

from bulkjobs import (
    CancelExecution,
    DeleteJob,
    Destination,
    FromJobs,
    InvalidInputError,
    ListedJob,
    Outcome,
    RunConfig,
    RunSession,
    parse_age,
    select_jobs,
)
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator

FAST = SimConfig(quota=None, job_deletion_seconds=0.02, job_deletion_seconds_per_execution=0.0)
NOW = datetime(2026, 6, 1, tzinfo=UTC)


def config(sim: Simulator, **changes: Any) -> RunConfig:
    return RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=2000, **changes)


async def run(sim: Simulator, source: FromJobs, operation: Any, **changes: Any) -> RunSession:
    session = RunSession(source, operation, config(sim, **changes))
    with anyio.fail_after(60):
        await session.run()
    return session


class TestWholeJobs:
    async def test_delete_job_over_a_selection(self) -> None:
        """DeleteJob over FromJobs(COMPLETED, older than 30 days): those jobs go, the
        recent and the running ones stay; the plan records the selection."""
        async with Simulator(FAST, FleetSpec(things=2)) as sim:
            sim.add_job("old", ["a"], status="SUCCEEDED", age_days=45)
            sim.add_job("recent", ["b"], status="SUCCEEDED", age_days=3)
            sim.add_job("running", ["c"], age_days=45)
            cutoff = parse_age("30d", now=datetime.now(UTC))
            source = FromJobs(statuses=("COMPLETED",), older_than=cutoff)
            session = await run(sim, source, DeleteJob(poll_interval=0.02))
            assert [s.job.job_id for s in session.plan.selected_jobs] == ["old"]
            with pytest.raises(KeyError):
                sim.job("old")
            assert sim.job("recent") and sim.job("running")

    async def test_a_dry_run_counts_each_job_with_describe_job(self) -> None:
        """In a dry run each selected job comes with DescribeJob's counters."""
        async with Simulator(FAST, FleetSpec(things=2)) as sim:
            sim.add_job("done", ["a", "b", "c"], status="SUCCEEDED")
            session = await run(sim, FromJobs(job_id_prefix="done"), DeleteJob(), dry_run=True)
            (selected,) = session.plan.selected_jobs
            assert selected.counts is not None and selected.counts.of(None) == 3
            assert sim.job("done")

    async def test_a_job_listed_under_two_statuses_is_one_target(self) -> None:
        """Statuses are listed one call each; a job is selected once even when asked
        for twice."""
        async with Simulator(FAST, FleetSpec(things=2)) as sim:
            sim.add_job("done", ["a"], status="SUCCEEDED")
            source = FromJobs(statuses=("COMPLETED", "COMPLETED", "CANCELED"))
            session = await run(sim, source, DeleteJob(poll_interval=0.02))
            assert [s.job.job_id for s in session.plan.selected_jobs] == ["done"]
            assert session.plan.total == 1


async def test_execution_operations_take_the_selected_jobs_executions() -> None:
    """CancelJobExecution over FromJobs: the QUEUED executions of the jobs matching
    the glob are canceled; others' are untouched."""
    async with Simulator(FAST, FleetSpec(things=3, job_ids=("keep-1",))) as sim:
        sim.add_job("fw-a", ["x", "y"])
        sim.add_job("fw-b", ["z"])
        source = FromJobs(job_id_glob="fw-?", execution_statuses=("QUEUED",))
        session = await run(sim, source, CancelExecution())
        assert session.summary is not None
        assert session.summary["outcomes"] == {Outcome.CANCELED.value: 3}
        assert {e.status for e in sim.executions("keep-1")} == {ExecutionStatus.QUEUED}


class TestPinnedSelection:
    async def test_the_run_acts_on_the_jobs_shown_not_on_those_created_since(self) -> None:
        """A selection pinned to what select_jobs showed deletes exactly those jobs: a
        job that matches the same filters, created between the showing and the run,
        stays, and ListJobs is not asked again."""
        async with Simulator(FAST, FleetSpec(things=2)) as sim:
            sim.add_job("old-1", ["a"], status="SUCCEEDED")
            selection = FromJobs(job_id_prefix="old-")
            shown = await select_jobs(selection, config(sim))
            sim.add_job("old-2", ["b"], status="SUCCEEDED")
            pinned = selection.pin(s.job for s in shown.jobs)
            listings = list_jobs_calls(sim)
            session = await run(sim, pinned, DeleteJob(poll_interval=0.02))
            assert [s.job.job_id for s in session.plan.selected_jobs] == ["old-1"]
            with pytest.raises(KeyError):
                sim.job("old-1")
            assert sim.job("old-2")
            assert list_jobs_calls(sim) == listings

    async def test_execution_operations_list_the_shown_jobs_executions(self) -> None:
        """For CancelJobExecution the pinned jobs' executions are listed at the run
        (as without a pin); a job created since keeps its executions QUEUED."""
        async with Simulator(FAST, FleetSpec(things=2)) as sim:
            sim.add_job("fw-a", ["x", "y"])
            selection = FromJobs(job_id_glob="fw-?")
            shown = await select_jobs(selection, config(sim))
            sim.add_job("fw-b", ["z"])
            await run(sim, selection.pin(s.job for s in shown.jobs), CancelExecution())
            assert {e.status for e in sim.executions("fw-a")} == {ExecutionStatus.CANCELED}
            assert {e.status for e in sim.executions("fw-b")} == {ExecutionStatus.QUEUED}

    async def test_each_pinned_job_is_acted_on_where_it_was_listed(self) -> None:
        """Over two regions a job pinned as listed in one is deleted there only, though
        a job of the same ID exists in the other."""
        sim_config = SimConfig(
            quota=None,
            separate_destinations=True,
            job_deletion_seconds=0.02,
            job_deletion_seconds_per_execution=0.0,
        )
        async with Simulator(sim_config, FleetSpec(things=2)) as sim:
            for region in ("us-east-1", "eu-west-1"):
                sim.add_job("done", ["a"], status="SUCCEEDED", region=region)
            listed = ListedJob(
                job_id="done", status="COMPLETED", destination=Destination(region="eu-west-1")
            )
            session = RunSession(
                FromJobs().pin([listed]),
                DeleteJob(poll_interval=0.02),
                config(sim),
                destinations=[Destination(region="us-east-1"), Destination(region="eu-west-1")],
            )
            with anyio.fail_after(60):
                await session.run()
            assert sim.job("done", region="us-east-1")
            with pytest.raises(KeyError):
                sim.job("done", region="eu-west-1")


def list_jobs_calls(sim: Simulator) -> int:
    operation = sim.statistics().operations.get("ListJobs")
    return 0 if operation is None else operation.requests


def test_every_broken_rule_at_once() -> None:
    """Construction refuses every bad field together, named as the API names them."""
    with pytest.raises(InvalidInputError) as caught:
        FromJobs(
            statuses=("DONE",),
            target_selection="SOMETIMES",
            thing_group_name="a b",
            thing_group_id="a_b",
            namespace_id="a b",
            job_id_prefix="a/b",
            job_id_glob="",
            older_than=NOW - timedelta(days=30),
            newer_than=NOW - timedelta(days=10),
            execution_statuses=("QUEUD",),
        )
    fields = {issue.field for issue in caught.value.issues}
    assert fields == {
        "jobStatus",
        "targetSelection",
        "thingGroupName",
        "thingGroupId",
        "namespaceId",
        "jobIdPrefix",
        "jobIdGlob",
        "newerThan",
        "executionStatus",
    }
    with pytest.raises(InvalidInputError):
        FromJobs(statuses="COMPLETED")  # a string, not a sequence of statuses
    with pytest.raises(InvalidInputError):
        FromJobs(older_than=datetime(2026, 1, 1))  # naive


class TestJobDates:
    def job(self, status: str, **dates: datetime | None) -> ListedJob:
        return ListedJob(job_id="j", status=status, **dates)  # type: ignore[arg-type]

    def test_the_date_a_job_is_aged_by(self) -> None:
        """Completed: completedAt; running: createdAt; canceled without completedAt:
        its last update (the cancel)."""
        created, updated, completed = NOW - timedelta(days=9), NOW - timedelta(days=5), NOW
        done = self.job(
            "COMPLETED", created_at=created, last_updated_at=updated, completed_at=completed
        )
        assert done.date == completed
        assert self.job("IN_PROGRESS", created_at=created, last_updated_at=updated).date == created
        assert self.job("CANCELED", created_at=created, last_updated_at=updated).date == updated
        assert self.job("CANCELED").date is None

    def test_age_window_and_unknown_dates(self) -> None:
        """older_than and newer_than bound a window; a job without a date is never
        selected by age (a delete does not guess)."""
        rules = FromJobs(
            older_than=NOW - timedelta(days=10), newer_than=NOW - timedelta(days=20)
        ).rules
        at = {d: self.job("IN_PROGRESS", created_at=NOW - timedelta(days=d)) for d in (5, 15, 25)}
        assert [d for d, job in at.items() if rules.keeps(job)] == [15]
        assert not rules.keeps(self.job("CANCELED"))
        assert FromJobs().rules.keeps(self.job("CANCELED"))
