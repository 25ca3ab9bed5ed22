"""Sizing a run over many accounts and regions before it starts, as the prompt does:
DescribeJob in every destination through the run's own roles and rate controllers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import bulkjobs
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator, ThreadedSimulator

JOB = "fw-1"
A, B, DENIED = "111111111111", "222222222222", "333333333333"
REGIONS = ("us-east-1", "eu-west-1")
ROLE = bulkjobs.AssumeRole.named("OrganizationAccountAccessRole")


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    fleet = FleetSpec(things=20, job_ids=(JOB,), in_progress=0.25, terminal=0.1, seed=4)
    config = SimConfig(quota=None, accounts=(A, B, DENIED), denied_accounts=frozenset({DENIED}))
    with ThreadedSimulator(config, fleet) as simulator:
        yield simulator


def session(sim: ThreadedSimulator) -> bulkjobs.RunSession:
    config = bulkjobs.RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", role=ROLE)
    return bulkjobs.RunSession(
        bulkjobs.FromJob(job_id=JOB),
        bulkjobs.CancelExecution(force=True),
        config,
        destinations=[
            bulkjobs.Destination(account=a, region=r) for a in (A, B, DENIED) for r in REGIONS
        ],
    )


def queued_in(sim: ThreadedSimulator, account: str, region: str) -> int:
    def count(simulator: Simulator) -> int:
        found = simulator.executions(JOB, account=account, region=region)
        return sum(1 for e in found if e.status is ExecutionStatus.QUEUED)

    return sim.call(count)


async def test_each_destination_answers_for_itself(sim: ThreadedSimulator) -> None:
    """One DescribeJob per reachable destination, each with that destination's counts;
    the refused account answers with its access failure and gets no request."""
    sim.call(lambda s: s.set_execution_status(JOB, "thing-000001", "CANCELED", account=B))
    run = session(sim)
    await run.prepare_access()
    async with run.reader() as call:
        found = await bulkjobs.describe_jobs_in(call, [JOB], run.resolved_destinations)
    by_place = {(f.destination.account, f.destination.region): f for f in found}
    assert len(by_place) == 6
    for account in (A, B):
        for region in REGIONS:
            counted = by_place[account, region].of(JOB)
            assert counted is not None
            assert counted.counts["QUEUED"] == queued_in(sim, account, region)
    assert by_place[B, "us-east-1"].of(JOB) != by_place[A, "us-east-1"].of(JOB)
    for region in REGIONS:
        refused = by_place[DENIED, region]
        assert refused.jobs == () and refused.size(JOB, ("QUEUED",)) is None
        ((job_id, why),) = refused.uncounted
        assert job_id == JOB and "AccessDenied" in why
    assert sim.call(lambda s: s.statistics()).total_requests == 4
    assert sim.call(lambda s: s.refused_roles()) == {DENIED: 1}


async def test_a_missing_job_is_zero_there_not_unknown(sim: ThreadedSimulator) -> None:
    """A job that exists in no destination: every one says so, and the size is 0."""
    run = session(sim)
    await run.prepare_access()
    reachable = [d for d in run.resolved_destinations if run.unreachable(d) is None]
    async with run.reader() as call:
        found = await bulkjobs.describe_jobs_in(call, ["nope"], reachable)
    assert [f.missing for f in found] == [("nope",)] * 4
    assert all(f.size("nope", ("QUEUED",)) == 0 for f in found)
