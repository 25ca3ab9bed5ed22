"""A job's executions by status, as DescribeJob's ``jobProcessDetails`` counts them.

DescribeJob is one cheap call that sizes a whole job: the CLI uses it to show what a
forced run would touch before asking, to give a whole-job listing's progress bar a
total, and to follow a CancelJob that AWS carries out server-side.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

__all__ = ["ACTIVE_STATUSES", "PROCESS_COUNTERS", "JobCounts"]

#: DescribeJob's jobProcessDetails counter for each execution status.
PROCESS_COUNTERS: Final = {
    "QUEUED": "numberOfQueuedThings",
    "IN_PROGRESS": "numberOfInProgressThings",
    "SUCCEEDED": "numberOfSucceededThings",
    "FAILED": "numberOfFailedThings",
    "CANCELED": "numberOfCanceledThings",
    "REJECTED": "numberOfRejectedThings",
    "REMOVED": "numberOfRemovedThings",
    "TIMED_OUT": "numberOfTimedOutThings",
}

#: Execution statuses that still run (or are about to) on a device.
ACTIVE_STATUSES: Final = ("QUEUED", "IN_PROGRESS")


@dataclass(frozen=True, slots=True, kw_only=True)
class JobCounts:
    """One DescribeJob answer: the job's status and its executions per status."""

    #: Every execution status, in the order DescribeJob's counters list them.
    STATUSES: ClassVar[tuple[str, ...]] = tuple(PROCESS_COUNTERS)

    job_id: str
    #: The job's own status (IN_PROGRESS, CANCELED, COMPLETED, …); "" if not given.
    status: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_describe(cls, job_id: str, response: Mapping[str, Any]) -> JobCounts:
        job = response.get("job", {})
        details = job.get("jobProcessDetails", {})
        counts = {s: int(details.get(name, 0) or 0) for s, name in PROCESS_COUNTERS.items()}
        return cls(job_id=job_id, status=str(job.get("status", "")), counts=counts)

    def of(self, statuses: Collection[str] | None) -> int:
        """Executions in ``statuses`` (None: all of them)."""
        if statuses is None:
            return sum(self.counts.values())
        return sum(self.counts.get(s, 0) for s in statuses)

    @property
    def active(self) -> int:
        """Executions QUEUED or IN_PROGRESS."""
        return self.of(ACTIVE_STATUSES)

    def breakdown(self, statuses: Collection[str] | None = None) -> str:
        """``"71 QUEUED, 95 IN_PROGRESS"``: non-zero counts in ``statuses``, in
        lifecycle order; ``"none"`` if all are zero."""
        shown = [
            f"{self.counts[s]:,} {s}"
            for s in PROCESS_COUNTERS
            if self.counts.get(s) and (statuses is None or s in statuses)
        ]
        return ", ".join(shown) or "none"
