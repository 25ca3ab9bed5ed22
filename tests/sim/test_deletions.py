"""DeleteJob's bookkeeping, pure: the most deletions at once, per destination and summed
over destinations, with the clock passed in."""

from __future__ import annotations

import pytest

from bulkjobs.sim._errors import ApiError, ErrorCode
from bulkjobs.sim._jobs import DeletionTally, JobDeletions
from bulkjobs.sim._state import FleetState

NOW = 1_700_000_000.0


def state_with(*job_ids: str, region: str = "us-east-1") -> FleetState:
    state = FleetState(account_id="123456789012", region=region)
    for job_id in job_ids:
        state.add_job(job_id, now=NOW - 100)
    return state


def book(tally: DeletionTally | None = None, *, slots: int = 10) -> JobDeletions:
    """Deletions of one second each, whatever the job's size."""
    deletions = JobDeletions(max_deleting=slots, base_seconds=1.0, per_execution_seconds=0.0)
    if tally is not None:
        deletions.tally = tally
    return deletions


class TestPeakInOneDestination:
    def test_the_peak_is_the_most_at_once_not_the_total(self) -> None:
        """Three at once, then two more after those finished: the peak is 3, 5 finished."""
        state, deletions = state_with(*(f"j{n}" for n in range(5))), book()
        for n in range(3):
            deletions.start(state, f"j{n}", force=True, now=NOW)
        deletions.start(state, "j3", force=True, now=NOW + 1.0)
        deletions.start(state, "j4", force=True, now=NOW + 1.5)
        deletions.finish_due(state, NOW + 10)
        stats = deletions.statistics()
        assert (stats.peak_in_progress, stats.finished, stats.in_progress) == (3, 5, 0)

    def test_a_deletion_due_at_now_no_longer_counts(self) -> None:
        """A deletion whose time is exactly now is over before the next one counts."""
        state, deletions = state_with("a", "b"), book()
        deletions.start(state, "a", force=True, now=NOW)
        deletions.start(state, "b", force=True, now=NOW + 1.0)
        assert deletions.statistics().peak_in_progress == 1

    def test_a_refusal_is_no_peak(self) -> None:
        """At the limit, one more is refused and the peak stays at the limit."""
        state, deletions = state_with("a", "b", "c"), book(slots=2)
        deletions.start(state, "a", force=True, now=NOW)
        deletions.start(state, "b", force=True, now=NOW)
        with pytest.raises(ApiError) as refused:
            deletions.start(state, "c", force=True, now=NOW)
        assert refused.value.code is ErrorCode.LIMIT_EXCEEDED
        stats = deletions.statistics()
        assert (stats.peak_in_progress, stats.limit_refusals) == (2, 1)


class TestPeakAcrossDestinations:
    def test_side_by_side_deletions_add_up(self) -> None:
        """Two destinations deleting at the same time: the sum's peak is both at once."""
        tally = DeletionTally()
        east, west = state_with("a", "b"), state_with("a", "b", region="eu-west-1")
        books = [book(tally), book(tally)]
        for state, deletions in zip((east, west), books, strict=True):
            deletions.start(state, "a", force=True, now=NOW)
            deletions.start(state, "b", force=True, now=NOW + 0.5)
        assert tally.totals(NOW + 0.5).peak_in_progress == 4
        assert [b.statistics().peak_in_progress for b in books] == [2, 2]

    def test_deletions_in_turns_do_not_add_up(self) -> None:
        """One destination's deletions over before the other's start: the peak is one
        destination's, though nobody swept the first book in between."""
        tally = DeletionTally()
        east, west = state_with("a", "b"), state_with("a", "b", region="eu-west-1")
        first, second = book(tally), book(tally)
        first.start(east, "a", force=True, now=NOW)
        first.start(east, "b", force=True, now=NOW)
        second.start(west, "a", force=True, now=NOW + 1.0)
        second.start(west, "b", force=True, now=NOW + 1.0)
        totals = tally.totals(NOW + 1.0)
        assert (totals.peak_in_progress, totals.in_progress) == (2, 2)
        assert first.statistics().in_progress == 2  # not swept, yet not counted above
        assert tally.totals(NOW + 2.0).in_progress == 0
