"""Following a server-side CancelJob by DescribeJob's counters (injected clock)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bulkjobs._classify import ErrorClass
from bulkjobs._client import CallError, CallFailure
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ApiError
from bulkjobs._follow import CancelWatch, follow_cancellations
from bulkjobs._jobstatus import JobCounts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def counts(queued: int, in_progress: int, canceled: int = 0) -> JobCounts:
    return JobCounts(
        job_id="fw-1",
        status="CANCELED",
        counts={"QUEUED": queued, "IN_PROGRESS": in_progress, "CANCELED": canceled},
    )


def answers(*seq: JobCounts | CallError | ApiError) -> Any:
    """A DescribeJob that answers ``seq`` in turn (the last one for ever)."""
    left = list(seq)

    async def describe(job_id: str, destination: Destination) -> Mapping[str, Any]:
        item = left.pop(0) if len(left) > 1 else left[0]
        if isinstance(item, CallError | ApiError):
            raise item
        names = {"QUEUED": "numberOfQueuedThings", "IN_PROGRESS": "numberOfInProgressThings"}
        details = {names[s]: n for s, n in item.counts.items() if s in names}
        return {"job": {"jobId": job_id, "status": item.status, "jobProcessDetails": details}}

    return describe


def watch(clock: Clock, first: JobCounts, *, force: bool = True) -> CancelWatch:
    return CancelWatch.start("fw-1", force=force, since=clock.now - 1, counts=first, at=clock.now)


def throttled() -> CallError:
    return CallError(CallFailure(cls=ErrorClass.THROTTLED, code="ThrottlingException", message=""))


class TestFollowing:
    async def test_follows_until_nothing_is_left_and_says_how_long_it_took(self) -> None:
        """Counters fall to zero over three polls: finished, timed from CancelJob."""
        clock = Clock()
        first = counts(100, 40)
        describe = answers(counts(60, 20), counts(10, 5), counts(0, 0, 140))
        (done,) = await follow_cancellations(
            describe, [watch(clock, first)], at_most=60, interval=2, clock=clock, sleep=clock.sleep
        )
        assert done.settled and done.remaining == 0 and done.initial == 140
        assert done.took == 1 + 3 * 2

    async def test_a_timeout_leaves_it_unfinished(self) -> None:
        """Executions still left when time runs out: not finished, no duration."""
        clock = Clock()
        (left,) = await follow_cancellations(
            answers(counts(50, 0)),
            [watch(clock, counts(100, 0))],
            at_most=10,
            interval=2,
            clock=clock,
            sleep=clock.sleep,
        )
        assert not left.settled and left.remaining == 50 and left.took is None
        assert clock.now == 1010.0

    async def test_a_throttled_poll_is_tried_again(self) -> None:
        """Throttling on DescribeJob costs a poll, not the follow."""
        clock = Clock()
        (done,) = await follow_cancellations(
            answers(throttled(), counts(0, 0)),
            [watch(clock, counts(5, 0))],
            at_most=60,
            interval=2,
            clock=clock,
            sleep=clock.sleep,
        )
        assert done.remaining == 0 and done.error is None

    async def test_a_final_error_settles_the_watch(self) -> None:
        """A job that vanished cannot be followed: settled with the error."""
        clock = Clock()
        gone = CallError(
            CallFailure(cls=ErrorClass.NOT_FOUND, code="ResourceNotFoundException", message="x")
        )
        (ended,) = await follow_cancellations(
            answers(gone), [watch(clock, counts(5, 0))], at_most=60, clock=clock, sleep=clock.sleep
        )
        assert ended.settled and ended.error is not None and "ResourceNotFound" in ended.error

    async def test_without_force_in_progress_executions_are_not_waited_for(self) -> None:
        """Without force only QUEUED ones are cancelled; IN_PROGRESS keep running and
        are reported as left running on devices."""
        clock = Clock()
        (done,) = await follow_cancellations(
            answers(counts(0, 7)),
            [watch(clock, counts(30, 7), force=False)],
            at_most=60,
            clock=clock,
            sleep=clock.sleep,
        )
        assert done.settled and done.left_running == 7
        assert done.to_json()["remaining"] == {"QUEUED": 0, "IN_PROGRESS": 7}

    async def test_already_finished_needs_no_poll(self) -> None:
        """A job with nothing left is settled at the start: no sleep, no call."""
        clock = Clock()
        calls: list[str] = []

        async def describe(job_id: str, destination: Destination) -> Mapping[str, Any]:
            calls.append(job_id)
            return {}

        (done,) = await follow_cancellations(
            describe, [watch(clock, counts(0, 0))], at_most=60, clock=clock, sleep=clock.sleep
        )
        assert done.settled and calls == [] and clock.now == 1000.0


EAST = Destination(account="111111111111", region="us-east-1")
WEST = Destination(account="222222222222", region="eu-west-1")


def api_error(code: str) -> ApiError:
    return ApiError(api="DescribeJob", code=code, message="", http_status=None)


class TestAcrossDestinations:
    async def test_each_destination_is_asked_about_its_own_job(self) -> None:
        """The same job id cancelled in two destinations: each watch polls its own,
        and each ends with its own counts and time."""
        clock = Clock()
        asked: list[Destination] = []
        left = {EAST: [counts(3, 0), counts(0, 0, 8)], WEST: [counts(0, 0, 5)]}

        async def describe(job_id: str, destination: Destination) -> Mapping[str, Any]:
            asked.append(destination)
            found = left[destination]
            item = found.pop(0) if len(found) > 1 else found[0]
            details = {"numberOfQueuedThings": item.counts["QUEUED"]}
            return {"job": {"jobId": job_id, "status": "CANCELED", "jobProcessDetails": details}}

        watches = [
            CancelWatch.start(
                "fw-1", force=True, since=999, counts=counts(8, 0), at=1000, destination=EAST
            ),
            CancelWatch.start(
                "fw-1", force=True, since=999, counts=counts(5, 0), at=1000, destination=WEST
            ),
        ]
        east, west = await follow_cancellations(
            describe, watches, at_most=60, interval=2, clock=clock, sleep=clock.sleep
        )
        assert east.destination == EAST and east.took == 1 + 2 * 2
        assert west.destination == WEST and west.took == 1 + 2
        assert asked == [EAST, WEST, EAST]
        assert east.to_json()["account"] == EAST.account
        assert west.to_json()["region"] == WEST.region

    async def test_a_callers_throttle_is_tried_again_and_a_final_error_settles(self) -> None:
        """Through the run's caller failures arrive as ApiError (its retries spent): a
        throttle still costs only a poll, a vanished job settles its watch."""
        clock = Clock()
        (done,) = await follow_cancellations(
            answers(api_error("ThrottlingException"), counts(0, 0)),
            [watch(clock, counts(5, 0))],
            at_most=60,
            clock=clock,
            sleep=clock.sleep,
        )
        assert done.remaining == 0 and done.error is None
        (gone,) = await follow_cancellations(
            answers(api_error("ResourceNotFoundException")),
            [watch(clock, counts(5, 0))],
            at_most=60,
            clock=clock,
            sleep=clock.sleep,
        )
        assert gone.error is not None and "ResourceNotFoundException" in gone.error
