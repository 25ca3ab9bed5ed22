"""``cancel-job`` after the call: AWS cancels the executions server-side — follow it
(``--wait``), or at least say that it is still going on.

"canceled 1" in the summary means CancelJob was accepted; the executions follow at
about 1,000 a minute. Without ``--wait`` one DescribeJob per job tells how many are
still QUEUED or IN_PROGRESS; with it, the jobs are followed on a progress bar until
none is left (QUEUED, and IN_PROGRESS with ``--force``) or ``--wait-timeout`` passes,
and the time the server-side cancel took is reported (and kept in summary.json).

Over many accounts and regions each (job, destination) is followed on its own — the
run's role in that account, its rate controller for DescribeJob there — and the report
says, per account and region, how long it took and what is left.
"""

from __future__ import annotations

import json
import signal
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

import anyio

from bulkjobs import (
    ApiError,
    CancelWatch,
    Destination,
    JobCounts,
    Outcome,
    Result,
    follow_cancellations,
    format_duration,
    plural,
)
from bulkjobs.cli._options import Options

if TYPE_CHECKING:
    from bulkjobs import RunSession

__all__ = ["Cancelled", "Followed", "after_cancel_job", "followed_job"]

#: Outcomes after which AWS may still be cancelling the job's executions.
_FOLLOWED = frozenset({Outcome.CANCELED, Outcome.ALREADY_TERMINAL})

#: DescribeJob polls per second at most in each destination (its quota is 10/s per
#: account and region).
_POLLS_PER_SECOND = 5.0

#: DescribeJob calls in flight at once when first counting the jobs.
_DESCRIBE_CONCURRENCY = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class Cancelled:
    """A job CancelJob was accepted for, where, and when it returned."""

    job_id: str
    destination: Destination
    since: float


def followed_job(opts: Options, result: Result) -> Cancelled | None:
    """The job of a result whose server-side cancel may still be going on."""
    if not opts.operation.cancels_server_side or opts.config.dry_run:
        return None
    if result.outcome not in _FOLLOWED:
        return None
    return Cancelled(
        job_id=result.target.job_id,
        destination=result.target.destination,
        since=result.finished_at or time.time(),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Followed:
    """What became of the jobs' server-side cancel."""

    watches: tuple[CancelWatch, ...]
    waited: bool
    wait_timeout: float
    interrupted: bool = False
    #: Jobs that could not be looked at (job id, why).
    unreadable: tuple[tuple[str, str], ...] = ()

    @property
    def unfinished(self) -> bool:
        """Waited, but some job still has executions to cancel or could not be followed."""
        return self.waited and (
            bool(self.unreadable) or any(not w.settled or w.error for w in self.watches)
        )

    def exit_code(self, run_code: int) -> int:
        if self.interrupted:
            return 130
        if self.unfinished and run_code == 0:
            return 1
        return run_code

    #: The destinations of the unreadable jobs, in the same order.
    unreadable_at: tuple[Destination, ...] = ()

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
        """Per destination, what became of its jobs' server-side cancel (for the
        report's ``byDestination`` rows)."""
        found: dict[Destination, dict[str, Any]] = {}
        for watch in self.watches:
            row = found.setdefault(
                watch.destination,
                {"jobs": 0, "finished": True, "remaining": 0, "canceled": 0, "errors": 0},
            )
            row["jobs"] += 1
            row["remaining"] += watch.remaining
            row["canceled"] += watch.latest.counts.get("CANCELED", 0)
            row["finished"] = row["finished"] and watch.finished_at is not None
            row["errors"] += watch.error is not None
            took = watch.took
            if took is not None:
                row["secondsToCancel"] = max(row.get("secondsToCancel", 0.0), round(took, 3))
        for where in self.unreadable_at:
            row = found.setdefault(
                where, {"jobs": 0, "finished": False, "remaining": 0, "canceled": 0, "errors": 0}
            )
            row["jobs"] += 1
            row["finished"] = False
            row["errors"] += 1
        for row in found.values():
            row["waited"] = self.waited
        return found


async def after_cancel_job(
    opts: Options, jobs: Sequence[Cancelled], stderr: TextIO, session: RunSession
) -> Followed | None:
    """Follow (``--wait``) or describe once the jobs CancelJob was sent for, each in
    its destination, through ``session``'s credentials and rate controllers."""
    if not jobs:
        return None
    force = opts.operation.force
    async with session.reader() as call:

        async def describe(job_id: str, destination: Destination) -> Mapping[str, Any]:
            return await call("DescribeJob", {"jobId": job_id}, destination=destination)

        watches, unreadable = await _first_counts(describe, jobs, force=force)
        for (job_id, why), where in unreadable:
            print(
                f"bulkjobs: job {_job_at(job_id, where, jobs)}: cannot tell how its cancel "
                f"goes ({why})",
                file=stderr,
            )
        if not opts.wait:
            if not opts.quiet:
                _hint(watches, stderr)
            return Followed(
                watches=tuple(watches),
                waited=False,
                wait_timeout=opts.wait_timeout,
                unreadable=tuple(u for u, _ in unreadable),
                unreadable_at=tuple(w for _, w in unreadable),
            )
        # Each destination has its own DescribeJob quota: the busiest one sets the pace.
        per_destination = Counter(w.destination for w in watches)
        busiest = max(per_destination.values(), default=0)
        interval = max(1.0, busiest / _POLLS_PER_SECOND)
        ended, interrupted = await _follow(describe, watches, opts, interval, stderr)
    followed = Followed(
        watches=tuple(ended),
        waited=True,
        wait_timeout=opts.wait_timeout,
        interrupted=interrupted,
        unreadable=tuple(u for u, _ in unreadable),
        unreadable_at=tuple(w for _, w in unreadable),
    )
    for watch in followed.watches:
        print(_outcome_line(watch, followed, jobs), file=stderr)
    return followed


async def _first_counts(
    describe: Any, jobs: Sequence[Cancelled], *, force: bool
) -> tuple[list[CancelWatch], list[tuple[tuple[str, str], Destination]]]:
    """DescribeJob once per cancelled job, concurrently: the watches to follow, and
    the jobs that could not be read ((job id, why), destination)."""
    found: list[CancelWatch | None] = [None] * len(jobs)
    unreadable: list[tuple[tuple[str, str], Destination] | None] = [None] * len(jobs)
    limiter = anyio.CapacityLimiter(_DESCRIBE_CONCURRENCY)

    async def first(n: int, job: Cancelled) -> None:
        async with limiter:
            try:
                response = await describe(job.job_id, job.destination)
            except ApiError as exc:
                unreadable[n] = ((job.job_id, str(exc)), job.destination)
                return
        counts = JobCounts.from_describe(job.job_id, response)
        found[n] = CancelWatch.start(
            job.job_id,
            force=force,
            since=job.since,
            counts=counts,
            at=time.time(),
            destination=job.destination,
        )

    async with anyio.create_task_group() as tg:
        for n, job in enumerate(jobs):
            tg.start_soon(first, n, job)
    return [w for w in found if w is not None], [u for u in unreadable if u is not None]


def _spread(jobs: Sequence[Cancelled]) -> bool:
    """Whether the jobs were cancelled in more than one destination."""
    return len({job.destination for job in jobs}) > 1


def _job_at(job_id: str, where: Destination, jobs: Sequence[Cancelled]) -> str:
    """``fw-1``, or ``fw-1 in 111111111111/eu-west-1`` when the run had many places."""
    many = _spread(jobs) or where.account is not None
    return f"{job_id} in {where.label}" if many else job_id


def _hint(watches: Sequence[CancelWatch], stderr: TextIO) -> None:
    for job_id, group in _by_job(watches).items():
        going = [w for w in group if w.remaining]
        if going:
            counts = _summed(job_id, [w.latest for w in going])
            where = (
                f" in {plural(len(going), 'destination')}"
                if len(group) > 1 or group[0].destination.account is not None
                else ""
            )
            print(
                f"note: CancelJob was accepted; AWS cancels the executions of job "
                f"{job_id} server-side{where}, at about 1,000 a minute. Right now: "
                f"{counts.breakdown(going[0].statuses)}. Add --wait to follow it to the "
                "end and see how long it takes.",
                file=stderr,
            )
        for watch in group:
            if not watch.remaining and watch.left_running:
                print(_left_running(watch, many=_many(watches)), file=stderr)


def _by_job(watches: Sequence[CancelWatch]) -> dict[str, list[CancelWatch]]:
    grouped: dict[str, list[CancelWatch]] = {}
    for watch in watches:
        grouped.setdefault(watch.job_id, []).append(watch)
    return grouped


def _summed(job_id: str, counts: Sequence[JobCounts]) -> JobCounts:
    total: Counter[str] = Counter()
    for one in counts:
        total.update(one.counts)
    return JobCounts(job_id=job_id, status="", counts=dict(total))


def _label(watch: CancelWatch, many: bool) -> str:
    """``job fw-1``, with its destination when the run had several."""
    where = watch.destination
    return f"job {watch.job_id}" + (f" in {where.label}" if many else "")


def _many(watches: Sequence[CancelWatch]) -> bool:
    """Whether the watches span several destinations (or a named account)."""
    places = {w.destination for w in watches}
    return len(places) > 1 or any(d.account is not None for d in places)


def _left_running(watch: CancelWatch, *, many: bool) -> str:
    return (
        f"note: {_label(watch, many)}: {plural(watch.left_running, 'execution')} IN_PROGRESS "
        "keep running on their devices (CancelJob without --force leaves them; "
        "--force stops them)."
    )


def _outcome_line(watch: CancelWatch, followed: Followed, jobs: Sequence[Cancelled]) -> str:
    job = f"job {_job_at(watch.job_id, watch.destination, jobs)}"
    if watch.error is not None:
        return f"bulkjobs: {job}: stopped following: {watch.error}"
    took = watch.took
    if took is not None:
        line = (
            f"{job}: AWS cancelled its executions server-side in {format_duration(took)} "
            f"after CancelJob returned ({watch.first.breakdown(watch.statuses)} were left "
            "when first counted)."
        )
        if watch.left_running:
            many = _spread(jobs) or watch.destination.account is not None
            line += " " + _left_running(watch, many=many)[len("note: ") :]
        return line
    why = (
        "stopped waiting (interrupted)"
        if followed.interrupted
        else (f"still not done after --wait-timeout {format_duration(followed.wait_timeout)}")
    )
    return (
        f"bulkjobs: {job}: {why}: {watch.latest.breakdown(watch.statuses)} left; AWS goes on "
        f"cancelling them server-side (`bulkjobs cancel-job --job-id {watch.job_id} --wait` "
        "follows it again)."
    )


async def _follow(
    describe: Any,
    watches: list[CancelWatch],
    opts: Options,
    interval: float,
    stderr: TextIO,
) -> tuple[list[CancelWatch], bool]:
    """Follow with a progress display and Ctrl-C handling; (watches, interrupted)."""
    latest = list(watches)
    interrupted = False
    show = _Display(stderr, quiet=opts.quiet)

    def update(current: Sequence[CancelWatch]) -> None:
        latest[:] = current
        show.update(current)

    with show, anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        show.update(latest)
        async with anyio.create_task_group() as tg:

            async def follow() -> None:
                await follow_cancellations(
                    describe,
                    latest,
                    at_most=opts.wait_timeout,
                    interval=interval,
                    on_update=update,
                )
                tg.cancel_scope.cancel()

            tg.start_soon(follow)
            async for _ in signals:
                interrupted = True
                tg.cancel_scope.cancel()
                break
    return latest, interrupted


class _Display:
    """A bar per job on a terminal (summed over its destinations, with how many are
    done); a JSON line per job and destination per poll (every 5 s at most) otherwise."""

    def __init__(self, stream: TextIO, *, quiet: bool) -> None:
        self._stream = stream
        self._quiet = quiet
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._last_line = 0.0

    def __enter__(self) -> _Display:
        if not self._quiet and self._stream.isatty():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            self._bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("cancelled server-side · left: {task.fields[left]}"),
                TimeElapsedColumn(),
                console=Console(file=self._stream),
            )
            self._bar.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, watches: Sequence[CancelWatch]) -> None:
        if self._quiet:
            return
        if self._bar is None:
            now = time.monotonic()
            if now - self._last_line < 5.0 and not all(w.settled for w in watches):
                return
            self._last_line = now
            for w in watches:
                record = {
                    "event": "cancelJobProgress",
                    "jobId": w.job_id,
                    **({} if w.destination.is_default else w.destination.to_json()),
                    "remaining": w.remaining,
                    "atStart": w.initial,
                    "elapsedSeconds": round(w.at - w.since, 1),
                }
                print(json.dumps(record), file=self._stream, flush=True)
            return
        for job_id, group in _by_job(watches).items():
            initial = sum(w.initial for w in group)
            remaining = sum(min(w.remaining, w.initial) for w in group)
            done = initial - remaining if initial else 1
            description = f"job {job_id}"
            if len(group) > 1:
                settled = sum(1 for w in group if w.settled)
                description += f" ({settled}/{len(group)} destinations done)"
            left = _summed(job_id, [w.latest for w in group]).breakdown(group[0].statuses)
            task = self._tasks.get(job_id)
            if task is None:
                task = self._tasks[job_id] = self._bar.add_task(
                    description, total=max(initial, 1), left=""
                )
            self._bar.update(
                task, description=description, completed=done, total=max(initial, 1), left=left
            )
