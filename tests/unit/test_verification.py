"""Verification: verify results added up into what is left running, and a verdict."""

from __future__ import annotations

from itertools import permutations

import pytest

from bulkjobs import Outcome, Result, Target, Verification, Verify


def result(
    outcome: Outcome,
    *,
    thing: str | None = "t",
    status: str | None = None,
    job: str = "j",
    region: str | None = None,
) -> Result:
    return Result(
        target=Target(job_id=job, thing_name=thing, region=region),
        operation=Verify().name,
        outcome=outcome,
        status_before=status,
    )


class TestVerification:
    def test_nothing_running_and_all_read_passes(self) -> None:
        v = Verification()
        v.add(result(Outcome.ALREADY_TERMINAL, status="CANCELED"))
        v.add(result(Outcome.NOT_FOUND))
        assert v.passed and v.exit_code == 0
        assert v.to_json()["stillRunning"] == {"QUEUED": 0, "IN_PROGRESS": 0}
        assert "nothing left running — 2 targets read" in v.line()

    def test_one_running_fails_it_and_is_named(self) -> None:
        v = Verification()
        v.add(result(Outcome.ALREADY_TERMINAL, status="CANCELED"))
        v.add(result(Outcome.STILL_RUNNING, thing="dev-7", status="IN_PROGRESS"))
        assert not v.passed and v.exit_code == 1
        assert [r.target.thing_name for r in v.named] == ["dev-7"]
        assert v.line().startswith("verify: 1 IN_PROGRESS still running")

    def test_a_target_that_could_not_be_read_fails_it(self) -> None:
        """An error is no proof of a stop: it may be running."""
        v = Verification()
        v.add(result(Outcome.RETRIES_EXHAUSTED))
        assert not v.passed and v.unverified == 1
        assert "could not be read" in v.line()

    def test_targets_never_reached_fail_it(self) -> None:
        v = Verification()
        v.incomplete = "a listing stopped before its end"
        assert not v.passed and "not every target was reached" in v.line()

    def test_a_job_counts_its_executions_not_one(self) -> None:
        v = Verification()
        job = Result(
            target=Target(job_id="j"),
            operation=Verify().name,
            outcome=Outcome.STILL_RUNNING,
            running_counts={"QUEUED": 4, "IN_PROGRESS": 0},
        )
        v.add(job)
        assert v.still_running == 4 and v.running_targets == 1
        assert v.to_json()["named"][0]["runningCounts"] == {"QUEUED": 4, "IN_PROGRESS": 0}

    def test_names_are_capped_and_the_count_is_not(self) -> None:
        v = Verification()
        cap = v.to_json()["namedAtMost"]
        for n in range(cap + 5):
            v.add(result(Outcome.STILL_RUNNING, thing=f"t{n}", status="QUEUED"))
        assert len(v.named) == cap
        assert v.running_targets == v.still_running == cap + 5


def job_read(counts: dict[str, int], *, job: str = "j", region: str | None = None) -> Result:
    return Result(
        target=Target(job_id=job, region=region),
        operation=Verify().name,
        outcome=Outcome.STILL_RUNNING if any(counts.values()) else Outcome.ALREADY_TERMINAL,
        running_counts=counts,
    )


class TestAJobAndItsExecutionsBothRead:
    """DescribeJob's counters count every execution of the job, so an execution also
    read on its own is one of them: counted once, in whatever order they come."""

    @pytest.mark.parametrize("order", list(permutations(range(3))))
    def test_an_execution_is_not_counted_twice(self, order: tuple[int, ...]) -> None:
        reads = [
            job_read({"QUEUED": 3, "IN_PROGRESS": 1}),
            result(Outcome.STILL_RUNNING, thing="a", status="IN_PROGRESS"),
            result(Outcome.STILL_RUNNING, thing="b", status="QUEUED"),
        ]
        v = Verification()
        for n in order:
            v.add(reads[n])
        assert dict(v.running) == {"QUEUED": 3, "IN_PROGRESS": 1}
        assert v.to_json()["byStatus"] == {"IN_PROGRESS": 1, "QUEUED": 3}
        assert v.still_running == 4
        assert v.running_targets == 3  # targets, each named once

    def test_more_read_one_by_one_than_counted_keeps_the_larger(self) -> None:
        """Read later, the executions may have moved on: per status, the larger count."""
        v = Verification()
        v.add(job_read({"QUEUED": 1, "IN_PROGRESS": 0}))
        v.add(result(Outcome.STILL_RUNNING, thing="a", status="IN_PROGRESS"))
        v.add(result(Outcome.STILL_RUNNING, thing="b", status="IN_PROGRESS"))
        assert dict(v.running) == {"QUEUED": 1, "IN_PROGRESS": 2}

    def test_a_finished_job_leaves_its_running_execution_counted(self) -> None:
        v = Verification()
        v.add(result(Outcome.STILL_RUNNING, thing="a", status="QUEUED"))
        v.add(job_read({"QUEUED": 0, "IN_PROGRESS": 0}))
        assert dict(v.running) == {"QUEUED": 1}
        assert not v.passed

    def test_another_job_or_destination_is_added_not_merged(self) -> None:
        v = Verification()
        v.add(job_read({"QUEUED": 2, "IN_PROGRESS": 0}, region="us-east-1"))
        v.add(result(Outcome.STILL_RUNNING, thing="a", status="QUEUED", region="eu-west-1"))
        v.add(result(Outcome.STILL_RUNNING, thing="b", status="QUEUED", job="other"))
        assert v.still_running == 4

    def test_terminal_executions_are_counted_by_status_as_before(self) -> None:
        v = Verification()
        v.add(job_read({"QUEUED": 1, "IN_PROGRESS": 0}))
        v.add(result(Outcome.ALREADY_TERMINAL, thing="a", status="CANCELED"))
        assert v.to_json()["byStatus"] == {"CANCELED": 1, "QUEUED": 1}
