"""DeleteJob in bulk: at most N deletions in progress per destination, each followed.

AWS allows 10 jobs ``DELETION_IN_PROGRESS`` per account and region; one more answers
LimitExceededException. Scripts that ignore this sleep and retry blindly, and count a
job as failed when the limit was simply full. Here each destination has a semaphore of
``DeleteJob.max_deleting`` slots: a job takes a slot before its DeleteJob is sent and
keeps it until DescribeJob answers ResourceNotFoundException (the job is gone), polled
every ``poll_interval`` seconds growing to ``max_poll_interval`` — a modest rate next to
DescribeJob's quota. A LimitExceededException (deletions this run does not know of, by
another tool or a previous run) is a wait for a slot, never a failure and never a spent
retry. The time from acceptance to gone is the result's ``deletion_seconds``.

Without force, AWS refuses to delete an IN_PROGRESS job (InvalidStateTransition):
DescribeJob tells that apart from a job already being deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import anyio

from bulkjobs._calls import Final, Stopped, Track
from bulkjobs._classify import ErrorClass
from bulkjobs._client import CallFailure
from bulkjobs._destination import Destination
from bulkjobs._models import DeleteJob, Outcome, Result

if TYPE_CHECKING:
    from bulkjobs._flows import Flows

__all__ = ["DeletionSlots", "DeletionTimes", "delete_job", "next_poll"]

_LIMIT = "LimitExceededException"
_NO_RETRY = frozenset({_LIMIT})


def next_poll(interval: float, op: DeleteJob) -> float:
    """The wait after one of ``interval`` seconds: half as long again, up to the cap.

    A small job is gone within a poll or two; a large one is asked about less often,
    so ten deletions followed at once stay well inside DescribeJob's quota.
    """
    return min(op.max_poll_interval, max(op.poll_interval, interval * 1.5))


@dataclass(slots=True)
class DeletionSlots:
    """One semaphore of deletion slots per destination, for one run."""

    _slots: dict[Destination, anyio.Semaphore] = field(default_factory=dict)

    def get(self, destination: Destination, size: int) -> anyio.Semaphore:
        slots = self._slots.get(destination)
        if slots is None:
            slots = self._slots[destination] = anyio.Semaphore(size)
        return slots


async def delete_job(flows: Flows, track: Track, op: DeleteJob) -> tuple[Outcome, Any]:
    """The flow of one DeleteJob target (see the module docstring)."""
    caller = flows.caller
    slots = flows.deletions.get(caller.destination_of(track), op.max_deleting)
    with caller.interruptible(track):
        await slots.acquire()
    try:
        return await _delete_in_slot(flows, track, op)
    finally:
        slots.release()


async def _delete_in_slot(
    flows: Flows, track: Track, op: DeleteJob
) -> tuple[Outcome, CallFailure | None]:
    caller = flows.caller
    params = op.request(track.target).params
    wait = op.poll_interval
    races = 0
    while True:
        try:
            await caller.call(track, "DeleteJob", params, mutating=True, no_retry=_NO_RETRY)
            break
        except Final as final:
            failure = final.failure
            if failure.code == _LIMIT and not final.exhausted:
                # Deletions this run does not hold fill the account's limit: wait.
                track.limit_waits += 1
                await caller.pause(track, wait)
                wait = next_poll(wait, op)
                continue
            if failure.cls is ErrorClass.NOT_FOUND and track.ambiguous:
                return _unconfirmed(track), None
            if failure.cls is not ErrorClass.INVALID_STATE:
                raise
        status = await _job_status(flows, track)
        if status is None:
            # Gone between the refusal and the describe.
            if track.ambiguous:
                return _unconfirmed(track), None
            return Outcome.NOT_FOUND, failure
        if track.status_before is None:
            track.status_before = status
        if status == "DELETION_IN_PROGRESS":
            # Someone (or this run's lost call) is deleting it: it holds one of the
            # account's slots until it is gone, so it keeps ours as long.
            await _follow(flows, track, op)
            if track.ambiguous:
                return _unconfirmed(track), None
            track.message = "already being deleted by another caller; followed until gone"
            return Outcome.ALREADY_TERMINAL, failure
        if status == "IN_PROGRESS" and not op.force:
            track.message = "job is IN_PROGRESS: deleting it needs --force"
            return Outcome.IN_PROGRESS_NEEDS_FORCE, failure
        races += 1
        if races > caller.policy.max_conflict_retries:
            return Outcome.CONFLICT_EXHAUSTED, failure
    accepted = caller.clock()
    try:
        await _follow(flows, track, op)
    except Stopped:
        track.message = (
            "deletion accepted; the run stopped before the job was gone (AWS carries on)"
        )
        return Outcome.DELETED, None
    except Final as final:
        track.message = (
            f"deletion accepted; following it failed ({final.failure.code}), so its "
            "duration is unknown"
        )
        return Outcome.DELETED, None
    track.deletion_seconds = caller.clock() - accepted
    if track.limit_waits:
        track.message = (
            f"waited {track.limit_waits}× for a deletion slot: LimitExceededException "
            "(deletions this run does not hold)"
        )
    return Outcome.DELETED, None


async def _job_status(flows: Flows, track: Track) -> str | None:
    """The job's status, or None once it is gone."""
    try:
        answer = await flows.caller.call(track, "DescribeJob", {"jobId": track.target.job_id})
    except Final as final:
        if final.failure.cls is ErrorClass.NOT_FOUND:
            return None
        raise
    return str(answer.get("job", {}).get("status", ""))


async def _follow(flows: Flows, track: Track, op: DeleteJob) -> None:
    """Return once DescribeJob no longer finds the job."""
    wait = op.poll_interval
    while True:
        await flows.caller.pause(track, wait)
        if await _job_status(flows, track) is None:
            return
        wait = next_poll(wait, op)


def _unconfirmed(track: Track) -> Outcome:
    track.confirmed = False
    track.message = (
        "unconfirmed: the answer to this run's DeleteJob was lost and the job is now gone; "
        "a deleted job leaves nothing to tell who deleted it"
    )
    return Outcome.DELETED


@dataclass(slots=True)
class DeletionTimes:
    """How long the run's deletions took, from its results (for the summary)."""

    seconds: list[float] = field(default_factory=list)
    limit_waits: int = 0

    def add(self, result: Result) -> None:
        if result.deletion_seconds is not None:
            self.seconds.append(result.deletion_seconds)

    def to_json(self) -> dict[str, object] | None:
        """None when no deletion was followed to its end."""
        if not self.seconds:
            return None
        ordered = sorted(self.seconds)
        return {
            "followed": len(ordered),
            "p50Seconds": round(ordered[len(ordered) // 2], 3),
            "maxSeconds": round(ordered[-1], 3),
            "totalSeconds": round(sum(ordered), 3),
        }

    def line(self) -> str | None:
        data = self.to_json()
        if data is None:
            return None
        return (
            f"deletions: {data['followed']} followed until gone · time per job p50 "
            f"{data['p50Seconds']:g} s, max {data['maxSeconds']:g} s"
        )
