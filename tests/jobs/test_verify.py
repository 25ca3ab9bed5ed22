"""The Verify operation against the simulator, through real aiobotocore: each target
ends in the status the server holds now, and Verification adds them up."""

from __future__ import annotations

import json
from pathlib import Path

import anyio
import pytest

from bulkjobs import (
    CancelExecution,
    ConfigurationError,
    DeleteExecution,
    FromJob,
    InvalidInputError,
    Outcome,
    Result,
    RunConfig,
    Target,
    Verification,
    Verify,
    report_targets,
    run,
)
from bulkjobs.sim import ExecutionStatus, SimConfig, Simulator


def config(sim: Simulator) -> RunConfig:
    return RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=2000)


async def verify(sim: Simulator, targets: object) -> tuple[list[Result], Verification]:
    verification = Verification()
    results: list[Result] = []

    def add(result: Result) -> None:
        results.append(result)
        verification.add(result)

    with anyio.fail_after(60):
        await run(targets, Verify(), config(sim), on_result=add)  # type: ignore[arg-type]
    return results, verification


class TestVerify:
    async def test_each_target_ends_in_the_status_the_server_holds(self) -> None:
        """QUEUED and IN_PROGRESS → still_running (with the status read); terminal →
        already_terminal; no execution, or no job → not_found."""
        async with Simulator(SimConfig(quota=None)) as sim:
            sim.add_job("j", ["q", "p", "done"])
            sim.set_execution_status("j", "p", ExecutionStatus.IN_PROGRESS)
            sim.set_execution_status("j", "done", ExecutionStatus.IN_PROGRESS)
            sim.set_execution_status("j", "done", ExecutionStatus.SUCCEEDED)
            sim.add_job("other", ["stranger"])
            names = ["q", "p", "done", "stranger"]
            targets = [Target(job_id="j", thing_name=n) for n in names]
            targets.append(Target(job_id="gone", thing_name="q"))
            results, verification = await verify(sim, targets)
        by_thing = {(r.target.job_id, r.target.thing_name): r for r in results}
        assert by_thing["j", "q"].outcome is Outcome.STILL_RUNNING
        assert by_thing["j", "q"].status_before == "QUEUED"
        assert by_thing["j", "p"].status_before == "IN_PROGRESS"
        assert by_thing["j", "done"].outcome is Outcome.ALREADY_TERMINAL
        assert by_thing["j", "stranger"].outcome is Outcome.NOT_FOUND
        assert by_thing["gone", "q"].outcome is Outcome.NOT_FOUND
        assert dict(verification.running) == {"QUEUED": 1, "IN_PROGRESS": 1}
        assert (verification.not_running, verification.not_found) == (1, 2)
        assert not verification.passed

    async def test_a_job_target_counts_its_executions(self) -> None:
        """Target(job_id=...) reads DescribeJob: its QUEUED and IN_PROGRESS counters."""
        async with Simulator(SimConfig(quota=None)) as sim:
            sim.add_job("j", [f"t{n}" for n in range(7)])
            for n in range(3):
                sim.set_execution_status("j", f"t{n}", ExecutionStatus.IN_PROGRESS)
            sim.set_execution_status("j", "t6", ExecutionStatus.REJECTED)
            (result,), verification = await verify(sim, [Target(job_id="j")])
        assert result.outcome is Outcome.STILL_RUNNING
        assert result.running_counts == {"QUEUED": 3, "IN_PROGRESS": 3}
        assert verification.still_running == 6 and verification.running_targets == 1

    async def test_a_job_and_its_executions_read_together_count_each_once(self) -> None:
        """The job by DescribeJob and two of its executions one by one: the counters
        already hold those two, so 6 are running, not 8."""
        async with Simulator(SimConfig(quota=None)) as sim:
            sim.add_job("j", [f"t{n}" for n in range(7)])
            for n in range(3):
                sim.set_execution_status("j", f"t{n}", ExecutionStatus.IN_PROGRESS)
            sim.set_execution_status("j", "t6", ExecutionStatus.REJECTED)
            targets = [Target(job_id="j", thing_name="t0"), Target(job_id="j")]
            targets.append(Target(job_id="j", thing_name="t5"))
            results, verification = await verify(sim, targets)
        assert len(results) == 3
        assert dict(verification.running) == {"QUEUED": 3, "IN_PROGRESS": 3}
        assert verification.to_json()["stillRunningTotal"] == 6
        assert verification.running_targets == 3

    async def test_what_the_listing_shows_needs_no_describe(self) -> None:
        """FromJob: the listed status is the verdict, no DescribeJobExecution sent."""
        async with Simulator(SimConfig(quota=None)) as sim:
            sim.add_job("j", ["a", "b", "c"])
            sim.set_execution_status("j", "a", ExecutionStatus.IN_PROGRESS)
            sim.set_execution_status("j", "a", ExecutionStatus.FAILED)
            _, verification = await verify(sim, FromJob(job_id="j"))
            assert sim.statistics().of("DescribeJobExecution").requests == 0
        assert verification.checked == 3
        assert dict(verification.statuses) == {"QUEUED": 2, "FAILED": 1}

    async def test_retried_through_503s_like_any_run(self) -> None:
        """Half the requests answered 503: every target is still read, none unverified."""
        async with Simulator(SimConfig(quota=None, p503=0.5, seed=4)) as sim:
            sim.add_job("j", [f"t{n}" for n in range(20)])
            targets = [Target(job_id="j", thing_name=f"t{n}") for n in range(20)]
            results, verification = await verify(sim, targets)
            assert sim.statistics().of("DescribeJobExecution").requests > 20
        assert verification.unverified == 0
        assert verification.running_targets == 20
        assert sum(r.attempts for r in results) > 20


class TestRecheck:
    def test_a_delete_is_rechecked_at_the_number_it_deleted(self) -> None:
        target = Target(job_id="j", thing_name="t")
        deleted = Result(
            target=target,
            operation=DeleteExecution().name,
            outcome=Outcome.DELETED,
            execution_number=4,
        )
        again = Verify.recheck(deleted)
        assert again is not None and again.execution_number == 4

    def test_a_listed_status_is_not_carried_into_the_verify(self) -> None:
        """The status a run's listing saw is old news: the verify must read again."""
        listed = Target(job_id="j", thing_name="t", listed_status="QUEUED")
        result = Result(target=listed, operation=CancelExecution().name, outcome=Outcome.CANCELED)
        again = Verify.recheck(result)
        assert again is not None and again.listed_status is None and again == listed

    def test_bad_input_lines_are_not_rechecked(self) -> None:
        bad = Result(
            target=Target(job_id="j", thing_name="bad name"),
            operation="cancel-job-execution",
            outcome=Outcome.INVALID_REQUEST,
            error_code="InvalidInput",
        )
        assert Verify.recheck(bad) is None


class TestReportTargets:
    def test_reads_back_every_target_of_a_run(self, tmp_path: Path) -> None:
        lines = [
            Result(
                target=Target(job_id="j", thing_name=f"t{n}", region="eu-west-1"),
                operation="cancel-job-execution",
                outcome=Outcome.CANCELED,
            ).to_line()
            for n in range(3)
        ]
        (tmp_path / "results.jsonl").write_text("".join(lines))
        found = list(report_targets(tmp_path))
        assert [t.thing_name for t in found] == ["t0", "t1", "t2"]
        assert {t.region for t in found} == {"eu-west-1"}

    def test_a_line_that_is_not_a_result_is_named_before_anything(self, tmp_path: Path) -> None:
        good = Result(
            target=Target(job_id="j", thing_name="t"), operation="x", outcome=Outcome.CANCELED
        ).to_line()
        (tmp_path / "results.jsonl").write_text(good + json.dumps({"thing": 1}) + "\n")
        with pytest.raises(InvalidInputError, match=r"results\.jsonl:2: jobId: is missing"):
            report_targets(tmp_path)

    def test_no_results_file_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(ConfigurationError, match=r"no results\.jsonl"):
            report_targets(tmp_path)


class TestVerifyAfterARun:
    async def test_verify_true_reads_every_target_again(self) -> None:
        """run(..., verify=True): a cancel without force leaves the IN_PROGRESS one;
        Report.verification names it, and the exit code says 1."""
        async with Simulator(SimConfig(quota=None)) as sim:
            sim.add_job("j", ["a", "b", "c"])
            sim.set_execution_status("j", "b", ExecutionStatus.IN_PROGRESS)
            with anyio.fail_after(60):
                report = await run(
                    [Target(job_id="j", thing_name=n) for n in "abc"],
                    CancelExecution(),
                    config(sim),
                    verify=True,
                )
        verification = report.verification
        assert verification is not None and verification.checked == 3
        assert [r.target.thing_name for r in verification.named] == ["b"]
        assert report.exit_code == 1
        assert report.to_json()["verify"]["stillRunning"] == {"QUEUED": 0, "IN_PROGRESS": 1}

    async def test_a_dry_run_is_not_verified(self) -> None:
        with pytest.raises(ConfigurationError, match="dry run"):
            await run(
                [Target(job_id="j", thing_name="a")],
                CancelExecution(),
                RunConfig(region="us-east-1", dry_run=True),
                verify=True,
            )
