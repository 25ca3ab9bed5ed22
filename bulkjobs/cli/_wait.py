"""``cancel-job`` after the call: AWS cancels the executions server-side — follow it
(``--wait``), or at least say that it is still going on.

"canceled 1" in the summary means CancelJob was accepted; the executions follow at
about 1,000 a minute. Without ``--wait`` one DescribeJob per job tells how many are
still QUEUED or IN_PROGRESS; with it, the jobs are followed on a progress bar until
none is left (QUEUED, and IN_PROGRESS with ``--force``) or ``--wait-timeout`` passes,
and the time the server-side cancel took is reported (and kept in summary.json).
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

import anyio

from bulkjobs import (
    CallError,
    CancelWatch,
    Clients,
    JobCounts,
    Outcome,
    Result,
    follow_cancellations,
    format_duration,
    plural,
)
from bulkjobs.cli._options import Options

__all__ = ["Followed", "after_cancel_job", "followed_job"]

#: Outcomes after which AWS may still be cancelling the job's executions.
_FOLLOWED = frozenset({Outcome.CANCELED, Outcome.ALREADY_TERMINAL})

#: DescribeJob polls per second at most, across jobs (its quota is 10/s).
_POLLS_PER_SECOND = 5.0


def followed_job(opts: Options, result: Result) -> tuple[str, float] | None:
    """(job id, when CancelJob returned) for a result whose job may still be cancelling."""
    if not opts.operation.cancels_server_side or opts.config.dry_run:
        return None
    if opts.accounts.selects_accounts or opts.accounts.regions:
        # The follow-up asks one destination; a run over many reports each in its table.
        return None
    if result.outcome not in _FOLLOWED:
        return None
    return result.target.job_id, result.finished_at or time.time()


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

    def to_json(self) -> dict[str, Any]:
        return {
            "waited": self.waited,
            "waitTimeoutSeconds": self.wait_timeout if self.waited else None,
            "interrupted": self.interrupted,
            "jobs": [w.to_json() for w in self.watches]
            + [{"jobId": job_id, "error": why} for job_id, why in self.unreadable],
        }


async def after_cancel_job(
    opts: Options, jobs: Sequence[tuple[str, float]], stderr: TextIO
) -> Followed | None:
    """Follow (``--wait``) or describe once the jobs CancelJob was sent for."""
    if not jobs:
        return None
    force = opts.operation.force
    async with Clients(opts.config) as clients:
        destination = clients.default_destination

        async def describe(job_id: str) -> Mapping[str, Any]:
            return await clients.call("DescribeJob", {"jobId": job_id}, destination=destination)

        watches: list[CancelWatch] = []
        unreadable: list[tuple[str, str]] = []
        for job_id, since in jobs:
            try:
                counts = JobCounts.from_describe(job_id, await describe(job_id))
            except CallError as exc:
                unreadable.append((job_id, f"DescribeJob: {exc}"))
                continue
            watches.append(
                CancelWatch.start(job_id, force=force, since=since, counts=counts, at=time.time())
            )
        for job_id, why in unreadable:
            print(f"bulkjobs: job {job_id}: cannot tell how its cancel goes ({why})", file=stderr)
        if not opts.wait:
            if not opts.quiet:
                _hint(watches, stderr)
            return Followed(
                watches=tuple(watches),
                waited=False,
                wait_timeout=opts.wait_timeout,
                unreadable=tuple(unreadable),
            )
        interval = max(1.0, len(watches) / _POLLS_PER_SECOND)
        ended, interrupted = await _follow(describe, watches, opts, interval, stderr)
    followed = Followed(
        watches=tuple(ended),
        waited=True,
        wait_timeout=opts.wait_timeout,
        interrupted=interrupted,
        unreadable=tuple(unreadable),
    )
    for watch in followed.watches:
        print(_outcome_line(watch, followed), file=stderr)
    return followed


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


def _outcome_line(watch: CancelWatch, followed: Followed) -> str:
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
    """A bar per job on a terminal; a JSON line per poll (every 5 s at most) otherwise."""

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
