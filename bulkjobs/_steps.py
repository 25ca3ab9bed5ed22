"""What happens to one target: its operation's flow, over the run's one caller.

:mod:`._flows` knows each operation's calls and what their answers mean;
:mod:`._calls` owns how any call is made (concurrency, rate slots, the retry budget,
backoff, interruption) for targets and listings alike. This module joins them: one
target in, exactly one :class:`Result` out, whatever happened on the way.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bulkjobs._calls import Caller, Final, Stopped, Track
from bulkjobs._classify import ErrorClass
from bulkjobs._client import Transport
from bulkjobs._destination import Destination
from bulkjobs._flows import Flows
from bulkjobs._models import Operation, Outcome, Result, Target
from bulkjobs._rate import RateRegistry
from bulkjobs._retry import RetryBudget, RetryPolicy

__all__ = ["Steps"]

_FATAL_HINTS = {
    ErrorClass.CLOCK_SKEW: "this machine's clock is off from AWS's; fix the system time "
    "(NTP) and resume",
    ErrorClass.AUTH: "check the credentials: --profile / AWS_PROFILE, environment "
    "variables, 'aws sso login', or the instance role",
}


class Steps:
    """One run's targets, each through its operation's flow."""

    def __init__(
        self,
        *,
        operation: Operation,
        clients: Transport,
        rates: RateRegistry,
        policy: RetryPolicy,
        budget: RetryBudget,
        sleep: Callable[[float], Awaitable[None]],
        rng: random.Random,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        concurrency: int,
        on_fatal: Callable[[str], None],
        clock_margin: float = 2.0,
    ) -> None:
        self.operation = operation
        self.wall_clock = wall_clock
        self.on_fatal = on_fatal
        self._caller = Caller(
            clients=clients,
            rates=rates,
            policy=policy,
            budget=budget,
            sleep=sleep,
            rng=rng,
            clock=clock,
            wall_clock=wall_clock,
            concurrency=concurrency,
        )
        self._flows = Flows(caller=self._caller, clock_margin=clock_margin)

    @property
    def in_flight(self) -> int:
        """Calls sent and not yet answered."""
        return self._caller.in_flight

    @property
    def calls_saved(self) -> int:
        """Calls not sent because a listing showed the target's execution terminal."""
        return self._flows.calls_saved

    def interrupt(self) -> None:
        """Stop every wait for a rate slot or a backoff; calls on the wire go on."""
        self._caller.interrupt()

    async def api_call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        """A read call for listings, through the same caller as the targets' calls."""
        return await self._caller.api_call(api, params, destination=destination)

    async def process(self, target: Target) -> Result:
        track = Track(target=target, started_at=self.wall_clock())
        try:
            outcome, failure = await self._flows.run(self.operation, track)
        except Final as final:
            outcome, failure = self._final_outcome(final, track), final.failure
        except Stopped as stopped:
            outcome, failure = Outcome.INTERRUPTED, None
            track.message = (
                "stopped between attempts; an earlier attempt may have applied"
                if stopped.touched
                else "not sent: run stopped"
            )
        return Result(
            target=target,
            operation=self.operation.name,
            outcome=outcome,
            attempts=track.attempts,
            throttles=track.throttles,
            error_code=None if failure is None else failure.code,
            http_status=None if failure is None else failure.http_status,
            message=track.message or (None if failure is None else failure.message),
            status_before=track.status_before,
            version_before=track.version_before,
            execution_number=track.execution_number,
            started_at=track.started_at,
            finished_at=self.wall_clock(),
            latency=track.latency,
            confirmed=track.confirmed,
            expected_version=track.expected_sent,
            version_found=track.version_found,
            deletion_seconds=track.deletion_seconds,
            running_counts=track.running_counts,
        )

    def _final_outcome(self, final: Final, track: Track) -> Outcome:
        failure = final.failure
        cls = failure.cls
        if final.exhausted:
            return Outcome.RETRIES_EXHAUSTED
        if cls is ErrorClass.NOT_FOUND:
            return Outcome.NOT_FOUND
        if cls is ErrorClass.INVALID_REQUEST:
            return Outcome.INVALID_REQUEST
        if cls.fatal:
            # The same error meets every call until the operator fixes what it names:
            # the target is left for the resumed run to do (interrupted is not
            # journalled), not recorded as a final failure.
            hint = _FATAL_HINTS[cls]
            self.on_fatal(f"{failure.code}: {failure.message} — {hint}")
            track.message = f"not done: the run stopped on {failure.code} ({failure.message}); " + (
                "an earlier attempt may have applied" if track.touched else "nothing was changed"
            )
            return Outcome.INTERRUPTED
        return Outcome.ERROR
