"""Following a CancelJob that AWS carries out server-side, by DescribeJob's counters.

CancelJob returns at once: the job turns CANCELED, and AWS then cancels its executions
in the background (documented at about 1,000 devices a minute). Until then
DescribeJob's ``jobProcessDetails`` still counts executions QUEUED and IN_PROGRESS, so a
job "canceled" a second ago may still be rolling out to devices. :class:`CancelWatch`
is the pure record of one job being followed in one destination (account, region);
:func:`follow_cancellations` polls DescribeJob until every job has none left (QUEUED,
and IN_PROGRESS for a forced cancel), or the time allowed runs out. Across many
destinations the polls of one round go out concurrently, so following 60 of them
takes as long as following one. :func:`after_cancel_job` is what a run does after its
CancelJob calls: one DescribeJob per job and destination to say how the cancel stands,
or the whole follow, as a :class:`ServerSideCancel` for the report.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio

from bulkjobs._classify import ErrorClass, classify_code
from bulkjobs._client import CallError
from bulkjobs._destination import DEFAULT, Destination
from bulkjobs._exceptions import ApiError
from bulkjobs._jobstatus import ACTIVE_STATUSES, JobCounts

__all__ = [
    "CancelWatch",
    "ServerSideCancel",
    "after_cancel_job",
    "follow_cancellations",
    "watched_statuses",
]

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


#: DescribeJob polls per second at most in each destination (its quota is 10/s per
#: account and region).
POLLS_PER_SECOND = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerSideCancel:
    """What became of the jobs' server-side cancel after a run's CancelJob calls."""

    watches: tuple[CancelWatch, ...]
    #: Whether the jobs were followed to the end (or the timeout); False: counted once.
    waited: bool
    wait_timeout: float | None = None
    #: The wait was stopped (Ctrl-C, :meth:`RunSession.stop`) before it ended.
    interrupted: bool = False
    #: Jobs that could not be looked at (job id, why), and where each was.
    unreadable: tuple[tuple[str, str], ...] = ()
    unreadable_at: tuple[Destination, ...] = ()

    @property
    def unfinished(self) -> bool:
        """Waited, but some job still has executions to cancel or could not be followed."""
        return self.waited and (
            bool(self.unreadable) or any(not w.settled or w.error for w in self.watches)
        )

    def exit_code(self, run_code: int) -> int:
        """The run's exit code with the wait taken into account: 130 when interrupted,
        1 when a followed job did not finish."""
        if self.interrupted:
            return 130
        if self.unfinished and run_code == 0:
            return 1
        return run_code

    def to_json(self) -> dict[str, Any]:
        places: Sequence[Destination | None] = self.unreadable_at or [None] * len(self.unreadable)
        unread = zip(self.unreadable, places, strict=True)
        return {
            "waited": self.waited,
            "waitTimeoutSeconds": self.wait_timeout if self.waited else None,
            "interrupted": self.interrupted,
            "jobs": [w.to_json() for w in self.watches]
            + [
                {"jobId": job_id, **(where.to_json() if where else {}), "error": why}
                for (job_id, why), where in unread
            ],
        }

    def by_destination(self) -> dict[Destination, dict[str, Any]]:
        """Per destination, what became of its jobs' server-side cancel: for the
        report's ``byDestination`` rows."""
        found: dict[Destination, dict[str, Any]] = {}

        def row(where: Destination) -> dict[str, Any]:
            return found.setdefault(
                where,
                {
                    "waited": self.waited,
                    "jobs": 0,
                    "finished": True,
                    "remaining": 0,
                    "canceled": 0,
                    "errors": 0,
                },
            )

        for watch in self.watches:
            entry = row(watch.destination)
            entry["jobs"] += 1
            entry["remaining"] += watch.remaining
            entry["canceled"] += watch.latest.counts.get("CANCELED", 0)
            entry["finished"] = entry["finished"] and watch.finished_at is not None
            entry["errors"] += watch.error is not None
            if (took := watch.took) is not None:
                entry["secondsToCancel"] = max(entry.get("secondsToCancel", 0.0), round(took, 3))
        for where in self.unreadable_at:
            entry = row(where)
            entry["jobs"] += 1
            entry["finished"] = False
            entry["errors"] += 1
        return found


async def after_cancel_job(
    describe: Describe,
    jobs: Sequence[tuple[str, float, Destination]],
    *,
    force: bool,
    wait_timeout: float | None = None,
    on_update: Callable[[Sequence[CancelWatch]], object] | None = None,
    scope: anyio.CancelScope | None = None,
    clock: Callable[[], float] = time.time,
    concurrency: int = _POLL_CONCURRENCY,
) -> ServerSideCancel:
    """DescribeJob once for each of ``jobs`` (job id, when CancelJob returned, where),
    concurrently; with ``wait_timeout``,
    follow them until settled or that many seconds pass, each destination polled at
    most :data:`POLLS_PER_SECOND` times a second.

    Cancelling ``scope`` (held by the caller) ends the wait early: the result says
    ``interrupted``, with the counts last seen.
    """
    found: list[CancelWatch | None] = [None] * len(jobs)
    failures: list[tuple[tuple[str, str], Destination] | None] = [None] * len(jobs)
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def first(n: int, job_id: str, since: float, where: Destination) -> None:
        async with limiter:
            try:
                response = await describe(job_id, where)
            except CallError as exc:
                failures[n] = ((job_id, f"DescribeJob: {exc}"), where)
                return
            except ApiError as exc:
                failures[n] = ((job_id, str(exc)), where)
                return
        counts = JobCounts.from_describe(job_id, response)
        found[n] = CancelWatch.start(
            job_id, force=force, since=since, counts=counts, at=clock(), destination=where
        )

    async with anyio.create_task_group() as tg:
        for n, (job_id, since, where) in enumerate(jobs):
            tg.start_soon(first, n, job_id, since, where)
    watches = [w for w in found if w is not None]
    unread = [u for u in failures if u is not None]
    unreadable = tuple(why for why, _ in unread)
    unreadable_at = tuple(where for _, where in unread)
    if wait_timeout is None:
        return ServerSideCancel(
            watches=tuple(watches),
            waited=False,
            unreadable=unreadable,
            unreadable_at=unreadable_at,
        )
    latest = list(watches)

    def update(current: Sequence[CancelWatch]) -> None:
        latest[:] = current
        if on_update is not None:
            on_update(current)

    # Each destination has its own DescribeJob quota: the busiest one sets the pace.
    busiest = max(Counter(w.destination for w in watches).values(), default=0)
    interval = max(1.0, busiest / POLLS_PER_SECOND)
    scope = scope or anyio.CancelScope()
    with scope:
        latest[:] = await follow_cancellations(
            describe,
            latest,
            at_most=wait_timeout,
            interval=interval,
            on_update=update,
            clock=clock,
            concurrency=concurrency,
        )
    return ServerSideCancel(
        watches=tuple(latest),
        waited=True,
        wait_timeout=wait_timeout,
        interrupted=scope.cancelled_caught,
        unreadable=unreadable,
        unreadable_at=unreadable_at,
    )
