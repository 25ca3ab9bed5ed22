"""Cleanup filters (status, age) and de-duplication, with an injected clock."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import TypeVar

import pytest

from bulkjobs._exceptions import ConfigurationError, InvalidInputError
from bulkjobs._filters import Deduplicator, ListingFilter, parse_age, sort_key
from bulkjobs._listing import Listed
from bulkjobs._models import InvalidTarget, Target

NOW = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)


def listed(
    thing: str = "t",
    *,
    status: str | None = "SUCCEEDED",
    queued: datetime | None = None,
    updated: datetime | None = None,
) -> Listed:
    return Listed(
        target=Target(job_id="job-1", thing_name=thing),
        status=status,
        queued_at=queued,
        last_updated_at=updated,
    )


T = TypeVar("T")


async def agen(items: Iterable[T]) -> AsyncIterator[T]:
    for item in items:
        yield item


class TestParseAge:
    @pytest.mark.parametrize(
        ("text", "age"),
        [
            ("90m", timedelta(minutes=90)),
            ("12h", timedelta(hours=12)),
            ("30d", timedelta(days=30)),
            ("2w", timedelta(weeks=2)),
            (" 7D ", timedelta(days=7)),
            ("1 d", timedelta(days=1)),
        ],
    )
    def test_relative_ages_count_back_from_now(self, text: str, age: timedelta) -> None:
        """An age is subtracted from the injected now."""
        assert parse_age(text, now=NOW) == NOW - age

    @pytest.mark.parametrize(
        ("text", "cutoff"),
        [
            ("2024-05-01", datetime(2024, 5, 1, tzinfo=UTC)),
            ("2024-05-01T06:30:00Z", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
            ("2024-05-01T06:30:00", datetime(2024, 5, 1, 6, 30, tzinfo=UTC)),
            (
                "2024-05-01T08:30:00+02:00",
                datetime(2024, 5, 1, 8, 30, tzinfo=timezone(timedelta(hours=2))),
            ),
        ],
    )
    def test_iso_dates_and_datetimes(self, text: str, cutoff: datetime) -> None:
        """A date is midnight UTC; a datetime without offset is UTC."""
        assert parse_age(text, now=NOW) == cutoff

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("30", "cannot read '30' as an age or a date"),
            ("30y", "use a number with a unit (90m, 12h, 30d, 2w)"),
            ("-3d", "cannot read '-3d'"),
            ("yesterday", "or an ISO date/datetime"),
            ("0d", "must be positive"),
            ("2024-13-01", "cannot read '2024-13-01'"),
            ("2030-01-01", "is in the future"),
            ("99999999999w", "reaches before year 1"),
        ],
    )
    def test_unreadable_ages_say_what_is_accepted(self, text: str, message: str) -> None:
        """Errors are InvalidInputErrors naming the field, with a rule fit for the command line."""
        with pytest.raises(InvalidInputError) as caught:
            parse_age(text, now=NOW)
        (issue,) = caught.value.issues
        assert (issue.field, issue.value) == ("olderThan", text)
        assert message in issue.rule

    def test_now_must_be_aware(self) -> None:
        """A naive now would compare wrongly with AWS's aware timestamps."""
        with pytest.raises(ConfigurationError, match="timezone-aware"):
            parse_age("1d", now=datetime(2024, 1, 1))


class TestStatusFilter:
    def test_keeps_listed_statuses_only(self) -> None:
        """Executions in other statuses are dropped and counted."""
        selection = ListingFilter(statuses=["FAILED", "TIMED_OUT"])
        items = [
            listed("a", status="FAILED"),
            listed("b", status="SUCCEEDED"),
            listed("c", status="TIMED_OUT"),
        ]
        assert [t.thing_name for t in selection.filter(items)] == ["a", "c"]
        stats = selection.statistics()
        assert (stats.seen, stats.kept, stats.wrong_status) == (3, 2, 1)

    def test_unknown_status_is_left_out(self) -> None:
        """A source without statuses cannot pass a status filter: nothing is assumed."""
        selection = ListingFilter(statuses=["QUEUED"])
        assert list(selection.filter([listed(status=None)])) == []
        assert selection.statistics().unknown_status == 1

    @pytest.mark.parametrize(
        ("statuses", "message"),
        [(["DONE"], "unknown status DONE"), ([], "at least one status")],
    )
    def test_rejects_selections_that_select_nothing(
        self, statuses: list[str], message: str
    ) -> None:
        """A typo or an empty list is an error, not an empty selection."""
        with pytest.raises(InvalidInputError, match=message):
            ListingFilter(statuses=statuses)


class TestOlderThanFilter:
    def test_compares_last_update_with_the_cutoff(self) -> None:
        """Only executions last updated strictly before the cutoff qualify."""
        cutoff = parse_age("30d", now=NOW)
        selection = ListingFilter(cutoff=cutoff)
        items = [
            listed("old", updated=cutoff - timedelta(seconds=1)),
            listed("edge", updated=cutoff),
            listed("new", updated=NOW),
        ]
        assert [t.thing_name for t in selection.filter(items)] == ["old"]
        assert selection.statistics().too_recent == 2

    def test_falls_back_to_queued_at(self) -> None:
        """Without lastUpdatedAt, queuedAt dates the execution."""
        selection = ListingFilter(cutoff=NOW)
        items = [listed("a", queued=NOW - timedelta(days=1)), listed("b", queued=NOW)]
        assert [t.thing_name for t in selection.filter(items)] == ["a"]

    def test_last_update_wins_over_queued_at(self) -> None:
        """An old execution updated recently is recent."""
        selection = ListingFilter(cutoff=NOW - timedelta(days=1))
        item = listed(queued=NOW - timedelta(days=9), updated=NOW)
        assert list(selection.filter([item])) == []

    def test_undated_executions_are_left_out(self) -> None:
        """No timestamp at all: age unknown, so not selected, and counted."""
        selection = ListingFilter(cutoff=NOW)
        assert list(selection.filter([listed()])) == []
        assert selection.statistics().unknown_age == 1

    async def test_async_stream(self) -> None:
        """afilter applies the same decisions to an async listing."""
        selection = ListingFilter(statuses=["FAILED"], cutoff=NOW)
        items = [
            listed("a", status="FAILED", updated=NOW - timedelta(hours=1)),
            listed("b", status="QUEUED", updated=NOW - timedelta(hours=1)),
        ]
        kept = [t.thing_name async for t in selection.afilter(agen(items))]
        assert kept == ["a"]


def target(thing: str, number: int | None = None, region: str | None = None) -> Target:
    return Target(job_id="job-1", thing_name=thing, execution_number=number, region=region)


class TestDeduplicationUnsorted:
    def test_drops_repeats_anywhere_and_counts_them(self) -> None:
        """Exact: every repeat is dropped however far apart, the first kept."""
        items = [target("a"), target("b"), target("a"), target("c"), target("b")]
        dedup = Deduplicator()
        assert [t.thing_name for t in dedup.filter(items)] == ["a", "b", "c"]
        stats = dedup.statistics()
        assert (stats.seen, stats.duplicates, stats.remembered, stats.mode) == (5, 2, 3, "digest")

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (target("a"), target("a", 1)),
            (target("a", 1), target("a", 2)),
            (target("a"), target("a", region="eu-west-1")),
            (target("a"), Target(job_id="job-2", thing_name="a")),
        ],
    )
    def test_every_key_field_distinguishes(self, first: Target, second: Target) -> None:
        """Region, job, thing and executionNumber are all part of the key."""
        assert list(Deduplicator().filter([first, second])) == [first, second]

    def test_invalid_targets_pass_through(self) -> None:
        """Invalid lines are never sent, so each is reported, duplicate or not."""
        bad = InvalidTarget(target=target("x y"), reason="bad")
        dedup = Deduplicator()
        assert list(dedup.filter([bad, bad])) == [bad, bad]
        assert dedup.statistics().seen == 0

    def test_a_shuffled_fleet_loses_nothing(self) -> None:
        """10,000 distinct targets, each repeated and shuffled: exactly 10,000 kept."""
        items = [target(f"thing-{n}", n % 3) for n in range(10_000)] * 2
        random.Random(7).shuffle(items)
        kept = list(Deduplicator().filter(items))
        assert len(kept) == len(set(kept)) == 10_000

    async def test_async_stream(self) -> None:
        """afilter drops repeats from an async source."""
        dedup = Deduplicator()
        kept = [t async for t in dedup.afilter(agen([target("a"), target("a")]))]
        assert kept == [target("a")]


class TestDeduplicationSorted:
    def test_adjacent_repeats_dropped_with_nothing_remembered(self) -> None:
        """Sorted input needs only the previous key."""
        items = sorted(
            [target("a"), target("a"), target("a", 1), target("b"), target("b")], key=sort_key
        )
        dedup = Deduplicator(assume_sorted=True)
        assert len(list(dedup.filter(items))) == 3
        stats = dedup.statistics()
        assert (stats.duplicates, stats.remembered, stats.mode) == (2, 0, "sorted")

    def test_unsorted_input_raises_instead_of_missing_repeats(self) -> None:
        """Input out of order would let repeats through: it is refused loudly."""
        dedup = Deduplicator(assume_sorted=True)
        with pytest.raises(ConfigurationError, match="not sorted"):
            list(dedup.filter([target("b"), target("a")]))

    def test_none_sorts_before_any_value(self) -> None:
        """A target without executionNumber or region orders first."""
        assert sort_key(target("a")) < sort_key(target("a", 0))
        assert sort_key(target("a")) < sort_key(target("a", region="af-south-1"))
