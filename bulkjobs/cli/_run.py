"""One CLI run: sources → checks → confirmation → engine → journal and report."""

from __future__ import annotations

import shlex
import signal
from dataclasses import replace
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Final, TextIO

import anyio

from bulkjobs import (
    AccountAccess,
    ApiError,
    Encryption,
    FromFile,
    FromJob,
    FromJobs,
    FromQuery,
    FromThing,
    FromThingGroup,
    InvalidInputError,
    ListingFilter,
    OutcomeKind,
    Report,
    RunSession,
    Target,
    Verify,
    parse_age,
    report_targets,
)
from bulkjobs.cli._destinations import print_access, print_destinations, select_destinations
from bulkjobs.cli._options import Options
from bulkjobs.cli._output import Progress, plural, print_summary
from bulkjobs.cli._verify import cancel_still_going, print_verification
from bulkjobs.cli._wait import CancelDisplay, print_server_side_cancel

if TYPE_CHECKING:
    from bulkjobs import MetricsTextfile

__all__ = ["execute", "sources", "watch_signals"]

Source = Target | FromFile | FromJob | FromJobs | FromThing | FromThingGroup | FromQuery


def _whole_job_advice(opts: Options, session: RunSession, stderr: TextIO) -> None:
    """Cancelling each execution of a whole job: say that CancelJob exists."""
    job_id = session.whole_job_alternative()
    if job_id is None or opts.quiet:
        return
    dry = opts.config.dry_run
    verb = "would cancel" if dry else "cancels"
    then = " This dry run sends nothing." if dry else " Continuing as asked."
    force = " --force" if opts.operation.force else ""
    print(
        f"note: this {verb} the executions of job {job_id} one call at a time. "
        f"`bulkjobs cancel-job --job-id {job_id}{force}` does it server-side in one "
        "call (AWS documents about 1,000 devices a minute), but also stops the job for "
        "devices added later." + then,
        file=stderr,
    )


#: Options that stop a run early. A resume that kept them would stop again — a deadline
#: counts from the resumed run's start, so ``--deadline 1s`` would end it after a
#: second — so the printed command leaves them out and says so.
STOPPING_OPTIONS: Final = ("--deadline", "--abort-if-failed-percent", "--abort-min-executed")


def resume_command(argv: list[str], opts: Options) -> tuple[str, list[str]]:
    """The command that continues this run, and the options it leaves out.

    The same arguments with --resume, the report directory as it was expanded (a
    strftime pattern would name a new one), and none of :data:`STOPPING_OPTIONS`.
    """
    args: list[str] = []
    dropped: list[str] = []
    # An S3 report is staged in a local directory: the prefix is what resumes.
    where = opts.report_url or opts.report_dir
    rest = iter(argv)
    for arg in rest:
        name, eq, value = arg.partition("=")
        if name in STOPPING_OPTIONS:
            if not eq:
                value = next(rest, "")
            dropped.append(f"{name} {value}".strip())
            continue
        if name == "--report" and where is not None:
            if eq:
                arg = f"--report={where}"
            else:
                args.append(arg)
                next(rest, None)
                arg = str(where)
        args.append(arg)
    if "--resume" not in args:
        args.append("--resume")
    return shlex.join(["bulkjobs", *args]), dropped


async def watch_signals(engine: RunSession, stderr: TextIO) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            name = signal.Signals(signum).name
            if engine.stop_reason is None:
                print(
                    f"\nbulkjobs: {name}: finishing in-flight calls "
                    f"(up to {engine.config.grace_period:g}s); press Ctrl-C again to stop now",
                    file=stderr,
                    flush=True,
                )
                engine.stop(f"interrupted by {name}", signalled=True)
            else:
                print(f"\nbulkjobs: {name} again: stopping now", file=stderr, flush=True)
                engine.stop(f"interrupted by {name}", hard=True, signalled=True)


def sources(opts: Options) -> list[Source]:
    """What the options name, as the library's sources."""
    chosen = opts.accounts
    # Spread over accounts and regions, targets name no destination of their own: the
    # session places each in every selected one.
    destination = None if chosen.regions or chosen.selects_accounts else opts.config.destination
    selection: list[Source] = []
    jobs = None if opts.from_jobs is None else replace(opts.from_jobs, destination=destination)
    if jobs is not None and opts.query is None:
        selection.append(jobs)
    if opts.operation.whole_job or opts.jobs_alone:
        named = [Target(job_id=job_id, destination=destination) for job_id in opts.job_ids]
        return [*named, *selection]
    found: list[Source] = [
        Target(
            job_id=opts.job_id or "",
            thing_name=name,
            execution_number=opts.execution_number,
            destination=destination,
        )
        for name in opts.thing_names
    ]
    if opts.things_file is not None:
        found.append(
            FromFile(
                path=opts.things_file,
                job_id=opts.job_id,
                input_format=opts.input_format,
                skip_invalid=opts.skip_invalid,
                destination=destination,
            )
        )
    if opts.from_job:
        # verify lists several jobs; the other commands take one.
        for job_id in opts.job_ids or (opts.job_id,):
            if job_id:
                found.append(
                    FromJob(job_id=job_id, statuses=opts.statuses, destination=destination)
                )
    if opts.thing_group and opts.job_id:
        found.append(
            FromThingGroup(
                group=opts.thing_group,
                job_id=opts.job_id,
                recursive=opts.recursive,
                destination=destination,
            )
        )
    if opts.query is not None and (opts.job_id or jobs is not None):
        # With --from-jobs the query's things are targeted in each job it selects.
        found.append(
            FromQuery(
                query=opts.query,
                job_id=opts.job_id if jobs is None else None,
                jobs=jobs,
                index_name=opts.index_name,
                destination=destination,
            )
        )
    for thing in opts.from_things:
        found.append(
            FromThing(
                thing_name=thing,
                statuses=opts.statuses,
                job_id=opts.job_id,
                destination=destination,
            )
        )
    return [*found, *selection]


def listing_filter(opts: Options) -> ListingFilter | None:
    """--status and --older-than over what listings find (None when neither applies).
    With --from-jobs, --older-than dates the jobs (the selection applies it)."""
    cutoff = None
    if opts.older_than is not None and opts.from_jobs is None:
        cutoff = parse_age(opts.older_than, now=datetime.now(UTC))
    if (opts.statuses or cutoff) and opts.has_listing:
        return ListingFilter(statuses=opts.statuses, cutoff=cutoff)
    return None


async def execute(opts: Options, argv: list[str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Run the validated command; return the exit code."""
    cfg = opts.config
    access = AccountAccess(
        cfg.role, profile=cfg.profile, region=cfg.region, endpoint_url=cfg.endpoint_url
    )
    display = CancelDisplay(stderr, quiet=opts.quiet)
    encryption = Encryption(sse=opts.sse, kms_key_id=opts.kms_key_id)
    session = RunSession(
        report_targets(opts.verify_report) if opts.verify_report is not None else sources(opts),
        opts.operation,
        opts.config,
        # An s3:// report and manifest are the session's to stage: passed as given.
        report=opts.report_url or opts.report_dir,
        journal=opts.journal,
        encryption=encryption if opts.report_url else None,
        resume=opts.resume,
        listing_filter=listing_filter(opts),
        command=["bulkjobs", *argv],
        access=access,
        wait_timeout=opts.wait_timeout if opts.wait else None,
        on_cancel_progress=display.update,
        verify=opts.verify,
    )
    with display:
        async with session:
            # After the files were validated (bad input first, with no call made); read
            # calls only: the organisation's accounts, the caller's identity, the roles.
            try:
                session.destinations = await select_destinations(opts, access, stderr)
                states = await session.prepare_access()
            except ApiError as exc:
                # The base identity (or the organisation) did not answer: no account
                # can be trusted to be what it seems, so nothing starts anywhere.
                print(f"bulkjobs: error: {exc}", file=stderr)
                print("bulkjobs: nothing was sent.", file=stderr)
                return 1
            print_access(states, stderr, quiet=opts.quiet)
            # A query the index refuses, or an index that is off, stops here: nothing sent.
            try:
                await session.check_queries()
            except InvalidInputError as exc:
                raise InvalidInputError(
                    [
                        replace(i, field="--query") if i.field == "queryString" else i
                        for i in exc.issues
                    ]
                ) from None
            files = session.file_sources
            # The confirmation's checks (and their module) are for runs that ask: forced
            # or deleting, without --yes or --dry-run.
            if opts.asks:
                from bulkjobs.cli._confirm import confirm

                stop = await confirm(opts, files[0] if files else None, stderr, session)
                if stop is not None:
                    return stop
            _whole_job_advice(opts, session, stderr)
            return await _run(opts, argv, session, stdout=stdout, stderr=stderr)


async def _run(
    opts: Options,
    argv: list[str],
    session: RunSession,
    *,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    metrics = _metrics(opts)
    progress = Progress(session, stream=stderr, quiet=opts.quiet)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(watch_signals, session, stderr)
            tg.start_soon(progress.run)
            if metrics is not None:
                tg.start_soon(metrics.run, partial(_metric_counts, session))
            # Without a per-target consumer a dry run keeps its batches whole.
            report = await session.run(
                on_result=None if metrics is None else metrics.add,
                on_carried=None if metrics is None else metrics.add,
            )
            tg.cancel_scope.cancel()
    except BaseException as exc:
        if metrics is not None:
            metrics.finish(130 if isinstance(exc, KeyboardInterrupt) else 1)
        raise
    if opts.config.dry_run:
        _print_plan(session, stdout)
    print_summary(report, stream=stdout, as_json=opts.log_format == "json")
    if (deleted := session.deletions.line()) is not None and opts.log_format != "json":
        print(deleted, file=stdout)
    rows = (session.summary or {}).get("byDestination") or []
    if opts.log_format != "json" and (len(rows) > 1 or any(row.get("account") for row in rows)):
        print_destinations(rows, stdout)
    for spec, failure in session.unreached_listings:
        where = spec.destination.label if spec.destination is not None else "default"
        print(
            f"bulkjobs: error: listing of {spec.label} in {where} not run: {failure.code}: "
            f"{failure.message}",
            file=stderr,
        )
    if session.listing_error is not None:
        print(f"bulkjobs: error: {session.listing_error}", file=stderr)
    for spec, error in session.failed_listings:
        print(f"bulkjobs: error: listing of {spec.label}: {error}", file=stderr)
    _print_resume_hint(report, opts, argv, session, stderr)
    # CancelJob only starts the cancel: AWS does the executions server-side after.
    if report.server_side_cancel is not None:
        print_server_side_cancel(report.server_side_cancel, opts, stderr)
    if (verification := report.verification) is not None:
        print_verification(
            verification,
            stdout,
            as_json=opts.log_format == "json",
            reported=opts.report_dir is not None,
            lines=isinstance(opts.operation, Verify),
            hint=cancel_still_going(opts, verification),
        )
    code = report.exit_code
    if metrics is not None:
        metrics.update(calls=report.attempts, throttles=report.throttles, expected=report.total)
        metrics.finish(code)
    return code


def _metrics(opts: Options) -> MetricsTextfile | None:
    if opts.metrics_textfile is None:
        return None
    # prometheus_client loads only for the runs that write metrics.
    from bulkjobs import MetricsTextfile, __version__

    return MetricsTextfile(
        opts.metrics_textfile, operation=opts.operation.name, version=__version__
    )


def _metric_counts(engine: RunSession) -> tuple[int, int, int | None]:
    stats = engine.statistics()
    return stats.attempts, stats.throttles, stats.total


def _jobs_of(spec: FromQuery) -> str:
    return f"job {spec.job_id}" if spec.job_id is not None else "each job --from-jobs selects"


def _print_plan(session: RunSession, stream: TextIO) -> None:
    rate = session.plan_rate
    basis = f"{rate:g}/s (--rate)" if session.config.rate else f"{rate:g}/s (AWS's default quota)"
    print(session.plan.render(rate=rate, basis=basis), file=stream)
    for spec in session.queries:
        print(
            f"  selected:  the things {spec.index_name} finds for {spec.query!r} "
            f"(their executions of {_jobs_of(spec)})",
            file=stream,
        )


def _print_resume_hint(
    report: Report, opts: Options, argv: list[str], session: RunSession, stderr: TextIO
) -> None:
    unfinished = report.count_kind(OutcomeKind.INTERRUPTED)
    if report.stop_reason is None or not (unfinished or session.listing_stopped_early):
        return
    if isinstance(opts.operation, Verify):
        # A read has nothing to resume: the next verify reads everything again.
        print(
            f"bulkjobs: {plural(unfinished, 'target')} not read ({report.stop_reason}).",
            file=stderr,
        )
        return
    what = f"{plural(unfinished, 'target')} not finished"
    if session.listing_stopped_early:
        what += " and the listing stopped before its end"
    if session.journal_path is not None:
        command, dropped = resume_command(argv, opts)
        without = ""
        if dropped:
            them = "it" if len(dropped) == 1 else "them"
            without = (
                f" (without {' and '.join(dropped)}, so that it finishes the work; "
                f"add {them} back to limit the resumed run too)"
            )
        print(
            f"bulkjobs: {what} ({report.stop_reason}). To resume{without}:\n  {command}",
            file=stderr,
        )
    else:
        print(
            f"bulkjobs: {what} ({report.stop_reason}); no journal was kept — next time add "
            "--report DIR to be able to resume.",
            file=stderr,
        )
