"""Two bulk cancels over the same job through lost answers, resets and 503s: the second
run's report is checked against the server's own record of which request changed each
execution. No row may claim a change the server did not make in that run, and none may
deny one it did make."""

from __future__ import annotations

import time
from collections import Counter

import anyio
import pytest

from bulkjobs import CancelExecution, Engine, Outcome, OutcomeKind, Result, RunConfig, Target
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator

JOB = "fw-1"
FAULTS = SimConfig(quota=None, p503=0.05, p_lost_response=0.15, p_reset=0.15, seed=21)


class Shifted:
    """A wall clock for both the simulator and the engine, moved on between runs as if
    the second run came later (within the signature window: botocore signs with the
    real time)."""

    def __init__(self) -> None:
        self.shift = 0.0

    def __call__(self) -> float:
        return time.time() + self.shift


async def run(
    sim: Simulator, clock: Shifted, op: CancelExecution, names: list[str], margin: float = 2.0
) -> tuple[list[Result], dict[str, object]]:
    engine = Engine(
        op,
        RunConfig(
            endpoint_url=sim.endpoint_url,
            region="us-east-1",
            rate=2000,
            concurrency=16,
            base_delay=0.01,
            max_delay=0.1,
            clock_margin=margin,
        ),
        wall_clock=clock,
    )
    results: list[Result] = []
    with anyio.fail_after(60):
        report = await engine.run(
            [Target(job_id=JOB, thing_name=n) for n in names], on_result=results.append
        )
    return results, report.to_json()


class TestSecondRunOverTheSameJob:
    @pytest.mark.parametrize(
        ("first_force", "later", "margin", "expected_version"),
        [
            (False, 0.0, 2.0, None),
            (True, 60.0, 2.0, None),
            # Clocks trusted to no better than an hour: time cannot tell the runs apart.
            (True, 0.0, 3600.0, None),
            (True, 60.0, 2.0, "fresh"),
        ],
        ids=[
            "forceCanceled-tells",
            "lastUpdatedAt-tells",
            "nothing-tells",
            "versions-tell",
        ],
    )
    async def test_report_matches_what_the_server_did(
        self, first_force: bool, later: float, margin: float, expected_version: str | None
    ) -> None:
        """Each row of the second run agrees with the server's record: canceled rows
        (confirmed) were changed by this run's CancelJobExecution, already_terminal rows
        were not, and rows the evidence cannot decide say so (confirmed false)."""
        clock = Shifted()
        spec = FleetSpec(things=150, job_ids=(JOB,), in_progress=0.3, terminal=0.1, seed=4)
        async with Simulator(FAULTS, spec, wall_clock=clock) as sim:
            names = [e.thing_name for e in sim.executions(JOB)]
            # The first run covers half the fleet; the second all of it, so it meets
            # both the first run's cancels and executions of its own to cancel.
            await run(sim, clock, CancelExecution(force=first_force), names[::2])
            cancelled_before = {
                e.thing_name
                for e in sim.executions(JOB, status=ExecutionStatus.CANCELED)
                if e.changed_by is not None
            }
            clock.shift = later
            boundary = sim.requests_received
            faults_before = sim.statistics().of("CancelJobExecution")
            op = CancelExecution(force=True, expected_version=expected_version)  # type: ignore[arg-type]
            results, summary = await run(sim, clock, op, names, margin)
            faults = sim.statistics().of("CancelJobExecution")
            assert faults.lost_responses > faults_before.lost_responses
            assert faults.resets > faults_before.resets

            server = {e.thing_name: e for e in sim.executions(JOB)}
            assert Counter(r.target.thing_name for r in results) == Counter(server.keys())
            changed_now = {
                name
                for name, e in server.items()
                if e.changed_by is not None and e.changed_by > boundary
            }
            for result in results:
                line = result.to_json()
                name = str(line["thingName"])
                execution = server[name]
                if line["outcome"] == Outcome.CANCELED and line["confirmed"]:
                    assert name in changed_now, line
                    assert execution.status is ExecutionStatus.CANCELED
                elif line["outcome"] == Outcome.CANCELED:
                    assert execution.status is ExecutionStatus.CANCELED, line
                    assert str(line["message"]).startswith("unconfirmed"), line
                else:
                    assert name not in changed_now, line
            claimed = {
                str(r.target.thing_name) for r in results if r.outcome.kind is OutcomeKind.DONE
            }
            # Never denied: every change of this run is reported as this run's.
            assert changed_now <= claimed
            unconfirmed = {str(r.target.thing_name) for r in results if not r.confirmed}
            assert summary["unconfirmed"] == len(unconfirmed)
            # The lies of old: the first run's cancel, the second run's call lost to a
            # reset, the execution read back CANCELED. None is claimed as certain (above);
            # where the evidence decides, it says whose cancel it was.
            judged = [
                r
                for r in results
                if r.target.thing_name in cancelled_before and "this run" in (r.message or "")
            ]
            if expected_version == "fresh":
                # Read first: the first run's cancels are seen before any call, and a
                # version read before the call pins the call's result: nothing undecided.
                assert not unconfirmed
            elif later or not first_force:
                assert unconfirmed <= changed_now
                assert any(r.outcome is Outcome.ALREADY_TERMINAL for r in judged)
            else:
                assert any(not r.confirmed for r in judged)
