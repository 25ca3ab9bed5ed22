"""Per destination (account, region): what happened there, for ``byDestination``.

Quotas are per account and region, so a run over many destinations is many runs side
by side: one that was throttled, or whose role could not be assumed, must be visible as
such without digging through ``results.jsonl``. :class:`DestinationTally` is a pure
aggregator like the report's: results go in as they finish, one row per destination
comes out, with its outcomes, throttles and the rate it achieved.

A listing that could not run in a destination (its account's role was refused) has no
targets to count — nobody knows what it would have found — so its row says so itself:
``errorCode``, ``message`` and ``listingsNotRun``, with as many targets as were given
outright there.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bulkjobs._destination import Destination
from bulkjobs._models import OutcomeKind, Result, widen_span

__all__ = ["DestinationRow", "DestinationTally"]


@dataclass(slots=True, kw_only=True)
class DestinationRow:
    """The counts of one destination."""

    destination: Destination
    total: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    error_codes: Counter[str] = field(default_factory=Counter)
    attempts: int = 0
    throttles: int = 0
    #: Targets worked on with calls (not carried, interrupted, dry-run or invalid).
    executed: int = 0
    #: Wall-clock bounds (epoch seconds) of the targets worked on.
    first_started: float | None = None
    last_finished: float | None = None
    #: Listings not run here, and why (the access failure's code and message).
    listings_not_run: int = 0
    error_code: str | None = None
    message: str | None = None

    def add(self, result: Result, *, carried: bool) -> None:
        self.total += 1
        kind = result.outcome.kind
        self.outcomes[result.outcome.value] += 1
        self.kinds[kind.value] += 1
        if result.error_code and kind in (OutcomeKind.FAILED, OutcomeKind.SKIPPED):
            self.error_codes[result.error_code] += 1
        if carried:
            return
        self.attempts += result.attempts
        self.throttles += result.throttles
        if result.attempts == 0 or kind in (OutcomeKind.INTERRUPTED, OutcomeKind.DRY_RUN):
            return
        self.executed += 1
        self.first_started, self.last_finished = widen_span(
            self.first_started, self.last_finished, result
        )

    def active_seconds(self, started: float) -> float | None:
        """Seconds from the run's start to this destination's last target worked on."""
        if self.last_finished is None:
            return None
        return max(self.last_finished - started, 1e-9)

    def to_json(self, *, started: float) -> dict[str, Any]:
        active = self.active_seconds(started)
        rate = self.executed / active if active else 0.0
        unreached: dict[str, Any] = {}
        if self.listings_not_run:
            unreached = {
                "listingsNotRun": self.listings_not_run,
                "errorCode": self.error_code,
                "message": self.message,
            }
        return {
            **self.destination.to_json(),
            "total": self.total,
            "outcomes": dict(self.outcomes.most_common()),
            "kinds": dict(self.kinds.most_common()),
            "failedOrSkippedByCode": dict(self.error_codes.most_common()),
            "attempts": self.attempts,
            "throttles": self.throttles,
            "executedTargets": self.executed,
            "activeSeconds": None if active is None else round(active, 3),
            "achievedRatePerSecond": round(rate, 3),
            **unreached,
        }


class DestinationTally:
    """One :class:`DestinationRow` per destination, in the order they first appear.

    ``started`` is the run's start (epoch seconds): each destination's rate is measured
    from it, as the quotas all start at once.
    """

    def __init__(self, *, started: float) -> None:
        self.started = started
        self.rows: dict[Destination, DestinationRow] = {}

    def add(self, result: Result, *, carried: bool = False) -> None:
        where = result.target.destination
        row = self.rows.get(where)
        if row is None:
            row = self.rows[where] = DestinationRow(destination=where)
        row.add(result, carried=carried)

    def _row(self, where: Destination) -> DestinationRow:
        row = self.rows.get(where)
        if row is None:
            row = self.rows[where] = DestinationRow(destination=where)
        return row

    def not_listed(self, where: Destination, *, code: str, message: str) -> None:
        """A listing that could not run at ``where``: its row carries why."""
        row = self._row(where)
        row.listings_not_run += 1
        row.error_code, row.message = code, message

    def add_batch(self, prototype: Result, count: int) -> None:
        """``count`` results like ``prototype`` (a dry run's batch of plain lines)."""
        where = prototype.target.destination
        row = self.rows.get(where)
        if row is None:
            row = self.rows[where] = DestinationRow(destination=where)
        row.total += count
        row.outcomes[prototype.outcome.value] += count
        row.kinds[prototype.outcome.kind.value] += count

    @property
    def multiple(self) -> bool:
        """More than one destination, or one in a named account: worth a table."""
        return len(self.rows) > 1 or any(d.account is not None for d in self.rows)

    def to_json(self) -> list[dict[str, Any]]:
        """``summary.json``'s ``byDestination``: account, region, outcomes, throttles
        and achieved rate of each destination, sorted by account then region."""
        ordered = sorted(self.rows.values(), key=lambda r: r.destination.label)
        return [row.to_json(started=self.started) for row in ordered]
