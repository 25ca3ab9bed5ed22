"""Fault injection against the simulator over real HTTP: no target lost, none counted
twice, and the report equal to the server's state — whatever the service does."""

from __future__ import annotations

from collections import Counter

import anyio
import pytest

from bulkjobs import CancelExecution, Destination, Engine, Outcome, Result, RunConfig, Target
from bulkjobs.sim import ExecutionStatus, FleetSpec, Latency, QuotaChange, SimConfig, Simulator

JOB = "fw-1"
TERMINAL = {
    ExecutionStatus.SUCCEEDED,
    ExecutionStatus.FAILED,
    ExecutionStatus.TIMED_OUT,
    ExecutionStatus.REJECTED,
    ExecutionStatus.REMOVED,
    ExecutionStatus.CANCELED,
}


async def cancel_all(
    sim: Simulator, *, force: bool = True, engines: list[Engine] | None = None, **config: object
) -> tuple[list[Result], dict[str, ExecutionStatus]]:
    """Cancel every execution of JOB; return the results and the states before."""
    before = {e.thing_name: e.status for e in sim.executions(JOB)}
    targets = [Target(job_id=JOB, thing_name=name) for name in before]
    settings: dict[str, object] = {
        "endpoint_url": sim.endpoint_url,
        "region": "us-east-1",
        "concurrency": 32,
        "base_delay": 0.01,
        "max_delay": 0.2,
        **config,
    }
    results: list[Result] = []
    engine = Engine(CancelExecution(force=force), RunConfig(**settings))  # type: ignore[arg-type]
    if engines is not None:
        engines.append(engine)
    with anyio.fail_after(60):
        await engine.run(targets, on_result=results.append)
    return results, before


def assert_accounted(
    sim: Simulator, results: list[Result], before: dict[str, ExecutionStatus]
) -> None:
    """Each target once, and each outcome true of the server's final state."""
    names = Counter(r.target.thing_name for r in results)
    assert names == Counter(before.keys()), "a target was lost or counted twice"
    after = {e.thing_name: e.status for e in sim.executions(JOB)}
    for result in results:
        name = result.target.thing_name or ""
        if result.outcome is Outcome.CANCELED:
            assert after[name] is ExecutionStatus.CANCELED, name
            assert before[name] is not ExecutionStatus.CANCELED, name
        elif result.outcome is Outcome.ALREADY_TERMINAL:
            assert after[name] in TERMINAL, name
        elif result.outcome is Outcome.IN_PROGRESS_NEEDS_FORCE:
            # Left running (its device may have finished it since), never cancelled.
            assert after[name] is not ExecutionStatus.CANCELED or before[name] is after[name]
    canceled_by_run = sum(
        1 for n, s in after.items() if s is ExecutionStatus.CANCELED and before[n] is not s
    )
    assert canceled_by_run == sum(1 for r in results if r.outcome is Outcome.CANCELED)


def fleet(things: int = 150, **kw: object) -> FleetSpec:
    return FleetSpec(things=things, job_ids=(JOB,), seed=11, **kw)  # type: ignore[arg-type]


class TestTransientFaults:
    async def test_twenty_percent_503s(self) -> None:
        """A fifth of all calls answered 503: everything still cancelled."""
        async with Simulator(SimConfig(quota=None, p503=0.2, seed=1), fleet()) as sim:
            results, before = await cancel_all(sim, rate=2000)
            assert_accounted(sim, results, before)
            assert {r.outcome for r in results} == {Outcome.CANCELED}
            assert sim.statistics().of("CancelJobExecution").unavailable > 0

    async def test_connection_resets_and_lost_answers(self) -> None:
        """Resets before and after the server applied the cancel: counted right."""
        config = SimConfig(quota=None, p_reset=0.1, p_lost_response=0.1, seed=2)
        async with Simulator(config, fleet()) as sim:
            results, before = await cancel_all(sim, rate=2000)
            assert_accounted(sim, results, before)
            assert {r.outcome for r in results} == {Outcome.CANCELED}

    async def test_answers_slower_than_the_client_timeout(self) -> None:
        """Calls that outlive the read timeout are retried, never lost."""
        config = SimConfig(quota=None, p_slow=0.05, slow_seconds=1.0, seed=3)
        async with Simulator(config, fleet(60)) as sim:
            results, before = await cancel_all(sim, rate=2000, read_timeout=0.3)
            assert_accounted(sim, results, before)
            assert {r.outcome for r in results} == {Outcome.CANCELED}

    async def test_server_restart_mid_run(self) -> None:
        """The server drops every connection and is away for a moment: nothing lost."""
        config = SimConfig(quota=None, latency=Latency(median=0.01), seed=4)
        async with Simulator(config, fleet(200)) as sim, anyio.create_task_group() as tg:

            async def restart_when_busy() -> None:
                # The counters have no event to wait on: poll them.
                while sim.statistics().of("CancelJobExecution").accepted < 50:  # noqa: ASYNC110
                    await anyio.sleep(0.01)
                await sim.restart(downtime=0.3)

            tg.start_soon(restart_when_busy)
            # The default base delay, and a cap that spreads a target's ten attempts
            # over seconds: with 0.01 s and 0.2 s, full jitter sometimes spent all ten
            # inside the 0.3 s the server was away, and the test failed a third of runs.
            results, before = await cancel_all(sim, rate=2000, base_delay=0.05, max_delay=1.0)
            assert sim.statistics().restarts == 1
            assert_accounted(sim, results, before)
            assert {r.outcome for r in results} == {Outcome.CANCELED}


class TestQuota:
    async def test_throttling_storm_with_auto_rate(self) -> None:
        """A quota the client is not told: the controller runs into it (throttles
        happen) and every throttled call is retried: no target is lost."""
        async with Simulator(SimConfig(quota=30, seed=5), fleet(150)) as sim:
            results, before = await cancel_all(sim)
            assert_accounted(sim, results, before)
            assert {r.outcome for r in results} == {Outcome.CANCELED}
            # The storm happened (the controller probes past the quota it is not told),
            # and every throttle was absorbed by a retry.
            throttled = sim.statistics().of("CancelJobExecution").throttled
            assert throttled > 0
            assert sum(r.throttles for r in results) == throttled

    async def test_fixed_rate_far_above_the_quota(self) -> None:
        """--rate ten times the quota: a throttling storm, still nothing lost. Most calls
        are throttled, far more than the run-wide retry budget would allow (here ten
        retries, so that the storm dwarfs it on a busy machine too; the default is 200
        plus one per target): throttles are waited out, never given up on."""
        async with Simulator(SimConfig(quota=20, seed=6), fleet(100)) as sim:
            results, before = await cancel_all(
                sim, rate=200, retry_budget_floor=0, retry_budget_ratio=0.1
            )
            assert_accounted(sim, results, before)
            assert {r.outcome for r in results} == {Outcome.CANCELED}
            assert sim.statistics().throttled > 10 * 0.1 * len(results)

    async def test_quota_drops_to_a_tenth_mid_run(self) -> None:
        """Another tool starts sharing the account: the quota falls from 200 to 20/s,
        and the rate follows it down."""
        # The drop comes early enough that even a client that starts fast has most of
        # its targets left to send (a drop after the last send would go unfelt), and
        # a slow start-up only moves the drop before the first send: it is felt either way.
        # A burst of 0.1 s of quota (20 calls) keeps that true of a client seeded with the
        # quota from Service Quotas at once: by 0.2 s it can have sent 20 + 40 of the 120.
        config = SimConfig(
            quota=200,
            burst_seconds=0.1,
            quota_schedule=(QuotaChange(at=0.2, tps=20),),
            seed=7,
        )
        async with Simulator(config, fleet(120)) as sim:
            engines: list[Engine] = []
            results, before = await cancel_all(sim, engines=engines)
            assert_accounted(sim, results, before)
            assert {r.outcome for r in results} == {Outcome.CANCELED}
            # The controller felt the drop and now sends at the new quota, not the old.
            stats = engines[0].rate_statistics()[
                (Destination(region="us-east-1"), "CancelJobExecution")
            ]
            assert stats.throttled > 0
            assert stats.rate <= 30
            assert stats.quota_estimate is not None and stats.quota_estimate <= 30


class TestChurn:
    @pytest.mark.parametrize("force", [True, False])
    async def test_devices_moving_their_executions(self, force: bool) -> None:
        """Executions start and finish while we cancel them: conflicts and races are
        resolved, and every outcome is true of the final state."""
        # A churn the run can outpace even when client start-up is slow (a busy machine):
        # at 300 updates/s a slow second moved every QUEUED execution before its cancel.
        config = SimConfig(quota=None, churn_rate=60, latency=Latency(median=0.005), seed=8)
        spec = fleet(200, in_progress=0.3, terminal=0.1)
        async with Simulator(config, spec) as sim:
            results, before = await cancel_all(sim, force=force, rate=400)
            assert_accounted(sim, results, before)
            outcomes = Counter(r.outcome for r in results)
            assert outcomes[Outcome.CANCELED] > 0
            assert outcomes[Outcome.ALREADY_TERMINAL] > 0
            if force:
                left = [e for e in sim.executions(JOB) if e.status is ExecutionStatus.QUEUED]
                assert not left

    async def test_fresh_versions_under_churn(self) -> None:
        """expectedVersion=fresh under churn: version conflicts happen and are resolved."""
        config = SimConfig(quota=None, churn_rate=400, latency=Latency(median=0.005), seed=9)
        async with Simulator(config, fleet(200, in_progress=0.3)) as sim:
            before = {e.thing_name: e.status for e in sim.executions(JOB)}
            targets = [Target(job_id=JOB, thing_name=n) for n in before]
            results: list[Result] = []
            engine = Engine(
                CancelExecution(force=True, expected_version="fresh"),
                RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=400),
            )
            with anyio.fail_after(60):
                await engine.run(targets, on_result=results.append)
            assert_accounted(sim, results, before)
            assert Counter(r.outcome for r in results).keys() <= {
                Outcome.CANCELED,
                Outcome.ALREADY_TERMINAL,
            }
