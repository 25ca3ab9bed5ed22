"""The per-operation flows: which calls act on a target, and the outcome they add up to.

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

A flow never waits, retries or paces by itself: every call goes through the run's
:class:`~bulkjobs._calls.Caller`, which owns all of that. A new operation is a new flow
here and an entry in :data:`_FLOWS`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bulkjobs._calls import Caller, Final, Track
from bulkjobs._classify import ErrorClass
from bulkjobs._client import CallFailure
from bulkjobs._deletejob import DeletionSlots, delete_job
from bulkjobs._evidence import Seen, Verdict, judge_cancel, judge_cancel_job
from bulkjobs._models import (
    FRESH,
    TERMINAL_STATUSES,
    CancelExecution,
    CancelJob,
    DeleteExecution,
    DeleteJob,
    Operation,
    Outcome,
    Verify,
    settled_by_listing,
)
from bulkjobs._verify import verify

__all__ = ["Flows"]

Ending = tuple[Outcome, CallFailure | None]


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
class Flows:
    """The flows of one run, over its :class:`Caller`."""

    caller: Caller
    clock_margin: float = 2.0
    #: Calls not sent because a listing showed the target's execution terminal.
    calls_saved: int = 0
    #: delete-job's deletion slots per destination.
    deletions: DeletionSlots = field(default_factory=DeletionSlots)

    async def run(self, operation: Operation, track: Track) -> Ending:
        """The flow of ``operation`` for ``track``'s target."""
        flow = _FLOWS[type(operation)]
        return await flow(self, track, operation)

    async def cancel_execution(
        self, track: Track, op: CancelExecution
    ) -> tuple[Outcome, CallFailure | None]:
        target = track.target
        if (note := settled_by_listing(op, target)) is not None:
            track.status_before = target.listed_status
            track.message = note
            # The cancel, and the describe its refusal would have needed (fresh: the
            # describe alone).
            self.calls_saved += 1 if op.expected_version == FRESH else 2
            return Outcome.ALREADY_TERMINAL, None
        guard = target.expected_version
        if guard is None and isinstance(op.expected_version, int):
            guard = op.expected_version
        expected = guard
        if expected is None and op.expected_version == FRESH:
            execution = await self.describe(track)
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
                await self.caller.call(track, "CancelJobExecution", params, mutating=True)
                return Outcome.CANCELED, None
            except Final as final:
                failure = final.failure
                if failure.cls not in (ErrorClass.VERSION_CONFLICT, ErrorClass.INVALID_STATE):
                    raise
            execution = await self.describe(track)
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
            if conflicts > self.caller.policy.max_conflict_retries:
                return Outcome.CONFLICT_EXHAUSTED, failure
            if guard is None and expected is not None:
                # --expected-version fresh: retry with the version just read.
                expected = execution.version

    @staticmethod
    def _judged(track: Track, verdict: Verdict, why: str, done: Outcome) -> Outcome:
        """The outcome of a target whose lost answer was weighed by :mod:`._evidence`."""
        track.message = why
        if verdict is Verdict.NOT_OURS:
            return Outcome.ALREADY_TERMINAL
        track.confirmed = verdict is Verdict.OURS
        return done

    async def delete_execution(
        self, track: Track, op: DeleteExecution
    ) -> tuple[Outcome, CallFailure | None]:
        target = track.target
        number = target.execution_number
        if number is None:
            execution = await self.describe(track)
            if not op.force and execution.status not in TERMINAL_STATUSES:
                return Outcome.NOT_TERMINAL_NEEDS_FORCE, None
            number = execution.execution_number
        track.execution_number = number
        races = 0
        params = op.request(target, number).params
        while True:
            try:
                await self.caller.call(track, "DeleteJobExecution", params, mutating=True)
                return Outcome.DELETED, None
            except Final as final:
                failure = final.failure
                if failure.cls is ErrorClass.NOT_FOUND and track.ambiguous:
                    return _deleted_unconfirmed(track), None
                if failure.cls is not ErrorClass.INVALID_STATE:
                    raise
            try:
                execution = await self.describe(track, execution_number=number)
            except Final as final:
                if final.failure.cls is ErrorClass.NOT_FOUND and track.ambiguous:
                    return _deleted_unconfirmed(track), None
                raise
            if not op.force and execution.status not in TERMINAL_STATUSES:
                return Outcome.NOT_TERMINAL_NEEDS_FORCE, failure
            races += 1
            if races > self.caller.policy.max_conflict_retries:
                return Outcome.CONFLICT_EXHAUSTED, failure

    async def cancel_job(self, track: Track, op: CancelJob) -> tuple[Outcome, CallFailure | None]:
        try:
            await self.caller.call(
                track, "CancelJob", op.request(track.target).params, mutating=True
            )
            return Outcome.CANCELED, None
        except Final as final:
            if final.failure.cls is not ErrorClass.INVALID_REQUEST:
                raise
            failure = final.failure
        # CancelJob refuses a job that is no longer running; tell that from a bad request.
        job = (await self.caller.call(track, "DescribeJob", {"jobId": track.target.job_id})).get(
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

    async def describe(self, track: Track, *, execution_number: int | None = None) -> _Execution:
        params: dict[str, Any] = {
            "jobId": track.target.job_id,
            "thingName": track.target.thing_name,
        }
        if execution_number is not None:
            params["executionNumber"] = execution_number
        response = await self.caller.call(track, "DescribeJobExecution", params)
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


def _guard_message(guard: int, execution: _Execution) -> str:
    return (
        f"expectedVersion {guard} was sent; the execution is at version {execution.version} "
        f"({execution.status}). Not cancelled: a given version is a guard (send the current "
        "one, or --expected-version fresh)"
    )


def _deleted_unconfirmed(track: Track) -> Outcome:
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


_Flow = Callable[[Flows, Track, Any], Awaitable[Ending]]
#: One flow per operation: the one place an operation's type picks its calls.
_FLOWS: Mapping[type, _Flow] = {
    CancelExecution: Flows.cancel_execution,
    DeleteExecution: Flows.delete_execution,
    CancelJob: Flows.cancel_job,
    DeleteJob: delete_job,
    Verify: verify,
}
