"""``cancel-job`` after the call: AWS cancels the executions server-side — show how the
session followed it (``--wait``), or at least say that it is still going on.

"canceled 1" in the summary means CancelJob was accepted; the executions follow at
about 1,000 a minute. Without ``--wait`` one DescribeJob per job tells how many are
still QUEUED or IN_PROGRESS; with it, the jobs are followed on a progress bar until
none is left (QUEUED, and IN_PROGRESS with ``--force``) or ``--wait-timeout`` passes,
and the time the server-side cancel took is reported (and kept in summary.json).

Over many accounts and regions each (job, destination) is followed on its own; the
lines name the destination, a bar sums a job's destinations and counts those done.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from bulkjobs import (
    CancelWatch,
    Destination,
    JobCounts,
    ServerSideCancel,
    format_duration,
    plural,
)
from bulkjobs.cli._options import Options

__all__ = ["CancelDisplay", "print_server_side_cancel"]


def print_server_side_cancel(followed: ServerSideCancel, opts: Options, stderr: TextIO) -> None:
    """What the run's follow-up found: the jobs not looked at, then a hint per job
    (not waited) or how each job's cancel ended in each destination (waited)."""
    places = [w.destination for w in followed.watches] + list(followed.unreadable_at)
    many = _many(places)
    wheres = followed.unreadable_at or [None] * len(followed.unreadable)
    for (job_id, why), where in zip(followed.unreadable, wheres, strict=True):
        job = _job(job_id, where, many)
        print(f"bulkjobs: job {job}: cannot tell how its cancel goes ({why})", file=stderr)
    if not followed.waited:
        if not opts.quiet:
            _hint(followed.watches, stderr, many=many)
        return
    for watch in followed.watches:
        print(_outcome_line(watch, followed, many=many), file=stderr)


def _many(places: Sequence[Destination | None]) -> bool:
    """Whether the run spans several destinations (or a named account): then every
    line names its destination."""
    found = {p for p in places if p is not None}
    return len(found) > 1 or any(d.account is not None for d in found)


def _job(job_id: str, where: Destination | None, many: bool) -> str:
    """``fw-1``, or ``fw-1 in 111111111111/eu-west-1`` over many destinations."""
    return f"{job_id} in {where.label}" if many and where is not None else job_id


def _hint(watches: Sequence[CancelWatch], stderr: TextIO, *, many: bool) -> None:
    for job_id, group in _by_job(watches).items():
        going = [w for w in group if w.remaining]
        if going:
            counts = _summed(job_id, [w.latest for w in going])
            where = f" in {plural(len(going), 'destination')}" if many else ""
            print(
                f"note: CancelJob was accepted; AWS cancels the executions of job "
                f"{job_id} server-side{where}, at about 1,000 a minute. Right now: "
                f"{counts.breakdown(going[0].statuses)}. Add --wait to follow it to the "
                "end and see how long it takes.",
                file=stderr,
            )
        for watch in group:
            if not watch.remaining and watch.left_running:
                print(_left_running(watch, many=many), file=stderr)


def _by_job(watches: Sequence[CancelWatch]) -> dict[str, list[CancelWatch]]:
    grouped: dict[str, list[CancelWatch]] = {}
    for watch in watches:
        grouped.setdefault(watch.job_id, []).append(watch)
    return grouped


def _summed(job_id: str, counts: Sequence[JobCounts]) -> JobCounts:
    """One job's counts over several destinations."""
    total: Counter[str] = Counter()
    for one in counts:
        total.update(one.counts)
    return JobCounts(job_id=job_id, status="", counts=dict(total))


def _left_running(watch: CancelWatch, *, many: bool) -> str:
    return (
        f"note: job {_job(watch.job_id, watch.destination, many)}: "
        f"{plural(watch.left_running, 'execution')} IN_PROGRESS "
        "keep running on their devices (CancelJob without --force leaves them; "
        "--force stops them)."
    )


def _outcome_line(watch: CancelWatch, followed: ServerSideCancel, *, many: bool) -> str:
    job = f"job {_job(watch.job_id, watch.destination, many)}"
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
            line += " " + _left_running(watch, many=many)[len("note: ") :]
        return line
    why = (
        "stopped waiting (interrupted)"
        if followed.interrupted
        else (f"still not done after --wait-timeout {format_duration(followed.wait_timeout or 0)}")
    )
    return (
        f"bulkjobs: {job}: {why}: {watch.latest.breakdown(watch.statuses)} left; AWS goes on "
        f"cancelling them server-side (`bulkjobs cancel-job --job-id {watch.job_id} --wait` "
        "follows it again)."
    )


class CancelDisplay:
    """A bar per job on a terminal (summed over its destinations, with how many are
    done); a JSON line per job and destination per poll (every 5 s at most) otherwise.

    The bar starts with the first update (the run's own progress bar has ended by
    then: the session polls no sooner than a second after the run's end)."""

    def __init__(self, stream: TextIO, *, quiet: bool) -> None:
        self._stream = stream
        self._quiet = quiet
        self._bar: Any = None
        self._tasks: dict[str, Any] = {}
        self._last_line = 0.0
        self._started = False

    def __enter__(self) -> CancelDisplay:
        return self

    def _start(self) -> None:
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

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def update(self, watches: Sequence[CancelWatch]) -> None:
        if self._quiet:
            return
        if not self._started:
            self._started = True
            self._start()
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
