"""What the engine does with each answer the service can give (scripted, no network)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from bulkjobs import (
    CancelExecution,
    CancelJob,
    DeleteExecution,
    Engine,
    InvalidTarget,
    Operation,
    Outcome,
    Result,
    RunConfig,
    Target,
)
from bulkjobs._client import CallFailure
from tests.unit.scripted import (
    FakeSleep,
    Handler,
    ScriptedTransport,
    by_api,
    execution,
    failure,
    sequence,
)

OK: dict[str, Any] = {}
T1 = Target(job_id="job-1", thing_name="thing-1")


async def run_one(
    operation: Operation, handler: Handler, target: Target = T1, **config: Any
) -> tuple[Result, ScriptedTransport, FakeSleep]:
    results, transport, sleep = await run_many(operation, handler, [target], **config)
    assert len(results) == 1
    return results[0], transport, sleep


async def run_many(
    operation: Operation,
    handler: Handler,
    targets: list[Any],
    *,
    wall_clock: Callable[[], float] = time.time,
    **config: Any,
) -> tuple[list[Result], ScriptedTransport, FakeSleep]:
    transport = ScriptedTransport(handler)
    sleep = FakeSleep()
    settings = {"rate": 1e6, "concurrency": 4, **config}
    engine = Engine(
        operation,
        RunConfig(**settings),
        transport=transport,
        sleep=sleep,
        rng=random.Random(7),
        wall_clock=wall_clock,
    )
    results: list[Result] = []
    await engine.run(targets, on_result=results.append)
    return results, transport, sleep


class TestCancelExecution:
    async def test_success_is_canceled_in_one_attempt(self) -> None:
        """A plain success ends the target as canceled after one call."""
        result, transport, _ = await run_one(CancelExecution(), sequence(OK))
        assert result.outcome is Outcome.CANCELED
        assert result.attempts == 1
        assert transport.calls == [
            ("CancelJobExecution", {"jobId": "job-1", "thingName": "thing-1", "force": False})
        ]

    async def test_options_are_sent(self) -> None:
        """force, a fixed expectedVersion and statusDetails reach the request."""
        op = CancelExecution(force=True, expected_version=4, status_details={"why": "bad fw"})
        _, transport, _ = await run_one(op, sequence(OK))
        assert transport.calls[0][1] == {
            "jobId": "job-1",
            "thingName": "thing-1",
            "force": True,
            "expectedVersion": 4,
            "statusDetails": {"why": "bad fw"},
        }

    async def test_per_target_version_wins(self) -> None:
        """A target's own expectedVersion overrides the run-wide one."""
        target = Target(job_id="job-1", thing_name="thing-1", expected_version=9)
        _, transport, _ = await run_one(CancelExecution(expected_version=4), sequence(OK), target)
        assert transport.calls[0][1]["expectedVersion"] == 9

    async def test_fresh_version_describes_first(self) -> None:
        """expected_version=FRESH sends the version DescribeJobExecution reported."""
        handler = by_api(DescribeJobExecution=execution("QUEUED", version=3), CancelJobExecution=OK)
        result, transport, _ = await run_one(CancelExecution(expected_version="fresh"), handler)
        assert transport.apis() == ["DescribeJobExecution", "CancelJobExecution"]
        assert transport.calls[1][1]["expectedVersion"] == 3
        assert (result.outcome, result.version_before, result.status_before) == (
            Outcome.CANCELED,
            3,
            "QUEUED",
        )

    @pytest.mark.parametrize(
        ("status", "force", "outcome"),
        [
            ("SUCCEEDED", False, Outcome.ALREADY_TERMINAL),
            ("CANCELED", True, Outcome.ALREADY_TERMINAL),
            ("IN_PROGRESS", False, Outcome.IN_PROGRESS_NEEDS_FORCE),
        ],
    )
    async def test_fresh_describe_decides_without_cancelling(
        self, status: str, force: bool, outcome: Outcome
    ) -> None:
        """When the described status already decides the outcome, no cancel is sent."""
        handler = by_api(DescribeJobExecution=execution(status))
        op = CancelExecution(expected_version="fresh", force=force)
        result, transport, _ = await run_one(op, handler)
        assert result.outcome is outcome
        assert transport.apis() == ["DescribeJobExecution"]


class TestRetries:
    @pytest.mark.parametrize(
        "answer",
        [
            failure("ThrottlingException", 400),
            failure("ThrottlingException", 429),
            failure("ServiceUnavailableException", 503),
            failure("ConnectionClosedError", 0),
            failure("ExpiredTokenException", 403),
        ],
        ids=["throttle-400", "throttle-429", "503", "reset", "expired-token"],
    )
    async def test_transient_errors_are_retried(self, answer: CallFailure) -> None:
        """Throttling, 503s, dropped connections and expired tokens are retried."""
        result, _transport, sleep = await run_one(CancelExecution(), sequence(answer, answer, OK))
        assert result.outcome is Outcome.CANCELED
        assert result.attempts == 3
        assert len(sleep.delays) == 2

    async def test_throttles_are_counted(self) -> None:
        """Each throttled attempt is counted on the result."""
        throttle = failure("ThrottlingException")
        result, _, _ = await run_one(CancelExecution(), sequence(throttle, throttle, OK))
        assert result.throttles == 2

    @pytest.mark.parametrize(
        ("answer", "outcome"),
        [
            (failure("ThrottlingException", 400), Outcome.CANCELED),
            (failure("ServiceUnavailableException", 503), Outcome.RETRIES_EXHAUSTED),
        ],
        ids=["throttles", "503s"],
    )
    async def test_throttles_have_a_larger_allowance(
        self, answer: CallFailure, outcome: Outcome
    ) -> None:
        """Throttles are the rate controller's signal, not the target's fault: twice the
        attempt allowance of throttles still ends in a cancel, the same number of 503s
        does not."""
        failures = [answer] * 8
        result, transport, _ = await run_one(
            CancelExecution(), sequence(*failures, OK), max_attempts=4
        )
        assert result.outcome is outcome
        expected_calls = 9 if outcome is Outcome.CANCELED else 4
        assert len(transport.calls) == expected_calls

    async def test_backoff_is_jittered_under_an_exponential_ceiling(self) -> None:
        """Delay n is drawn from [0, min(cap, base·2^(n-1))]."""
        busy = failure("ServiceUnavailableException", 503)
        _, _, sleep = await run_one(
            CancelExecution(), sequence(busy), max_attempts=6, base_delay=0.1, max_delay=0.5
        )
        ceilings = [0.1, 0.2, 0.4, 0.5, 0.5]
        assert len(sleep.delays) == 5
        assert all(0 <= d <= c for d, c in zip(sleep.delays, ceilings, strict=True))

    async def test_attempts_are_bounded(self) -> None:
        """Past max_attempts the target ends as retries_exhausted, with the last error."""
        busy = failure("ServiceUnavailableException", 503)
        result, transport, _ = await run_one(CancelExecution(), sequence(busy), max_attempts=4)
        assert result.outcome is Outcome.RETRIES_EXHAUSTED
        assert len(transport.calls) == 4
        assert (result.error_code, result.http_status) == ("ServiceUnavailableException", 503)

    async def test_run_wide_budget_stops_retry_storms(self) -> None:
        """With the retry budget spent, a transient failure is final."""
        busy = failure("ServiceUnavailableException", 503)
        result, transport, _ = await run_one(
            CancelExecution(), sequence(busy), retry_budget_floor=0, retry_budget_ratio=0.0
        )
        assert result.outcome is Outcome.RETRIES_EXHAUSTED
        assert len(transport.calls) == 1

    async def test_throttles_do_not_spend_the_run_wide_budget(self) -> None:
        """A throttled retry waits for a rate slot like a first attempt (no added load):
        with the budget spent, throttles are still waited out."""
        throttle = failure("ThrottlingException")
        result, transport, _ = await run_one(
            CancelExecution(),
            sequence(throttle, throttle, throttle, OK),
            retry_budget_floor=0,
            retry_budget_ratio=0.0,
        )
        assert result.outcome is Outcome.CANCELED
        assert len(transport.calls) == 4

    @pytest.mark.parametrize(
        ("answer", "outcome"),
        [
            (failure("ResourceNotFoundException", 404), Outcome.NOT_FOUND),
            (failure("InvalidRequestException", 400), Outcome.INVALID_REQUEST),
            (failure("AccessDeniedException", 403), Outcome.ERROR),
        ],
    )
    async def test_final_errors_are_not_retried(
        self, answer: CallFailure, outcome: Outcome
    ) -> None:
        """Not-found, invalid requests and unknown errors end the target at once."""
        result, transport, _ = await run_one(CancelExecution(), sequence(answer))
        assert result.outcome is outcome
        assert len(transport.calls) == 1


class TestConflicts:
    async def test_fresh_version_conflict_retries_with_the_version_read(self) -> None:
        """--expected-version fresh: VersionConflict → describe → retry with that version."""
        handler = by_api(
            CancelJobExecution=[failure("VersionConflictException", 409), OK],
            DescribeJobExecution=[execution("QUEUED", version=7), execution("QUEUED", version=8)],
        )
        result, transport, _ = await run_one(CancelExecution(expected_version="fresh"), handler)
        assert result.outcome is Outcome.CANCELED
        assert transport.apis() == [
            "DescribeJobExecution",
            "CancelJobExecution",
            "DescribeJobExecution",
            "CancelJobExecution",
        ]
        assert [c[1].get("expectedVersion") for c in transport.calls[1::2]] == [7, 8]
        assert result.expected_version == 8

    @pytest.mark.parametrize(
        ("operation", "target"),
        [
            (CancelExecution(expected_version=7), T1),
            (CancelExecution(), Target(job_id="job-1", thing_name="thing-1", expected_version=7)),
        ],
        ids=["run-wide", "per-target"],
    )
    async def test_a_given_version_is_a_guard(self, operation: Operation, target: Target) -> None:
        """A VersionConflict on a version the caller gave ends as version_conflict, with
        the version sent and the version found; it is never retried with another."""
        handler = by_api(
            CancelJobExecution=failure("VersionConflictException", 409),
            DescribeJobExecution=execution("QUEUED", version=8),
        )
        result, transport, _ = await run_one(operation, handler, target)
        assert result.outcome is Outcome.VERSION_CONFLICT
        assert transport.apis() == ["CancelJobExecution", "DescribeJobExecution"]
        assert (result.expected_version, result.version_found) == (7, 8)
        line = result.to_json()
        assert (line["expectedVersion"], line["versionFound"], line["kind"]) == (7, 8, "skipped")
        assert result.error_code == "VersionConflictException"

    async def test_a_guard_on_a_terminal_execution_is_still_a_conflict(self) -> None:
        """The guard's answer stands even when the execution has ended since: the
        version found and the status found are in the result."""
        handler = by_api(
            CancelJobExecution=failure("VersionConflictException", 409),
            DescribeJobExecution=execution("SUCCEEDED", version=9),
        )
        result, _, _ = await run_one(CancelExecution(expected_version=7), handler)
        assert result.outcome is Outcome.VERSION_CONFLICT
        assert (result.status_before, result.version_found) == ("SUCCEEDED", 9)

    async def test_no_version_sent_is_recorded_as_none(self) -> None:
        """The report's expectedVersion is the version actually sent: none here."""
        result, _, _ = await run_one(CancelExecution(), sequence(OK))
        assert result.expected_version is None
        assert result.to_json()["expectedVersion"] is None

    @pytest.mark.parametrize(
        ("error", "status", "force", "outcome"),
        [
            ("VersionConflictException", "SUCCEEDED", False, Outcome.ALREADY_TERMINAL),
            ("VersionConflictException", "IN_PROGRESS", False, Outcome.IN_PROGRESS_NEEDS_FORCE),
            ("InvalidStateTransitionException", "CANCELED", False, Outcome.ALREADY_TERMINAL),
            ("InvalidStateTransitionException", "FAILED", True, Outcome.ALREADY_TERMINAL),
            (
                "InvalidStateTransitionException",
                "IN_PROGRESS",
                False,
                Outcome.IN_PROGRESS_NEEDS_FORCE,
            ),
        ],
    )
    async def test_describe_tells_why(
        self, error: str, status: str, force: bool, outcome: Outcome
    ) -> None:
        """After a conflict or refused transition, the fresh status decides."""
        op = CancelExecution(force=force, expected_version="fresh")
        handler = by_api(
            CancelJobExecution=failure(error, 409),
            DescribeJobExecution=[execution("QUEUED"), execution(status)],
        )
        result, _, _ = await run_one(op, handler)
        assert result.outcome is outcome
        assert result.error_code == error

    async def test_conflicts_are_bounded(self) -> None:
        """Endless version churn ends as conflict_exhausted after N fresh retries."""
        handler = by_api(
            CancelJobExecution=failure("VersionConflictException", 409),
            DescribeJobExecution=execution("QUEUED"),
        )
        result, transport, _ = await run_one(
            CancelExecution(expected_version="fresh"), handler, max_conflict_retries=3
        )
        assert result.outcome is Outcome.CONFLICT_EXHAUSTED
        assert transport.apis().count("CancelJobExecution") == 4


def canceled(version: int = 2, *, updated: float, force: bool = False) -> dict[str, Any]:
    """A DescribeJobExecution answer for a CANCELED execution."""
    answer = execution("CANCELED", version=version)
    answer["execution"].update(lastUpdatedAt=updated, forceCanceled=force)
    return answer


NOW = 1_800_000_000.0
LOST = failure("ConnectionClosedError", 0)
REFUSED = failure("InvalidStateTransitionException", 409)


class TestLostAnswers:
    """A call whose answer was lost is only claimed when the evidence says it was ours."""

    async def run(self, op: CancelExecution, *describes: dict[str, Any]) -> Result:
        handler = by_api(CancelJobExecution=[LOST, REFUSED], DescribeJobExecution=list(describes))
        result, _, _ = await run_one(op, handler, wall_clock=lambda: NOW)
        return result

    async def test_changed_before_the_call_was_sent_is_not_ours(self) -> None:
        """lastUpdatedAt well before the call was sent: an earlier run cancelled it."""
        result = await self.run(CancelExecution(), canceled(updated=NOW - 600))
        assert result.outcome is Outcome.ALREADY_TERMINAL
        assert result.message is not None and "before this run's call was sent" in result.message

    async def test_within_the_clock_margin_it_stays_undecided(self) -> None:
        """A change dated within the margin before sending could be ours: not claimed,
        not denied — canceled with confirmed false, and the reason in the message."""
        result = await self.run(CancelExecution(), canceled(updated=NOW - 1))
        assert (result.outcome, result.confirmed) == (Outcome.CANCELED, False)
        assert result.message is not None and result.message.startswith("unconfirmed")
        assert result.to_json()["confirmed"] is False
        assert result.error_code is None

    async def test_other_force_flag_is_not_ours(self) -> None:
        """forceCanceled differs from the force this run sent: someone else cancelled it."""
        result = await self.run(CancelExecution(force=True), canceled(updated=NOW, force=False))
        assert result.outcome is Outcome.ALREADY_TERMINAL
        assert "forceCanceled" in (result.message or "")

    async def test_version_after_a_read_decides(self) -> None:
        """fresh: read at version 4, lost cancel with expectedVersion 4, found CANCELED at
        5 — exactly what the call makes: ours, confirmed."""
        op = CancelExecution(expected_version="fresh")
        result = await self.run(op, execution("QUEUED", version=4), canceled(5, updated=NOW))
        assert (result.outcome, result.confirmed) == (Outcome.CANCELED, True)
        assert result.to_json()["confirmed"] is True

    async def test_version_the_call_cannot_make_is_not_ours(self) -> None:
        """Lost cancel with expectedVersion 4 cannot have produced version 7."""
        op = CancelExecution(expected_version="fresh")
        result = await self.run(op, execution("QUEUED", version=4), canceled(7, updated=NOW))
        assert result.outcome is Outcome.ALREADY_TERMINAL

    async def test_lost_answer_on_a_guarded_call_is_judged_before_the_guard(self) -> None:
        """A given version whose cancel applied but whose answer was lost: the retry's
        VersionConflict is this run's own doing, so the target is canceled, not a conflict."""
        handler = by_api(
            CancelJobExecution=[LOST, failure("VersionConflictException", 409)],
            DescribeJobExecution=canceled(4, updated=NOW),
        )
        result, _, _ = await run_one(
            CancelExecution(expected_version=3), handler, wall_clock=lambda: NOW
        )
        assert (result.outcome, result.confirmed) == (Outcome.CANCELED, True)

    async def test_answered_success_after_a_lost_answer_is_confirmed(self) -> None:
        """A retry the server answered with success: the earlier attempt did not apply."""
        handler = by_api(CancelJobExecution=[LOST, OK])
        result, _, _ = await run_one(CancelExecution(), handler)
        assert (result.outcome, result.confirmed) == (Outcome.CANCELED, True)

    async def test_report_counts_unconfirmed(self) -> None:
        """summary.json's unconfirmed counts done outcomes the evidence could not pin."""
        handler = by_api(
            CancelJobExecution=[LOST, REFUSED], DescribeJobExecution=canceled(updated=NOW)
        )
        transport = ScriptedTransport(handler)
        engine = Engine(
            CancelExecution(),
            RunConfig(rate=1e6),
            transport=transport,
            sleep=FakeSleep(),
            wall_clock=lambda: NOW,
        )
        report = await engine.run([T1])
        assert (report.unconfirmed, report.to_json()["unconfirmed"]) == (1, 1)


class TestListedTerminal:
    """An execution a listing showed terminal cannot change again: no call is spent."""

    @pytest.mark.parametrize(("expected", "saved"), [(None, 2), ("fresh", 1)])
    async def test_cancel_of_a_listed_terminal_execution_sends_nothing(
        self, expected: str | None, saved: int
    ) -> None:
        """already_terminal with the listed status, no call, and the calls saved counted."""
        target = Target(job_id="job-1", thing_name="thing-1", listed_status="SUCCEEDED")
        transport = ScriptedTransport(sequence(OK))
        engine = Engine(
            CancelExecution(expected_version=expected),  # type: ignore[arg-type]
            RunConfig(rate=1e6),
            transport=transport,
            sleep=FakeSleep(),
        )
        results: list[Result] = []
        report = await engine.run([target], on_result=results.append)
        assert transport.calls == []
        assert (results[0].outcome, results[0].status_before) == (
            Outcome.ALREADY_TERMINAL,
            "SUCCEEDED",
        )
        assert results[0].attempts == 0
        assert (report.calls_saved, report.to_json()["callsSaved"]) == (saved, saved)

    async def test_a_listed_active_execution_is_still_called(self) -> None:
        """QUEUED or IN_PROGRESS in a listing may have moved since: the call is made."""
        target = Target(job_id="job-1", thing_name="thing-1", listed_status="QUEUED")
        result, transport, _ = await run_one(CancelExecution(), sequence(OK), target)
        assert result.outcome is Outcome.CANCELED
        assert transport.apis() == ["CancelJobExecution"]

    async def test_delete_of_a_listed_terminal_execution_still_deletes(self) -> None:
        """Deleting terminal executions is the point of a cleanup: the call is made."""
        target = Target(
            job_id="job-1", thing_name="thing-1", execution_number=3, listed_status="CANCELED"
        )
        result, transport, _ = await run_one(DeleteExecution(), sequence(OK), target)
        assert result.outcome is Outcome.DELETED
        assert transport.apis() == ["DeleteJobExecution"]


class TestDeleteExecution:
    async def test_execution_number_is_resolved(self) -> None:
        """Without an executionNumber, DescribeJobExecution supplies it."""
        handler = by_api(
            DescribeJobExecution=execution("SUCCEEDED", number=5), DeleteJobExecution=OK
        )
        result, transport, _ = await run_one(DeleteExecution(namespace_id="ns"), handler)
        assert result.outcome is Outcome.DELETED
        assert result.execution_number == 5
        assert transport.calls[1] == (
            "DeleteJobExecution",
            {
                "jobId": "job-1",
                "thingName": "thing-1",
                "executionNumber": 5,
                "force": False,
                "namespaceId": "ns",
            },
        )

    async def test_non_terminal_without_force_is_skipped_without_deleting(self) -> None:
        """A QUEUED execution is not deleted without force."""
        handler = by_api(DescribeJobExecution=execution("QUEUED"))
        result, transport, _ = await run_one(DeleteExecution(), handler)
        assert result.outcome is Outcome.NOT_TERMINAL_NEEDS_FORCE
        assert transport.apis() == ["DescribeJobExecution"]

    async def test_refused_delete_is_explained(self) -> None:
        """InvalidStateTransition on delete → describe → not_terminal_needs_force."""
        target = Target(job_id="job-1", thing_name="thing-1", execution_number=2)
        handler = by_api(
            DeleteJobExecution=failure("InvalidStateTransitionException", 409),
            DescribeJobExecution=execution("IN_PROGRESS", number=2),
        )
        result, _, _ = await run_one(DeleteExecution(), handler, target)
        assert result.outcome is Outcome.NOT_TERMINAL_NEEDS_FORCE

    async def test_lost_answer_then_not_found_is_deleted_unconfirmed(self) -> None:
        """A lost delete, then ResourceNotFound: deleted, but not claimed as certain —
        a deleted execution leaves nothing to tell who deleted it."""
        target = Target(job_id="job-1", thing_name="thing-1", execution_number=2)
        handler = by_api(
            DeleteJobExecution=[
                failure("ReadTimeoutError", 0),
                failure("ResourceNotFoundException", 404),
            ]
        )
        result, _, _ = await run_one(DeleteExecution(), handler, target)
        assert (result.outcome, result.confirmed) == (Outcome.DELETED, False)
        assert (result.message or "").startswith("unconfirmed")

    async def test_missing_execution_is_not_found(self) -> None:
        """A target with no execution is a no-op: not_found."""
        handler = by_api(DescribeJobExecution=failure("ResourceNotFoundException", 404))
        result, _, _ = await run_one(DeleteExecution(), handler)
        assert result.outcome is Outcome.NOT_FOUND


class TestCancelJob:
    async def test_cancel_job_sends_its_options(self) -> None:
        """reasonCode, comment and force reach CancelJob."""
        op = CancelJob(force=True, reason_code="BAD_FW", comment="stop it")
        result, transport, _ = await run_one(op, sequence(OK), Target(job_id="job-1"))
        assert result.outcome is Outcome.CANCELED
        assert transport.calls == [
            (
                "CancelJob",
                {"jobId": "job-1", "force": True, "reasonCode": "BAD_FW", "comment": "stop it"},
            )
        ]

    async def test_job_already_finished_is_a_no_op(self) -> None:
        """CancelJob refused on a CANCELED job → already_terminal."""
        handler = by_api(
            CancelJob=failure("InvalidRequestException", 400),
            DescribeJob={"job": {"status": "CANCELED"}},
        )
        result, _, _ = await run_one(CancelJob(), handler, Target(job_id="job-1"))
        assert result.outcome is Outcome.ALREADY_TERMINAL


class TestRunControl:
    async def test_dry_run_sends_nothing(self) -> None:
        """--dry-run records dry_run for every target and makes no call."""
        targets = [Target(job_id="j", thing_name=f"t{i}") for i in range(10)]
        results, transport, _ = await run_many(
            CancelExecution(), sequence(OK), targets, dry_run=True
        )
        assert [r.outcome for r in results] == [Outcome.DRY_RUN] * 10
        assert transport.calls == []

    @pytest.mark.parametrize(
        ("operation", "target", "params", "pending"),
        [
            (
                CancelExecution(force=True, expected_version=4, status_details={"k": "v"}),
                Target(job_id="j", thing_name="t"),
                {"jobId": "j", "thingName": "t", "force": True, "expectedVersion": 4,
                 "statusDetails": {"k": "v"}},
                [],
            ),
            (
                CancelExecution(expected_version="fresh"),
                Target(job_id="j", thing_name="t"),
                {"jobId": "j", "thingName": "t", "force": False},
                ["expectedVersion"],
            ),
            (
                DeleteExecution(force=True, namespace_id="ns"),
                Target(job_id="j", thing_name="t", execution_number=3),
                {"jobId": "j", "thingName": "t", "executionNumber": 3, "force": True,
                 "namespaceId": "ns"},
                [],
            ),
            (
                DeleteExecution(),
                Target(job_id="j", thing_name="t"),
                {"jobId": "j", "thingName": "t", "executionNumber": None, "force": False},
                ["executionNumber"],
            ),
            (
                CancelJob(force=True, reason_code="BAD", comment="c"),
                Target(job_id="j"),
                {"jobId": "j", "force": True, "reasonCode": "BAD", "comment": "c"},
                [],
            ),
        ],
    )  # fmt: skip
    async def test_dry_run_shows_each_call_as_it_would_be_sent(
        self, operation: Operation, target: Target, params: dict[str, Any], pending: list[str]
    ) -> None:
        """A dry-run result carries the API and the exact parameters, and names those
        only a DescribeJobExecution at run time would fill in."""
        result, transport, _ = await run_one(operation, sequence(OK), target, dry_run=True)
        assert transport.calls == []
        line = result.to_json()["request"]
        assert line == {"api": operation.api, "params": params, "resolvedAtRun": pending}

    async def test_a_real_run_sends_what_the_dry_run_showed(self) -> None:
        """The dry run's parameters are the ones the real call carries."""
        op = CancelExecution(force=True, expected_version=2, status_details={"why": "bad"})
        shown, _, _ = await run_one(op, sequence(OK), dry_run=True)
        _, transport, _ = await run_one(op, sequence(OK))
        assert shown.request is not None
        assert transport.calls == [("CancelJobExecution", dict(shown.request.params))]

    async def test_a_stop_ends_a_listing_quietly(self) -> None:
        """A listing whose next page meets a stopping run ends there, without an error."""
        transport = ScriptedTransport(sequence(failure("ThrottlingException")))
        engine = Engine(
            CancelExecution(), RunConfig(rate=1e6), transport=transport, sleep=FakeSleep()
        )

        async def listing() -> Any:
            engine.stop("stopped by the test")
            await engine.call("ListJobExecutionsForJob", {"jobId": "j"})
            yield T1

        report = await engine.run(listing())
        assert (report.total, report.stop_reason) == (0, "stopped by the test")
        assert transport.calls == []

    async def test_invalid_lines_are_reported_without_a_call(self) -> None:
        """An InvalidTarget becomes invalid_request; valid neighbours still run."""
        bad = InvalidTarget(target=Target(job_id="j", thing_name="bad name"), reason="pattern")
        results, transport, _ = await run_many(CancelExecution(), sequence(OK), [bad, T1])
        assert sorted(r.outcome for r in results) == [Outcome.CANCELED, Outcome.INVALID_REQUEST]
        assert len(transport.calls) == 1

    async def test_clock_skew_stops_the_run(self) -> None:
        """A skewed clock fails every call alike: the run stops and every target is
        interrupted (for the resumed run to do), the refused one too, its error kept."""
        skew = failure("InvalidSignatureException", 403, "Signature expired: request time")
        targets = [Target(job_id="j", thing_name=f"t{i}") for i in range(50)]
        results, transport, _ = await run_many(
            CancelExecution(), sequence(skew), targets, concurrency=1
        )
        outcomes = [r.outcome for r in results]
        assert len(results) == 50
        assert outcomes == [Outcome.INTERRUPTED] * 50
        refused = [r for r in results if r.error_code == "InvalidSignatureException"]
        assert 1 <= len(refused) == len(transport.calls) < 5
        assert all(r.message and "nothing was changed" in r.message for r in refused)

    async def test_abort_threshold(self) -> None:
        """Failures past P % after N executed stop the run."""
        targets = [Target(job_id="j", thing_name=f"t{i}") for i in range(100)]
        transport = ScriptedTransport(sequence(failure("AccessDeniedException", 403)))
        engine = Engine(
            CancelExecution(),
            RunConfig(rate=1e6, concurrency=1, abort_failed_percent=50, abort_min_executed=10),
            transport=transport,
            sleep=FakeSleep(),
        )
        report = await engine.run(targets)
        assert report.total == 100
        assert report.stop_reason is not None and "aborted" in report.stop_reason
        assert report.count(Outcome.ERROR) == 10
        assert report.count(Outcome.INTERRUPTED) == 90
        assert report.exit_code == 1

    async def test_stop_records_the_rest_as_interrupted(self) -> None:
        """After stop(), no new target starts and each remaining one is reported once."""
        targets = [Target(job_id="j", thing_name=f"t{i}") for i in range(40)]
        transport = ScriptedTransport(sequence(OK))
        engine = Engine(CancelExecution(), RunConfig(rate=1e6, concurrency=2), transport=transport)
        seen: list[Result] = []

        def on_result(result: Result) -> None:
            seen.append(result)
            if len(seen) == 5:
                engine.stop("operator pressed Ctrl-C", signalled=True)

        report = await engine.run(targets, on_result=on_result)
        names = [r.target.thing_name or "" for r in seen]
        assert sorted(names) == sorted(t.thing_name or "" for t in targets)
        assert report.count(Outcome.CANCELED) == len(transport.calls)
        assert report.count(Outcome.INTERRUPTED) == 40 - len(transport.calls)
        assert report.exit_code == 130
