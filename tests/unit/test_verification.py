"""Verification: verify results added up into what is left running, and a verdict."""

from __future__ import annotations

from bulkjobs import Outcome, Result, Target, Verification, Verify


def result(outcome: Outcome, *, thing: str | None = "t", status: str | None = None) -> Result:
    return Result(
        target=Target(job_id="j", thing_name=thing),
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
