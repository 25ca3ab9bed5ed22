"""Asking before a forced run: what it would touch, on the terminal, and an explicit yes.

A forced cancel stops executions devices are running; a forced delete erases running
executions with their history. So before one starts, the operator sees the blast
radius — how many targets, by job and region, and per status as DescribeJob counts the
job right now — and must answer ``yes`` (default: no). Above
:data:`TYPE_JOB_ID_ABOVE` targets, or when the count cannot be known before the
listing runs, the answer is the job id itself, as careful destructive tools ask for the
name of what they are about to destroy. Without a terminal the run is refused unless
``--yes``: nothing is sent.

The question goes to the controlling terminal (``/dev/tty``), so a thing list piped on
stdin still gets asked on the screen. It is read without blocking the event loop, so
Ctrl-C at the prompt is an ordinary "no".
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import textwrap
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Final, TextIO

import anyio

from bulkjobs import (
    ACTIVE_STATUSES,
    CancelExecution,
    DeleteExecution,
    DeleteJob,
    Destination,
    FileSource,
    JobCounts,
    Operation,
    Plan,
    SelectedJob,
    Target,
    describe_jobs,
    select_jobs,
)
from bulkjobs.cli._options import Options
from bulkjobs.cli._output import plural

__all__ = [
    "TYPE_JOB_ID_ABOVE",
    "BlastRadius",
    "Reply",
    "acted_statuses",
    "ask",
    "confirm",
    "measure",
    "needs_confirmation",
    "refusal",
]

#: A forced run over more targets than this (or over a count unknown until the listing
#: runs) is confirmed by typing the job id rather than ``yes``.
TYPE_JOB_ID_ABOVE: Final = 100

#: DescribeJob calls made to size the run before asking (one per job, at most this many).
_DESCRIBED_JOBS: Final = 10

#: Seconds the sizing calls may take before the question is asked without their counts.
_SIZING_TIMEOUT: Final = 15.0

#: Selected jobs the prompt shows one per line.
_SHOWN_SELECTED: Final = 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """What came back from the terminal."""

    typed: str = ""
    #: Ctrl-C (or SIGTERM) at the prompt.
    interrupted: bool = False


def needs_confirmation(opts: Options) -> bool:
    """Forced runs ask, unless ``--yes`` or ``--dry-run`` (which sends nothing)."""
    # Deleting a job erases it and its history for good, with or without --force.
    destructive = opts.operation.force or isinstance(opts.operation, DeleteJob)
    return destructive and not opts.yes and not opts.config.dry_run


def acted_statuses(operation: Operation, statuses: Collection[str] | None) -> tuple[str, ...]:
    """Execution statuses the operation changes, narrowed by ``--status``."""
    if isinstance(operation, DeleteJob):
        # A deleted job takes every execution with it.
        acts = JobCounts.STATUSES
    elif isinstance(operation, DeleteExecution):
        acts = JobCounts.STATUSES if operation.force else _TERMINAL
    else:
        acts = ACTIVE_STATUSES if operation.force else ("QUEUED",)
    return tuple(s for s in acts if statuses is None or s in statuses)


_TERMINAL: Final = tuple(s for s in JobCounts.STATUSES if s not in ACTIVE_STATUSES)


@dataclass(frozen=True, slots=True, kw_only=True)
class BlastRadius:
    """What a run would touch, as far as it can be known before it starts."""

    operation: Operation
    region: str
    endpoint_url: str | None
    #: Targets given outright (--thing-name, --things-file; cancel-job's jobs).
    given: int
    given_by_job: dict[str, int] = field(default_factory=dict)
    given_by_region: dict[str, int] = field(default_factory=dict)
    #: The listing sources, described ("every execution of job J in QUEUED").
    listings: tuple[str, ...] = ()
    #: DescribeJob's answers, and the jobs it could not count (job id, why).
    jobs: tuple[JobCounts, ...] = ()
    uncounted: tuple[tuple[str, str], ...] = ()
    #: Statuses the run acts on.
    statuses: tuple[str, ...] = ()
    #: Targets at most; None when it cannot be known before the listing runs.
    at_most: int | None = None
    #: The (account, region) destinations the run spreads over (empty: one).
    destinations: tuple[Destination, ...] = ()
    #: The jobs --from-jobs selects now (the first ones with DescribeJob's counts).
    selected: tuple[SelectedJob, ...] = ()

    @property
    def job_ids(self) -> tuple[str, ...]:
        ids = dict.fromkeys(job.job_id for job in self.jobs)
        ids.update(dict.fromkeys(selected.job.job_id for selected in self.selected))
        ids.update(dict.fromkeys(job_id for job_id, _ in self.uncounted))
        ids.update(dict.fromkeys(self.given_by_job))
        return tuple(ids)

    @property
    def answer(self) -> str:
        """What the operator must type: the job id for a big or unknown run, else yes."""
        if self.at_most is not None and self.at_most <= TYPE_JOB_ID_ABOVE:
            return "yes"
        if len(self.job_ids) == 1:
            return self.job_ids[0]
        if self.at_most is not None:
            return str(self.at_most)
        return "yes"

    def lines(self) -> list[str]:
        """The blast radius as the prompt shows it."""
        endpoint = f" (endpoint {self.endpoint_url})" if self.endpoint_url else ""
        where = self.region
        if self.destinations:
            accounts = dict.fromkeys(d.account or "own account" for d in self.destinations)
            regions = dict.fromkeys(d.region or self.region for d in self.destinations)
            where = (
                f"{plural(len(self.destinations), 'destination')}: "
                f"{plural(len(accounts), 'account')} ({_counts_list(list(accounts))}) × "
                f"{plural(len(regions), 'region')} ({', '.join(regions)})"
            )
        lines = [
            f"About to {_action(self.operation)} in {where}{endpoint}:",
            _consequence(self.operation),
        ]
        jobs_only = self.operation.whole_job
        noun = "job" if jobs_only else "target"
        if self.given:
            given = f"  given: {plural(self.given, noun)}"
            if not jobs_only:
                given += " — by job: " + _counts(self.given_by_job)
            label = "by account/region" if self.destinations else "by region"
            if not jobs_only or self.destinations:
                given += f"; {label}: " + _counts(self.given_by_region)
            lines.append(given)
        lines.extend(f"  listed: {listing}" for listing in self.listings)
        if self.selected:
            now = datetime.now(UTC)
            shown = self.selected[:_SHOWN_SELECTED]
            lines.extend(f"  job {selected.line(now).strip()}" for selected in shown)
            if len(self.selected) > _SHOWN_SELECTED:
                lines.append(f"  … and {len(self.selected) - _SHOWN_SELECTED:,} more jobs")
        for job in self.jobs:
            state = f"is {job.status}" if job.status else "has no status"
            lines.append(f"  job {job.job_id} {state}; DescribeJob counts now: {job.breakdown()}")
        for job_id, why in self.uncounted:
            lines.append(f"  job {job_id}: not counted ({why})")
        acted = " or ".join(self.statuses) or "no status"
        verb = "deleted" if isinstance(self.operation, DeleteExecution) else "canceled"
        if self.at_most is None:
            lines.append(f"  to change: not known until the listing runs ({acted} only)")
        elif jobs_only and self.destinations:
            then = (
                "their executions are deleted with them"
                if isinstance(self.operation, DeleteJob)
                else f"AWS cancels their {acted} executions server-side in each"
            )
            lines.append(
                f"  to change: {plural(self.at_most, 'job')} (a {self.operation.api} per job "
                f"and destination); {then}"
            )
        elif jobs_only:
            executions = sum(job.of(self.statuses) for job in self.jobs) + sum(
                s.counts.of(self.statuses) for s in self.selected if s.counts is not None
            )
            what = (
                "deleted with them"
                if isinstance(self.operation, DeleteJob)
                else f"{acted} canceled server-side"
            )
            lines.append(
                f"  to change: {plural(self.at_most, 'job')}; "
                f"{plural(executions, 'execution')} {what}"
            )
        else:
            lines.append(
                f"  to change: up to {plural(self.at_most, 'execution')} ({acted}), {verb} "
                "one call each"
            )
        return lines

    def question(self) -> str:
        if self.answer == "yes":
            return 'Type "yes" to proceed (anything else sends nothing): '
        what = "the job id" if self.answer in self.job_ids else "the number of targets"
        return f'Type {what} "{self.answer}" to proceed (anything else sends nothing): '


def _action(operation: Operation) -> str:
    if isinstance(operation, CancelExecution):
        return "cancel job executions with --force"
    if isinstance(operation, DeleteExecution):
        return "delete job executions with --force"
    if isinstance(operation, DeleteJob):
        return "delete whole jobs" + (" with --force" if operation.force else "")
    return "cancel whole jobs with --force"


def _consequence(operation: Operation) -> str:
    if isinstance(operation, CancelExecution):
        return (
            "IN_PROGRESS executions are stopped on their devices (a device may not notice "
            "until it next reads its jobs)."
        )
    if isinstance(operation, DeleteExecution):
        return "QUEUED and IN_PROGRESS executions are deleted too, with their history."
    if isinstance(operation, DeleteJob):
        return "Each job and all its executions are erased for good" + (
            ", IN_PROGRESS jobs too." if operation.force else "; IN_PROGRESS jobs are skipped."
        )
    return (
        "Each job stops for good, for devices added later too; AWS cancels its QUEUED and "
        "IN_PROGRESS executions server-side."
    )


def _counts_list(items: list[str]) -> str:
    shown = items[:5]
    if len(items) > 5:
        shown.append(f"… and {len(items) - 5:,} more")
    return ", ".join(shown)


def _counts(counts: dict[str, int]) -> str:
    shown = [f"{key} {count:,}" for key, count in list(counts.items())[:5]]
    if len(counts) > 5:
        shown.append(f"… and {len(counts) - 5:,} more")
    return ", ".join(shown) or "none"


def refusal(opts: Options, given: int) -> str:
    """Why a forced run without a terminal and without --yes does not start."""
    count = plural(given, "job" if opts.operation.whole_job else "target")
    if opts.has_listing:
        count = f"every listed target plus {count}" if given else "every listed target"
    return (
        f"bulkjobs: refusing to {_action(opts.operation)} on {count} without a terminal "
        "to confirm: add --yes. Nothing was sent."
    )


def interactive(opts: Options) -> bool:
    """Whether someone at a terminal can be asked: stdin is one, or stdin carries the
    thing list (``--things-file -``) while stderr is one."""
    try:
        if sys.stdin is not None and sys.stdin.isatty():
            return True
        return opts.things_file == "-" and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _spread(item: Target, destinations: tuple[Destination, ...]) -> list[Target]:
    """``item`` in each destination it does not override (as the session spreads it)."""
    if not destinations:
        return [item]
    wheres = dict.fromkeys(item.destination.resolve(d) for d in destinations)
    return [Target(job_id=item.job_id, thing_name=item.thing_name, destination=w) for w in wheres]


async def measure(
    opts: Options, file: FileSource | None, destinations: tuple[Destination, ...] = ()
) -> BlastRadius:
    """Count what the run would touch: the given targets (in every destination), and
    DescribeJob per job (in the run's one destination: across many, the per-destination
    counts are the run's own report)."""
    operation = opts.operation
    plan = Plan()
    if operation.whole_job:
        job_ids = list(opts.job_ids)
        for job_id in job_ids if destinations else ():
            for target in _spread(Target(job_id=job_id), destinations):
                plan.add(target)
    else:
        region = None if destinations else opts.config.region
        for name in opts.thing_names:
            named = Target(job_id=opts.job_id or "", thing_name=name, region=region)
            for target in _spread(named, destinations):
                plan.add(target)
        if file is not None:
            for item in file:
                if isinstance(item, Target):
                    for target in _spread(item, destinations):
                        plan.add(target)
                else:
                    plan.add(item)
        job_ids = [opts.job_id] if opts.job_id else []
    statuses = acted_statuses(operation, opts.statuses)
    described = [] if destinations else job_ids[:_DESCRIBED_JOBS]
    survey = await describe_jobs(described, opts.config, per_job=_SIZING_TIMEOUT)
    region = str(survey.destination.region)
    jobs = list(survey.jobs)
    uncounted = list(survey.uncounted)
    # The plan files targets without a region of their own under "default": name it.
    by_region = plan.by_region
    if "default" in by_region:
        by_region[region] = by_region.get(region, 0) + by_region.pop("default")
    counted = {job.job_id: job for job in jobs}
    listings, listed = _listings(opts, statuses, counted)
    selected: tuple[SelectedJob, ...] = ()
    selected_size: int | None = 0
    if opts.from_jobs is not None:
        selected, selected_size, about = await _selection(opts, statuses, destinations)
        listings = (*listings, about)
    if operation.whole_job:
        given = plan.total if destinations else len(job_ids)
        jobs_selected = None if selected_size is None else len(selected)
        at_most: int | None = None if jobs_selected is None else given + jobs_selected
    else:
        given = plan.total + plan.invalid
        if destinations and opts.has_listing:
            listed = None  # listed in every destination as the run goes
        if listed is not None and selected_size is not None:
            listed += selected_size
        else:
            listed = None
        at_most = None if listed is None else given + listed
    return BlastRadius(
        operation=operation,
        region=region,
        endpoint_url=opts.config.endpoint_url,
        given=given,
        given_by_job=plan.by_job,
        given_by_region=by_region,
        listings=listings,
        jobs=tuple(jobs),
        uncounted=tuple(uncounted),
        statuses=statuses,
        at_most=at_most,
        destinations=destinations,
        selected=selected,
    )


async def _selection(
    opts: Options, statuses: tuple[str, ...], destinations: tuple[Destination, ...]
) -> tuple[tuple[SelectedJob, ...], int | None, str]:
    """The jobs --from-jobs selects now, how many executions they hold in ``statuses``
    (None: not known before the run), and the prompt's line about them."""
    assert opts.from_jobs is not None
    if destinations:
        return (), None, "jobs selected by --from-jobs in each destination as the run goes"
    found = await select_jobs(opts.from_jobs, opts.config, describe=_DESCRIBED_JOBS)
    if found.error is not None:
        return (), None, f"jobs selected by --from-jobs: not known ({found.error})"
    jobs = found.jobs
    size = (
        sum(s.counts.of(statuses) for s in jobs if s.counts is not None)
        if found.all_counted
        else None
    )
    what = f"{plural(len(jobs), 'job')} selected by --from-jobs (ListJobs)"
    if len(jobs) > found.described:
        what += f", the first {found.described:,} counted by DescribeJob"
    if opts.operation.whole_job:
        what += "; listed again when the run starts"
    return jobs, size, what


def _listings(
    opts: Options, statuses: tuple[str, ...], jobs: dict[str, JobCounts]
) -> tuple[tuple[str, ...], int | None]:
    """The listing sources described, and how many executions they can change at most
    (None: unknown before listing)."""
    described: list[str] = []
    size: int | None = 0
    job = jobs.get(opts.job_id or "")
    shown = ", ".join(opts.statuses) if opts.statuses else "any status"

    def add(count: int | None) -> None:
        nonlocal size
        size = None if size is None or count is None else size + count

    if opts.from_job and opts.job_id:
        described.append(f"every execution of job {opts.job_id} ({shown}), by --from-job")
        add(None if job is None else job.of(statuses))
    if opts.thing_group and opts.job_id:
        scope = " and its child groups" if opts.recursive else ""
        described.append(
            f"the executions of job {opts.job_id} on the things of thing group "
            f"{opts.thing_group}{scope}, listed as the run goes"
        )
        # The group may hold only part of the job's fleet: the job's count bounds it.
        add(None if job is None else job.of(statuses))
    for thing in opts.from_things:
        of_job = f" of job {opts.job_id}" if opts.job_id else ""
        described.append(f"the executions{of_job} on thing {thing} ({shown}), by --from-thing")
    if opts.from_things:
        # One execution per job and thing; across all jobs it cannot be known up front.
        add(len(opts.from_things) if opts.job_id else None)
    return tuple(described), size


async def ask(question: str) -> Reply | None:
    """Ask on the controlling terminal and read one line; None if there is none."""
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    line = bytearray()
    interrupted = False
    try:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            os.write(fd, question.encode())
            async with anyio.create_task_group() as tg:

                async def read_line() -> None:
                    # Canonical mode: the terminal hands over whole lines; b"" is Ctrl-D.
                    while not line.endswith(b"\n"):
                        await anyio.wait_readable(fd)
                        chunk = os.read(fd, 1024)
                        if not chunk:
                            break
                        line.extend(chunk)
                    tg.cancel_scope.cancel()

                tg.start_soon(read_line)
                async for _ in signals:
                    interrupted = True
                    tg.cancel_scope.cancel()
                    break
        if interrupted or not line.endswith(b"\n"):
            os.write(fd, b"\n")
    finally:
        os.close(fd)
    typed = "" if interrupted else line.decode("utf-8", errors="replace").strip()
    return Reply(typed=typed, interrupted=interrupted)


async def confirm(
    opts: Options,
    file: FileSource | None,
    stderr: TextIO,
    destinations: tuple[Destination, ...] = (),
) -> int | None:
    """Ask if the run needs it. None to go on; otherwise the exit code to stop with
    (nothing sent: 2 when refused or declined, 130 when interrupted at the prompt)."""
    if not needs_confirmation(opts):
        return None
    if not interactive(opts):
        print(refusal(opts, _given(opts, file)), file=stderr)
        return 2
    radius = await measure(opts, file, destinations)
    width = min(shutil.get_terminal_size().columns, 100)
    for line in radius.lines():
        print(textwrap.fill(line, width, subsequent_indent="    "), file=stderr)
    stderr.flush()
    reply = await ask(radius.question())
    if reply is None:
        print(refusal(opts, radius.given), file=stderr)
        return 2
    if reply.interrupted:
        print("bulkjobs: interrupted at the confirmation: nothing was sent.", file=stderr)
        return 130
    expected = radius.answer
    typed = reply.typed
    accepted = typed.lower() == "yes" if expected == "yes" else typed == expected
    if not accepted:
        said = f"{typed!r} is not {expected!r}" if typed else "no answer"
        print(f"bulkjobs: not confirmed ({said}): nothing was sent.", file=stderr)
        return 2
    return None


def _given(opts: Options, file: FileSource | None) -> int:
    if opts.operation.whole_job:
        return len(opts.job_ids)
    return len(opts.thing_names) + (file.scan.items if file is not None else 0)
