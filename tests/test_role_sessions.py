"""Role sessions that outlive their credentials: renewed by the SDK, never copied.

The client's view of time is injected into the credentials (botocore judges expiry by
it), so an hour of run can pass in a test without sleeping; the simulator's STS hands
out sessions that it really expires when told to.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

import bulkjobs
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator

JOB = "fw-1"
ACCOUNT = "111111111111"
THINGS = [f"thing-{n:06d}" for n in range(1, 11)]


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    fleet = FleetSpec(things=10, job_ids=(JOB,), in_progress=0.0, terminal=0.0, seed=1)
    # The server's clock moves with the client's (clock_skew), so signatures go
    # unchecked: requests carry the real time, and an hour passes in a moment.
    config = SimConfig(quota=None, accounts=(ACCOUNT,), check_signatures=False)
    with ThreadedSimulator(config, fleet) as simulator:
        yield simulator


class Clock:
    """The client's wall clock, moved by hand."""

    def __init__(self) -> None:
        self.offset = datetime.timedelta()

    def __call__(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.UTC) + self.offset


def session(
    sim: ThreadedSimulator, clock: Clock, targets: AsyncIterator[bulkjobs.Target]
) -> bulkjobs.RunSession:
    role = bulkjobs.AssumeRole.named("OrganizationAccountAccessRole")
    config = bulkjobs.RunConfig(
        endpoint_url=sim.endpoint_url, region="us-east-1", rate=200, role=role, base_delay=0.0
    )
    access = bulkjobs.AccountAccess(
        role, region="us-east-1", endpoint_url=sim.endpoint_url, time_fetcher=clock
    )
    return bulkjobs.RunSession(targets, bulkjobs.CancelExecution(), config, access=access)


class Halfway:
    """Collects results; its event is set once the first five have finished."""

    def __init__(self) -> None:
        self.results: list[bulkjobs.Result] = []
        self.event = anyio.Event()

    def add(self, result: bulkjobs.Result) -> None:
        self.results.append(result)
        if len(self.results) == 5:
            self.event.set()


def canceled(sim: ThreadedSimulator) -> list[str]:
    found = sim.call(lambda s: s.executions(JOB, account=ACCOUNT, region="us-east-1"))
    return [e.thing_name for e in found if e.status is ExecutionStatus.CANCELED]


class TestRefresh:
    def test_a_session_near_its_end_is_renewed(self, sim: ThreadedSimulator) -> None:
        """55 minutes into a one-hour session the SDK assumes the role again, once,
        and the run goes on with the new credentials."""
        clock = Clock()
        half = Halfway()

        async def targets() -> AsyncIterator[bulkjobs.Target]:
            for n, thing in enumerate(THINGS):
                if n == 5:
                    # The first half finished: let 55 minutes pass, on both sides.
                    await half.event.wait()
                    clock.offset = datetime.timedelta(minutes=55)
                    sim.call(lambda s: s.reconfigure(clock_skew=55 * 60.0))
                yield bulkjobs.Target(job_id=JOB, thing_name=thing, account=ACCOUNT)

        async def main() -> bulkjobs.Report:
            return await session(sim, clock, targets()).run(on_result=half.add)

        report = anyio.run(main)
        assert report.outcomes == {"canceled": 10}
        assert sorted(canceled(sim)) == THINGS
        assert sim.call(lambda s: s.assumed_roles()) == {ACCOUNT: 2}

    def test_a_session_the_server_ended_is_renewed_and_retried(
        self, sim: ThreadedSimulator
    ) -> None:
        """ExpiredTokenException mid-run: the credentials are renewed and the call
        retried, so no target fails for it."""
        clock = Clock()
        half = Halfway()

        async def targets() -> AsyncIterator[bulkjobs.Target]:
            for n, thing in enumerate(THINGS):
                if n == 5:
                    await half.event.wait()
                    assert sim.call(lambda s: s.expire_sessions(ACCOUNT)) == 1
                yield bulkjobs.Target(job_id=JOB, thing_name=thing, account=ACCOUNT)

        results = half.results

        async def main() -> bulkjobs.Report:
            return await session(sim, clock, targets()).run(on_result=half.add)

        report = anyio.run(main)
        assert report.outcomes == {"canceled": 10}
        assert sim.call(lambda s: s.assumed_roles()) == {ACCOUNT: 2}
        assert max(r.attempts for r in results) == 2
        # Each call in flight when the session ended met it once, then no other did.
        errors = sim.call(lambda s: s.statistics()).of("CancelJobExecution").errors
        assert set(errors) == {"ExpiredTokenException"}
        assert errors["ExpiredTokenException"] <= len(THINGS) - 5


class TestLibrary:
    def test_run_sync_spreads_over_destinations(self, sim: ThreadedSimulator) -> None:
        """run_sync(destinations=...): the same targets in the caller's and A's account."""
        role = bulkjobs.AssumeRole.named("OrganizationAccountAccessRole")
        config = bulkjobs.RunConfig(
            endpoint_url=sim.endpoint_url, region="us-east-1", rate=200, role=role
        )
        report = bulkjobs.run_sync(
            [bulkjobs.Target(job_id=JOB, thing_name=t) for t in THINGS[:3]],
            bulkjobs.CancelExecution(),
            config,
            destinations=[
                bulkjobs.Destination(account="123456789012", region="us-east-1"),
                bulkjobs.Destination(account=ACCOUNT, region="us-east-1"),
            ],
        )
        assert report.outcomes == {"canceled": 6}
        assert sorted(canceled(sim)) == THINGS[:3]
