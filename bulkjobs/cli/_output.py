"""What the CLI shows: logs (console or JSON on stderr), progress, the summary table.

stdout carries the result (the summary); stderr carries everything about the run
(progress, logs, prompts), so ``bulkjobs … > summary.txt`` stays clean.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import MutableMapping
from typing import IO, Any, TextIO, cast

import anyio
import structlog

from bulkjobs import Outcome, Report, RunSession
from bulkjobs.cli._tracebacks import exception_formatter

__all__ = ["Progress", "configure_logging", "plural", "print_summary"]


def plural(count: int, noun: str) -> str:
    """``1 target``, ``2 targets``, ``1,266 targets``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


_SECRET_KEY = re.compile(r"secret|token|password|credential|signature|authorization", re.I)
_ACCESS_KEY = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b")


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Last line of defence: nothing shaped like a credential reaches a log."""
    for key, value in list(event.items()):
        if _SECRET_KEY.search(key):
            event[key] = "***"
        elif isinstance(value, str) and _ACCESS_KEY.search(value):
            event[key] = _ACCESS_KEY.sub("***", value)
    return event


class _CurrentStderr:
    """``sys.stderr`` as it is at each write. structlog caches a logger on first use,
    file included; a run in a process that swaps stderr later (tests, an embedding
    application) must not write to the stream that was current back then."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(log_format: str, *, verbose: bool, quiet: bool) -> None:
    if verbose:
        level = logging.DEBUG
    elif quiet:
        level = logging.ERROR
    else:
        level = logging.INFO if log_format == "json" else logging.WARNING
    # aiobotocore logs a failed credential refresh (a refused AssumeRole) with its
    # traceback before raising it; bulkjobs says what failed itself (which role, which
    # account), so the traceback is for --verbose only.
    refresh_level = logging.DEBUG if verbose else logging.ERROR
    logging.getLogger("aiobotocore.credentials").setLevel(refresh_level)
    renderer: Any
    if log_format == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        colors = sys.stderr.isatty()
        formatter = exception_formatter(colors=colors)
        if formatter is None:
            renderer = structlog.dev.ConsoleRenderer(colors=colors)
        else:
            renderer = structlog.dev.ConsoleRenderer(colors=colors, exception_formatter=formatter)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(cast(TextIO, _CurrentStderr())),
        cache_logger_on_first_use=True,
    )


class Progress:
    """A live bar on a terminal; a JSON stats line every ``interval`` s otherwise."""

    def __init__(
        self, engine: RunSession, *, stream: IO[str], quiet: bool, interval: float = 5.0
    ) -> None:
        self._engine = engine
        self._stream = stream
        self._quiet = quiet
        self._interval = interval

    async def run(self) -> None:
        if self._quiet:
            return
        if self._stream.isatty():
            await self._bar()
            return
        try:
            # Until the targets are done: a cancel-job --wait then shows its own lines.
            while not self._engine.following:
                await anyio.sleep(self._interval)
                self._line()
        finally:
            # The last line carries the true total, so a log never ends on an estimate.
            self._line()

    def _line(self) -> None:
        s = self._engine.statistics()
        record = {
            "event": "progress",
            "finished": s.finished,
            "total": s.total,
            "totalIsEstimate": s.total_is_estimate,
            "inFlight": s.in_flight,
            "ratePerSecond": round(s.rate, 2),
            "throttles": s.throttles,
            "failed": s.failed,
            "elapsedSeconds": round(s.elapsed, 1),
        }
        print(json.dumps(record), file=self._stream, flush=True)

    async def _bar(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        console = Console(file=self._stream)
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            # "120/~1,334" while the total is DescribeJob's estimate, "1,266/1,266" once
            # the listing is done.
            TextColumn("[green]{task.fields[count]}"),
            TextColumn("{task.fields[rate]:>8}"),
            TextColumn("throttled {task.fields[throttles]}"),
            TextColumn("failed {task.fields[failed]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with RichProgress(*columns, console=console, transient=False) as bar:
            name = self._engine.operation.name
            task = bar.add_task(name, total=None, count="0/?", rate="", throttles=0, failed=0)
            try:
                while not self._engine.following:
                    s = self._engine.statistics()
                    bar.update(
                        task,
                        completed=s.finished,
                        total=s.total,
                        count=_count(s.finished, s.total, estimate=s.total_is_estimate),
                        rate=self._rate(s.rate),
                        throttles=s.throttles,
                        failed=s.failed,
                        description="stopping" if s.stopping else name,
                    )
                    await anyio.sleep(0.2)
            finally:
                s = self._engine.statistics()
                # A finished run is complete whatever the estimate said; a stopped one
                # shows how far it got: its interrupted targets are not done.
                total = s.total if s.stopping and s.total else s.finished
                if s.stopping:
                    total = max(total or 0, s.finished)
                estimate = s.total_is_estimate and bool(s.stopping)
                done = s.finished - s.interrupted
                bar.update(
                    task,
                    completed=done,
                    total=total,
                    count=_count(done, total, estimate=estimate),
                    rate=self._rate(s.rate),
                    throttles=s.throttles,
                    failed=s.failed,
                    description="stopped" if s.stopping else name,
                )

    def _rate(self, rate: float) -> str:
        # A dry run sends no change: a rate of targets "done" per second would be fiction.
        return "dry run" if self._engine.config.dry_run else f"{rate:.1f}/s"


def _count(finished: int, total: int | None, *, estimate: bool) -> str:
    """``"40/40"``, ``"12/~150"`` for an estimated total, ``"12/?"`` for none."""
    if total is None:
        return f"{finished:,}/?"
    return f"{finished:,}/{'~' if estimate else ''}{total:,}"


_ORDER = [o.value for o in Outcome]


def print_summary(report: Report, *, stream: IO[str], as_json: bool) -> None:
    if as_json:
        data = report.to_json()
        data.pop("timeline", None)
        print(json.dumps({"event": "summary", **data}), file=stream, flush=True)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, highlight=False)
    title = f"bulkjobs {report.operation}" + (" (dry run)" if report.dry_run else "")
    table = Table(title=title, title_justify="left")
    table.add_column("outcome")
    table.add_column("kind")
    table.add_column("targets", justify="right")
    table.add_column("share", justify="right")
    total = max(report.total, 1)
    for name in sorted(report.outcomes, key=_ORDER.index):
        count = report.outcomes[name]
        table.add_row(name, Outcome(name).kind.value, f"{count:,}", f"{count / total:.1%}")
    table.add_section()
    table.add_row("total", "", f"{report.total:,}", "100%" if report.total else "—")
    console.print(table)
    if report.error_codes:
        codes = Table(title="errors behind failed or skipped targets", title_justify="left")
        codes.add_column("code")
        codes.add_column("targets", justify="right")
        for code, count in sorted(report.error_codes.items(), key=lambda kv: -kv[1]):
            codes.add_row(code, f"{count:,}")
        console.print(codes)
    lat = report.latency_ms
    latency = (
        f"p50 {lat['p50']:.0f} ms, p99 {lat['p99']:.0f} ms"
        if lat.get("p50") is not None and lat.get("p99") is not None
        else "—"
    )
    console.print(
        f"wall time {report.wall_time:.1f} s · {_rate(report)} · "
        f"calls {report.attempts:,} · throttled {report.throttles:,} · latency {latency}"
        + (f" · {report.carried:,} carried from the journal" if report.carried else ""),
        soft_wrap=True,
    )
    if report.unconfirmed:
        console.print(
            f"{report.unconfirmed:,} of the changes rest on evidence that cannot rule out "
            'another actor (an answer was lost): "confirmed": false in results.jsonl',
            soft_wrap=True,
        )
    for note in (_fixed_rate_note(report), _nothing_found_note(report)):
        if note is not None:
            console.print(note, soft_wrap=True)
    if report.stop_reason:
        console.print(f"[bold red]stopped early:[/] {report.stop_reason}", soft_wrap=True)


#: Above this share of throttled calls, a fixed rate is mostly spent on refusals.
_FIXED_RATE_THROTTLED_SHARE = 0.2


def _fixed_rate_note(report: Report) -> str | None:
    """Say so when a fixed ``--rate`` sat above the account's quota: the throttles
    were waited out (nothing lost), but the calls they cost bought nothing."""
    control = report.rate_control or {}
    if control.get("mode") != "fixed" or not report.attempts:
        return None
    share = report.throttles / report.attempts
    if share < _FIXED_RATE_THROTTLED_SHARE:
        return None
    return (
        f"note: {share:.0%} of calls were throttled: the fixed --rate is above the "
        "account's quota; --rate auto (the default) finds the quota instead"
    )


def _nothing_found_note(report: Report) -> str | None:
    """Say so when not one target was found: "not_found" is a no-op (exit 0), but all
    of them at once is what a mistyped job id, a wrong region or account looks like,
    and the operator must not read it as a stopped rollout."""
    if report.dry_run or not report.total or set(report.outcomes) != {Outcome.NOT_FOUND.value}:
        return None
    found = (
        "the target named was not found"
        if report.total == 1
        else f"not one of the {report.total:,} targets named was found"
    )
    return (
        f"note: {found} (ResourceNotFoundException): nothing was changed. Check the job "
        "id, the region (--region, or the profile's) and the account"
    )


def _rate(report: Report) -> str:
    """The rate achieved, over the time targets were worked on; none for a dry run or
    a run that worked on nothing (a rate of targets never sent would be fiction)."""
    if report.dry_run:
        return "dry run: no change sent"
    if not report.executed:
        return "rate — (no target worked on)"
    rate = f"rate {report.achieved_rate:.1f}/s"
    if report.active_time < 0.95 * report.wall_time:
        rate += f" over {report.active_time:.1f} s of work"
    return rate
