"""Listing sources against a scripted ApiCaller: paging, parsing, argument checks."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from bulkjobs._destination import Destination
from bulkjobs._exceptions import ApiError, InvalidInputError
from bulkjobs._listing import PAGE_SIZE, Listed, from_job, from_thing, from_thing_group
from bulkjobs._models import Target

ARN = "arn:aws:iot:us-east-1:123456789012:thing/"


class ScriptedCaller:
    """Answers each call with the next scripted response and records the requests."""

    def __init__(self, *responses: dict[str, Any]) -> None:
        self.responses = list(responses)
        self.calls: list[tuple[str, dict[str, Any], Destination | None]] = []

    async def __call__(
        self, api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        self.calls.append((api, dict(params), destination))
        return self.responses.pop(0)


def summary(thing: str, number: int = 1, status: str = "QUEUED", **times: Any) -> dict[str, Any]:
    return {
        "thingArn": ARN + thing,
        "jobExecutionSummary": {"status": status, "executionNumber": number, **times},
    }


async def collect(source: Any) -> list[Listed]:
    return [item async for item in source]


class TestFromJob:
    async def test_follows_next_token_with_full_pages(self) -> None:
        """Pages of 250 are requested until nextToken runs out."""
        caller = ScriptedCaller(
            {"executionSummaries": [summary("a")], "nextToken": "t1"},
            {"executionSummaries": [summary("b", 2)]},
        )
        items = await collect(
            from_job(caller, "job-1", destination=Destination(region="eu-west-1"))
        )
        assert [item.target for item in items] == [
            Target(job_id="job-1", thing_name="a", execution_number=1, region="eu-west-1"),
            Target(job_id="job-1", thing_name="b", execution_number=2, region="eu-west-1"),
        ]
        # The listed status travels with the target (not part of its identity).
        assert [item.target.listed_status for item in items] == ["QUEUED", "QUEUED"]
        assert caller.calls == [
            (
                "ListJobExecutionsForJob",
                {"jobId": "job-1", "maxResults": PAGE_SIZE},
                Destination(region="eu-west-1"),
            ),
            (
                "ListJobExecutionsForJob",
                {"jobId": "job-1", "maxResults": PAGE_SIZE, "nextToken": "t1"},
                Destination(region="eu-west-1"),
            ),
        ]

    async def test_one_listing_per_status(self) -> None:
        """The API takes one status per call, so each status is listed on its own."""
        caller = ScriptedCaller(
            {"executionSummaries": [summary("a", status="QUEUED")]},
            {"executionSummaries": [summary("b", status="IN_PROGRESS")]},
        )
        items = await collect(from_job(caller, "job-1", ["QUEUED", "IN_PROGRESS", "QUEUED"]))
        assert [item.status for item in items] == ["QUEUED", "IN_PROGRESS"]
        assert [call[1]["status"] for call in caller.calls] == ["QUEUED", "IN_PROGRESS"]

    async def test_summary_times_become_aware_datetimes(self) -> None:
        """Datetimes pass through (naive ones as UTC); epoch numbers are converted."""
        queued = datetime(2024, 1, 1, tzinfo=UTC)
        caller = ScriptedCaller(
            {
                "executionSummaries": [
                    summary("a", queuedAt=queued, lastUpdatedAt=1_717_243_200.0),
                    summary("b", queuedAt=datetime(2024, 1, 2)),
                ]
            }
        )
        first, second = await collect(from_job(caller, "job-1"))
        assert first.queued_at == queued
        assert first.last_updated_at == datetime(2024, 6, 1, 12, tzinfo=UTC)
        assert second.queued_at == datetime(2024, 1, 2, tzinfo=UTC)
        assert second.last_updated_at is None

    async def test_a_token_that_does_not_advance_is_an_error(self) -> None:
        """A server repeating its nextToken would make the listing endless."""
        page = {"executionSummaries": [summary("a")], "nextToken": "same"}
        caller = ScriptedCaller(page, page)
        with pytest.raises(ApiError, match="nextToken did not advance"):
            await collect(from_job(caller, "job-1"))

    @pytest.mark.parametrize(
        "entry",
        [
            {"thingArn": "arn:aws:iot:us-east-1:1:thinggroup", "jobExecutionSummary": {}},
            {"thingArn": ARN + "a"},
            summary("a", number="7"),  # type: ignore[arg-type]
            summary("a", queuedAt="yesterday"),
        ],
    )
    async def test_malformed_summaries_raise(self, entry: dict[str, Any]) -> None:
        """A response we cannot read is an ApiError, not a silently skipped target."""
        caller = ScriptedCaller({"executionSummaries": [entry]})
        with pytest.raises(ApiError, match="MalformedResponse"):
            await collect(from_job(caller, "job-1"))

    @pytest.mark.parametrize(
        ("job_id", "statuses", "field"),
        [
            ("job 1", None, "jobId"),
            ("job-1", ["DONE"], "status"),
            ("job-1", [], "status"),
            ("job-1", "QUEUED", "status"),
        ],
    )
    def test_bad_arguments_fail_before_any_call(
        self, job_id: str, statuses: Any, field: str
    ) -> None:
        """Arguments are checked when the source is made, not when it is first read."""
        caller = ScriptedCaller()
        with pytest.raises(InvalidInputError) as raised:
            from_job(caller, job_id, statuses)
        assert raised.value.issues[0].field == field
        assert caller.calls == []


class TestFromThing:
    async def test_executions_across_jobs(self) -> None:
        """Each summary names its job; the thing is the one asked about."""
        caller = ScriptedCaller(
            {
                "executionSummaries": [
                    {"jobId": "job-1", "jobExecutionSummary": {"status": "FAILED"}},
                    {"jobId": "job-2", "jobExecutionSummary": {"executionNumber": 4}},
                ]
            }
        )
        items = await collect(from_thing(caller, "thing-1", ["FAILED"], job_id="job-1"))
        assert [item.target for item in items] == [
            Target(job_id="job-1", thing_name="thing-1"),
            Target(job_id="job-2", thing_name="thing-1", execution_number=4),
        ]
        assert caller.calls[0][1] == {
            "thingName": "thing-1",
            "status": "FAILED",
            "jobId": "job-1",
            "maxResults": PAGE_SIZE,
        }


class TestFromThingGroup:
    async def test_one_target_per_thing(self) -> None:
        """Thing names become targets of the given job, with no status or times."""
        caller = ScriptedCaller({"things": ["a", "b"], "nextToken": "n"}, {"things": ["c"]})
        items = await collect(from_thing_group(caller, "fleet", "job-1", recursive=True))
        assert [item.target.thing_name for item in items] == ["a", "b", "c"]
        assert {item.status for item in items} == {None}
        assert caller.calls[0][1] == {
            "thingGroupName": "fleet",
            "recursive": True,
            "maxResults": PAGE_SIZE,
        }

    async def test_pages_are_fetched_only_as_they_are_consumed(self) -> None:
        """The listing is lazy: the second page waits until the first is used up."""
        caller = ScriptedCaller({"things": ["a"], "nextToken": "n"}, {"things": ["b"]})
        source = from_thing_group(caller, "fleet", "job-1")
        assert (await anext(source)).target.thing_name == "a"
        assert len(caller.calls) == 1
        await source.aclose()
