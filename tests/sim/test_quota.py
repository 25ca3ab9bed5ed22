"""Token buckets and quota schedules on a hand-moved clock: no sleeping."""

from __future__ import annotations

import pytest

from bulkjobs.sim._quota import QuotaBook, QuotaChange, TokenBucket
from tests.sim.support import FakeClock


def admitted(bucket: TokenBucket, attempts: int) -> int:
    return sum(bucket.try_acquire() for _ in range(attempts))


class TestTokenBucket:
    def test_burst_then_throttle(self) -> None:
        """A fresh 10/s bucket admits its 1-second burst of 10, then throttles."""
        bucket = TokenBucket(10, burst_seconds=1.0, clock=FakeClock())
        assert admitted(bucket, 15) == 10

    def test_refills_at_the_rate(self) -> None:
        """After draining, 0.25 s at 10/s earns two more requests, and no more."""
        clock = FakeClock()
        bucket = TokenBucket(10, burst_seconds=1.0, clock=clock)
        admitted(bucket, 10)
        clock.advance(0.25)
        assert admitted(bucket, 5) == 2

    def test_never_holds_more_than_the_burst(self) -> None:
        """An idle minute does not bank more than burst_seconds of quota."""
        clock = FakeClock()
        bucket = TokenBucket(10, burst_seconds=2.0, clock=clock)
        clock.advance(60)
        assert admitted(bucket, 100) == 20

    def test_small_quota_still_admits_one(self) -> None:
        """A quota under 1/s keeps a burst of one request."""
        bucket = TokenBucket(0.5, burst_seconds=1.0, clock=FakeClock())
        assert admitted(bucket, 3) == 1

    def test_unlimited(self) -> None:
        """None admits everything."""
        assert admitted(TokenBucket(None, burst_seconds=1.0, clock=FakeClock()), 10_000) == 10_000

    def test_lowering_the_rate_clips_saved_tokens(self) -> None:
        """Dropping from 40/s to 10/s leaves at most the new burst."""
        bucket = TokenBucket(40, burst_seconds=1.0, clock=FakeClock())
        bucket.set_rate(10)
        assert admitted(bucket, 40) == 10

    def test_limiting_an_unlimited_bucket_starts_with_a_burst(self) -> None:
        """Going from unlimited to 5/s starts with 5 tokens."""
        bucket = TokenBucket(None, burst_seconds=1.0, clock=FakeClock())
        bucket.set_rate(5)
        assert admitted(bucket, 10) == 5

    @pytest.mark.parametrize("rate", [0, -1])
    def test_non_positive_rates_are_refused(self, rate: float) -> None:
        """A quota of zero or less is a configuration error."""
        with pytest.raises(ValueError):
            TokenBucket(rate, burst_seconds=1.0, clock=FakeClock())


class TestQuotaBook:
    def book(self, clock: FakeClock, **kwargs: object) -> QuotaBook:
        arguments: dict[str, object] = {
            "default": 10.0,
            "overrides": {},
            "burst_seconds": 1.0,
            "clock": clock,
        }
        arguments.update(kwargs)
        return QuotaBook(("A", "B"), **arguments)  # type: ignore[arg-type]

    def test_operations_have_separate_buckets(self) -> None:
        """Draining one operation's quota leaves the others' intact."""
        book = self.book(FakeClock(), overrides={"B": 2.0})
        assert sum(book.try_acquire("A") for _ in range(20)) == 10
        assert sum(book.try_acquire("B") for _ in range(20)) == 2

    def test_schedule_applies_changes_when_due(self) -> None:
        """'drop to 2/s at t=10 s, back to 40/s at t=20 s', measured from the start."""
        clock = FakeClock()
        book = self.book(
            clock,
            schedule=(QuotaChange(at=20, tps=40.0), QuotaChange(at=10, tps=2.0)),
        )
        assert book.quotas() == {"A": 10.0, "B": 10.0}
        clock.advance(10)
        assert sum(book.try_acquire("A") for _ in range(20)) == 2
        clock.advance(10)
        assert book.quotas() == {"A": 40.0, "B": 40.0}

    def test_schedule_can_target_one_operation(self) -> None:
        """A change naming an operation leaves the others alone."""
        clock = FakeClock()
        book = self.book(clock, schedule=(QuotaChange(at=1, tps=None, operation="B"),))
        clock.advance(1)
        assert book.quotas() == {"A": 10.0, "B": None}

    def test_runtime_changes(self) -> None:
        """set_quota changes one operation, or all with None."""
        book = self.book(FakeClock())
        book.set_quota("A", 3.0)
        assert book.quotas() == {"A": 3.0, "B": 10.0}
        book.set_quota(None, None)
        assert book.quotas() == {"A": None, "B": None}
        with pytest.raises(ValueError):
            book.set_quota("C", 1.0)
