"""One CLI run: sources → checks → confirmation → engine → journal and report."""

from __future__ import annotations

import shlex
import signal
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TextIO

import anyio
import structlog

from bulkjobs._engine import Engine, SourceItem
from bulkjobs._exceptions import ApiError, ConfigurationError, RunInterrupted
from bulkjobs._filters import Deduplicator, ListingFilter, parse_age
from bulkjobs._journal import Journal, JournalReader, target_digest
from bulkjobs._listing import Listed, from_job, from_thing, from_thing_group
from bulkjobs._models import (
    CancelJob,
    OutcomeKind,
    Result,
    Target,
)
from bulkjobs._plan import Plan, covers_whole_job, plural
from bulkjobs._report import Report, ResultsWriter, write_summary
from bulkjobs._reportfiles import ReportPage
from bulkjobs._s3 import ReportStore, S3Store
from bulkjobs._sources import FileSource, scan_file
from bulkjobs.cli._confirm import confirm
from bulkjobs.cli._options import Options
from bulkjobs.cli._output import Progress, print_summary
from bulkjobs.cli._staging import Staged, staged

if TYPE_CHECKING:
    from bulkjobs._metrics import MetricsTextfile

__all__ = ["execute"]

log = structlog.get_logger("bulkjobs.cli")

#: What auto mode assumes before it has measured anything: AWS's published default.
DEFAULT_QUOTA = 10.0

#: DescribeJob's jobProcessDetails counter for each execution status.
_PROCESS_COUNTERS = {
    "QUEUED": "numberOfQueuedThings",
    "IN_PROGRESS": "numberOfInProgressThings",
    "SUCCEEDED": "numberOfSucceededThings",
    "FAILED": "numberOfFailedThings",
    "CANCELED": "numberOfCanceledThings",
    "REJECTED": "numberOfRejectedThings",
    "REMOVED": "numberOfRemovedThings",
    "TIMED_OUT": "numberOfTimedOutThings",
}


@dataclass(slots=True)
class _Sources:
    """The run's targets, built lazily so the engine pulls them at its own pace."""

    opts: Options
    engine: Engine
    file: FileSource | None
    finished: set[bytes]
    plan: Plan
    dedup: Deduplicator
    filter: ListingFilter | None
    resumed_skips: int = 0
    listing_cut: bool = False
    listing_error: ApiError | None = None

    def _fixed(self) -> Iterator[SourceItem]:
        opts = self.opts
        if isinstance(opts.operation, CancelJob):
            for job_id in opts.job_ids:
                yield Target(job_id=job_id, region=opts.config.region)
            return
        for name in opts.thing_names:
            yield Target(
                job_id=opts.job_id or "",
                thing_name=name,
                execution_number=opts.execution_number,
                region=opts.config.region,
            )
        if self.file is not None:
            yield from self.file

    def _listings(self) -> list[AsyncIterator[Listed]]:
        opts, call = self.opts, self.engine.call
        region = opts.config.destination
        found: list[AsyncIterator[Listed]] = []
        if opts.from_job and opts.job_id:
            found.append(from_job(call, opts.job_id, opts.statuses, destination=region))
        if opts.thing_group and opts.job_id:
            found.append(
                from_thing_group(
                    call,
                    opts.thing_group,
                    opts.job_id,
                    recursive=opts.recursive,
                    destination=region,
                )
            )
        for thing in opts.from_things:
            found.append(
                from_thing(call, thing, opts.statuses, job_id=opts.job_id, destination=region)
            )
        return found

    def _keep(self, item: SourceItem, status: str | None = None) -> bool:
        target = item.target if not isinstance(item, Target) else item
        if self.finished and target_digest(target) in self.finished:
            self.resumed_skips += 1
            return False
        if isinstance(item, Target) and not self.dedup.is_new(item):
            return False
        self.plan.add(item, status=status)
        return True

    async def _expect_listed(self) -> None:
        """A whole-job listing's size is in DescribeJob's counters: one call buys the
        progress bar a total and an ETA. An estimate (devices move while we run)."""
        opts = self.opts
        if not (opts.from_job and opts.job_id) or opts.thing_group or opts.from_things:
            return
        if opts.older_than is not None:
            return
        try:
            job = await self.engine.call("DescribeJob", {"jobId": opts.job_id})
        except (ApiError, RunInterrupted):
            return  # the listing itself will report what is wrong, or stop
        details = job.get("job", {}).get("jobProcessDetails", {})
        statuses = opts.statuses or tuple(_PROCESS_COUNTERS)
        listed = sum(int(details.get(_PROCESS_COUNTERS[s], 0)) for s in statuses)
        self.engine.expect(_fixed_total(opts, self.file) + listed)

    async def __aiter__(self) -> AsyncIterator[SourceItem]:
        await self._expect_listed()
        for n, item in enumerate(self._fixed()):
            if self._keep(item):
                yield item
            if n % 256 == 255:
                await anyio.lowlevel.checkpoint()
        for listing in self._listings():
            try:
                async for listed in listing:
                    if self.engine.stop_reason is not None:
                        # Listing on would cost read calls for targets that will not run;
                        # a resume lists again and skips what the journal finished.
                        self.listing_cut = True
                        return
                    if self.filter is not None and not self.filter.accept(listed):
                        continue
                    if self._keep(listed.target, listed.status):
                        yield listed.target
            except RunInterrupted:
                self.listing_cut = True
                return
            except ApiError as exc:
                # Targets already handed out finish normally; the rest cannot be known.
                self.listing_error = exc
                self.engine.stop(f"listing failed: {exc}")
                return


def _fixed_total(opts: Options, file: FileSource | None) -> int:
    if isinstance(opts.operation, CancelJob):
        return len(opts.job_ids)
    return len(opts.thing_names) + (file.scan.items if file is not None else 0)


def _whole_job_advice(opts: Options, stderr: TextIO) -> None:
    """Cancelling each execution of a whole job: say that CancelJob exists."""
    if not (opts.from_job and opts.job_id) or opts.quiet:
        return
    if covers_whole_job(opts.operation, opts.statuses, age_filtered=opts.older_than is not None):
        dry = opts.config.dry_run
        verb = "would cancel" if dry else "cancels"
        then = " This dry run sends nothing." if dry else " Continuing as asked."
        force = " --force" if opts.operation.force else ""
        print(
            f"note: this {verb} the executions of job {opts.job_id} one call at a time. "
            f"`bulkjobs cancel-job --job-id {opts.job_id}{force}` does it server-side in one "
            "call (AWS documents about 1,000 devices a minute), but also stops the job for "
            "devices added later." + then,
            file=stderr,
        )


def resume_command(argv: list[str], opts: Options) -> str:
    """The command that continues this run: same arguments, --resume, and the report
    directory as it was expanded (a strftime pattern would name a new one)."""
    args = list(argv)
    # An S3 report is staged in a local directory: the prefix is what resumes.
    where = opts.report_url or opts.report_dir
    for n, arg in enumerate(args):
        if arg == "--report" and n + 1 < len(args) and where is not None:
            args[n + 1] = str(where)
        elif arg.startswith("--report=") and where is not None:
            args[n] = f"--report={where}"
    if "--resume" not in args:
        args.append("--resume")
    return shlex.join(["bulkjobs", *args])


async def _watch_signals(engine: Engine, stderr: TextIO) -> None:
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


async def execute(opts: Options, argv: list[str], *, stdout: TextIO, stderr: TextIO) -> int:
    """Run the validated command; return the exit code."""
    async with staged(opts) as stage:
        return await _execute(stage, argv, stdout=stdout, stderr=stderr)


async def _execute(stage: Staged, argv: list[str], *, stdout: TextIO, stderr: TextIO) -> int:
    opts, store = stage.opts, stage.store
    file: FileSource | None = None
    if opts.things_file is not None:
        file = scan_file(
            opts.things_file,
            job_id=opts.job_id,
            operation=opts.operation,
            input_format=opts.input_format,
            destination=opts.config.destination,
            name=stage.things_name,
        )
    try:
        if file is not None:
            file.check(skip_invalid=opts.skip_invalid)
        total = _fixed_total(opts, file)
        journal = opts.journal
        if (
            journal is not None
            and not opts.resume
            and not opts.config.dry_run
            and journal.exists()
            and journal.stat().st_size > 0
        ):
            raise ConfigurationError(
                f"journal {journal} already records a run: add --resume to continue it, "
                "or choose another --report/--journal"
            )
        if store is not None:
            await store.prepare(resume=opts.resume or opts.config.dry_run)
        stop = await confirm(opts, file, stderr)
        if stop is not None:
            return stop
        _whole_job_advice(opts, stderr)
        known_total = None if opts.has_listing else total
        return await _run(opts, argv, file, known_total, store, stdout=stdout, stderr=stderr)
    finally:
        if file is not None:
            file.close()


async def _run(
    opts: Options,
    argv: list[str],
    file: FileSource | None,
    total: int | None,
    store: ReportStore | None,
    *,
    stdout: TextIO,
    stderr: TextIO,
) -> int:
    engine = Engine(opts.operation, opts.config)
    writer = ResultsWriter(opts.report_dir) if opts.report_dir is not None else None
    page = (
        ReportPage(opts.report_dir, resume=opts.resume, rate_limit=opts.config.rate)
        if opts.report_dir is not None
        else None
    )
    metrics = _metrics(opts)
    journal: Journal | None = None
    finished: set[bytes] = set()
    if opts.resume and opts.journal is not None:
        reader = JournalReader(opts.journal)
        for result in reader:
            engine.carry(result)
            if writer is not None:
                writer.write(result)
            if page is not None:
                page.add(result)
            if metrics is not None:
                metrics.add(result)
        finished = reader.finished
    if opts.journal is not None and not opts.config.dry_run:
        journal = Journal(opts.journal)
    cutoff = None
    if opts.older_than is not None:
        cutoff = parse_age(opts.older_than, now=datetime.now(UTC))
    listing_filter = (
        ListingFilter(statuses=opts.statuses, cutoff=cutoff)
        if (opts.statuses or cutoff) and opts.has_listing
        else None
    )
    sources = _Sources(
        opts=opts,
        engine=engine,
        file=file,
        finished=finished,
        plan=Plan(),
        # A sorted file as the only source de-duplicates in O(1) memory.
        dedup=Deduplicator(
            assume_sorted=file is not None
            and file.scan.sorted
            and not opts.thing_names
            and not opts.has_listing
        ),
        filter=listing_filter,
    )

    def on_result(result: Result) -> None:
        # Serialised once for both files: this runs for every target.
        line = result.to_line()
        if journal is not None:
            journal.record(result, line)
        if writer is not None:
            writer.write(result, line)
        if page is not None:
            page.add(result)
        if metrics is not None:
            metrics.add(result)

    progress = Progress(engine, stream=stderr, quiet=opts.quiet)
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_watch_signals, engine, stderr)
            tg.start_soon(progress.run)
            if metrics is not None:
                tg.start_soon(metrics.run, partial(_metric_counts, engine))
            if isinstance(store, S3Store):
                tg.start_soon(store.run_sync)
            await engine.run(sources, total=total, on_result=on_result)
            tg.cancel_scope.cancel()
    except BaseException as exc:
        if writer is not None:
            writer.abort()
        if metrics is not None:
            metrics.finish(130 if isinstance(exc, KeyboardInterrupt) else 1)
        if store is not None and journal is not None:
            journal.close()
            with anyio.CancelScope(shield=True), anyio.move_on_after(30):
                await store.sync()  # what the journal has must reach where resume reads
        raise
    finally:
        if journal is not None:
            journal.close()
    report = engine.report()
    extra = _extra(opts, argv, sources, report)
    if opts.report_dir is not None and writer is not None:
        writer.close()
        if page is not None:
            extra.update(page.extra())
        write_summary(report, opts.report_dir, extra)
        if page is not None:
            page.write({**report.to_json(), **extra})
        if store is not None:
            await store.publish()
    if opts.config.dry_run:
        _print_plan(sources.plan, opts, stdout)
    print_summary(report, stream=stdout, as_json=opts.log_format == "json")
    if sources.listing_error is not None:
        print(f"bulkjobs: error: {sources.listing_error}", file=stderr)
    _print_resume_hint(report, opts, argv, sources, stderr)
    if metrics is not None:
        metrics.update(calls=report.attempts, throttles=report.throttles, expected=report.total)
        metrics.finish(report.exit_code)
    return report.exit_code


def _metrics(opts: Options) -> MetricsTextfile | None:
    if opts.metrics_textfile is None:
        return None
    # prometheus_client loads only for the runs that write metrics.
    from bulkjobs import __version__
    from bulkjobs._metrics import MetricsTextfile

    return MetricsTextfile(
        opts.metrics_textfile, operation=opts.operation.name, version=__version__
    )


def _metric_counts(engine: Engine) -> tuple[int, int, int | None]:
    stats = engine.statistics()
    return stats.attempts, stats.throttles, stats.total


def _extra(opts: Options, argv: list[str], sources: _Sources, report: Report) -> dict[str, Any]:
    dedup = sources.dedup.statistics()
    extra: dict[str, Any] = {
        "command": ["bulkjobs", *argv],
        "duplicatesRemoved": dedup.duplicates,
        "skippedAsFinishedInJournal": sources.resumed_skips,
        "plan": sources.plan.to_json(rate=opts.config.rate or DEFAULT_QUOTA),
    }
    if sources.filter is not None:
        stats = sources.filter.statistics()
        extra["listingFilter"] = {
            "seen": stats.seen,
            "kept": stats.kept,
            "wrongStatus": stats.wrong_status,
            "tooRecent": stats.too_recent,
            "unknownStatus": stats.unknown_status,
            "unknownAge": stats.unknown_age,
        }
    if sources.listing_error is not None:
        extra["listingError"] = str(sources.listing_error)
    if sources.listing_cut:
        extra["listingStoppedEarly"] = True
    return extra


def _print_plan(plan: Plan, opts: Options, stream: TextIO) -> None:
    rate = opts.config.rate
    basis = f"{rate:g}/s (--rate)" if rate else f"{DEFAULT_QUOTA:g}/s (AWS's default quota)"
    print(plan.render(rate=rate or DEFAULT_QUOTA, basis=basis), file=stream)


def _print_resume_hint(
    report: Report, opts: Options, argv: list[str], sources: _Sources, stderr: TextIO
) -> None:
    unfinished = report.count_kind(OutcomeKind.INTERRUPTED)
    if report.stop_reason is None or not (unfinished or sources.listing_cut):
        return
    what = f"{plural(unfinished, 'target')} not finished"
    if sources.listing_cut:
        what += " and the listing stopped before its end"
    if opts.journal is not None:
        print(
            f"bulkjobs: {what} ({report.stop_reason}). To resume:\n  {resume_command(argv, opts)}",
            file=stderr,
        )
    else:
        print(
            f"bulkjobs: {what} ({report.stop_reason}); no journal was kept — next time add "
            "--report DIR to be able to resume.",
            file=stderr,
        )
