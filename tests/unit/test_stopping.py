"""Stopping a run whose calls never come back: the grace period, and a second Ctrl-C."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio

from bulkjobs import CancelExecution, Engine, Outcome, Result, RunConfig, Target
from bulkjobs._destination import Destination


class HangingTransport:
    """Every call is sent and never answered (a server that went silent)."""

    default_destination = Destination(region="us-east-1")

    def __init__(self) -> None:
        self.sent = anyio.Event()
        self.calls = 0

    async def call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination
    ) -> dict[str, Any]:
        self.calls += 1
        self.sent.set()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


async def run_and_stop(grace_period: float, *stops: dict[str, bool]) -> list[Result]:
    """Run one target on a hanging server; once its call is out, stop as given."""
    transport = HangingTransport()
    engine = Engine(
        CancelExecution(),
        RunConfig(rate=1e6, grace_period=grace_period),
        transport=transport,
    )
    results: list[Result] = []
    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:

            async def stop_when_sent() -> None:
                await transport.sent.wait()
                for stop in stops:
                    engine.stop("operator pressed Ctrl-C", **stop)

            tg.start_soon(stop_when_sent)
            await engine.run([Target(job_id="j", thing_name="t")], on_result=results.append)
    assert transport.calls == 1
    return results


class TestGracePeriod:
    async def test_a_call_that_never_returns_is_cut_off_and_interrupted(self) -> None:
        """After the grace period the in-flight call is abandoned: the target ends as
        interrupted (state unknown), and the run ends instead of waiting forever."""
        results = await run_and_stop(0.01, {"signalled": True})
        assert [r.outcome for r in results] == [Outcome.INTERRUPTED]
        assert "in flight" in (results[0].message or "")


class TestSecondInterrupt:
    async def test_a_second_ctrl_c_cancels_in_flight_calls_at_once(self) -> None:
        """With an hour of grace, only the escalation of a second Ctrl-C can end this
        run within the test's time limit."""
        results = await run_and_stop(3600, {"signalled": True}, {"signalled": True})
        assert [r.outcome for r in results] == [Outcome.INTERRUPTED]

    async def test_a_single_programmatic_stop_waits_for_the_grace_period(self) -> None:
        """A repeated stop() from code (not a signal) does not escalate: only a hard
        stop does, and the target still ends as interrupted."""
        results = await run_and_stop(3600, {}, {}, {"hard": True})
        assert [r.outcome for r in results] == [Outcome.INTERRUPTED]
