"""Aggregating results into the report, and writing it (atomically) to disk.

:class:`Aggregator` is pure: it takes results and the time they finished and keeps
counts, latency samples and a per-second timeline. :func:`write_report` renders
``summary.json``; results.jsonl is streamed by :class:`ResultsWriter` as results come.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import tempfile
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from bulkjobs._models import Outcome, OutcomeKind, Result

if TYPE_CHECKING:
    from bulkjobs._follow import ServerSideCancel
    from bulkjobs._verify import Verification

__all__ = ["Aggregator", "Report", "ResultsWriter", "atomic_write_text", "write_summary"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What a run did, target by target counted once."""

    operation: str
    total: int
    outcomes: dict[str, int]
    kinds: dict[str, int]
    error_codes: dict[str, int]
    attempts: int
    throttles: int
    carried: int
    latency_ms: dict[str, float | None]
    wall_time: float
    #: Targets worked on per second of active time (see :attr:`active_time`); 0 when
    #: nothing was worked on (a dry run, a run stopped before its first call).
    achieved_rate: float
    timeline: list[dict[str, float | int]]
    #: Why the run stopped early (signal, deadline, abort threshold, fatal error).
    stop_reason: str | None = None
    stopped_by_signal: bool = False
    dry_run: bool = False
    #: ``done`` outcomes resting on evidence that cannot rule out another actor.
    unconfirmed: int = 0
    #: Calls not sent because a listing already showed the execution terminal.
    calls_saved: int = 0
    #: Seconds from the start until the last target worked on finished: the time the
    #: rate is measured over (targets recorded as interrupted afterwards did no work).
    active_time: float = 0.0
    #: Targets worked on with calls: not carried, interrupted, dry-run or invalid.
    executed: int = 0
    #: The rate mode and where each (region, API)'s rate started (see
    #: :class:`~bulkjobs._rate.RateStart`).
    rate_control: dict[str, Any] | None = None
    #: :attr:`latency_ms` over every invocation of a resumed run: this one's calls and
    #: the calls that ended the targets carried from the journal (None: the same as
    #: :attr:`latency_ms`, nothing timed was carried).
    whole_run_latency_ms: dict[str, float | None] | None = None
    #: A listing failed, stopped before its end or was not run (its account could not
    #: be reached): the targets it would have found are not done.
    listing_incomplete: bool = False
    #: cancel-job: how the server-side cancel stood after the calls (or, waited for,
    #: how it ended); None for other operations and dry runs.
    server_side_cancel: ServerSideCancel | None = None
    #: verify, or a run with ``verify=True``: what was found still running after it.
    verification: Verification | None = None

    def count(self, outcome: Outcome) -> int:
        return self.outcomes.get(outcome.value, 0)

    def count_kind(self, kind: OutcomeKind) -> int:
        return self.kinds.get(kind.value, 0)

    @property
    def exit_code(self) -> int:
        """0 all done or no-op; 1 some failed, skipped or left unfinished by a deadline,
        abort threshold or fatal error, or a listing did not reach its end, or a
        server-side cancel waited for did not finish, or something was found still
        running (verify); 130 stopped by a signal (or its wait, or its verify,
        interrupted). A deadline that came after every target finished changes nothing."""
        if self.stopped_by_signal:
            return 130
        bad = (
            OutcomeKind.FAILED,
            OutcomeKind.SKIPPED,
            OutcomeKind.INTERRUPTED,
            OutcomeKind.RUNNING,
        )
        code = 1 if self.listing_incomplete or any(self.count_kind(k) for k in bad) else 0
        if self.server_side_cancel is not None:
            code = self.server_side_cancel.exit_code(code)
        if self.verification is not None:
            if self.verification.interrupted:
                return 130
            if not self.verification.passed and code == 0:
                code = 1
        return code

    def to_json(self) -> dict[str, Any]:
        data = {
            "operation": self.operation,
            "total": self.total,
            "dryRun": self.dry_run,
            "outcomes": self.outcomes,
            "kinds": self.kinds,
            "errorCodes": self.error_codes,
            "unconfirmed": self.unconfirmed,
            "attempts": self.attempts,
            "callsSaved": self.calls_saved,
            "throttles": self.throttles,
            "carriedFromJournal": self.carried,
            "latencyMs": self.latency_ms,
            "wholeRunLatencyMs": self.whole_run_latency_ms or self.latency_ms,
            "wallTimeSeconds": round(self.wall_time, 3),
            "achievedRatePerSecond": round(self.achieved_rate, 3),
            "activeSeconds": round(self.active_time, 3),
            "executedTargets": self.executed,
            "stopReason": self.stop_reason,
            "stoppedBySignal": self.stopped_by_signal,
            "exitCode": self.exit_code,
            "rateControl": self.rate_control,
            "timeline": self.timeline,
        }
        if self.server_side_cancel is not None:
            data["serverSideCancel"] = self.server_side_cancel.to_json()
        if self.verification is not None:
            data["verify"] = self.verification.to_json()
        return data


_NOT_DONE = frozenset({OutcomeKind.FAILED, OutcomeKind.SKIPPED})


def _percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (non-empty)."""
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _latency_ms(samples: list[float]) -> dict[str, float | None]:
    """p50, p90, p99, max and mean of ascending seconds, in milliseconds."""
    latency: dict[str, float | None] = {}
    for name, q in (("p50", 50.0), ("p90", 90.0), ("p99", 99.0), ("max", 100.0)):
        latency[name] = round(_percentile(samples, q) * 1000, 3) if samples else None
    latency["mean"] = round(sum(samples) / len(samples) * 1000, 3) if samples else None
    return latency


@dataclass(slots=True, kw_only=True)
class Aggregator:
    """Counts results as they arrive; :meth:`report` snapshots them."""

    operation: str
    started: float
    dry_run: bool = False
    total: int = 0
    carried: int = 0
    attempts: int = 0
    throttles: int = 0
    interrupted: int = 0
    #: Targets this run worked on with calls (not carried, interrupted, dry-run or
    #: invalid): what the rate achieved counts.
    executed: int = 0
    #: When the last of them finished: the end of the run's active time.
    last_executed: float | None = None
    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    unconfirmed: int = 0
    # 8 bytes a sample: a million calls cost 8 MB, so percentiles can be exact.
    _latencies: array[float] = field(default_factory=lambda: array("d"))
    # The carried targets' own (their invocation's call): the whole run's percentiles
    # cost what one invocation doing every target would.
    _carried_latencies: array[float] = field(default_factory=lambda: array("d"))
    _timeline: dict[int, list[int]] = field(default_factory=dict)

    def add(self, result: Result, now: float, *, carried: bool = False, count: int = 1) -> None:
        """Count ``result``; ``count`` results alike but for their target (a batch)."""
        # Once per result of a bulk run: the kind is looked up once, and a latency is
        # appended without building a list for the one result of a call.
        kind = result.outcome.kind
        self.total += count
        self.outcomes[result.outcome.value] += count
        self.kinds[kind.value] += count
        # Codes behind targets not done; a no-op's code (InvalidStateTransition for an
        # execution already terminal) stays in results.jsonl, not in the alarm count.
        if result.error_code and kind in _NOT_DONE:
            self.error_codes[result.error_code] += count
        if not result.confirmed and kind is OutcomeKind.DONE:
            self.unconfirmed += count
        latencies = self._carried_latencies if carried else self._latencies
        if result.latency is not None:
            if count == 1:
                latencies.append(result.latency)
            else:
                latencies.extend([result.latency] * count)
        if carried:
            self.carried += count
            return
        self.attempts += result.attempts * count
        self.throttles += result.throttles * count
        if kind is OutcomeKind.INTERRUPTED:
            # Recorded when the run stops, not worked on: counting them would draw a
            # spike of "finished" targets at the stop and inflate the rate achieved.
            self.interrupted += count
            return
        if result.attempts > 0 and kind is not OutcomeKind.DRY_RUN:
            self.executed += count
            self.last_executed = now
        second = max(0, int(now - self.started))
        bucket = self._timeline.setdefault(second, [0, 0, 0])
        bucket[0] += count
        bucket[1] += result.throttles * count
        bucket[2] += count if kind is OutcomeKind.FAILED else 0

    def active_time(self, now: float | None = None) -> float:
        """Seconds from the start to the last target worked on; ``now`` while the run
        still works (the time after a stop, spent recording what never ran, is not
        work)."""
        end = now if now is not None else self.last_executed
        return max((end if end is not None else self.started) - self.started, 1e-9)

    def report(
        self,
        now: float,
        *,
        stop_reason: str | None = None,
        stopped_by_signal: bool = False,
        calls_saved: int = 0,
    ) -> Report:
        wall = max(now - self.started, 1e-9)
        latency = _latency_ms(sorted(self._latencies))
        whole = None
        if self._carried_latencies:
            whole = _latency_ms(sorted(itertools.chain(self._latencies, self._carried_latencies)))
        active = self.active_time()
        timeline: list[dict[str, float | int]] = [
            {"second": s, "finished": b[0], "throttles": b[1], "failed": b[2]}
            for s, b in sorted(self._timeline.items())
        ]
        return Report(
            operation=self.operation,
            total=self.total,
            outcomes=dict(self.outcomes),
            kinds=dict(self.kinds),
            error_codes=dict(self.error_codes),
            attempts=self.attempts,
            throttles=self.throttles,
            carried=self.carried,
            latency_ms=latency,
            whole_run_latency_ms=whole,
            wall_time=wall,
            achieved_rate=self.executed / active if self.executed else 0.0,
            active_time=active,
            executed=self.executed,
            timeline=timeline,
            stop_reason=stop_reason,
            stopped_by_signal=stopped_by_signal,
            dry_run=self.dry_run,
            unconfirmed=self.unconfirmed,
            calls_saved=calls_saved,
        )


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_summary(report: Report, directory: Path, extra: dict[str, Any] | None = None) -> Path:
    data = report.to_json()
    if extra:
        data.update(extra)
    path = directory / "summary.json"
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False) + "\n")
    return path


class ResultsWriter:
    """Streams ``results.jsonl`` into a temporary file, renamed into place on close.

    Written as results arrive so memory stays flat; only a completed report appears
    under the final name (the journal is what survives a crash; an S3 report also
    sends the growing file, named :attr:`PARTIAL_PREFIX`…, in segments).
    """

    PARTIAL_PREFIX = ".results.jsonl."

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._final = directory / "results.jsonl"
        fd, tmp = tempfile.mkstemp(prefix=self.PARTIAL_PREFIX, dir=directory)
        self._tmp = Path(tmp)
        self._fh: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        self.written = 0

    def write(self, result: Result, line: str | None = None) -> None:
        """Append ``result`` (``line``: its :meth:`Result.to_line`, if already made)."""
        self._fh.write(line or result.to_line())
        self.written += 1

    def write_lines(self, text: str, count: int) -> None:
        """Append ``count`` lines made in one go (a :class:`~bulkjobs._batch.ResultBatch`)."""
        self._fh.write(text)
        self.written += count

    def close(self) -> Path:
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self._final)
        return self._final

    def abort(self) -> None:
        self._fh.close()
        self._tmp.unlink(missing_ok=True)
