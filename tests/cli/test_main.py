"""The real entry point, ``main(argv)``, against the simulator over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, ThreadedSimulator
from bulkjobs.sim._model import TERMINAL
from tests.cli.conftest import JOB, statuses
from tests.conftest import FAKE_SECRET

RUNNING = {ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS}


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"])


def things(sim: ThreadedSimulator, status: ExecutionStatus) -> list[str]:
    return sorted(name for name, s in statuses(sim).items() if s is status)


def read_results(directory: Path) -> list[dict[str, object]]:
    lines = (directory / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


class TestCancelJobExecution:
    def test_cancels_named_things_and_reports_on_stdout(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """QUEUED executions named on the command line are cancelled; exit 0."""
        queued = things(sim, ExecutionStatus.QUEUED)[:5]
        args = [a for name in queued for a in ("--thing-name", name)]
        code = run(sim, "cancel-job-execution", "--job-id", JOB, *args, "--quiet")
        out, err = capsys.readouterr()
        assert code == 0
        assert all(statuses(sim)[name] is ExecutionStatus.CANCELED for name in queued)
        assert "canceled" in out and "total" in out
        assert "canceled" not in err

    def test_in_progress_without_force_exits_1(self, sim: ThreadedSimulator) -> None:
        """IN_PROGRESS without --force is skipped by rule: exit 1, execution untouched."""
        name = things(sim, ExecutionStatus.IN_PROGRESS)[0]
        code = run(sim, "cancel-job-execution", "--job-id", JOB, "--thing-name", name, "-q")
        assert code == 1
        assert statuses(sim)[name] is ExecutionStatus.IN_PROGRESS

    def test_from_job_with_force_stops_everything_and_writes_the_report(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """The emergency cancel: every QUEUED and IN_PROGRESS execution ends CANCELED,
        and the report lists each target once."""
        report = tmp_path / "report"
        running = sum(1 for s in statuses(sim).values() if s in RUNNING)
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--from-job",
            "--status",
            "QUEUED,IN_PROGRESS",
            "--force",
            "--yes",
            "--report",
            str(report),
            "--quiet",
        )
        assert code == 0
        assert not set(statuses(sim).values()) & RUNNING
        summary = json.loads((report / "summary.json").read_text())
        results = read_results(report)
        assert summary["total"] == len(results) == running
        assert summary["outcomes"] == {"canceled": running}
        assert len({r["thingName"] for r in results}) == running
        first = results[0]
        for field in ("jobId", "thingName", "executionNumber", "operation", "outcome"):
            assert field in first
        assert (report / "journal.jsonl").exists()

    def test_force_without_yes_and_without_a_terminal_refuses(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--force asks for confirmation; with no terminal and no --yes nothing is sent."""
        code = run(sim, "cancel-job-execution", "--job-id", JOB, "--from-job", "--force")
        assert code == 2
        assert "--yes" in capsys.readouterr().err
        assert sim.statistics().total_requests == 0

    def test_dry_run_sends_no_mutating_call(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """--dry-run over a listing makes only the listing's read calls."""
        before = statuses(sim)
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--from-job",
            "--force",
            "--dry-run",
            "--report",
            str(tmp_path),
            "-q",
        )
        assert code == 0
        assert statuses(sim) == before
        stats = sim.statistics()
        assert stats.mutating_requests == 0
        assert stats.total_requests > 0  # the listing
        terminal = {name for name, status in before.items() if status in TERMINAL}
        outcomes = {r["thingName"]: r["outcome"] for r in read_results(tmp_path)}
        assert terminal  # the fixture has some, or this checks nothing
        assert {n for n, o in outcomes.items() if o == "already_terminal"} == terminal
        assert {o for n, o in outcomes.items() if n not in terminal} == {"dry_run"}

    def test_a_dry_run_says_what_the_run_will_do(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Executions listed terminal need no call: the dry run's outcomes and its
        estimate say so, and the real run then does exactly what the dry run said."""
        args = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--force", "-q")
        assert run(sim, *args, "--dry-run", "--report", str(tmp_path / "dry")) == 0
        plan = json.loads((tmp_path / "dry" / "summary.json").read_text())["plan"]
        terminal = plan["listedTerminalNoCall"]
        assert terminal == sum(1 for s in statuses(sim).values() if s in TERMINAL) > 0
        assert plan["estimate"].startswith(f"{plan['targets'] - terminal} calls ÷ ")
        assert run(sim, *args, "--yes", "--report", str(tmp_path / "real")) == 0
        dry = {r["thingName"]: r["outcome"] for r in read_results(tmp_path / "dry")}
        real = {r["thingName"]: r["outcome"] for r in read_results(tmp_path / "real")}
        assert {n for n, o in dry.items() if o == "already_terminal"} == {
            n for n, o in real.items() if o == "already_terminal"
        }
        assert sim.statistics().of("CancelJobExecution").requests == len(dry) - terminal

    def test_dry_run_over_a_file_makes_no_call_at_all(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A file source in a dry run needs no network; the plan is printed."""
        source = tmp_path / "things.txt"
        source.write_text("\n".join(f"dev-{i}" for i in range(25)) + "\n")
        code = run(
            sim, "cancel-job-execution", "--job-id", JOB, "--things-file", str(source), "--dry-run"
        )
        assert code == 0
        assert sim.statistics().total_requests == 0
        assert "25" in capsys.readouterr().out

    def test_json_logs_and_summary_for_schedulers(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--log-format json: stdout is one JSON summary; stderr lines are JSON too."""
        name = things(sim, ExecutionStatus.QUEUED)[0]
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--thing-name",
            name,
            "--log-format",
            "json",
        )
        out, err = capsys.readouterr()
        assert code == 0
        summary = json.loads(out)
        assert summary["event"] == "summary"
        assert summary["total"] == 1
        for line in filter(None, err.splitlines()):
            json.loads(line)


class TestDeleteAndCancelJob:
    def test_delete_terminal_executions_from_the_listing(self, sim: ThreadedSimulator) -> None:
        """Nightly cleanup: terminal executions are deleted, others untouched."""
        terminal = {n for n, s in statuses(sim).items() if s not in RUNNING}
        code = run(
            sim,
            "delete-job-execution",
            "--job-id",
            JOB,
            "--from-job",
            "--status",
            "SUCCEEDED,FAILED,CANCELED,TIMED_OUT,REJECTED,REMOVED",
            "--yes",
            "-q",
        )
        assert code == 0
        assert terminal
        assert not terminal & set(statuses(sim))
        assert len(statuses(sim)) == 40 - len(terminal)

    def test_cancel_job(self, sim: ThreadedSimulator) -> None:
        """cancel-job cancels the job server-side."""
        code = run(sim, "cancel-job", "--job-id", JOB, "--reason-code", "BAD_FW", "-q")
        assert code == 0
        job = sim.call(lambda s: s.job(JOB))
        assert job.status.value in ("CANCELED", "CANCELLATION_IN_PROGRESS")


class TestResume:
    def test_resume_skips_what_the_journal_finished(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """After a partial run, --resume does the rest; the report lists all once."""
        queued = things(sim, ExecutionStatus.QUEUED)
        source = tmp_path / "things.txt"
        source.write_text("\n".join(queued) + "\n")
        report = tmp_path / "report"
        first = tmp_path / "first.txt"
        first.write_text("\n".join(queued[:10]) + "\n")
        common = ["cancel-job-execution", "--job-id", JOB, "--report", str(report), "-q"]
        assert run(sim, *common, "--things-file", str(first)) == 0
        # The same report dir again without --resume is refused: nothing is overwritten.
        assert run(sim, *common, "--things-file", str(source)) == 2
        calls_before = sim.statistics().mutating_requests
        assert run(sim, *common, "--things-file", str(source), "--resume") == 0
        assert sim.statistics().mutating_requests - calls_before == len(queued) - 10
        summary = json.loads((report / "summary.json").read_text())
        results = read_results(report)
        assert summary["total"] == len(queued) == len(results)
        assert summary["carriedFromJournal"] == 10
        assert sorted(str(r["thingName"]) for r in results) == queued


class TestSkeletonAndSecrets:
    def test_generate_cli_skeleton(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--generate-cli-skeleton prints the input parameters as JSON and exits 0."""
        assert main(["cancel-job-execution", "--generate-cli-skeleton"]) == 0
        skeleton = json.loads(capsys.readouterr().out)
        assert {"jobId", "thingName", "force", "expectedVersion", "statusDetails"} <= set(skeleton)

    def test_credentials_never_appear(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The secret key never shows in output, logs or report files — of a run that
        really ran: exit 0, one target cancelled, one not found."""
        name = things(sim, ExecutionStatus.QUEUED)[0]
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--thing-name",
            name,
            "--thing-name",
            "missing-thing",
            "--report",
            str(tmp_path),
            "--verbose",
            "--log-format",
            "json",
        )
        out, err = capsys.readouterr()
        assert code == 0, err
        outcomes = {str(r["thingName"]): r["outcome"] for r in read_results(tmp_path)}
        assert outcomes == {name: "canceled", "missing-thing": "not_found"}
        assert statuses(sim)[name] is ExecutionStatus.CANCELED
        texts = [out, err] + [p.read_text() for p in tmp_path.iterdir() if p.is_file()]
        assert all(FAKE_SECRET not in text for text in texts)
        assert all("Signature=" not in text and "Authorization" not in text for text in texts)


class TestDeadline:
    def test_deadline_stops_cleanly_and_accounts_for_everything(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--deadline: targets still waiting for a rate slot end as interrupted (not sent),
        exit 1, every target in the report once, and the resume command is printed."""
        queued = things(sim, ExecutionStatus.QUEUED)
        source = tmp_path / "things.txt"
        source.write_text("\n".join(queued) + "\n")
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--things-file",
            str(source),
            "--rate",
            "4",
            "--deadline",
            "1s",
            "--report",
            str(tmp_path / "r"),
            "-q",
        )
        err = capsys.readouterr().err
        assert code == 1
        results = read_results(tmp_path / "r")
        assert sorted(str(r["thingName"]) for r in results) == queued
        outcomes = [r["outcome"] for r in results]
        sent = sim.statistics().mutating_requests
        assert outcomes.count("canceled") == sent
        assert outcomes.count("interrupted") == len(queued) - sent > 0
        assert "--resume" in err


class TestSkipInvalid:
    def test_bad_lines_are_reported_not_sent(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """--skip-invalid: malformed lines become invalid_request outcomes naming their
        line and rule; the valid ones run; exit 1 because some targets failed."""
        good = things(sim, ExecutionStatus.QUEUED)[:3]
        source = tmp_path / "things.txt"
        source.write_text(f"{good[0]}\nbad name\n{good[1]}\n{'x' * 200}\n{good[2]}\n")
        report = tmp_path / "r"
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--things-file",
            str(source),
            "--skip-invalid",
            "--report",
            str(report),
            "-q",
        )
        assert code == 1
        results = read_results(report)
        invalid = sorted(str(r["message"]) for r in results if r["outcome"] == "invalid_request")
        assert len(invalid) == 2
        assert "things.txt:2" in invalid[0] and "must match" in invalid[0]
        assert "things.txt:4" in invalid[1] and "at most 128" in invalid[1]
        assert sum(1 for r in results if r["outcome"] == "canceled") == 3
        assert sim.statistics().mutating_requests == 3
