"""cancel-job is done when AWS has cancelled the executions, not when CancelJob returns:
``--wait`` follows it, and without it the CLI says the cancel is still going on."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator
from tests.cli.conftest import JOB, statuses

RUNNING = {ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS}


def sim_at(rate: float) -> Iterator[ThreadedSimulator]:
    fleet = FleetSpec(things=60, job_ids=(JOB,), in_progress=0.25, seed=12)
    with ThreadedSimulator(SimConfig(quota=None, cancel_job_rate=rate), fleet) as simulator:
        yield simulator


@pytest.fixture
def pacing_sim() -> Iterator[ThreadedSimulator]:
    """CancelJob reaches 30 executions a second: about 2 s for the job."""
    yield from sim_at(30.0)


@pytest.fixture
def crawling_sim() -> Iterator[ThreadedSimulator]:
    """CancelJob reaches one execution a second: a minute for the job."""
    yield from sim_at(1.0)


def cancel_job(sim: ThreadedSimulator, *argv: str) -> int:
    common = ["cancel-job", "--job-id", JOB, "--endpoint-url", sim.endpoint_url]
    return main([*common, "--region", "us-east-1", *argv])


def running(sim: ThreadedSimulator) -> int:
    return sum(1 for s in statuses(sim).values() if s in RUNNING)


class TestWait:
    def test_wait_returns_once_aws_has_cancelled_every_execution(
        self, pacing_sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--wait --force: on return nothing of the job is QUEUED or IN_PROGRESS, and
        how long the server-side cancel took is said and recorded."""
        report = tmp_path / "r"
        assert cancel_job(pacing_sim, "--force", "--yes", "--wait", "--report", str(report)) == 0
        assert running(pacing_sim) == 0
        err = capsys.readouterr().err
        assert f"job {JOB}: AWS cancelled" in err and "server-side" in err
        (job,) = json.loads((report / "summary.json").read_text())["serverSideCancel"]["jobs"]
        assert job["finished"] is True
        assert job["remaining"] == {"QUEUED": 0, "IN_PROGRESS": 0}
        assert job["secondsToCancel"] > 0

    def test_without_force_in_progress_executions_are_reported_left_running(
        self, pacing_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--wait without --force waits for the QUEUED ones and says the IN_PROGRESS
        ones keep running on their devices."""
        in_progress = sum(
            1 for s in statuses(pacing_sim).values() if s is ExecutionStatus.IN_PROGRESS
        )
        assert cancel_job(pacing_sim, "--wait") == 0
        left = statuses(pacing_sim).values()
        assert ExecutionStatus.QUEUED not in left
        assert sum(1 for s in left if s is ExecutionStatus.IN_PROGRESS) == in_progress
        assert f"{in_progress} executions IN_PROGRESS keep running" in capsys.readouterr().err

    def test_a_wait_timeout_exits_1_and_says_what_is_left(
        self, crawling_sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--wait-timeout passed with executions left: exit 1, the count left shown."""
        report = tmp_path / "r"
        args = ("--force", "--yes", "--wait", "--wait-timeout", "1s", "--report", str(report))
        assert cancel_job(crawling_sim, *args) == 1
        assert running(crawling_sim) > 0
        assert "still not done after --wait-timeout" in capsys.readouterr().err
        summary = json.loads((report / "summary.json").read_text())
        assert summary["exitCode"] == 1
        assert summary["serverSideCancel"]["jobs"][0]["finished"] is False


class TestWithoutWait:
    def test_says_the_cancel_is_still_going_on(
        self, crawling_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --wait: exit 0 at once, with a note that AWS is still cancelling,
        the counts left, and --wait to follow it."""
        assert cancel_job(crawling_sim, "--force", "--yes") == 0
        assert running(crawling_sim) > 0
        err = capsys.readouterr().err
        assert "AWS cancels the executions of job fw-1 server-side" in err
        assert "Add --wait" in err


class TestOptions:
    @pytest.mark.parametrize(
        ("argv", "field"),
        [
            (["--wait-timeout", "5m"], "--wait-timeout"),
            (["--wait", "--wait-timeout", "soon"], "--wait-timeout"),
            (["--wait", "--dry-run"], "--wait"),
        ],
    )
    def test_bad_wait_options_send_nothing(
        self,
        pacing_sim: ThreadedSimulator,
        argv: list[str],
        field: str,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """Bad --wait options: exit 2 naming the option, no call made."""
        assert cancel_job(pacing_sim, *argv) == 2
        assert field in capsys.readouterr().err
        assert pacing_sim.statistics().total_requests == 0
