"""One caller for every call of a run: concurrency, rate slots, retries, interruption.

Targets' calls and listings' calls alike go through :meth:`Caller.call`: it waits for a
concurrency slot and a rate slot at the call's destination (a stop ends that wait, so
an interrupted run leaves unsent targets to resume), sends, feeds the answer back to
the rate controller, and retries what may be retried — within the target's attempts
and the run-wide budget, after a jittered backoff that a stop also ends. The
per-operation flows (:mod:`._flows`) decide what to call; this decides how.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from bulkjobs._classify import ErrorClass
from bulkjobs._client import CallError, CallFailure, Transport, no_access
from bulkjobs._destination import Destination
from bulkjobs._evidence import Lost
from bulkjobs._exceptions import ApiError, RunInterrupted
from bulkjobs._models import Target
from bulkjobs._rate import RateController, RateRegistry
from bulkjobs._retry import RetryBudget, RetryPolicy

__all__ = ["Caller", "Final", "Stopped", "Track"]

# Throttles are the rate controller's signal, not a fault of the target: they get a
# larger allowance than other retryable errors before the target gives up.
_THROTTLE_ALLOWANCE = 5


class Stopped(Exception):
    """The run stopped while this target waited to send (``touched``: an earlier
    mutating call of it may have been applied)."""

    def __init__(self, touched: bool) -> None:
        self.touched = touched
        super().__init__("stopped")


class Final(Exception):
    """A call that will not be retried (not retryable, or out of attempts)."""

    def __init__(self, failure: CallFailure, *, exhausted: bool = False) -> None:
        self.failure = failure
        self.exhausted = exhausted
        super().__init__(failure.code)


@dataclass(slots=True)
class Track:
    """Per-target bookkeeping while it is being worked on."""

    target: Target
    started_at: float
    attempts: int = 0
    throttles: int = 0
    failures: int = 0
    #: Wall-clock time the first mutating call whose answer was lost was sent.
    lost_sent_at: float | None = None
    #: expectedVersion of each mutating call whose answer was lost.
    lost_expected: list[int | None] = field(default_factory=list)
    #: The version the latest describe had reported when the first answer was lost.
    lost_version_seen: int | None = None
    #: A mutating call was answered with a retryable error: it may yet have applied.
    sent_mutation: bool = False
    latency: float | None = None
    message: str | None = None
    status_before: str | None = None
    version_before: int | None = None
    execution_number: int | None = None
    #: The latest versionNumber a describe reported.
    version_seen: int | None = None
    version_found: int | None = None
    expected_sent: int | None = None
    confirmed: bool = True
    #: delete-job: seconds from acceptance to gone; LimitExceeded answers waited out.
    deletion_seconds: float | None = None
    limit_waits: int = 0
    #: verify of a job: executions still QUEUED and IN_PROGRESS, by DescribeJob.
    running_counts: dict[str, int] | None = None

    @property
    def ambiguous(self) -> bool:
        """A mutating call's answer was lost: it may have been applied."""
        return self.lost_sent_at is not None

    @property
    def touched(self) -> bool:
        """An earlier mutating call of this target may have been applied: answered with
        a retryable error, or its answer lost."""
        return self.sent_mutation or self.ambiguous

    def lost(self, **sent: Any) -> Lost:
        assert self.lost_sent_at is not None
        versions = set(self.lost_expected)
        single = next(iter(versions)) if len(versions) == 1 else None
        return Lost(
            sent_at=self.lost_sent_at,
            expected_version=single,
            version_seen=self.lost_version_seen,
            **sent,
        )


@dataclass(slots=True, kw_only=True)
class Caller:
    """Sends the calls of one run (see the module docstring); shared by all workers."""

    clients: Transport
    rates: RateRegistry
    policy: RetryPolicy
    budget: RetryBudget
    sleep: Callable[[float], Awaitable[None]]
    rng: random.Random
    clock: Callable[[], float]
    wall_clock: Callable[[], float]
    concurrency: int
    _capacity: dict[tuple[Destination, str], anyio.CapacityLimiter] = field(default_factory=dict)
    #: Calls sent and not yet answered (not targets waiting for a rate slot).
    in_flight: int = 0
    stopping: bool = False
    _default: Destination | None = None
    _waiting: set[anyio.CancelScope] = field(default_factory=set)

    async def api_call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        """An :class:`~bulkjobs._caller.ApiCaller` for read calls (listings), with the
        same rate control and retries as the targets' own calls."""
        track = Track(
            target=Target(job_id="-", destination=destination), started_at=self.wall_clock()
        )
        try:
            return await self.call(track, api, params)
        except Stopped as stopped:
            # A read call waiting for its rate slot when the run stops: the listing
            # that asked for it ends there (a resume lists again).
            raise RunInterrupted(f"{api} not sent: the run is stopping") from stopped
        except Final as final:
            failure = final.failure
            raise ApiError(
                api=api, code=failure.code, message=failure.message, http_status=failure.http_status
            ) from final

    def _default_destination(self) -> Destination:
        # Resolved once: without a region it reads the profile's configuration.
        if self._default is None:
            self._default = self.clients.default_destination
        return self._default

    def destination_of(self, track: Track) -> Destination:
        """Where ``track``'s calls go, the run's default resolved."""
        return track.target.destination.resolve(self._default_destination())

    def interruptible(self, track: Track) -> contextlib.AbstractContextManager[None]:
        """A flow's own wait that a stop ends with :class:`Stopped`."""
        return self._interruptible(track)

    def _limiter(self, destination: Destination, api: str) -> anyio.CapacityLimiter:
        key = (destination, api)
        limiter = self._capacity.get(key)
        if limiter is None:
            limiter = self._capacity[key] = anyio.CapacityLimiter(self.concurrency)
        return limiter

    async def call(
        self,
        track: Track,
        api: str,
        params: Mapping[str, Any],
        *,
        mutating: bool = False,
        no_retry: frozenset[str] = frozenset(),
    ) -> dict[str, Any]:
        """Send one call (see the module docstring); codes in ``no_retry`` end it at
        once as :class:`Final`, for a flow that has its own answer to them."""
        destination = track.target.destination.resolve(self._default_destination())
        unreachable = getattr(self.clients, "unreachable", None)
        refused = None if unreachable is None else unreachable(destination)
        if refused is not None and refused.error is not None:
            # An account whose role was refused: nothing to send, no rate slot to wait
            # for — its targets fail at once and the other accounts' go on.
            raise Final(no_access(refused.error))
        rate = self.rates.get(destination, api)
        limiter = self._limiter(destination, api)
        while True:
            await self._acquire(track, limiter, rate)
            if track.attempts == 0:
                self.budget.record_first_attempt()
            track.attempts += 1
            try:
                sent_at = self.wall_clock() if mutating else 0.0
                began = self.clock()
                failure: CallFailure | None = None
                self.in_flight += 1
                try:
                    response = await self.clients.call(api, params, destination=destination)
                except CallError as error:
                    failure = error.failure
                finally:
                    self.in_flight -= 1
                    latency = self.clock() - began
                    rate.release()
                rate.record(
                    throttled=failure is not None and failure.cls is ErrorClass.THROTTLED,
                    # 5xx and lost connections say nothing about the quota.
                    error=failure is not None
                    and failure.cls in (ErrorClass.UNAVAILABLE, ErrorClass.TRANSPORT),
                    latency=latency,
                )
                wanted = max(1, min(self.concurrency, rate.suggested_concurrency()))
                if wanted != limiter.total_tokens:
                    limiter.total_tokens = wanted
            finally:
                limiter.release()
            if failure is None:
                track.latency = latency
                return response
            track.latency = latency
            if mutating and failure.cls is ErrorClass.TRANSPORT:
                if track.lost_sent_at is None:
                    track.lost_sent_at = sent_at
                    track.lost_version_seen = track.version_seen
                track.lost_expected.append(params.get("expectedVersion"))
            if not failure.cls.retryable or failure.code in no_retry:
                raise Final(failure)
            if failure.cls is ErrorClass.THROTTLED:
                # A throttled retry waits for a rate slot like any first attempt, so it
                # adds no load beyond the rate the run chose: it spends the target's own
                # allowance, never the run-wide budget meant to stop retry storms.
                track.throttles += 1
                spent = track.throttles >= self.policy.max_attempts * _THROTTLE_ALLOWANCE
                failures = track.throttles
            else:
                track.failures += 1
                spent = not self.policy.may_retry(track.failures) or not self.budget.try_spend()
                failures = track.failures
            if spent:
                raise Final(failure, exhausted=True)
            if mutating:
                track.sent_mutation = True
            with self._interruptible(track):
                await self.sleep(self.policy.backoff(failures, self.rng))

    async def _acquire(
        self, track: Track, limiter: anyio.CapacityLimiter, rate: RateController
    ) -> None:
        """A concurrency slot, then a rate slot. Waiting for them sends nothing: a stop
        interrupts it, so an interrupted run leaves unsent targets to --resume instead
        of spending its grace period."""
        if self.stopping:
            raise Stopped(track.touched)
        try:
            limiter.acquire_nowait()
        except anyio.WouldBlock:
            pass
        else:
            if rate.acquire_nowait():
                # Both free: no cancel scope and no trip through the event loop (the
                # call itself is the next checkpoint), as a bare semaphore costs.
                return
            limiter.release()
        with self._interruptible(track):
            await limiter.acquire()
            try:
                await rate.acquire()
            except BaseException:
                limiter.release()
                raise

    @contextlib.contextmanager
    def _interruptible(self, track: Track) -> Iterator[None]:
        """A wait that :meth:`interrupt` ends with :class:`Stopped`."""
        if self.stopping:
            raise Stopped(track.touched)
        with anyio.CancelScope() as scope:
            self._waiting.add(scope)
            try:
                yield
            finally:
                self._waiting.discard(scope)
        if scope.cancelled_caught:
            raise Stopped(track.touched)

    def interrupt(self) -> None:
        """Stop every wait for a rate slot or a backoff; calls on the wire go on."""
        self.stopping = True
        for scope in list(self._waiting):
            scope.cancel()

    async def pause(self, track: Track, seconds: float) -> None:
        """A flow's own wait (a deletion slot, a poll): a stop ends it with
        :class:`Stopped`, as it ends a backoff."""
        with self._interruptible(track):
            await self.sleep(seconds)
