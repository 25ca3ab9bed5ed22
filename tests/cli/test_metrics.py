"""--metrics-textfile: the run's counters in the Prometheus text format."""

from __future__ import annotations

import json
import math
from pathlib import Path

import anyio
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bulkjobs._metrics import LAST_SUCCESS, MetricsTextfile
from bulkjobs._models import Outcome, Result, Target
from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, ThreadedSimulator
from tests.cli.conftest import JOB, statuses


def samples(path: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of the file, keyed by name and sorted labels."""
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(path: Path, name: str, **labels: str) -> float:
    task = path.name.removesuffix(".prom")
    return samples(path)[(name, tuple(sorted({"task": task, **labels}.items())))]


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1", "-q"])


class Clock:
    def __init__(self) -> None:
        self.now = 1_764_000_000.0

    def __call__(self) -> float:
        return self.now


def result(outcome: Outcome) -> Result:
    return Result(
        target=Target(job_id="fw", thing_name="t"),
        operation="cancel-job-execution",
        outcome=outcome,
    )


class TestFromARun:
    def test_counts_match_the_summary(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """Targets by outcome, calls, throttles and the exit code equal summary.json's."""
        metrics = tmp_path / "textfile" / "cleanup.prom"
        report = tmp_path / "report"
        names = sorted(statuses(sim))[:20]
        args = [a for n in names for a in ("--thing-name", n)]
        code = run(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            *args,
            "--report",
            str(report),
            "--metrics-textfile",
            str(metrics),
        )
        summary = json.loads((report / "summary.json").read_text())
        assert code == summary["exitCode"] == 1  # some are IN_PROGRESS without --force
        for outcome in Outcome:
            expected = summary["outcomes"].get(outcome.value, 0)
            shown = value(metrics, "bulkjobs_targets", outcome=outcome.value, kind=outcome.kind)
            assert shown == expected, outcome
        assert value(metrics, "bulkjobs_api_calls") == summary["attempts"]
        assert value(metrics, "bulkjobs_throttled_calls") == summary["throttles"]
        assert value(metrics, "bulkjobs_exit_code") == 1
        assert value(metrics, "bulkjobs_running") == 0
        assert value(metrics, "bulkjobs_run_duration_seconds") >= summary["wallTimeSeconds"]
        assert not any(name == LAST_SUCCESS for name, _ in samples(metrics))
        assert [p.name for p in metrics.parent.iterdir()] == ["cleanup.prom"]

    def test_a_failed_run_keeps_the_last_success(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Exit 0 records the time; a later failing run carries it forward unchanged."""
        metrics = tmp_path / "cleanup.prom"
        queued = sorted(n for n, s in statuses(sim).items() if s is ExecutionStatus.QUEUED)
        running = sorted(n for n, s in statuses(sim).items() if s is ExecutionStatus.IN_PROGRESS)
        common = ["cancel-job-execution", "--job-id", JOB, "--metrics-textfile", str(metrics)]
        assert run(sim, *common, "--thing-name", queued[0]) == 0
        success = value(metrics, LAST_SUCCESS)
        assert success > value(metrics, "bulkjobs_run_start_timestamp_seconds") - 1
        assert run(sim, *common, "--thing-name", running[0]) == 1
        assert value(metrics, LAST_SUCCESS) == success
        assert value(metrics, "bulkjobs_exit_code") == 1

    def test_a_name_the_collector_ignores_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Not ending in .prom: exit 2 before anything is sent, saying why."""
        code = main(
            [
                "cancel-job-execution",
                "--job-id",
                JOB,
                "--thing-name",
                "t1",
                "--metrics-textfile",
                str(tmp_path / "cleanup.txt"),
                "--endpoint-url",
                "http://127.0.0.1:9",
            ]
        )
        assert code == 2
        assert "must end in .prom" in capsys.readouterr().err
        assert list(tmp_path.iterdir()) == []


class TestDuringTheRun:
    async def test_the_file_is_written_while_running(self, tmp_path: Path) -> None:
        """The periodic writer puts the counts so far in the file, marked running."""
        clock = Clock()
        path = tmp_path / "run.prom"
        metrics = MetricsTextfile(path, operation="cancel-job-execution", version="t", clock=clock)
        for outcome in (Outcome.CANCELED, Outcome.CANCELED, Outcome.NOT_FOUND):
            metrics.add(result(outcome))
        clock.now += 42
        async with anyio.create_task_group() as tg:
            tg.start_soon(metrics.run, lambda: (7, 2, 10))
            await anyio.wait_all_tasks_blocked()
            tg.cancel_scope.cancel()
        assert value(path, "bulkjobs_running") == 1
        assert value(path, "bulkjobs_targets", outcome="canceled", kind="done") == 2
        assert value(path, "bulkjobs_targets", outcome="not_found", kind="noop") == 1
        assert value(path, "bulkjobs_api_calls") == 7
        assert value(path, "bulkjobs_throttled_calls") == 2
        assert value(path, "bulkjobs_targets_expected") == 10
        assert value(path, "bulkjobs_run_duration_seconds") == 42
        assert math.isnan(value(path, "bulkjobs_exit_code"))

    def test_a_foreign_file_is_replaced(self, tmp_path: Path) -> None:
        """Whatever was at the path before (not ours) gives no last success and no error."""
        path = tmp_path / "run.prom"
        path.write_text("this is { not the text format\n")
        metrics = MetricsTextfile(path, operation="cancel-job", version="t", clock=Clock())
        metrics.finish(1)
        assert value(path, "bulkjobs_exit_code") == 1
        assert not any(name == LAST_SUCCESS for name, _ in samples(path))
