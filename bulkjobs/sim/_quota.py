"""Per-operation request quotas: token buckets on an injected clock, and their schedule.

AWS publishes IoT control-plane quotas as requests per second per API, per account and
region, with a burst allowance; a request over it is answered ThrottlingException. The
bucket here holds ``tps × burst_seconds`` tokens (at least one) and refills at ``tps``
per second. ``None`` means unlimited. Nothing here sleeps or reads the time itself:
the clock is a callable, so tests step it by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaChange:
    """At ``at`` seconds after start, set the quota of ``operation`` (None: all) to ``tps``."""

    at: float
    tps: float | None
    operation: str | None = None

    def __post_init__(self) -> None:
        if self.at < 0:
            raise ValueError("a quota change cannot happen before the start")
        if self.tps is not None and self.tps <= 0:
            raise ValueError("a quota must be positive (or None for unlimited)")


class TokenBucket:
    """Admits requests at ``rate`` per second with a burst of ``burst_seconds`` of quota."""

    __slots__ = ("_burst_seconds", "_capacity", "_clock", "_rate", "_stamp", "_tokens")

    def __init__(self, rate: float | None, *, burst_seconds: float, clock: Clock) -> None:
        if burst_seconds <= 0:
            raise ValueError("burst_seconds must be positive")
        self._clock = clock
        self._burst_seconds = burst_seconds
        self._rate: float | None = None
        self._capacity = 0.0
        self._tokens = 0.0
        self._stamp = clock()
        self.set_rate(rate)  # a fresh account starts with its burst available

    @property
    def rate(self) -> float | None:
        return self._rate

    @property
    def tokens(self) -> float:
        """Tokens available now (infinite when unlimited)."""
        if self._rate is None:
            return float("inf")
        self._refill()
        return self._tokens

    def set_rate(self, rate: float | None) -> None:
        """Change the quota; tokens already earned are kept, up to the new capacity."""
        if rate is not None and rate <= 0:
            raise ValueError("a quota must be positive (or None for unlimited)")
        was_unlimited = self._rate is None
        if not was_unlimited:
            self._refill()
        self._rate = rate
        self._capacity = 0.0 if rate is None else max(1.0, rate * self._burst_seconds)
        if rate is None:
            self._tokens = 0.0
        elif was_unlimited:
            # Coming from "unlimited", the account has its whole burst in hand.
            self._tokens = self._capacity
        else:
            self._tokens = min(self._tokens, self._capacity)
        self._stamp = self._clock()

    def try_acquire(self) -> bool:
        """Take one token if there is one; False means the request is throttled."""
        if self._rate is None:
            return True
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def _refill(self) -> None:
        assert self._rate is not None
        now = self._clock()
        elapsed = now - self._stamp
        if elapsed > 0:
            self._tokens = min(self._capacity, self._tokens + elapsed * self._rate)
            self._stamp = now


class QuotaBook:
    """One bucket per operation, plus scheduled and runtime quota changes."""

    def __init__(
        self,
        operations: Iterable[str],
        *,
        default: float | None,
        overrides: Mapping[str, float | None],
        burst_seconds: float,
        schedule: Sequence[QuotaChange] = (),
        clock: Clock,
    ) -> None:
        self._clock = clock
        self._start = clock()
        self._buckets = {
            name: TokenBucket(
                overrides.get(name, default), burst_seconds=burst_seconds, clock=clock
            )
            for name in operations
        }
        for change in schedule:
            self._check_operation(change.operation)
        self._schedule = sorted(schedule, key=lambda change: change.at)
        self._next_change = 0

    def rebase(self) -> None:
        """Count schedule times from now (the moment the simulator starts serving)."""
        self._start = self._clock()

    def try_acquire(self, operation: str) -> bool:
        if self._next_change < len(self._schedule):
            self._apply_due_changes()
        return self._buckets[operation].try_acquire()

    def set_quota(self, operation: str | None, tps: float | None) -> None:
        """Set one operation's quota (or every operation's, with None) from now on."""
        self._check_operation(operation)
        names = self._buckets if operation is None else (operation,)
        for name in names:
            self._buckets[name].set_rate(tps)

    def quotas(self) -> dict[str, float | None]:
        if self._next_change < len(self._schedule):
            self._apply_due_changes()
        return {name: bucket.rate for name, bucket in self._buckets.items()}

    def _apply_due_changes(self) -> None:
        elapsed = self._clock() - self._start
        while self._next_change < len(self._schedule):
            change = self._schedule[self._next_change]
            if change.at > elapsed:
                break
            self.set_quota(change.operation, change.tps)
            self._next_change += 1

    def _check_operation(self, operation: str | None) -> None:
        if operation is not None and operation not in self._buckets:
            raise ValueError(f"unknown operation {operation!r}")
