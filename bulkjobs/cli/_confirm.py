"""Asking before a forced run: what it would touch, on the terminal, and an explicit yes.

A forced cancel stops executions devices are running; a forced delete erases running
executions with their history. So before one starts, the operator sees the blast
radius — how many targets, by job and region, and per status as DescribeJob counts the
job right now — and must answer ``yes`` (default: no). Above
:data:`TYPE_JOB_ID_ABOVE` targets, or when the count cannot be known before the
listing runs, the answer is the job id itself, as careful destructive tools ask for the
name of what they are about to destroy (the number of targets when there are several
jobs; the number of jobs when their targets are not known before the listing, or a
query narrows them to an unknown share; across many destinations, the number of
destinations: never a plain ``yes`` for a size not known). Without a terminal the run
is refused unless ``--yes``: nothing is sent.

Over many accounts and regions the counts are DescribeJob's in each reachable
destination, asked concurrently through the run's own credentials and rate
controllers, and the total is their sum; an account whose role was refused is shown as
unreachable and counted in nothing that would change.

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
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final, TextIO

import anyio

from bulkjobs import (
    ApiError,
    Destination,
    DestinationJobs,
    FileSource,
    FromJobs,
    InvalidTarget,
    JobCounts,
    JobSelection,
    Operation,
    Plan,
    RunInterrupted,
    SelectedJob,
    Target,
    describe_jobs,
    describe_jobs_in,
    select_jobs,
)
from bulkjobs.cli._options import Options
from bulkjobs.cli._output import plural

if TYPE_CHECKING:
    from bulkjobs import RunSession

__all__ = [
    "TYPE_JOB_ID_ABOVE",
    "BlastRadius",
    "Reply",
    "UnreachableAccount",
    "acted_statuses",
    "ask",
    "confirm",
    "measure",
    "refusal",
]

#: A forced run over more targets than this (or over a count unknown until the listing
#: runs) is confirmed by typing the job id rather than ``yes``.
TYPE_JOB_ID_ABOVE: Final = 100

#: DescribeJob calls made to size the run before asking (one per job, at most this many).
_DESCRIBED_JOBS: Final = 10

#: Seconds the sizing calls may take before the question is asked without their counts.
_SIZING_TIMEOUT: Final = 15.0

#: Destinations listed one per line under a job; the rest are summed on one line.
_SHOWN_DESTINATIONS: Final = 20

#: Jobs selected by --from-jobs the prompt shows one per line.
_SHOWN_SELECTED: Final = 20
#: How the prompt ends a selection it could not make before the run.
_UNKNOWN: Final = ", listed as the run goes"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    """What came back from the terminal."""

    typed: str = ""
    #: Ctrl-C (or SIGTERM) at the prompt.
    interrupted: bool = False


def acted_statuses(operation: Operation, statuses: Collection[str] | None) -> tuple[str, ...]:
    """Execution statuses the operation changes, narrowed by ``--status``."""
    return tuple(s for s in operation.acted_statuses if statuses is None or s in statuses)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnreachableAccount:
    """An account whose role was refused before the prompt: nothing is sent there."""

    account: str
    code: str
    message: str
    #: The run's destinations in it, and the given targets there (they will fail).
    destinations: int = 0
    given: int = 0


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
    #: The jobs the run acts on (--job-id), described or not.
    run_jobs: tuple[str, ...] = ()
    #: DescribeJob in each reachable destination, over many of them.
    per_destination: tuple[DestinationJobs, ...] = ()
    #: Accounts known to be unreachable: shown, never counted in what would change.
    unreachable: tuple[UnreachableAccount, ...] = ()
    #: The jobs --from-jobs selects now (the first ones with DescribeJob's counts).
    selected: tuple[SelectedJob, ...] = ()
    #: --from-jobs was listed in full before asking: the run acts on ``selected``.
    selection_listed: bool = False
    #: A query narrows the listed executions: ``at_most`` bounds them, it is no count.
    narrowed: bool = False

    @property
    def job_ids(self) -> tuple[str, ...]:
        ids = dict.fromkeys(self.run_jobs)
        ids.update(dict.fromkeys(selected.job.job_id for selected in self.selected))
        ids.update(dict.fromkeys(job.job_id for job in self.jobs))
        ids.update(dict.fromkeys(job_id for job_id, _ in self.uncounted))
        ids.update(dict.fromkeys(self.given_by_job))
        return tuple(ids)

    @property
    def reachable(self) -> int:
        """Destinations calls will be sent to."""
        lost = sum(u.destinations for u in self.unreachable)
        return max(0, len(self.destinations) - lost)

    @property
    def answer(self) -> str:
        """What the operator must type: the job id for a big or unknown run, else yes."""
        return self._asked[1]

    @property
    def _asked(self) -> tuple[str, str]:
        """What is to be typed, named for the question, and its value."""
        if self.at_most is not None and self.at_most <= TYPE_JOB_ID_ABOVE:
            return "", "yes"
        if len(self.job_ids) == 1:
            return "the job id", self.job_ids[0]
        if self.at_most is not None and not self.narrowed:
            return "the number of targets", str(self.at_most)
        # A size nobody knows: never a reflex "yes" while there is a count to type.
        if self.destinations:
            return "the number of destinations", str(self.reachable)
        if self.job_ids:
            return "the number of jobs", str(len(self.job_ids))
        return "", "yes"

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
            f"About to {self.operation.action} in {where}{endpoint}:",
            self.operation.consequence,
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
        lines.extend(self._per_destination_lines())
        for lost in self.unreachable:
            there = ""
            if lost.destinations:
                there = f" in its {plural(lost.destinations, 'destination')}"
            fail = ""
            if lost.given:
                fail = f"; its {plural(lost.given, noun)} given there will end failed"
            lines.append(
                f"  account {lost.account}: unreachable ({lost.code}), not counted: nothing "
                f"is sent{there}{fail}"
            )
        lines.append(self._to_change())
        return lines

    def _per_destination_lines(self) -> list[str]:
        lines: list[str] = []
        described = dict.fromkeys(
            job_id
            for found in self.per_destination
            for job_id in (
                *(j.job_id for j in found.jobs),
                *found.missing,
                *(j for j, _ in found.uncounted),
            )
        )
        for job_id in described:
            lines.append(f"  job {job_id}, DescribeJob counts now by account/region:")
            rest: list[JobCounts] = []
            for n, found in enumerate(self.per_destination):
                job = found.of(job_id)
                if n >= _SHOWN_DESTINATIONS:
                    if job is not None:
                        rest.append(job)
                    continue
                if job is not None:
                    state = f" (job {job.status})" if job.status else ""
                    text = f"{job.breakdown()}{state}"
                elif job_id in found.missing:
                    text = "no such job there"
                else:
                    why = next(w for j, w in found.uncounted if j == job_id)
                    text = f"not counted ({why})"
                lines.append(f"    {found.destination.label}: {text}")
            hidden = len(self.per_destination) - _SHOWN_DESTINATIONS
            if hidden > 0:
                summed = _summed(job_id, rest)
                lines.append(
                    f"    … and {plural(hidden, 'more destination')}: {summed.breakdown()}"
                )
        return lines

    def _executions(self) -> int | None:
        """Executions in the acted statuses of the run's jobs: summed over the
        reachable destinations across many, else DescribeJob's one answer each;
        None if some could not be counted."""
        if self.per_destination:
            sizes = [
                found.size(job_id, self.statuses)
                for found in self.per_destination
                for job_id in self.run_jobs
            ]
            if any(size is None for size in sizes):
                return None
            return sum(size or 0 for size in sizes)
        selected = sum(s.counts.of(self.statuses) for s in self.selected if s.counts is not None)
        return sum(job.of(self.statuses) for job in self.jobs) + selected

    def _to_change(self) -> str:
        jobs_only = self.operation.whole_job
        acted = " or ".join(self.statuses) or "no status"
        op = self.operation
        spread = (
            f" in {plural(self.reachable, 'reachable destination')}" if self.destinations else ""
        )
        if self.at_most is None:
            return f"  to change: not known until the listing runs ({acted} only){spread}"
        if jobs_only and self.destinations:
            executions = self._executions() if self.per_destination else None
            if executions is None:
                then = (
                    f"AWS cancels their {acted} executions server-side in each"
                    if op.cancels_server_side
                    else f"their executions are {op.past} with them"
                )
            elif op.cancels_server_side:
                then = f"{plural(executions, 'execution')} {acted} {op.past} server-side"
            else:
                then = f"{plural(executions, 'execution')} {op.past} with them"
            return (
                f"  to change: {plural(self.at_most, 'job')} (a {self.operation.api} per job "
                f"and destination){spread}; {then}"
            )
        if jobs_only:
            executions = self._executions() or 0
            what = (
                f"{acted} {op.past} server-side"
                if op.cancels_server_side
                else f"{op.past} with them"
            )
            return (
                f"  to change: {plural(self.at_most, 'job')}; "
                f"{plural(executions, 'execution')} {what}"
            )
        return (
            f"  to change: up to {plural(self.at_most, 'execution')} ({acted}), {op.past} "
            f"one call each{spread}"
        )

    def question(self) -> str:
        what, answer = self._asked
        if not what:
            return 'Type "yes" to proceed (anything else sends nothing): '
        return f'Type {what} "{answer}" to proceed (anything else sends nothing): '


def _summed(job_id: str, jobs: Sequence[JobCounts]) -> JobCounts:
    """One job's counts over several destinations."""
    total: Counter[str] = Counter()
    for job in jobs:
        total.update(job.counts)
    return JobCounts(job_id=job_id, status="", counts=dict(total))


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
        f"bulkjobs: refusing to {opts.operation.action} on {count} without a terminal "
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
    opts: Options, file: FileSource | None, session: RunSession | None = None
) -> BlastRadius:
    """Count what the run would touch: the given targets (in every destination), and
    DescribeJob per job — in the run's one destination, or in each reachable one of a
    run over many (through ``session``'s credentials and rate controllers)."""
    operation = opts.operation
    destinations = () if session is None else session.destinations
    states = () if session is None else session.account_states or ()
    failed = {state.account: state for state in states if state.error is not None}
    plan = Plan()
    given_in: Counter[Destination] = Counter()

    def add(item: Target | InvalidTarget) -> None:
        plan.add(item)
        if isinstance(item, Target):
            given_in[item.destination] += 1

    if operation.whole_job:
        job_ids = list(opts.job_ids)
        for job_id in job_ids if destinations else ():
            for target in _spread(Target(job_id=job_id), destinations):
                add(target)
    else:
        region = None if destinations else opts.config.region
        for name in opts.thing_names:
            named = Target(job_id=opts.job_id or "", thing_name=name, region=region)
            for target in _spread(named, destinations):
                add(target)
        if file is not None:
            for item in file:
                if isinstance(item, Target):
                    for target in _spread(item, destinations):
                        add(target)
                else:
                    add(item)
        job_ids = [opts.job_id] if opts.job_id else []
    statuses = acted_statuses(operation, opts.statuses)
    described = job_ids[:_DESCRIBED_JOBS]
    per_destination: tuple[DestinationJobs, ...] = ()
    reachable: list[Destination] = []
    if destinations and session is not None:
        every = session.resolved_destinations
        reachable = [d for d in every if d.account not in failed]
        async with session.reader() as call:
            per_destination = await describe_jobs_in(
                call, described, reachable, at_most=_SIZING_TIMEOUT
            )
        region = str(session.default_destination.region or opts.config.region)
        jobs: list[JobCounts] = []
        uncounted: list[tuple[str, str]] = []
    else:
        every = ()
        survey = await describe_jobs(described, opts.config, per_job=_SIZING_TIMEOUT)
        region = str(survey.destination.region)
        jobs = list(survey.jobs)
        uncounted = list(survey.uncounted)
    # The plan files targets without a region of their own under "default": name it.
    by_region = plan.by_region
    if "default" in by_region:
        by_region[region] = by_region.get(region, 0) + by_region.pop("default")
    if per_destination:
        sizes = [found.size(opts.job_id or "", statuses) for found in per_destination]
        job_size = None if any(n is None for n in sizes) else sum(n or 0 for n in sizes)
    elif destinations:
        job_size = 0  # no destination can be reached: nothing listed anywhere
    else:
        job = {j.job_id: j for j in jobs}.get(opts.job_id or "")
        job_size = None if job is None else job.of(statuses)
    listings, listed = _listings(
        opts, job_size, spread=len(reachable) if destinations else 1, across=bool(destinations)
    )
    selected: tuple[SelectedJob, ...] = ()
    selected_jobs: int | None = 0
    selection_listed = False
    if opts.from_jobs is not None:
        across = reachable if destinations and session is not None else None
        selected, selected_size, about = await _selection(opts, statuses, session, across)
        listings = (*listings, about)
        # A selection's jobs are known once listed, their executions once all counted.
        selection_listed = not about.endswith(_UNKNOWN)
        selected_jobs = len(selected) if selection_listed else None
        listed = None if listed is None or selected_size is None else listed + selected_size
    lost = sum(n for where, n in given_in.items() if where.account in failed)
    if operation.whole_job:
        given = plan.total if destinations else len(job_ids)
        at_most: int | None = None if selected_jobs is None else given - lost + selected_jobs
    else:
        given = plan.total + plan.invalid
        at_most = None if listed is None else given - lost + listed
    unreachable = tuple(
        UnreachableAccount(
            account=account,
            code=state.error.code,
            message=state.error.message,
            destinations=sum(1 for d in every if d.account == account),
            given=sum(n for where, n in given_in.items() if where.account == account),
        )
        for account, state in sorted(failed.items())
        if state.error is not None
    )
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
        run_jobs=tuple(job_ids),
        per_destination=per_destination,
        unreachable=unreachable,
        selected=selected,
        selection_listed=selection_listed,
        narrowed=opts.query is not None,
    )


async def _selection(
    opts: Options,
    statuses: tuple[str, ...],
    session: RunSession | None,
    across: Sequence[Destination] | None,
) -> tuple[tuple[SelectedJob, ...], int | None, str]:
    """The jobs --from-jobs selects now, how many executions they hold in ``statuses``
    (None: not known before the run), and the prompt's line about them. Across many
    destinations, each reachable one is listed through the run's own credentials and
    rate controllers."""
    assert opts.from_jobs is not None
    if across is not None and session is not None:
        found = await _select_across(opts.from_jobs, session, across)
    else:
        found = await select_jobs(opts.from_jobs, opts.config, describe=_DESCRIBED_JOBS)
    if found.error is not None:
        return (), None, f"jobs selected by --from-jobs ({found.error}){_UNKNOWN}"
    jobs = found.jobs
    size = (
        sum(s.counts.of(statuses) for s in jobs if s.counts is not None)
        if found.all_counted
        else None
    )
    what = f"{plural(len(jobs), 'job')} selected by --from-jobs (ListJobs)"
    if across is not None:
        what += f" in {plural(len(across), 'reachable destination')}"
    if len(jobs) > found.described:
        what += f", the first {found.described:,} counted by DescribeJob"
    return jobs, size, what


def _listings(
    opts: Options, job_size: int | None, *, spread: int, across: bool
) -> tuple[tuple[str, ...], int | None]:
    """The listing sources described, and how many executions they can change at most
    (None: unknown before listing). ``job_size``: the executions of ``--job-id`` in the
    acted statuses (summed over the destinations); ``spread``: the destinations each
    listing runs in."""
    described: list[str] = []
    size: int | None = 0
    shown = ", ".join(opts.statuses) if opts.statuses else "any status"
    where = f", in each of {plural(spread, 'reachable destination')}" if across else ""

    def add(count: int | None) -> None:
        nonlocal size
        size = None if size is None or count is None else size + count

    if opts.from_job and opts.job_id:
        described.append(f"every execution of job {opts.job_id} ({shown}), by --from-job{where}")
        add(job_size)
    if opts.thing_group and opts.job_id:
        scope = " and its child groups" if opts.recursive else ""
        described.append(
            f"the executions of job {opts.job_id} on the things of thing group "
            f"{opts.thing_group}{scope}, listed as the run goes{where}"
        )
        # The group may hold only part of the job's fleet: the job's count bounds it.
        add(job_size)
    if opts.query is not None and (opts.job_id or opts.from_jobs is not None):
        of = f"job {opts.job_id}" if opts.job_id else "each job --from-jobs selects"
        described.append(
            f"the executions of {of} on the things fleet indexing "
            f"({opts.index_name}) finds for {opts.query!r}, listed as the run goes{where}"
        )
        # The query may match only part of the job's fleet: the job's count bounds it
        # (the selected jobs' counts, with --from-jobs: added with the selection).
        if opts.job_id:
            add(job_size)
    for thing in opts.from_things:
        of_job = f" of job {opts.job_id}" if opts.job_id else ""
        described.append(
            f"the executions{of_job} on thing {thing} ({shown}), by --from-thing{where}"
        )
    if opts.from_things:
        # One execution per job and thing; across all jobs it cannot be known up front.
        add(len(opts.from_things) * spread if opts.job_id else None)
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
    session: RunSession | None = None,
) -> int | None:
    """Ask if the run needs it. None to go on; otherwise the exit code to stop with
    (nothing sent: 2 when refused or declined, 130 when interrupted at the prompt)."""
    if not opts.asks:
        return None
    if not interactive(opts):
        print(refusal(opts, _given(opts, file)), file=stderr)
        return 2
    radius = await measure(opts, file, session)
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
    if session is not None and radius.selection_listed:
        # What the operator confirmed is what runs: a job created or changed between
        # the question and the run is not listed into it.
        session.pin_jobs([selected.job for selected in radius.selected])
    return None


def _given(opts: Options, file: FileSource | None) -> int:
    if opts.operation.whole_job:
        return len(opts.job_ids)
    return len(opts.thing_names) + (file.scan.items if file is not None else 0)


async def _select_across(
    selection: FromJobs, session: RunSession, destinations: Sequence[Destination]
) -> JobSelection:
    """:func:`~bulkjobs.select_jobs` in each of ``destinations``, through the run's
    reader; the first jobs found are described where they were found."""
    jobs: list[SelectedJob] = []
    with anyio.move_on_after(_SIZING_TIMEOUT * 2) as scope:
        async with session.reader() as call:
            for where in destinations:
                try:
                    found = await replace(selection, destination=where).select(call)
                except (ApiError, RunInterrupted) as exc:
                    return JobSelection(
                        destination=where, jobs=(), described=0, error=f"{where.label}: {exc}"
                    )
                jobs.extend(SelectedJob(job=job, counts=None) for job in found)
            for n, selected in enumerate(jobs[:_DESCRIBED_JOBS]):
                job = selected.job
                try:
                    answer = await call(
                        "DescribeJob", {"jobId": job.job_id}, destination=job.destination
                    )
                except (ApiError, RunInterrupted):
                    continue
                jobs[n] = SelectedJob(job=job, counts=JobCounts.from_describe(job.job_id, answer))
    first = destinations[0] if destinations else Destination()
    if scope.cancelled_caught:
        return JobSelection(
            destination=first, jobs=(), described=0, error="ListJobs did not finish in time"
        )
    described = sum(1 for job in jobs if job.counts is not None)
    return JobSelection(destination=first, jobs=tuple(jobs), described=described)
