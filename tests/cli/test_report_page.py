"""report.html from real runs, rendered by a real browser, and ``bulkjobs report DIR``."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, ThreadedSimulator
from tests.cli.conftest import JOB, statuses
from tests.report.pages import count, figures, render


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"])


def things_file(sim: ThreadedSimulator, path: Path, names: list[str] | None = None) -> Path:
    """A CSV over two regions, with one thing the fleet does not have."""
    names = names if names is not None else sorted(statuses(sim))
    rows = ["thingName,jobId,region"]
    rows += [f"{n},{JOB},{'eu-west-1' if i % 2 else 'us-east-1'}" for i, n in enumerate(names)]
    path.write_text("\n".join([*rows, f"thing-404,{JOB},us-east-1"]) + "\n")
    return path


def summary_of(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "summary.json").read_text())
    return data


@pytest.fixture
def report(sim: ThreadedSimulator, tmp_path: Path) -> Path:
    """A run without --force: cancelled, already terminal, skipped and not-found targets."""
    directory = tmp_path / "report"
    source = things_file(sim, tmp_path / "things.csv")
    argv = ["cancel-job-execution", "--things-file", str(source), "--report", str(directory)]
    assert run(sim, *argv, "-q") == 1
    return directory


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


class TestRenderedInChromium:
    def test_the_browser_shows_the_summarys_figures(self, report: Path, tmp_path: Path) -> None:
        """Chromium renders report.html; every figure it shows matches summary.json."""
        summary = summary_of(report)
        shot = tmp_path / "report.png"
        shown = figures(render(report / "report.html", tmp_path / "profile", screenshot=shot))
        assert png_size(shot) == (1100, 1600)
        assert count(shown["total"]) == summary["total"] == len(result_lines(report))
        for outcome, n in summary["outcomes"].items():
            assert count(shown[f"outcome.{outcome}"]) == n
        for kind, n in summary["kinds"].items():
            assert count(shown[f"kind.{kind}"]) == n
        for region, counts in summary["breakdown"]["byDestination"].items():
            assert count(shown[f"destination.{region}"]) == sum(counts.values())
        assert count(shown[f"job.{JOB}"]) == summary["total"]
        for code, n in summary["breakdown"]["failedOrSkippedByCode"].items():
            assert count(shown[f"code.{code}"]) == n
        assert count(shown["attempts"]) == summary["attempts"]
        assert count(shown["exitCode"]) == summary["exitCode"] == 1
        assert count(shown["plan.targets"]) == summary["plan"]["targets"]

    def test_outcomes_cover_every_kind_of_ending(self, report: Path) -> None:
        """The run behind these tests really has done, no-op and skipped targets."""
        kinds = summary_of(report)["kinds"]
        assert kinds["done"] and kinds["noop"] and kinds["skipped"]
        assert set(summary_of(report)["breakdown"]["byDestination"]) == {"us-east-1", "eu-west-1"}


def result_lines(report: Path) -> list[str]:
    return (report / "results.jsonl").read_text().splitlines()


class TestReportCommand:
    def test_regenerates_the_page_and_prints_the_summary(
        self, report: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``bulkjobs report DIR`` writes report.html again and prints the run's table."""
        (report / "report.html").unlink()
        capsys.readouterr()
        assert main(["report", str(report)]) == 0
        out, err = capsys.readouterr()
        assert "in_progress_needs_force" in out and "total" in out
        assert "report.html" in err
        shown = figures((report / "report.html").read_text())
        assert count(shown["total"]) == summary_of(report)["total"]

    def test_json_output_is_the_summary(
        self, report: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``--output json`` prints one JSON line with the summary's counts."""
        capsys.readouterr()
        assert main(["report", str(report), "--output", "json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed["outcomes"] == summary_of(report)["outcomes"]

    def test_a_run_stopped_before_its_summary_is_described_not_drawn(
        self, report: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A journal but no summary (the process was killed): exit 2, no page, saying
        what the journal records by outcome and that --resume finishes the run."""
        journal = [json.loads(x) for x in (report / "journal.jsonl").read_text().splitlines()]
        for name in ("summary.json", "results.jsonl", "report.html"):
            (report / name).unlink()
        capsys.readouterr()
        assert main(["report", str(report)]) == 2
        err = capsys.readouterr().err
        assert "summary.json does not exist" in err and "stopped before" in err
        by_outcome: dict[str, int] = {}
        for line in journal:
            by_outcome[line["outcome"]] = by_outcome.get(line["outcome"], 0) + 1
        assert f"records {len(journal)} finished targets (" in err
        for outcome, n in by_outcome.items():
            assert f"{n} {outcome}" in err
        assert "--resume" in err
        assert not (report / "report.html").exists()

    def test_a_directory_without_a_summary_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No summary.json: exit 2, saying why, and nothing is written."""
        assert main(["report", str(tmp_path)]) == 2
        assert "summary.json does not exist" in capsys.readouterr().err
        assert list(tmp_path.iterdir()) == []


class TestResumedRun:
    def test_one_page_shows_both_invocations(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """A run resumed from its journal keeps the first invocation in its summary and
        draws both; the page's totals are the whole run's."""
        queued = sorted(n for n, s in statuses(sim).items() if s is ExecutionStatus.QUEUED)
        directory = tmp_path / "report"
        common = ["cancel-job-execution", "--report", str(directory), "-q"]
        first = things_file(sim, tmp_path / "first.csv", queued[:10])
        whole = things_file(sim, tmp_path / "whole.csv", queued)
        assert run(sim, *common, "--things-file", str(first)) == 0
        assert run(sim, *common, "--things-file", str(whole), "--resume") == 0
        summary = summary_of(directory)
        assert len(summary["previousInvocations"]) == 1
        earlier = summary["previousInvocations"][0]
        shown = figures((directory / "report.html").read_text())
        assert shown["invocations"] == "2"
        assert count(shown["total"]) == summary["total"] == len(queued) + 1
        assert count(shown["attempts"]) == summary["attempts"] + earlier["attempts"]
