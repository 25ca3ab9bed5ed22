"""Bulk DeleteJob against the simulator's deletion model, through real aiobotocore.

The simulator keeps at most N jobs DELETION_IN_PROGRESS and answers LimitExceeded
beyond: the run must never meet it from its own deletions, must wait (not fail) when
others fill the limit, and must record how long each deletion took.
"""

from __future__ import annotations

import anyio
import pytest

from bulkjobs import DeleteJob, Engine, Outcome, Result, RunConfig, Target
from bulkjobs.sim import ExecutionStatus, SimConfig, Simulator

FAST = SimConfig(
    quota=None,
    max_deleting_jobs=3,
    job_deletion_seconds=0.05,
    job_deletion_seconds_per_execution=0.001,
)


def op(**kwargs: object) -> DeleteJob:
    return DeleteJob(poll_interval=0.02, max_poll_interval=0.05, **kwargs)  # type: ignore[arg-type]


async def run(sim: Simulator, operation: DeleteJob, jobs: list[str]) -> list[Result]:
    engine = Engine(
        operation,
        RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=2000, concurrency=16),
    )
    results: list[Result] = []
    with anyio.fail_after(60):
        await engine.run([Target(job_id=j) for j in jobs], on_result=results.append)
    return results


def finished(sim: Simulator, job_id: str) -> bool:
    try:
        sim.job(job_id)
    except KeyError:
        return True
    return False


class TestDeletionSlots:
    async def test_never_more_deletions_than_slots(self) -> None:
        """With 3 slots and 8 jobs, the simulator refuses no DeleteJob for the limit,
        every job is deleted, and each result carries its deletion time."""
        async with Simulator(FAST) as sim:
            jobs = [f"old-{n}" for n in range(8)]
            for n, job in enumerate(jobs):
                sim.add_job(job, [f"t{n}-{i}" for i in range(20)], status="SUCCEEDED")
            results = await run(sim, op(max_deleting=3), jobs)
            assert sorted(r.outcome for r in results) == [Outcome.DELETED] * 8
            assert sim.deletion_statistics().limit_refusals == 0
            assert all(r.deletion_seconds is not None for r in results)
            assert all(r.to_json()["deletionSeconds"] is not None for r in results)
            assert all(finished(sim, job) for job in jobs)

    async def test_limit_exceeded_is_a_wait_not_a_failure(self) -> None:
        """More slots than the account allows (others' deletions, in effect): the run
        meets LimitExceeded, waits, and still deletes every job."""
        async with Simulator(FAST) as sim:
            jobs = [f"old-{n}" for n in range(6)]
            for n, job in enumerate(jobs):
                sim.add_job(job, [f"t{n}-{i}" for i in range(20)], status="CANCELED")
            results = await run(sim, op(max_deleting=10), jobs)
            assert sim.deletion_statistics().limit_refusals > 0
            assert sorted(r.outcome for r in results) == [Outcome.DELETED] * 6
            assert all(finished(sim, job) for job in jobs)


class TestRules:
    async def test_in_progress_job_needs_force(self) -> None:
        """Without force an IN_PROGRESS job is skipped, named as needing force; with
        force it is deleted."""
        async with Simulator(FAST) as sim:
            sim.add_job("live", ["a", "b"], status=ExecutionStatus.QUEUED)
            (result,) = await run(sim, op(), ["live"])
            assert result.outcome is Outcome.IN_PROGRESS_NEEDS_FORCE
            assert "force" in (result.message or "")
            assert not finished(sim, "live")
            (result,) = await run(sim, op(force=True), ["live"])
            assert result.outcome is Outcome.DELETED
            assert finished(sim, "live")

    async def test_missing_job_is_not_found(self) -> None:
        """A job that does not exist ends not_found, a no-op."""
        async with Simulator(FAST) as sim:
            (result,) = await run(sim, op(), ["nope"])
            assert result.outcome is Outcome.NOT_FOUND

    async def test_visible_while_deleting(self) -> None:
        """While a deletion runs, DescribeJob shows DELETION_IN_PROGRESS."""
        slow = SimConfig(quota=None, job_deletion_seconds=30.0)
        async with Simulator(slow) as sim:
            sim.add_job("done", ["a"], status="SUCCEEDED")
            engine = Engine(
                op(),
                RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=2000),
            )
            results: list[Result] = []
            with anyio.move_on_after(1.0):
                await engine.run([Target(job_id="done")], on_result=results.append)
            assert sim.job("done").status == "DELETION_IN_PROGRESS"


@pytest.mark.parametrize("namespace", ["ns_ok-1", "bad namespace!"])
def test_namespace_rule(namespace: str) -> None:
    """namespaceId follows the API's pattern."""
    from bulkjobs import InvalidInputError, validate

    if " " in namespace:
        with pytest.raises(InvalidInputError, match="namespaceId"):
            validate([Target(job_id="j")], DeleteJob(namespace_id=namespace))
    else:
        validate([Target(job_id="j")], DeleteJob(namespace_id=namespace))
