"""Where outcomes landed: by destination, by job, by error code, and the first failures.

:class:`Breakdown` is a pure aggregator like the report's: results go in one at a time
(as the run finishes them, or read back from ``results.jsonl``), counts come out. It
keeps one counter row per distinct destination and job and at most ``keep_failures``
failed results, so a million targets cost what a thousand do.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from bulkjobs._batch import ResultBatch
from bulkjobs._exceptions import InvalidInputError
from bulkjobs._models import OutcomeKind, Result, widen_span

__all__ = ["DEFAULT_DESTINATION", "Breakdown", "breakdown_from_lines"]

#: The label of targets that carry no region of their own: they go to the run's region.
DEFAULT_DESTINATION: Final = "run's region"

#: Failures kept with their messages; the rest are counted and left in results.jsonl.
KEEP_FAILURES: Final = 100

_NOT_DONE: Final = frozenset({OutcomeKind.FAILED, OutcomeKind.SKIPPED})


@dataclass(slots=True, kw_only=True)
class Breakdown:
    """Outcome kinds per destination and per job, error codes, the first failures."""

    keep_failures: int = KEEP_FAILURES
    by_destination: dict[str, Counter[str]] = field(default_factory=dict)
    by_job: dict[str, Counter[str]] = field(default_factory=dict)
    error_codes: Counter[str] = field(default_factory=Counter)
    failures: list[dict[str, Any]] = field(default_factory=list)
    #: Failed or skipped targets beyond ``keep_failures``.
    failures_not_shown: int = 0
    #: Wall-clock bounds of the calls (epoch seconds), None before any call.
    first_started: float | None = None
    last_finished: float | None = None
    #: Lines of results.jsonl that could not be read (a report read back from disk).
    unreadable_lines: int = 0

    def add(self, result: Result) -> None:
        kind = result.outcome.kind.value
        where = result.target.destination
        destination = where.region or DEFAULT_DESTINATION
        if where.account is not None:
            destination = f"{where.account}/{destination}"
        self.by_destination.setdefault(destination, Counter())[kind] += 1
        self.by_job.setdefault(result.target.job_id, Counter())[kind] += 1
        if result.outcome.kind in _NOT_DONE:
            self.error_codes[result.error_code or result.outcome.value] += 1
            if len(self.failures) < self.keep_failures:
                self.failures.append(result.to_json())
            else:
                self.failures_not_shown += 1
        self.first_started, self.last_finished = widen_span(
            self.first_started, self.last_finished, result
        )

    def add_batch(self, batch: ResultBatch) -> None:
        """Count a batch as :meth:`add` counts each of its results."""
        proto = batch.prototype
        if proto.outcome.kind in _NOT_DONE:
            # The first failures are kept with their own target: one by one.
            for result in batch.results():
                self.add(result)
            return
        count = len(batch)
        if not count:
            return
        kind = proto.outcome.kind.value
        destination = proto.target.region or DEFAULT_DESTINATION
        self.by_destination.setdefault(destination, Counter())[kind] += count
        self.by_job.setdefault(proto.target.job_id, Counter())[kind] += count
        self.first_started, self.last_finished = widen_span(
            self.first_started, self.last_finished, proto
        )

    def to_json(self) -> dict[str, Any]:
        """Counts for ``summary.json`` (failures stay in results.jsonl)."""
        return {
            "byDestination": {k: dict(v) for k, v in _by_size(self.by_destination)},
            "byJob": {k: dict(v) for k, v in _by_size(self.by_job)},
            "failedOrSkippedByCode": dict(self.error_codes.most_common()),
        }


def _by_size(rows: dict[str, Counter[str]]) -> list[tuple[str, Counter[str]]]:
    return sorted(rows.items(), key=lambda kv: (-kv[1].total(), kv[0]))


def breakdown_from_lines(lines: Iterable[str], *, keep_failures: int = KEEP_FAILURES) -> Breakdown:
    """A breakdown of results.jsonl lines; a torn or foreign line is counted, not fatal."""
    breakdown = Breakdown(keep_failures=keep_failures)
    for line in lines:
        if not line.strip():
            continue
        try:
            result = Result.from_json(json.loads(line))
        except (ValueError, InvalidInputError):
            breakdown.unreadable_lines += 1
            continue
        breakdown.add(result)
    return breakdown
