"""The report files against the server: a line per target whatever its outcome, calls
saved on what a listing showed terminal, and listings that end when the run stops."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, FleetSpec, Operation, SimConfig, ThreadedSimulator
from tests.cli.conftest import JOB, statuses


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1", "-q"])


def report(directory: Path) -> tuple[dict[str, object], list[dict[str, object]]]:
    summary = json.loads((directory / "summary.json").read_text())
    lines = (directory / "results.jsonl").read_text().splitlines()
    return summary, [json.loads(line) for line in lines]


def names(sim: ThreadedSimulator, status: ExecutionStatus) -> list[str]:
    return sorted(n for n, s in statuses(sim).items() if s is status)


class TestEveryOutcomeHasItsLine:
    def test_results_account_for_every_kind(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """done, noop (already terminal and not found), skipped and failed targets each
        get their line: results.jsonl has summary.total lines, per kind as counted."""
        terminal = names(sim, ExecutionStatus.SUCCEEDED) + names(sim, ExecutionStatus.FAILED)
        lines = [
            names(sim, ExecutionStatus.QUEUED)[0],
            names(sim, ExecutionStatus.IN_PROGRESS)[0],
            terminal[0],
            "no-such-thing",
            "bad/name",
        ]
        source = tmp_path / "things.txt"
        source.write_text("\n".join(lines) + "\n")
        directory = tmp_path / "report"
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--things-file",
            str(source),
            "--skip-invalid",
            "--report",
            str(directory),
        )
        summary, results = report(directory)
        assert code == 1  # a skipped and a failed target
        assert len(results) == summary["total"] == len(lines)
        assert Counter(str(r["kind"]) for r in results) == summary["kinds"]
        assert Counter(str(r["outcome"]) for r in results) == summary["outcomes"]
        assert set(summary["kinds"]) == {"done", "noop", "skipped", "failed"}  # type: ignore[call-overload]
        assert {str(r["outcome"]) for r in results} >= {"not_found", "already_terminal"}

    def test_a_dry_run_writes_a_line_per_target(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """dry_run rows too: one per listed execution (already_terminal for those
        listed terminal, as the real run records them), and nothing sent."""
        directory = tmp_path / "report"
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--from-job",
            "--dry-run",
            "--report",
            str(directory),
        )
        summary, results = report(directory)
        assert code == 0
        assert len(results) == summary["total"] == len(statuses(sim))
        assert {r["outcome"] for r in results} == {"dry_run", "already_terminal"}
        assert sim.statistics().mutating_requests == 0


class TestListedTerminal:
    def test_a_rerun_spends_no_call_on_what_the_listing_shows_terminal(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """The second run over a job: every execution is listed terminal, none is sent a
        cancel, each ends already_terminal with the listed status, and summary.json
        counts the calls saved."""
        first = run(sim, "cancel-job-execution", "--job-id", JOB, "--from-job", "--force", "--yes")
        assert first == 0
        before = sim.statistics()
        directory = tmp_path / "again"
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--from-job",
            "--force",
            "--yes",
            "--report",
            str(directory),
        )
        after = sim.statistics()
        summary, results = report(directory)
        assert code == 0
        for api in ("CancelJobExecution", "DescribeJobExecution"):
            assert after.of(api).requests == before.of(api).requests, api
        server = statuses(sim)
        assert {r["outcome"] for r in results} == {"already_terminal"}
        assert all(r["statusBefore"] == server[str(r["thingName"])] for r in results)
        assert all(r["attempts"] == 0 for r in results)
        assert summary["callsSaved"] == 2 * len(results)


@pytest.fixture
def failing() -> Iterator[ThreadedSimulator]:
    """1,000 executions (four listing pages); every cancel answered 503."""
    config = SimConfig(
        quota=None, p503=1.0, faulty_operations=frozenset({Operation.CANCEL_JOB_EXECUTION})
    )
    with ThreadedSimulator(config, FleetSpec(things=1000, job_ids=(JOB,), seed=2)) as simulator:
        yield simulator


class TestStopEndsTheListing:
    def test_no_listing_call_after_the_run_stopped(
        self, failing: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """The abort threshold stops the run at the first failure: the listing ends too —
        no further page is requested and no further listed target is handed out."""
        directory = tmp_path / "report"
        code = run(
            failing,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--from-job",
            "--max-attempts",
            "1",
            "--concurrency",
            "2",
            "--abort-if-failed-percent",
            "0",
            "--abort-min-executed",
            "1",
            "--report",
            str(directory),
        )
        summary, results = report(directory)
        assert code == 1
        assert "aborted" in str(summary["stopReason"])
        assert failing.statistics().of("ListJobExecutionsForJob").requests == 1
        assert summary["listingStoppedEarly"] is True
        # Only what was handed out before the stop: far from the first page's 250.
        assert len(results) == summary["total"]
        assert len(results) < 50
