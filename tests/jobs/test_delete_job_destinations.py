"""Bulk DeleteJob over several accounts and regions, through real aiobotocore.

AWS's limit of 10 deletions in progress is per account and region, and so are the
run's slots: four destinations delete 10 jobs each at the same time (the sum reaches
40), none ever holds more than 10, and the simulator refuses none for its limit.
"""

from __future__ import annotations

import anyio

from bulkjobs import AssumeRole, DeleteJob, Destination, RunConfig, RunSession, Target
from bulkjobs.sim import SimConfig, Simulator

A, B = "111111111111", "222222222222"
REGIONS = ("us-east-1", "eu-west-1")
DESTINATIONS = [(account, region) for account in (A, B) for region in REGIONS]
JOBS = [f"old-{n:02d}" for n in range(15)]
STATUSES = ("SUCCEEDED", "CANCELED", "SUCCEEDED")

# Deletions long enough that every destination's first ten overlap even on a loaded
# machine, short enough that the run takes about a second (two rounds of 0.6 s each).
SIM = SimConfig(
    quota=None,
    accounts=(A, B),
    max_deleting_jobs=10,
    job_deletion_seconds=0.6,
    job_deletion_seconds_per_execution=0.0,
)


def seed(sim: Simulator) -> None:
    for account, region in DESTINATIONS:
        for n, job in enumerate(JOBS):
            things = [f"t{n}-{i}" for i in range(3)]
            status = STATUSES[n % len(STATUSES)]
            sim.add_job(job, things, status=status, account=account, region=region)


def session(sim: Simulator) -> RunSession:
    config = RunConfig(
        endpoint_url=sim.endpoint_url,
        region="us-east-1",
        rate=5000,
        concurrency=64,
        role=AssumeRole.named("OrganizationAccountAccessRole"),
    )
    return RunSession(
        [Target(job_id=job) for job in JOBS],
        DeleteJob(poll_interval=0.02, max_poll_interval=0.05),
        config,
        destinations=[Destination(account=a, region=r) for a, r in DESTINATIONS],
    )


def gone(sim: Simulator, job: str, account: str, region: str) -> bool:
    try:
        sim.job(job, account=account, region=region)
    except KeyError:
        return True
    return False


class TestSlotsPerDestination:
    async def test_each_destination_fills_its_own_ten_slots_at_once(self) -> None:
        """15 finished jobs in each of 2 accounts x 2 regions: every one is deleted and
        gone; each destination reached exactly 10 deletions at once and met no limit;
        all four held their 10 at the same instant (40), so none waited on another."""
        async with Simulator(SIM) as sim:
            seed(sim)
            with anyio.fail_after(30):
                report = await session(sim).run()
            assert report.outcomes == {"deleted": len(JOBS) * len(DESTINATIONS)}
            for account, region in DESTINATIONS:
                assert all(gone(sim, job, account, region) for job in JOBS)
                stats = sim.deletion_statistics(account=account, region=region)
                assert (stats.peak_in_progress, stats.limit_refusals) == (10, 0)
                assert stats.finished == len(JOBS)
            assert sim.deletion_totals().peak_in_progress == 10 * len(DESTINATIONS)
