"""The CLI as a process: Ctrl-C, SIGTERM and SIGKILL mid-run, then --resume.

The simulator runs in this process (a background thread); bulkjobs runs as a real
child process, signalled once its journal shows progress.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator

JOB = "fw-1"
THINGS = 240


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(
        SimConfig(quota=None), FleetSpec(things=THINGS, job_ids=(JOB,), seed=5)
    ) as simulator:
        yield simulator


def start(sim: ThreadedSimulator, tmp_path: Path, *extra: str) -> subprocess.Popen[str]:
    things = tmp_path / "things.txt"
    if not things.exists():
        names = [e.thing_name for e in sim.call(lambda s: s.executions(JOB))]
        things.write_text("\n".join(names) + "\n")
    argv = [
        sys.executable,
        "-m",
        "bulkjobs",
        "cancel-job-execution",
        "--job-id",
        JOB,
        "--things-file",
        str(things),
        "--report",
        str(tmp_path / "report"),
        "--endpoint-url",
        sim.endpoint_url,
        "--region",
        "us-east-1",
        "--quiet",
        *extra,
    ]
    return subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )


def wait_for_journal(tmp_path: Path, lines: int, process: subprocess.Popen[str]) -> None:
    """Poll until the child has journalled ``lines`` results (it is mid-run then)."""
    journal = tmp_path / "report" / "journal.jsonl"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if journal.exists() and len(journal.read_text().splitlines()) >= lines:
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("the run made no progress")


def results(tmp_path: Path) -> list[dict[str, object]]:
    text = (tmp_path / "report" / "results.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def all_canceled(sim: ThreadedSimulator) -> bool:
    executions = sim.call(lambda s: s.executions(JOB))
    return all(e.status is ExecutionStatus.CANCELED for e in executions)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_and_resume_finishes(
    signum: signal.Signals, sim: ThreadedSimulator, tmp_path: Path
) -> None:
    """A signal: in-flight calls finish, the rest is interrupted, exit 130, the resume
    command is printed; resuming finishes the job with each target reported once."""
    process = start(sim, tmp_path, "--rate", "40")
    wait_for_journal(tmp_path, 20, process)
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "--resume" in err
    first = results(tmp_path)
    assert len(first) == THINGS
    assert len({r["thingName"] for r in first}) == THINGS
    kinds = Counter(str(r["outcome"]) for r in first)
    assert kinds["interrupted"] > 0 and kinds["canceled"] > 0

    resumed = start(sim, tmp_path, "--rate", "1000", "--resume")
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    final = results(tmp_path)
    assert Counter(str(r["thingName"]) for r in final) == Counter(
        str(r["thingName"]) for r in first
    )
    assert {r["outcome"] for r in final} == {"canceled"}
    summary = json.loads((tmp_path / "report" / "summary.json").read_text())
    assert summary["total"] == THINGS
    assert summary["carriedFromJournal"] == kinds["canceled"]
    assert all_canceled(sim)


def test_killed_process_resumes_without_losing_or_doubling(
    sim: ThreadedSimulator, tmp_path: Path
) -> None:
    """SIGKILL mid-run: the journal survives; --resume accounts for every target once."""
    process = start(sim, tmp_path, "--rate", "40")
    wait_for_journal(tmp_path, 20, process)
    process.kill()
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL

    resumed = start(sim, tmp_path, "--rate", "1000", "--resume")
    _, err = resumed.communicate(timeout=60)
    assert resumed.returncode == 0, err
    final = results(tmp_path)
    assert len(final) == THINGS
    assert len({r["thingName"] for r in final}) == THINGS
    # Cancelled by the killed run after its last journal flush: found already cancelled.
    assert {r["outcome"] for r in final} <= {"canceled", "already_terminal"}
    assert all_canceled(sim)
