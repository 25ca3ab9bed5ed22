"""What happens to one target: the calls, their retries, and the outcome they add up to.

Describe (DescribeJobExecution) is the tie-breaker:
after VersionConflict or InvalidStateTransition it tells whether the execution became
terminal (``already_terminal``), started (``in_progress_needs_force``) or is still
cancellable (retry with its fresh version).

A call whose connection broke may have been applied before the answer was lost. When a
later read finds the execution CANCELED (or the job, for CancelJob), :mod:`._evidence`
decides from what the read shows whether this run's call did it: ``canceled`` only when
the evidence says so, ``already_terminal`` when it says another did, and ``canceled``
with ``confirmed=False`` when it cannot tell. A delete whose answer was lost and whose
execution is then gone is ``deleted`` unconfirmed: a deleted execution leaves nothing to
read. A version the caller gave is a guard: a VersionConflict on it ends the target as
``version_conflict``; only ``expected_version=FRESH`` retries with the fresh version.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio

from bulkjobs._classify import ErrorClass
from bulkjobs._client import CallError, CallFailure, Transport
from bulkjobs._destination import Destination
from bulkjobs._evidence import Lost, Seen, Verdict, judge_cancel, judge_cancel_job
from bulkjobs._exceptions import ApiError, RunInterrupted
from bulkjobs._models import (
    FRESH,
    TERMINAL_STATUSES,
    CancelExecution,
    CancelJob,
    DeleteExecution,
    Operation,
    Outcome,
    Result,
    Target,
)
from bulkjobs._rate import RateRegistry
from bulkjobs._retry import RetryBudget, RetryPolicy

__all__ = ["Steps"]

# Throttles are the rate controller's signal, not a fault of the target: they get a
# larger allowance than other retryable errors before the target gives up.
_THROTTLE_ALLOWANCE = 5


_FATAL_HINTS = {
    ErrorClass.CLOCK_SKEW: "this machine's clock is off from AWS's; fix the system time "
    "(NTP) and resume",
    ErrorClass.AUTH: "check the credentials: --profile / AWS_PROFILE, environment "
    "variables, 'aws sso login', or the instance role",
}


class _Stopped(Exception):
    """The run stopped while this target waited to send (``touched``: an earlier
    mutating call of it may have been applied)."""

    def __init__(self, touched: bool) -> None:
        self.touched = touched
        super().__init__("stopped")


class _Final(Exception):
    """A call that will not be retried (not retryable, or out of attempts)."""

    def __init__(self, failure: CallFailure, *, exhausted: bool = False) -> None:
        self.failure = failure
        self.exhausted = exhausted
        super().__init__(failure.code)


@dataclass(slots=True)
class _Track:
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

    @property
    def ambiguous(self) -> bool:
        """A mutating call's answer was lost: it may have been applied."""
        return self.lost_sent_at is not None

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


@dataclass(frozen=True, slots=True)
class _Execution:
    status: str
    version: int | None
    execution_number: int | None
    last_updated_at: float | None = None
    force_canceled: bool | None = None
    status_details: Mapping[str, str] | None = None

    def seen(self) -> Seen:
        return Seen(
            version=self.version,
            last_updated_at=self.last_updated_at,
            force_canceled=self.force_canceled,
            status_details=self.status_details,
        )


@dataclass(slots=True, kw_only=True)
class Steps:
    operation: Operation
    clients: Transport
    rates: RateRegistry
    policy: RetryPolicy
    budget: RetryBudget
    sleep: Callable[[float], Awaitable[None]]
    rng: random.Random
    clock: Callable[[], float]
    wall_clock: Callable[[], float]
    concurrency: int
    on_fatal: Callable[[str], None]
    clock_margin: float = 2.0
    #: Calls not sent because a listing showed the target's execution terminal.
    calls_saved: int = 0
    _capacity: dict[tuple[Destination, str], anyio.CapacityLimiter] = field(default_factory=dict)
    #: Calls sent and not yet answered (not targets waiting for a rate slot).
    in_flight: int = 0
    stopping: bool = False
    _default: Destination | None = None
    _waiting: set[anyio.CancelScope] = field(default_factory=set)

    async def process(self, target: Target) -> Result:
        track = _Track(target=target, started_at=self.wall_clock())
        try:
            match self.operation:
                case CancelExecution():
                    outcome, failure = await self._cancel_execution(track, self.operation)
                case DeleteExecution():
                    outcome, failure = await self._delete_execution(track, self.operation)
                case CancelJob():
                    outcome, failure = await self._cancel_job(track, self.operation)
        except _Final as final:
            outcome, failure = self._final_outcome(final), final.failure
        except _Stopped as stopped:
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
        )

    def _final_outcome(self, final: _Final) -> Outcome:
        cls = final.failure.cls
        if final.exhausted:
            return Outcome.RETRIES_EXHAUSTED
        if cls is ErrorClass.NOT_FOUND:
            return Outcome.NOT_FOUND
        if cls is ErrorClass.INVALID_REQUEST:
            return Outcome.INVALID_REQUEST
        if cls.fatal:
            hint = _FATAL_HINTS[cls]
            self.on_fatal(f"{final.failure.code}: {final.failure.message} — {hint}")
        return Outcome.ERROR

    # -- operations ------------------------------------------------------------------

    async def _cancel_execution(
        self, track: _Track, op: CancelExecution
    ) -> tuple[Outcome, CallFailure | None]:
        target = track.target
        if target.listed_status in TERMINAL_STATUSES:
            # Terminal is final for an execution number: nothing a call could change.
            track.status_before = target.listed_status
            track.message = f"listed as {target.listed_status}: no call needed"
            # The cancel, and the describe its refusal would have needed (fresh: the
            # describe alone).
            self.calls_saved += 1 if op.expected_version == FRESH else 2
            return Outcome.ALREADY_TERMINAL, None
        guard = target.expected_version
        if guard is None and isinstance(op.expected_version, int):
            guard = op.expected_version
        expected = guard
        if expected is None and op.expected_version == FRESH:
            execution = await self._describe(track)
            if (early := _cancel_rule(execution.status, op.force)) is not None:
                return early, None
            expected = execution.version
        conflicts = 0
        base = op.request(target).params
        while True:
            params = dict(base)
            if expected is not None:
                params["expectedVersion"] = expected
            track.expected_sent = expected
            try:
                await self._call(track, "CancelJobExecution", params, mutating=True)
                return Outcome.CANCELED, None
            except _Final as final:
                failure = final.failure
                if failure.cls not in (ErrorClass.VERSION_CONFLICT, ErrorClass.INVALID_STATE):
                    raise
            execution = await self._describe(track)
            track.version_found = execution.version
            if execution.status == "CANCELED" and track.ambiguous:
                lost = track.lost(force=op.force, status_details=op.status_details)
                verdict, why = judge_cancel(lost, execution.seen(), margin=self.clock_margin)
                outcome = self._judged(track, verdict, why, Outcome.CANCELED)
                return outcome, failure if outcome is Outcome.ALREADY_TERMINAL else None
            if guard is not None and failure.cls is ErrorClass.VERSION_CONFLICT:
                track.message = _guard_message(guard, execution)
                return Outcome.VERSION_CONFLICT, failure
            if (rule := _cancel_rule(execution.status, op.force)) is not None:
                return rule, failure
            if guard is not None and execution.version != guard:
                track.message = _guard_message(guard, execution)
                return Outcome.VERSION_CONFLICT, failure
            conflicts += 1
            if conflicts > self.policy.max_conflict_retries:
                return Outcome.CONFLICT_EXHAUSTED, failure
            if guard is None and expected is not None:
                # --expected-version fresh: retry with the version just read.
                expected = execution.version

    @staticmethod
    def _judged(track: _Track, verdict: Verdict, why: str, done: Outcome) -> Outcome:
        """The outcome of a target whose lost answer was weighed by :mod:`._evidence`."""
        track.message = why
        if verdict is Verdict.NOT_OURS:
            return Outcome.ALREADY_TERMINAL
        track.confirmed = verdict is Verdict.OURS
        return done

    async def _delete_execution(
        self, track: _Track, op: DeleteExecution
    ) -> tuple[Outcome, CallFailure | None]:
        target = track.target
        number = target.execution_number
        if number is None:
            execution = await self._describe(track)
            if not op.force and execution.status not in TERMINAL_STATUSES:
                return Outcome.NOT_TERMINAL_NEEDS_FORCE, None
            number = execution.execution_number
        track.execution_number = number
        races = 0
        params = op.request(target, number).params
        while True:
            try:
                await self._call(track, "DeleteJobExecution", params, mutating=True)
                return Outcome.DELETED, None
            except _Final as final:
                failure = final.failure
                if failure.cls is ErrorClass.NOT_FOUND and track.ambiguous:
                    return _deleted_unconfirmed(track), None
                if failure.cls is not ErrorClass.INVALID_STATE:
                    raise
            try:
                execution = await self._describe(track, execution_number=number)
            except _Final as final:
                if final.failure.cls is ErrorClass.NOT_FOUND and track.ambiguous:
                    return _deleted_unconfirmed(track), None
                raise
            if not op.force and execution.status not in TERMINAL_STATUSES:
                return Outcome.NOT_TERMINAL_NEEDS_FORCE, failure
            races += 1
            if races > self.policy.max_conflict_retries:
                return Outcome.CONFLICT_EXHAUSTED, failure

    async def _cancel_job(self, track: _Track, op: CancelJob) -> tuple[Outcome, CallFailure | None]:
        try:
            await self._call(track, "CancelJob", op.request(track.target).params, mutating=True)
            return Outcome.CANCELED, None
        except _Final as final:
            if final.failure.cls is not ErrorClass.INVALID_REQUEST:
                raise
            failure = final.failure
        # CancelJob refuses a job that is no longer running; tell that from a bad request.
        job = (await self._call(track, "DescribeJob", {"jobId": track.target.job_id})).get(
            "job", {}
        )
        status = str(job.get("status", ""))
        track.status_before = status or None
        if status == "CANCELED" and track.ambiguous:
            lost = track.lost(force=op.force, reason_code=op.reason_code, comment=op.comment)
            seen = Seen(
                last_updated_at=_epoch(job.get("lastUpdatedAt")),
                force_canceled=job.get("forceCanceled"),
                reason_code=job.get("reasonCode"),
                comment=job.get("comment"),
            )
            verdict, why = judge_cancel_job(lost, seen, margin=self.clock_margin)
            outcome = self._judged(track, verdict, why, Outcome.CANCELED)
            return outcome, failure if outcome is Outcome.ALREADY_TERMINAL else None
        if status in ("CANCELED", "COMPLETED", "DELETION_IN_PROGRESS"):
            return Outcome.ALREADY_TERMINAL, failure
        return Outcome.INVALID_REQUEST, failure

    # -- calls -------------------------------------------------------------------------

    async def api_call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        """An :class:`~bulkjobs._caller.ApiCaller` for read calls (listings), with the
        same rate control and retries as the targets' own calls."""
        track = _Track(
            target=Target(job_id="-", destination=destination), started_at=self.wall_clock()
        )
        try:
            return await self._call(track, api, params)
        except _Stopped as stopped:
            # A read call waiting for its rate slot when the run stops: the listing
            # that asked for it ends there (a resume lists again).
            raise RunInterrupted(f"{api} not sent: the run is stopping") from stopped
        except _Final as final:
            failure = final.failure
            raise ApiError(
                api=api, code=failure.code, message=failure.message, http_status=failure.http_status
            ) from final

    async def _describe(self, track: _Track, *, execution_number: int | None = None) -> _Execution:
        params: dict[str, Any] = {
            "jobId": track.target.job_id,
            "thingName": track.target.thing_name,
        }
        if execution_number is not None:
            params["executionNumber"] = execution_number
        response = await self._call(track, "DescribeJobExecution", params)
        data = response.get("execution", {})
        details = data.get("statusDetails", {}).get("detailsMap")
        execution = _Execution(
            status=str(data.get("status", "")),
            version=data.get("versionNumber"),
            execution_number=data.get("executionNumber"),
            last_updated_at=_epoch(data.get("lastUpdatedAt")),
            force_canceled=data.get("forceCanceled"),
            status_details=details if isinstance(details, dict) else None,
        )
        track.version_seen = execution.version
        if track.status_before is None:
            track.status_before = execution.status
            track.version_before = execution.version
        if track.execution_number is None:
            track.execution_number = execution.execution_number
        return execution

    def _default_destination(self) -> Destination:
        # Resolved once: without a region it reads the profile's configuration.
        if self._default is None:
            self._default = self.clients.default_destination
        return self._default

    def _limiter(self, destination: Destination, api: str) -> anyio.CapacityLimiter:
        key = (destination, api)
        limiter = self._capacity.get(key)
        if limiter is None:
            limiter = self._capacity[key] = anyio.CapacityLimiter(self.concurrency)
        return limiter

    async def _call(
        self, track: _Track, api: str, params: Mapping[str, Any], *, mutating: bool = False
    ) -> dict[str, Any]:
        destination = track.target.destination.resolve(self._default_destination())
        rate = self.rates.get(destination, api)
        limiter = self._limiter(destination, api)
        while True:
            # Waiting for a slot sends nothing: a stop interrupts it, so an interrupted
            # run leaves unsent targets to --resume instead of spending its grace period.
            with self._interruptible(track):
                await limiter.acquire()
                try:
                    await rate.acquire()
                except BaseException:
                    limiter.release()
                    raise
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
            if not failure.cls.retryable:
                raise _Final(failure)
            if failure.cls is ErrorClass.THROTTLED:
                track.throttles += 1
                spent = track.throttles >= self.policy.max_attempts * _THROTTLE_ALLOWANCE
                failures = track.throttles
            else:
                track.failures += 1
                spent = not self.policy.may_retry(track.failures)
                failures = track.failures
            if spent or not self.budget.try_spend():
                raise _Final(failure, exhausted=True)
            if mutating:
                track.sent_mutation = True
            with self._interruptible(track):
                await self.sleep(self.policy.backoff(failures, self.rng))

    @contextlib.contextmanager
    def _interruptible(self, track: _Track) -> Iterator[None]:
        """A wait that :meth:`interrupt` ends with :class:`_Stopped`."""
        if self.stopping:
            raise _Stopped(track.sent_mutation or track.ambiguous)
        with anyio.CancelScope() as scope:
            self._waiting.add(scope)
            try:
                yield
            finally:
                self._waiting.discard(scope)
        if scope.cancelled_caught:
            raise _Stopped(track.sent_mutation or track.ambiguous)

    def interrupt(self) -> None:
        """Stop every wait for a rate slot or a backoff; calls on the wire go on."""
        self.stopping = True
        for scope in list(self._waiting):
            scope.cancel()


def _guard_message(guard: int, execution: _Execution) -> str:
    return (
        f"expectedVersion {guard} was sent; the execution is at version {execution.version} "
        f"({execution.status}). Not cancelled: a given version is a guard (send the current "
        "one, or --expected-version fresh)"
    )


def _deleted_unconfirmed(track: _Track) -> Outcome:
    track.confirmed = False
    track.message = (
        "unconfirmed: the answer to this run's delete was lost and the execution is now "
        "gone; a deleted execution leaves nothing to tell who deleted it"
    )
    return Outcome.DELETED


def _epoch(value: object) -> float | None:
    """botocore parses timestamps into aware datetimes; scripted answers may be epochs."""
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _cancel_rule(status: str, force: bool) -> Outcome | None:
    """Outcome decided by the execution's status alone, or None if it may be cancelled."""
    if status in TERMINAL_STATUSES:
        return Outcome.ALREADY_TERMINAL
    if status == "IN_PROGRESS" and not force:
        return Outcome.IN_PROGRESS_NEEDS_FORCE
    return None
