"""A report directory read back and drawn: ``summary.json`` + ``results.jsonl`` → ``report.html``.

The run writes ``report.html`` beside its summary at the end; :func:`regenerate`
rebuilds it for any report directory (an older one, one copied from a server) from
the files alone. A resumed run is one run: the invocations before it are carried into
the new summary (``previousInvocations``) so the page draws the whole timeline.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from bulkjobs._batch import ResultBatch
from bulkjobs._breakdown import Breakdown, breakdown_from_lines
from bulkjobs._exceptions import ConfigurationError
from bulkjobs._models import Result
from bulkjobs._plan import plural
from bulkjobs._report import Report, ResultsWriter, atomic_write_text

__all__ = [
    "HTML_NAME",
    "ReportPage",
    "invocation_record",
    "previous_invocations",
    "read_summary",
    "redraw_report",
    "regenerate",
    "report_from_summary",
    "write_html",
]

HTML_NAME: Final = "report.html"
SUMMARY_NAME: Final = "summary.json"
RESULTS_NAME: Final = "results.jsonl"

#: What each earlier invocation keeps of its summary: enough to draw and total it.
_INVOCATION_KEYS: Final = (
    "startedAt",
    "wallTimeSeconds",
    "attempts",
    "throttles",
    "achievedRatePerSecond",
    "activeSeconds",
    "stopReason",
    "timeline",
    "latencyMs",
    "command",
    "plan",
)


def _version() -> str:
    from bulkjobs import __version__

    return __version__


def invocation_record(summary: Mapping[str, Any]) -> dict[str, Any]:
    """One invocation as a later summary carries it."""
    return {key: summary.get(key) for key in _INVOCATION_KEYS}


def previous_invocations(directory: Path) -> list[dict[str, Any]]:
    """The invocations recorded in ``directory``'s summary, for a resume to carry on
    (none when there is no readable summary: the run was killed before writing it)."""
    try:
        summary = read_summary(directory)
    except ConfigurationError:
        return []
    return [*summary.get("previousInvocations", []), invocation_record(summary)]


def read_summary(directory: Path) -> dict[str, Any]:
    path = directory / SUMMARY_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(
            f"{path} does not exist: not a report directory, or its run was stopped before "
            "it could write one (resume it with --resume to finish the report)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{path} cannot be read: {exc}") from exc
    if not isinstance(data, dict) or "outcomes" not in data:
        raise ConfigurationError(f"{path} is not a bulkjobs summary")
    return data


def write_html(directory: Path, summary: Mapping[str, Any], breakdown: Breakdown | None) -> Path:
    # The page's renderer (tables, SVG timelines) loads when a page is written, not
    # when a run starts: it is the end of a run with --report, and nothing else.
    from bulkjobs._html import render_html

    page = render_html(summary, breakdown, version=_version(), generated=datetime.now(UTC))
    path = directory / HTML_NAME
    atomic_write_text(path, page)
    return path


def finished_outcome(line: str | bytes) -> str | None:
    """The outcome a journal line records (None: a torn or foreign line)."""
    try:
        outcome = json.loads(line).get("outcome")
    except (ValueError, AttributeError):
        return None
    return outcome if isinstance(outcome, str) else None


def stopped_run(
    summary: str, run: str, *, journal: str, finished: Mapping[str, int], results: str
) -> str:
    """What ``bulkjobs report`` says of a run stopped before it wrote its summary:
    what is missing, what the journal (``finished``: targets by outcome) and the
    results kept, and how to finish it."""
    total = sum(finished.values())
    by = ", ".join(f"{n:,} {name}" for name, n in sorted(finished.items(), key=lambda i: -i[1]))
    return (
        f"{summary} does not exist: the run in {run} was stopped before it wrote its "
        f"report (no page is drawn from part of a run). {journal} records "
        f"{plural(total, 'finished target')}" + (f" ({by})" if by else "") + f"; {results}. "
        "Run its command again with --resume (and this --report) to finish it and "
        "write summary.json, results.jsonl and report.html"
    )


def _stopped_here(directory: Path) -> str | None:
    """:func:`stopped_run` for a local directory with a journal but no summary."""
    journal = directory / "journal.jsonl"
    if (directory / SUMMARY_NAME).exists() or not journal.is_file():
        return None
    finished: dict[str, int] = {}
    with journal.open("rb") as fh:
        for line in fh:
            if (outcome := finished_outcome(line)) is not None:
                finished[outcome] = finished.get(outcome, 0) + 1
    partial = sorted(directory.glob(ResultsWriter.PARTIAL_PREFIX + "*"))
    if partial:
        with partial[0].open("rb") as fh:
            kept = sum(1 for line in fh if line.endswith(b"\n"))
        results = f"its unfinished results file, {partial[0].name}, {plural(kept, 'line')}"
    else:
        results = "no results file was left"
    return stopped_run(
        str(directory / SUMMARY_NAME),
        str(directory),
        journal=f"Its journal, {journal.name},",
        finished=finished,
        results=results,
    )


def regenerate(directory: Path) -> tuple[dict[str, Any], Path]:
    """Rebuild ``report.html`` from the directory's files; return the summary and path.
    A directory whose run was stopped before its summary is refused, saying what its
    journal holds."""
    if (stopped := _stopped_here(directory)) is not None:
        raise ConfigurationError(stopped)
    summary = read_summary(directory)
    results = directory / RESULTS_NAME
    breakdown: Breakdown | None = None
    if results.is_file():
        with results.open(encoding="utf-8", errors="replace") as fh:
            breakdown = breakdown_from_lines(fh)
    return summary, write_html(directory, summary, breakdown)


def redraw_report(directory: str | os.PathLike[str]) -> tuple[Report, Path]:
    """Draw ``report.html`` again for a report directory (one an older bulkjobs wrote,
    too) from its summary.json and results.jsonl; return the report and the page.
    Raises :class:`ConfigurationError` when ``directory`` holds no report."""
    summary, page = regenerate(Path(directory))
    return report_from_summary(summary), page


def report_from_summary(data: Mapping[str, Any]) -> Report:
    """The :class:`Report` a summary was written from (for printing it again)."""
    return Report(
        operation=str(data.get("operation", "")),
        total=int(data.get("total", 0)),
        outcomes=dict(data.get("outcomes", {})),
        kinds=dict(data.get("kinds", {})),
        error_codes=dict(data.get("errorCodes", {})),
        attempts=int(data.get("attempts", 0)),
        throttles=int(data.get("throttles", 0)),
        carried=int(data.get("carriedFromJournal", 0)),
        latency_ms=dict(data.get("latencyMs", {})),
        whole_run_latency_ms=data.get("wholeRunLatencyMs"),
        wall_time=float(data.get("wallTimeSeconds", 0.0)),
        achieved_rate=float(data.get("achievedRatePerSecond") or 0.0),
        active_time=float(data.get("activeSeconds") or data.get("wallTimeSeconds") or 0.0),
        executed=int(data.get("executedTargets") or 0),
        timeline=list(data.get("timeline", [])),
        stop_reason=data.get("stopReason"),
        stopped_by_signal=bool(data.get("stoppedBySignal", False)),
        dry_run=bool(data.get("dryRun", False)),
        listing_incomplete=any(
            data.get(key)
            for key in (
                "listingError",
                "listingStoppedEarly",
                "unreachedListings",
                "failedListings",
            )
        ),
    )


class ReportPage:
    """What ``report.html`` needs beyond the engine's report, gathered as the run goes:
    the breakdown of results, when this invocation started, the invocations before it.

    The run session feeds it every result (carried ones too) and, at the end, adds
    :meth:`extra` to the summary and calls :meth:`write`.
    """

    def __init__(self, directory: Path, *, resume: bool, rate_limit: float | None) -> None:
        self.directory = directory
        self.breakdown = Breakdown()
        self._previous = previous_invocations(directory) if resume else []
        self._started = datetime.now(UTC)
        self._rate_limit = rate_limit

    def add(self, result: Result) -> None:
        self.breakdown.add(result)

    def add_batch(self, batch: ResultBatch) -> None:
        self.breakdown.add_batch(batch)

    def extra(self) -> dict[str, Any]:
        extra: dict[str, Any] = {
            "startedAt": self._started.isoformat(timespec="seconds"),
            "rateLimit": self._rate_limit,
            "breakdown": self.breakdown.to_json(),
        }
        if self._previous:
            extra["previousInvocations"] = self._previous
        return extra

    def write(self, summary: Mapping[str, Any]) -> Path:
        return write_html(self.directory, summary, self.breakdown)
