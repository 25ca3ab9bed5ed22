"""The pure fleet model: the API's rules with no sockets and no clock."""

from __future__ import annotations

import random

import pytest

from bulkjobs.sim._errors import ApiError, ErrorCode
from bulkjobs.sim._fleet import FleetSpec, build_state
from bulkjobs.sim._model import TERMINAL, Execution, ExecutionStatus, JobStatus
from bulkjobs.sim._state import FleetState

NOW = 1_700_000_000.0
S = ExecutionStatus


def make_execution(job_id: str, thing: str, status: ExecutionStatus) -> Execution:
    """Execution number 1 at version 1, queued 100 s ago."""
    return Execution(
        job_id=job_id,
        thing_name=thing,
        status=status,
        execution_number=1,
        version_number=1,
        queued_at=NOW - 100,
        started_at=None,
        last_updated_at=NOW - 100,
    )


def fleet(*statuses: ExecutionStatus, job_id: str = "job-1") -> FleetState:
    """A state with one execution per given status, on things t1, t2, ..."""
    state = FleetState(account_id="123456789012", region="us-east-1")
    job = state.add_job(job_id, now=NOW - 100)
    for index, status in enumerate(statuses, start=1):
        state.install(job, make_execution(job_id, f"t{index}", status))
    state.settle_job(job, NOW - 100)
    return state


def cancel(state: FleetState, thing: str = "t1", **kwargs: object) -> Execution:
    arguments: dict[str, object] = {
        "force": False,
        "expected_version": None,
        "status_details": None,
        "now": NOW,
    }
    arguments.update(kwargs)
    return state.cancel_execution("job-1", thing, **arguments)  # type: ignore[arg-type]


def error_code(excinfo: pytest.ExceptionInfo[ApiError]) -> ErrorCode:
    return excinfo.value.code


CANCELABLE = {(S.QUEUED, False), (S.QUEUED, True), (S.IN_PROGRESS, True)}


class TestCancelExecution:
    @pytest.mark.parametrize("force", [False, True])
    @pytest.mark.parametrize("status", list(ExecutionStatus))
    def test_transition_table(self, status: ExecutionStatus, force: bool) -> None:
        """Only QUEUED, or IN_PROGRESS with force, can be canceled; the rest is a 409."""
        state = fleet(status)
        if (status, force) in CANCELABLE:
            execution = cancel(state, force=force)
            assert execution.status is S.CANCELED
            assert execution.version_number == 2
            assert execution.force_canceled is force
        else:
            with pytest.raises(ApiError) as excinfo:
                cancel(state, force=force)
            assert error_code(excinfo) is ErrorCode.INVALID_STATE_TRANSITION
            assert state.execution("job-1", "t1").version_number == 1

    def test_matching_expected_version_is_accepted(self) -> None:
        """expectedVersion equal to the current version lets the cancel through."""
        assert cancel(fleet(S.QUEUED), expected_version=1).status is S.CANCELED

    def test_stale_expected_version_is_a_conflict(self) -> None:
        """A different expectedVersion is rejected and changes nothing."""
        state = fleet(S.QUEUED)
        with pytest.raises(ApiError) as excinfo:
            cancel(state, expected_version=7)
        assert error_code(excinfo) is ErrorCode.VERSION_CONFLICT
        assert state.execution("job-1", "t1").status is S.QUEUED

    def test_version_is_checked_before_the_transition(self) -> None:
        """A stale version on a finished execution reports the conflict (optimistic lock first)."""
        with pytest.raises(ApiError) as excinfo:
            cancel(fleet(S.SUCCEEDED), expected_version=0)
        assert error_code(excinfo) is ErrorCode.VERSION_CONFLICT

    def test_status_details_replace_only_when_given(self) -> None:
        """statusDetails are stored when sent and left alone when absent."""
        state = fleet(S.QUEUED, S.QUEUED)
        assert cancel(state, status_details={"reason": "bad-fw"}).status_details == {
            "reason": "bad-fw"
        }
        assert cancel(state, "t2").status_details is None

    @pytest.mark.parametrize(("job_id", "thing"), [("nope", "t1"), ("job-1", "nope")])
    def test_missing_job_or_thing_is_not_found(self, job_id: str, thing: str) -> None:
        """Unknown job or thing: ResourceNotFoundException."""
        with pytest.raises(ApiError) as excinfo:
            fleet(S.QUEUED).cancel_execution(
                job_id, thing, force=True, expected_version=None, status_details=None, now=NOW
            )
        assert error_code(excinfo) is ErrorCode.RESOURCE_NOT_FOUND

    def test_every_change_bumps_the_version(self) -> None:
        """Device updates and the cancel each add one to versionNumber."""
        state = fleet(S.QUEUED)
        state.device_update("job-1", "t1", S.IN_PROGRESS, now=NOW)
        state.device_update("job-1", "t1", S.IN_PROGRESS, now=NOW, status_details={"p": "5"})
        assert cancel(state, force=True, expected_version=3).version_number == 4


class TestDeleteExecution:
    @pytest.mark.parametrize("force", [False, True])
    @pytest.mark.parametrize("status", list(ExecutionStatus))
    def test_transition_table(self, status: ExecutionStatus, force: bool) -> None:
        """Terminal executions can be deleted; QUEUED and IN_PROGRESS need force."""
        state = fleet(status)
        if status in TERMINAL or force:
            state.delete_execution("job-1", "t1", 1, force=force, now=NOW)
            with pytest.raises(ApiError):
                state.execution("job-1", "t1")
            assert state.job("job-1").counts[status] == 0
        else:
            with pytest.raises(ApiError) as excinfo:
                state.delete_execution("job-1", "t1", 1, force=force, now=NOW)
            assert error_code(excinfo) is ErrorCode.INVALID_STATE_TRANSITION

    def test_wrong_execution_number_is_not_found(self) -> None:
        """Deleting execution number 2 when the thing's execution is number 1: 404."""
        with pytest.raises(ApiError) as excinfo:
            fleet(S.FAILED).delete_execution("job-1", "t1", 2, force=False, now=NOW)
        assert error_code(excinfo) is ErrorCode.RESOURCE_NOT_FOUND


class TestJobStatus:
    def test_job_completes_when_nothing_is_left_to_run(self) -> None:
        """A snapshot job is COMPLETED once its last active execution ends."""
        state = fleet(S.QUEUED, S.SUCCEEDED)
        assert state.job("job-1").status is JobStatus.IN_PROGRESS
        cancel(state)
        job = state.job("job-1")
        assert job.status is JobStatus.COMPLETED
        assert job.completed_at == NOW

    def test_counts_follow_every_change(self) -> None:
        """jobProcessDetails counters stay equal to the executions' statuses."""
        state = fleet(S.QUEUED, S.QUEUED, S.IN_PROGRESS, S.FAILED)
        cancel(state)
        state.delete_execution("job-1", "t4", 1, force=False, now=NOW)
        counts = state.job("job-1").counts
        assert (counts[S.QUEUED], counts[S.CANCELED], counts[S.IN_PROGRESS]) == (1, 1, 1)
        assert counts[S.FAILED] == 0


class TestCancelJob:
    def cancel_job(self, state: FleetState, **kwargs: object) -> None:
        arguments: dict[str, object] = {
            "force": False,
            "reason_code": None,
            "comment": None,
            "now": NOW,
        }
        arguments.update(kwargs)
        state.cancel_job("job-1", **arguments)  # type: ignore[arg-type]

    def test_job_is_canceled_at_once_and_executions_later(self) -> None:
        """CancelJob flips the job; executions change only when the sweep reaches them."""
        state = fleet(S.QUEUED, S.QUEUED, S.QUEUED)
        self.cancel_job(state, reason_code="BAD_FW", comment="stop")
        job = state.job("job-1")
        assert (job.status, job.reason_code, job.comment) == (JobStatus.CANCELED, "BAD_FW", "stop")
        assert job.counts[S.QUEUED] == 3
        result = state.sweep_cancellations(2, NOW)
        assert result.canceled == 2 and result.finished_jobs == ()
        assert state.sweep_cancellations(10, NOW).finished_jobs == ("job-1",)
        assert job.counts[S.CANCELED] == 3
        assert not state.has_pending_cancellations()

    @pytest.mark.parametrize(
        ("force", "in_progress_after"), [(False, S.IN_PROGRESS), (True, S.CANCELED)]
    )
    def test_force_reaches_in_progress(
        self, force: bool, in_progress_after: ExecutionStatus
    ) -> None:
        """Without force only QUEUED executions are canceled; with force IN_PROGRESS too."""
        state = fleet(S.QUEUED, S.IN_PROGRESS, S.SUCCEEDED)
        self.cancel_job(state, force=force)
        state.sweep_cancellations(10, NOW)
        statuses = [state.execution("job-1", f"t{i}").status for i in (1, 2, 3)]
        assert statuses == [S.CANCELED, in_progress_after, S.SUCCEEDED]

    def test_canceled_job_cannot_be_canceled_again_without_force(self) -> None:
        """A second plain CancelJob is an InvalidRequestException."""
        state = fleet(S.QUEUED, S.IN_PROGRESS)
        self.cancel_job(state)
        with pytest.raises(ApiError) as excinfo:
            self.cancel_job(state)
        assert error_code(excinfo) is ErrorCode.INVALID_REQUEST

    def test_canceled_job_can_be_forced_later(self) -> None:
        """Canceling again with force reaches the IN_PROGRESS executions; a third time fails."""
        state = fleet(S.QUEUED, S.IN_PROGRESS)
        self.cancel_job(state)
        self.cancel_job(state, force=True)
        state.sweep_cancellations(10, NOW)
        assert state.execution("job-1", "t2").status is S.CANCELED
        with pytest.raises(ApiError):
            self.cancel_job(state, force=True)

    def test_completed_job_cannot_be_canceled(self) -> None:
        """A COMPLETED job answers InvalidRequestException."""
        state = fleet(S.SUCCEEDED)
        with pytest.raises(ApiError) as excinfo:
            self.cancel_job(state)
        assert error_code(excinfo) is ErrorCode.INVALID_REQUEST

    def test_too_many_jobs_cancelling_is_limit_exceeded(self) -> None:
        """Beyond max_cancelling_jobs jobs still cancelling: LimitExceededException."""
        state = fleet(S.QUEUED)
        other = state.add_job("job-2", now=NOW)
        state.install(other, make_execution("job-2", "t1", S.QUEUED))
        self.cancel_job(state, max_cancelling_jobs=1)
        with pytest.raises(ApiError) as excinfo:
            state.cancel_job(
                "job-2", force=False, reason_code=None, comment=None, now=NOW, max_cancelling_jobs=1
            )
        assert error_code(excinfo) is ErrorCode.LIMIT_EXCEEDED

    def test_sweep_skips_executions_deleted_meanwhile(self) -> None:
        """An execution deleted before the sweep reaches it is simply passed over."""
        state = fleet(S.QUEUED, S.QUEUED)
        self.cancel_job(state)
        state.delete_execution("job-1", "t1", 1, force=True, now=NOW)
        assert state.sweep_cancellations(10, NOW).canceled == 1


class TestDeviceChurn:
    def test_steps_move_executions_forward_and_bump_versions(self) -> None:
        """Churn moves QUEUED → IN_PROGRESS → terminal, one version per step."""
        state = fleet(S.QUEUED, S.QUEUED, S.QUEUED)
        rng = random.Random(1)
        for _ in range(30):
            state.churn_step(rng, NOW, failure_share=0.5, progress_share=0.0)
        for index in (1, 2, 3):
            execution = state.execution("job-1", f"t{index}")
            assert execution.status in (S.SUCCEEDED, S.FAILED)
            assert execution.version_number == 3
            assert execution.started_at == NOW

    def test_progress_reports_bump_versions_without_changing_status(self) -> None:
        """With progress_share 1, IN_PROGRESS executions only report progress."""
        state = fleet(S.IN_PROGRESS)
        moved = state.churn_step(random.Random(0), NOW, failure_share=0.0, progress_share=1.0)
        assert moved is not None and moved.status is S.IN_PROGRESS
        assert moved.version_number == 2 and moved.status_details is not None

    def test_idle_fleet_returns_none(self) -> None:
        """With nothing active, churn reports that it did nothing."""
        state = fleet(S.SUCCEEDED, S.CANCELED)
        assert state.churn_step(random.Random(0), NOW, failure_share=0, progress_share=0) is None

    def test_queued_executions_of_a_canceled_job_stay_queued(self) -> None:
        """Devices do not start executions CancelJob is about to cancel."""
        state = fleet(S.QUEUED)
        state.cancel_job("job-1", force=False, reason_code=None, comment=None, now=NOW)
        assert state.churn_step(random.Random(0), NOW, failure_share=0, progress_share=0) is None


class TestFleetSeeding:
    SPEC = FleetSpec(things=2000, job_ids=("a", "b"), in_progress=0.2, terminal=0.3, seed=7)

    def test_same_seed_same_fleet(self) -> None:
        """A spec and seed always give the same statuses, numbers and versions."""

        def digest(state: FleetState) -> list[tuple[object, ...]]:
            return [
                (e.thing_name, e.status, e.execution_number, e.version_number)
                for job in state.jobs()
                for e in job.executions.values()
            ]

        assert digest(build_state(self.SPEC, now=NOW)) == digest(build_state(self.SPEC, now=NOW))
        other = FleetSpec(things=2000, job_ids=("a", "b"), in_progress=0.2, terminal=0.3, seed=8)
        assert digest(build_state(other, now=NOW)) != digest(build_state(self.SPEC, now=NOW))

    def test_shares_and_names(self) -> None:
        """Status shares come out near the spec; things are named deterministically."""
        job = build_state(self.SPEC, now=NOW).job("a")
        assert list(job.executions)[:2] == ["thing-000001", "thing-000002"]
        terminal = sum(job.counts[status] for status in TERMINAL)
        assert 300 <= job.counts[S.IN_PROGRESS] <= 500
        assert 500 <= terminal <= 700
        assert job.counts[S.QUEUED] + job.counts[S.IN_PROGRESS] + terminal == 2000

    def test_ages_spread_over_the_past(self) -> None:
        """Timestamps lie in the last max_age_days, some older than 30 days."""
        job = build_state(self.SPEC, now=NOW).job("a")
        updated = [e.last_updated_at for e in job.executions.values()]
        assert all(NOW - 60 * 86_400 <= t <= NOW for t in updated)
        assert any(t < NOW - 30 * 86_400 for t in updated)
        assert all(
            e.queued_at <= (e.started_at or e.queued_at) <= e.last_updated_at
            for e in job.executions.values()
        )

    def test_terminal_executions_ended_evenly_over_the_span(self) -> None:
        """An age filter finds its share of terminal executions: with 60 days, about
        half ended more than 30 days ago (not a recent-heavy tenth)."""
        job = build_state(self.SPEC, now=NOW).job("a")
        ended = [e.last_updated_at for e in job.executions.values() if e.status in TERMINAL]
        older = sum(1 for t in ended if t < NOW - 30 * 86_400)
        assert 0.4 <= older / len(ended) <= 0.6

    def test_groups_nest_under_the_root(self) -> None:
        """With groups, only a recursive listing of the root group sees every thing."""
        state = build_state(FleetSpec(things=10, groups=3), now=NOW)
        assert state.group_members("fleet", recursive=False) == []
        assert len(state.group_members("fleet", recursive=True)) == 10
        assert state.group_members("fleet-02", recursive=False) == [
            "thing-000002",
            "thing-000005",
            "thing-000008",
        ]

    def test_execution_numbers_vary_when_asked(self) -> None:
        """max_execution_number > 1 spreads execution numbers (1 is not a safe guess)."""
        job = build_state(FleetSpec(things=200, max_execution_number=3), now=NOW).job("job-1")
        assert {e.execution_number for e in job.executions.values()} == {1, 2, 3}

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"in_progress": 0.7, "terminal": 0.5},
            {"job_ids": ("bad id",)},
            {"job_ids": ()},
            {"thing_prefix": "bad/"},
            {"terminal_statuses": (ExecutionStatus.QUEUED,)},
            {"things": -1},
        ],
    )
    def test_impossible_specs_are_refused(self, kwargs: dict[str, object]) -> None:
        """A spec the API could not serve is a ValueError at construction."""
        with pytest.raises(ValueError):
            FleetSpec(**kwargs)  # type: ignore[arg-type]
