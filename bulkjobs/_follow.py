"""Following a CancelJob that AWS carries out server-side, by DescribeJob's counters.

CancelJob returns at once: the job turns CANCELED, and AWS then cancels its executions
in the background (documented at about 1,000 devices a minute). Until then
DescribeJob's ``jobProcessDetails`` still counts executions QUEUED and IN_PROGRESS, so a
job "canceled" a second ago may still be rolling out to devices. :class:`CancelWatch`
is the pure record of one job being followed in one destination (account, region);
:func:`follow_cancellations` polls DescribeJob until every job has none left (QUEUED,
and IN_PROGRESS for a forced cancel), or the time allowed runs out. Across many
destinations the polls of one round go out concurrently, so following 60 of them
takes as long as following one.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio

from bulkjobs._classify import ErrorClass, classify_code
from bulkjobs._client import CallError
from bulkjobs._destination import DEFAULT, Destination
from bulkjobs._exceptions import ApiError
from bulkjobs._jobstatus import ACTIVE_STATUSES, JobCounts

__all__ = ["CancelWatch", "follow_cancellations", "watched_statuses"]

#: Failures worth another poll: the next one may well succeed.
_PASSING = frozenset(
    {
        ErrorClass.THROTTLED,
        ErrorClass.UNAVAILABLE,
        ErrorClass.TRANSPORT,
        ErrorClass.EXPIRED_CREDENTIALS,
    }
)

#: DescribeJob of a job (its id) in a destination (where it was cancelled).
Describe = Callable[[str, Destination], Awaitable[Mapping[str, Any]]]

#: Polls of one round in flight at once.
_POLL_CONCURRENCY = 8


def watched_statuses(force: bool) -> tuple[str, ...]:
    """What a CancelJob cancels: QUEUED executions, and IN_PROGRESS ones with force
    (without it they run on to their end on the devices)."""
    return ACTIVE_STATUSES if force else ("QUEUED",)


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelWatch:
    """One job's server-side cancel, as far as it has been followed."""

    job_id: str
    force: bool
    #: When CancelJob returned (epoch seconds): the server-side cancel runs from there.
    since: float
    first: JobCounts
    latest: JobCounts
    #: When ``latest`` was read.
    at: float
    #: When the last watched execution was seen gone; None while some are left.
    finished_at: float | None = None
    #: Why following stopped before the end (the job vanished, access denied).
    error: str | None = None
    #: Where the job was cancelled (the run's default: its one destination).
    destination: Destination = DEFAULT

    @classmethod
    def start(
        cls,
        job_id: str,
        *,
        force: bool,
        since: float,
        counts: JobCounts,
        at: float,
        destination: Destination = DEFAULT,
    ) -> CancelWatch:
        watch = cls(
            job_id=job_id,
            force=force,
            since=since,
            first=counts,
            latest=counts,
            at=at,
            destination=destination,
        )
        return watch.seen(counts, at)

    @property
    def statuses(self) -> tuple[str, ...]:
        return watched_statuses(self.force)

    @property
    def initial(self) -> int:
        """Executions left to cancel when following began."""
        return self.first.of(self.statuses)

    @property
    def remaining(self) -> int:
        return self.latest.of(self.statuses)

    @property
    def settled(self) -> bool:
        """Nothing more to wait for: none left, or following cannot go on."""
        return self.finished_at is not None or self.error is not None

    @property
    def took(self) -> float | None:
        """Seconds from CancelJob to the last execution cancelled, once finished."""
        return None if self.finished_at is None else max(0.0, self.finished_at - self.since)

    @property
    def left_running(self) -> int:
        """IN_PROGRESS executions a cancel without force leaves running on devices."""
        return 0 if self.force else self.latest.counts.get("IN_PROGRESS", 0)

    def seen(self, counts: JobCounts, at: float) -> CancelWatch:
        """This watch after DescribeJob answered ``counts`` at ``at``."""
        finished = self.finished_at
        if finished is None and counts.of(self.statuses) == 0:
            finished = at
        return replace(self, latest=counts, at=at, finished_at=finished)

    def failed(self, error: str) -> CancelWatch:
        return replace(self, error=error)

    def to_json(self) -> dict[str, Any]:
        took = self.took
        return {
            "jobId": self.job_id,
            **self.destination.to_json(),
            "force": self.force,
            "watchedStatuses": list(self.statuses),
            "atStart": {s: self.first.counts.get(s, 0) for s in ACTIVE_STATUSES},
            "remaining": {s: self.latest.counts.get(s, 0) for s in ACTIVE_STATUSES},
            "finished": self.finished_at is not None,
            "secondsToCancel": None if took is None else round(took, 3),
            "followedSeconds": round(max(0.0, self.at - self.since), 3),
            "leftRunningOnDevices": self.left_running,
            # DescribeJob's count of the job's CANCELED executions when last read.
            "canceled": self.latest.counts.get("CANCELED", 0),
            "error": self.error,
        }


async def follow_cancellations(
    describe: Describe,
    watches: Sequence[CancelWatch],
    *,
    at_most: float,
    interval: float = 2.0,
    on_update: Callable[[Sequence[CancelWatch]], object] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
    concurrency: int = _POLL_CONCURRENCY,
) -> list[CancelWatch]:
    """Poll DescribeJob for every unsettled watch each ``interval`` seconds until all
    are settled or ``at_most`` seconds have passed; return the watches as they ended.

    The polls of a round go out ``concurrency`` at a time. A throttled or failed poll
    is tried again at the next round; a final error (the job is gone, access is denied)
    settles that watch with the error. ``describe`` may raise :class:`CallError` (a
    plain client) or :class:`ApiError` (a caller that has retried already).
    """
    current = list(watches)
    deadline = clock() + at_most
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def poll(n: int) -> None:
        watch = current[n]
        async with limiter:
            try:
                response = await describe(watch.job_id, watch.destination)
            except CallError as exc:
                if exc.failure.cls not in _PASSING:
                    current[n] = watch.failed(f"DescribeJob: {exc}")
                return
            except ApiError as exc:
                if classify_code(exc.code, str(exc), exc.http_status) not in _PASSING:
                    current[n] = watch.failed(str(exc))
                return
        current[n] = watch.seen(JobCounts.from_describe(watch.job_id, response), clock())

    while not all(w.settled for w in current) and clock() < deadline:
        await sleep(min(interval, max(0.0, deadline - clock())))
        async with anyio.create_task_group() as tg:
            for n, watch in enumerate(current):
                if not watch.settled:
                    tg.start_soon(poll, n)
        if on_update is not None:
            on_update(current)
    return current
