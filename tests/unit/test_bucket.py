"""The leaky bucket that paces calls: its decisions, with the time handed in."""

from __future__ import annotations

import pytest

from bulkjobs._bucket import LeakyBucket


class TestLeakyBucket:
    def test_lets_a_burst_of_its_depth_through(self) -> None:
        """A full bucket of depth 3 takes three units at once, not a fourth."""
        bucket = LeakyBucket(3, 10, now=0.0)
        assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]

    def test_drains_at_its_rate(self) -> None:
        """Once full, one unit fits every 1/rate seconds."""
        bucket = LeakyBucket(1, 10, now=0.0)
        assert bucket.take(0.0)
        assert bucket.wait(0.0) == pytest.approx(0.1)
        assert not bucket.take(0.05)
        assert bucket.take(0.1)

    def test_a_late_check_is_made_up(self) -> None:
        """Time that passed drains the level whenever it is looked at: a late wake-up
        costs no rate."""
        bucket = LeakyBucket(2, 10, now=0.0)
        bucket.take(0.0)
        bucket.take(0.0)
        assert [bucket.take(0.25) for _ in range(3)] == [True, True, False]

    def test_retune_applies_from_now_on(self) -> None:
        """The time before a change drains at the old rate, after it at the new one."""
        bucket = LeakyBucket(1, 1, now=0.0)
        bucket.take(0.0)
        bucket.retune(1, 100, now=0.5)
        assert bucket.level == pytest.approx(0.5)
        assert bucket.wait(0.5) == pytest.approx(0.005)

    def test_give_back_returns_a_unit(self) -> None:
        """A unit granted to a waiter that went away is not lost."""
        bucket = LeakyBucket(1, 1, now=0.0)
        bucket.take(0.0)
        bucket.give_back()
        assert bucket.take(0.0)
