"""``cancel-job`` after the call: AWS cancels the executions server-side — show how the
session followed it (``--wait``), or at least say that it is still going on.

"canceled 1" in the summary means CancelJob was accepted; the executions follow at
about 1,000 a minute. Without ``--wait`` one DescribeJob per job tells how many are
still QUEUED or IN_PROGRESS; with it, the jobs are followed on a progress bar until
none is left (QUEUED, and IN_PROGRESS with ``--force``) or ``--wait-timeout`` passes,
and the time the server-side cancel took is reported (and kept in summary.json).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, TextIO

from bulkjobs import CancelWatch, ServerSideCancel, format_duration, plural
from bulkjobs.cli._options import Options

__all__ = ["CancelDisplay", "print_server_side_cancel"]


def print_server_side_cancel(followed: ServerSideCancel, opts: Options, stderr: TextIO) -> None:
    """What the run's follow-up found: the jobs not looked at, then a hint per job
    (not waited) or how each job's cancel ended (waited)."""
    for job_id, why in followed.unreadable:
        print(f"bulkjobs: job {job_id}: cannot tell how its cancel goes ({why})", file=stderr)
    if not followed.waited:
        if not opts.quiet:
            _hint(followed.watches, stderr)
        return
    for watch in followed.watches:
        print(_outcome_line(watch, followed), file=stderr)


def _hint(watches: Sequence[CancelWatch], stderr: TextIO) -> None:
    for watch in watches:
        if watch.remaining:
            print(
                f"note: CancelJob was accepted; AWS cancels the executions of job "
                f"{watch.job_id} server-side, at about 1,000 a minute. Right now: "
                f"{watch.latest.breakdown(watch.statuses)}. Add --wait to follow it to the "
                "end and see how long it takes.",
                file=stderr,
            )
        elif watch.left_running:
            print(_left_running(watch), file=stderr)


def _left_running(watch: CancelWatch) -> str:
    return (
        f"note: job {watch.job_id}: {plural(watch.left_running, 'execution')} IN_PROGRESS "
        "keep running on their devices (CancelJob without --force leaves them; "
        "--force stops them)."
    )


def _outcome_line(watch: CancelWatch, followed: ServerSideCancel) -> str:
    job = f"job {watch.job_id}"
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
            line += " " + _left_running(watch)[len("note: ") :]
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
    """A bar per job on a terminal; a JSON line per poll (every 5 s at most) otherwise.

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
                    "remaining": w.remaining,
                    "atStart": w.initial,
                    "elapsedSeconds": round(w.at - w.since, 1),
                }
                print(json.dumps(record), file=self._stream, flush=True)
            return
        for w in watches:
            task = self._tasks.get(w.job_id)
            if task is None:
                task = self._tasks[w.job_id] = self._bar.add_task(
                    f"job {w.job_id}", total=max(w.initial, 1), left=""
                )
            done = w.initial - min(w.remaining, w.initial) if w.initial else 1
            self._bar.update(
                task, completed=done, total=max(w.initial, 1), left=w.latest.breakdown(w.statuses)
            )
