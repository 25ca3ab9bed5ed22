"""DeleteJob as AWS runs it: a bounded number of deletions, each taking its time.

AWS keeps a deleted job ``DELETION_IN_PROGRESS`` (visible in DescribeJob and ListJobs)
until its executions are gone, which takes longer the more it has; at most
``max_deleting_jobs`` (10 by default, as AWS documents) may be in that state per account
and region, and one more DeleteJob answers LimitExceededException. The deletion time
here is ``job_deletion_seconds + executions × job_deletion_seconds_per_execution``.
Rules, from the API reference:

- a job IN_PROGRESS needs ``force`` (InvalidStateTransitionException otherwise);
- a job already ``DELETION_IN_PROGRESS`` is an InvalidStateTransitionException;
- a missing job is ResourceNotFoundException.

No clock of its own: the caller passes ``now``, and :meth:`JobDeletions.finish_due`
removes the jobs whose deletion time has come (the server calls it before each request).

Each book records the most deletions it held at once; a :class:`DeletionTally` shared
by the books of every account and region records the most in progress at one instant
across them all, so a test can tell destinations that deleted side by side from ones
that took turns. The tally counts by due time, not by removal: a book is only swept
when its own destination is asked, and a deletion whose time has come is over even if
nobody has looked yet.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from bulkjobs.sim._errors import ApiError, ErrorCode, invalid_transition
from bulkjobs.sim._model import Job, JobStatus
from bulkjobs.sim._state import FleetState

__all__ = ["DeletionStatistics", "DeletionTally", "DeletionTotals", "JobDeletions"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletionStatistics:
    """DeleteJob's counters at one instant."""

    in_progress: int
    finished: int
    #: DeleteJob calls refused with LimitExceededException.
    limit_refusals: int
    #: The most deletions in progress at once so far.
    peak_in_progress: int


@dataclass(frozen=True, slots=True, kw_only=True)
class DeletionTotals:
    """Deletions in progress across every account and region, at one instant."""

    in_progress: int
    #: The most in progress at one instant so far, all destinations added up.
    peak_in_progress: int


@dataclass(slots=True)
class DeletionTally:
    """Deletions in progress across the books of every destination, by due time."""

    _due: list[float] = field(default_factory=list)
    peak: int = 0

    def in_progress(self, now: float) -> int:
        while self._due and self._due[0] <= now:
            heapq.heappop(self._due)
        return len(self._due)

    def start(self, due: float, now: float) -> None:
        """One deletion started at ``now``, over at ``due``."""
        self.in_progress(now)
        heapq.heappush(self._due, due)
        self.peak = max(self.peak, len(self._due))

    def totals(self, now: float) -> DeletionTotals:
        return DeletionTotals(in_progress=self.in_progress(now), peak_in_progress=self.peak)


@dataclass(slots=True, kw_only=True)
class JobDeletions:
    """The deletions in progress of one fleet state."""

    max_deleting: int = 10
    base_seconds: float = 0.5
    per_execution_seconds: float = 0.01
    _deleting: dict[str, Job] = field(default_factory=dict)
    #: Shared with the other destinations' books, when there are several.
    tally: DeletionTally = field(default_factory=DeletionTally)
    #: Deletions refused for the limit, deletions finished, and the most in progress
    #: at once (for statistics).
    limit_refusals: int = 0
    finished: int = 0
    peak: int = 0

    def duration(self, job: Job) -> float:
        return self.base_seconds + len(job.executions) * self.per_execution_seconds

    def start(self, state: FleetState, job_id: str, *, force: bool, now: float) -> Job:
        """DeleteJob: the job turns DELETION_IN_PROGRESS, or the call is refused."""
        self.finish_due(state, now)
        job = state.job(job_id)
        if job.status is JobStatus.DELETION_IN_PROGRESS:
            raise invalid_transition(f"Job {job_id} is already being deleted.")
        if job.status is JobStatus.IN_PROGRESS and not force:
            raise invalid_transition(
                f"Job {job_id} is IN_PROGRESS; set force to true to delete it."
            )
        if len(self._deleting) >= self.max_deleting:
            self.limit_refusals += 1
            raise ApiError(
                ErrorCode.LIMIT_EXCEEDED,
                f"Too many jobs are being deleted at once (limit {self.max_deleting}).",
            )
        job.status = JobStatus.DELETION_IN_PROGRESS
        job.last_updated_at = now
        job.deletion_due = now + self.duration(job)
        self._deleting[job_id] = job
        # finish_due(now) ran above, so what is left is what is in progress now.
        self.peak = max(self.peak, len(self._deleting))
        self.tally.start(job.deletion_due, now)
        return job

    def finish_due(self, state: FleetState, now: float) -> None:
        """Remove every job whose deletion time has come."""
        if not self._deleting:
            return
        for job_id, job in list(self._deleting.items()):
            if job.deletion_due is not None and job.deletion_due <= now:
                del self._deleting[job_id]
                state.remove_job(job_id)
                self.finished += 1

    def statistics(self) -> DeletionStatistics:
        return DeletionStatistics(
            in_progress=len(self._deleting),
            finished=self.finished,
            limit_refusals=self.limit_refusals,
            peak_in_progress=self.peak,
        )
