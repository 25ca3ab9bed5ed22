"""What the CLI says is so: rates over work done, estimates labelled, resumes that
finish, and output that ends quietly when its reader goes away."""

from __future__ import annotations

import io
import json
import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bulkjobs import Report
from bulkjobs.cli import main
from bulkjobs.cli._options import resolve
from bulkjobs.cli._output import print_summary
from bulkjobs.cli._parser import build_parser
from bulkjobs.cli._run import resume_command
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator
from tests.cli.conftest import JOB, statuses


def run(sim: ThreadedSimulator, *argv: str, region: bool = True) -> int:
    where = ["--region", "us-east-1"] if region else []
    return main([*argv, "--endpoint-url", sim.endpoint_url, *where])


def summary_of(report: Path) -> dict[str, object]:
    data: dict[str, object] = json.loads((report / "summary.json").read_text())
    return data


def results_of(report: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (report / "results.jsonl").read_text().splitlines()]


@pytest.fixture
def slow_sim() -> Iterator[ThreadedSimulator]:
    """60 QUEUED executions behind AWS's own quota of 10/s."""
    fleet = FleetSpec(things=60, job_ids=(JOB,), seed=9)
    with ThreadedSimulator(SimConfig(quota=10), fleet) as simulator:
        yield simulator


class TestRates:
    def test_a_dry_run_shows_no_call_rate(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A dry run worked on nothing: no rate on screen, 0 in summary.json."""
        report = tmp_path / "r"
        args = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--dry-run")
        assert run(sim, *args, "--report", str(report)) == 0
        out = capsys.readouterr().out
        assert "/s" not in out.split("wall time", 1)[1]
        assert "dry run: no change sent" in out
        summary = summary_of(report)
        assert summary["achievedRatePerSecond"] == 0
        assert summary["executedTargets"] == 0

    def test_a_dry_run_does_not_say_it_continues(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The CancelJob advice in a dry run says nothing is sent, not "Continuing"."""
        args = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--force", "--dry-run")
        assert run(sim, *args) == 0
        err = capsys.readouterr().err
        assert "would cancel" in err and "This dry run sends nothing." in err
        assert "Continuing as asked" not in err

    def test_a_stopped_run_counts_only_the_targets_it_worked_on(
        self, slow_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--deadline 1s: the rate is targets worked on ÷ active seconds; the ones that
        never ran count neither as finished nor as time."""
        report = tmp_path / "r"
        # A file, not a listing: every target enters the run whatever the start-up costs.
        things = tmp_path / "things.txt"
        things.write_text("\n".join(sorted(statuses(slow_sim))) + "\n")
        args: tuple[str, ...] = ("cancel-job-execution", "--job-id", JOB)
        args += ("--things-file", str(things), "--rate", "5")
        # No grace: calls still waiting for the rate limiter at the deadline would
        # otherwise go on for up to 10 s and might finish everything.
        args += ("--deadline", "1s", "--grace-period", "0")
        assert run(slow_sim, *args, "--report", str(report), "-q") == 1
        summary = summary_of(report)
        results = results_of(report)
        worked = [r for r in results if r["outcome"] != "interrupted"]
        assert len(results) == 60 and len(worked) < len(results)
        assert summary["executedTargets"] == len(worked)
        active = summary["activeSeconds"]
        assert isinstance(active, float) and active <= summary["wallTimeSeconds"]  # type: ignore[operator]
        expected = len(worked) / active if worked else 0.0
        assert summary["achievedRatePerSecond"] == pytest.approx(expected, rel=0.01)


class TestFixedRateAboveTheQuota:
    @pytest.fixture
    def tight_sim(self) -> Iterator[ThreadedSimulator]:
        """40 QUEUED executions behind a 20/s quota."""
        fleet = FleetSpec(things=40, job_ids=(JOB,), seed=4)
        with ThreadedSimulator(SimConfig(quota=20), fleet) as simulator:
            yield simulator

    def test_the_summary_says_the_rate_was_spent_on_throttles(
        self, tight_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--rate 400 against 20/s: every target is still canceled, and the summary
        says most calls were refusals and that auto mode finds the quota."""
        args = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--yes")
        assert run(tight_sim, *args, "--rate", "400", "--quiet") == 0
        out = capsys.readouterr().out
        assert "of calls were throttled: the fixed --rate is above" in out
        assert set(statuses(tight_sim).values()) == {ExecutionStatus.CANCELED}

    def test_auto_mode_says_nothing_of_the_kind(
        self, tight_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        args = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--yes")
        assert run(tight_sim, *args, "--quiet") == 0
        assert "fixed --rate" not in capsys.readouterr().out


TWO_THINGS = ["--thing-name", "thing-000001", "--thing-name", "thing-000002"]


class TestNothingFound:
    @pytest.mark.parametrize(
        ("argv", "found"),
        [
            (
                ["cancel-job-execution", "--job-id", "fw-typo", "--thing-name", "thing-000001"],
                "the target named was not found",
            ),
            (
                ["cancel-job-execution", "--job-id", "fw-typo", *TWO_THINGS],
                "not one of the 2 targets named was found",
            ),
            (["cancel-job", "--job-id", "fw-typo", "--yes"], "the target named was not found"),
        ],
    )
    def test_a_run_that_found_nothing_says_so(
        self,
        sim: ThreadedSimulator,
        capsys: pytest.CaptureFixture[str],
        argv: list[str],
        found: str,
    ) -> None:
        """A mistyped job id finds nothing: still a no-op (exit 0), but the summary says
        that nothing was changed and what to check, so it cannot pass for a stop."""
        before = statuses(sim)
        assert run(sim, *argv, "--quiet") == 0
        out = capsys.readouterr().out
        assert f"note: {found} (ResourceNotFoundException): nothing was changed" in out
        assert statuses(sim) == before

    def test_a_run_that_found_some_says_nothing_of_the_kind(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """One target found among missing ones: no note (each row says not_found)."""
        argv = ["cancel-job-execution", "--job-id", JOB, "--thing-name", "thing-000001"]
        assert run(sim, *argv, "--thing-name", "no-such-thing", "--quiet") == 0
        assert "was found" not in capsys.readouterr().out


class TestUnconfirmed:
    def test_the_summary_counts_changes_that_rest_on_weak_evidence(self) -> None:
        """A change judged from evidence that cannot rule out another actor is counted
        on screen as well as in summary.json, and pointed to in results.jsonl."""
        report = Report(
            operation="cancel-job-execution",
            total=3,
            outcomes={"canceled": 3},
            kinds={"done": 3},
            error_codes={},
            attempts=4,
            throttles=0,
            carried=0,
            latency_ms={},
            wall_time=1.0,
            achieved_rate=3.0,
            timeline=[],
            unconfirmed=2,
            executed=3,
            active_time=1.0,
        )
        out = io.StringIO()
        print_summary(report, stream=out, as_json=False)
        assert "2 of the changes rest on evidence" in out.getvalue()
        out = io.StringIO()
        print_summary(replace(report, unconfirmed=0), stream=out, as_json=False)
        assert "rest on evidence" not in out.getvalue()


class TestResumeAfterADeadline:
    def test_the_printed_command_drops_the_deadline_and_finishes(
        self,
        slow_sim: ThreadedSimulator,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The README's resume example: stopped by --deadline, the command printed
        leaves --deadline out (and says so); run as printed, it finishes the work."""
        report = tmp_path / "r"
        args = ["cancel-job-execution", "--job-id", JOB, "--from-job", "--status", "QUEUED"]
        args += ["--rate", "5", "--deadline", "1s", "--grace-period", "0"]
        args += ["--report", str(report), "-q"]
        assert run(slow_sim, *args) == 1
        err = capsys.readouterr().err
        assert "without --deadline 1s" in err
        printed = err.split("To resume", 1)[1].split(":\n", 1)[1].strip().splitlines()[0]
        words = shlex.split(printed)
        assert words[0] == "bulkjobs" and "--deadline" not in words
        assert main(words[1:]) == 0
        left = [s for s in statuses(slow_sim).values() if s is ExecutionStatus.QUEUED]
        assert not left
        assert summary_of(report)["total"] == 60

    @pytest.mark.parametrize(
        ("given", "dropped"),
        [
            (["--deadline", "15m"], ["--deadline 15m"]),
            (["--deadline=15m"], ["--deadline 15m"]),
            (
                ["--abort-if-failed-percent", "5", "--abort-min-executed=20"],
                ["--abort-if-failed-percent 5", "--abort-min-executed 20"],
            ),
            ([], []),
        ],
    )
    def test_stopping_options_are_left_out(
        self, tmp_path: Path, given: list[str], dropped: list[str]
    ) -> None:
        """Both spellings of each stopping option go; everything else stays."""
        argv = ["cancel-job-execution", "--job-id", JOB, "--thing-name", "t1", *given]
        argv += ["--report", str(tmp_path / "r")]
        opts = resolve(build_parser().parse_args(argv))
        command, left_out = resume_command(argv, opts)
        assert left_out == dropped
        assert shlex.split(command) == [
            "bulkjobs",
            *[a for a in argv if a not in given],
            "--resume",
        ]


class TestEstimatesLabelled:
    def test_summary_says_which_figures_are_estimates(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """A whole-job listing's expected total is recorded as an estimate; total is
        the count."""
        report = tmp_path / "r"
        args = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--force", "--yes")
        assert run(sim, *args, "--report", str(report), "-q") == 0
        summary = summary_of(report)
        estimates = summary["estimates"]
        assert isinstance(estimates, dict)
        assert set(estimates) == {"expectedTotal", "plan.estimatedSeconds"}
        assert summary["expectedTotal"] == 40
        assert summary["total"] == len(results_of(report))

    def test_the_last_json_progress_line_has_the_true_total(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without a terminal the progress lines end on one with the true total."""
        args = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--force", "--yes")
        assert run(sim, *args, "--log-format", "json") == 0
        out, err = capsys.readouterr()
        progress = [json.loads(ln) for ln in err.splitlines() if '"progress"' in ln]
        assert progress, err
        last = progress[-1]
        assert last["totalIsEstimate"] is False
        assert last["total"] == last["finished"] == json.loads(out)["total"]


class TestSmallTruths:
    def test_the_default_region_is_recorded(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """Without --region, results name the region the calls went to, not null."""
        report = tmp_path / "r"
        name = sorted(statuses(sim))[0]
        args = ("cancel-job-execution", "--job-id", JOB, "--thing-name", name, "--force", "--yes")
        assert run(sim, *args, "--report", str(report), "-q", region=False) == 0
        assert [r["region"] for r in results_of(report)] == [os.environ["AWS_DEFAULT_REGION"]]

    def test_every_report_file_is_private(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """summary.json, results.jsonl and journal.jsonl are all 0600."""
        report = tmp_path / "r"
        name = sorted(statuses(sim))[0]
        args = ("cancel-job-execution", "--job-id", JOB, "--thing-name", name, "--force", "--yes")
        assert run(sim, *args, "--report", str(report), "-q") == 0
        for file in ("summary.json", "results.jsonl", "journal.jsonl"):
            assert stat.S_IMODE((report / file).stat().st_mode) == 0o600, file

    def test_one_target_is_one_target(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The refusal without a terminal says "1 target", not "1 targets"."""
        args = ["cancel-job-execution", "--job-id", JOB, "--thing-name", "t1", "--force"]
        assert main([*args, "--endpoint-url", "http://127.0.0.1:9"]) == 2
        err = capsys.readouterr().err
        assert "on 1 target without a terminal" in err


class TestReaderGoesAway:
    def test_output_into_a_closed_pipe_ends_quietly(self) -> None:
        """``… --generate-cli-skeleton | head``: no traceback when the reader is gone."""
        child = subprocess.Popen(
            [sys.executable, "-m", "bulkjobs", "cancel-job-execution", "--generate-cli-skeleton"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert child.stdout is not None
        child.stdout.close()  # the reader is gone before the first write
        _, err = child.communicate(timeout=30)
        assert err == b""
        assert child.returncode == 141


class TestListingFailure:
    def test_a_failed_listing_is_not_success(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A nightly cleanup whose listing fails (no such job) exits 1, not 0: cron must
        not read it as "cleaned up"."""
        report = tmp_path / "r"
        args = ("delete-job-execution", "--job-id", "no-such-job", "--from-job", "--yes")
        assert run(sim, *args, "--report", str(report), "-q") == 1
        assert "ResourceNotFound" in capsys.readouterr().err
        assert summary_of(report)["exitCode"] == 1
