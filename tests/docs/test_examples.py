"""Every file in examples/ does what it says, against the simulator, as a real process.

Each script runs as a user on a fresh machine runs it (no arguments, no AWS credentials
in the environment: it starts its own simulator), and where the server's state is worth
checking, with ``--endpoint-url`` pointed at a simulator this test owns. The systemd unit
and the crontab line run too: their command is extracted, un-escaped as systemd or cron
would, and pointed at the simulator. All programs start together (see
:class:`~tests.docs.support.Parallel`); each test checks one.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import re
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bulkjobs.sim import (
    ExecutionSnapshot,
    ExecutionStatus,
    FleetSpec,
    SimConfig,
    ThreadedSimulator,
)
from tests.docs.support import BIN, TIMEOUT, Parallel, child_env

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUNNING = (ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS)
DAY = 86_400.0
AWS = "https://iot.eu-west-1.amazonaws.com"
INSTALLED = "/opt/bulkjobs/.venv/bin/bulkjobs"
#: Debian's node_exporter textfile directory, where the unit keeps its metrics.
NODE_EXPORTER = "/var/lib/prometheus/node-exporter"

GROUP_FLEET = FleetSpec(
    things=80, job_ids=("fw-2026-11",), in_progress=0.3, terminal=0.2, groups=2, seed=4
)
CLEANUP_FLEET = FleetSpec(
    things=60, job_ids=("fw-2026-09", "fw-2026-10"), terminal=0.6, max_age_days=120, seed=8
)


def executions(sim: ThreadedSimulator, job_id: str) -> list[ExecutionSnapshot]:
    """The job's executions as the server holds them now."""
    return sim.call(lambda simulator: simulator.executions(job_id))


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` as JSON (fails on any line that is not)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def unit_command(unit: str) -> str:
    """ExecStart= of a unit file as systemd passes it: continuations joined, $$ and %%
    un-escaped."""
    text = re.sub(r"\\\n\s*", " ", unit)
    (line,) = [ln for ln in text.splitlines() if ln.startswith("ExecStart=")]
    return line.removeprefix("ExecStart=").replace("$$", "$").replace("%%", "%")


def cron_command(crontab: str) -> str:
    """The command of the crontab's one entry, with cron's \\% un-escaped."""
    (entry,) = [ln for ln in crontab.splitlines() if ln.strip() and not ln.startswith("#")]
    return entry.split(None, 5)[5].replace("\\%", "%")


@dataclass
class Programs:
    """The example programs of this module, started together; one directory each."""

    base: Path
    parallel: Parallel = field(default_factory=Parallel)
    sims: dict[str, ThreadedSimulator] = field(default_factory=dict)
    before: dict[str, list[ExecutionSnapshot]] = field(default_factory=dict)

    def dir(self, key: str) -> Path:
        return self.base / key

    def start(self, key: str, argv: list[str], *, fleet: FleetSpec | None = None) -> None:
        """Start ``argv``; with a ``fleet``, against a simulator of its own serving it
        (as ``--endpoint-url`` for examples, ``AWS_ENDPOINT_URL_IOT`` for commands)."""
        self.dir(key).mkdir()
        endpoint = None
        if fleet is not None:
            sim = self.sims[key] = ThreadedSimulator(SimConfig(quota=None, seed=1), fleet)
            sim.start()
            endpoint = sim.endpoint_url
            self.before[key] = [e for job in fleet.job_ids for e in executions(sim, job)]
            if argv[0] == sys.executable:
                argv = [*argv, "--endpoint-url", endpoint]
        env = child_env(endpoint, credentials=fleet is not None, HOME=str(self.dir(key)))
        self.parallel.start(key, argv, cwd=self.dir(key), env=env)

    def example(self, key: str, name: str, *args: str, fleet: FleetSpec | None = None) -> None:
        self.start(key, [sys.executable, str(EXAMPLES / name), *args], fleet=fleet)

    def wait(self, key: str) -> subprocess.CompletedProcess[str]:
        result = self.parallel.wait(key)
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def close(self) -> None:
        self.parallel.close()
        for sim in self.sims.values():
            sim.stop()


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Programs]:
    programs = Programs(tmp_path_factory.mktemp("examples"))
    with contextlib.closing(programs):
        programs.example("emergency", "emergency_cancel.py")
        report = ["--report", str(programs.dir("emergency-endpoint") / "report"), "--yes"]
        programs.example("emergency-endpoint", "emergency_cancel.py", *report, fleet=GROUP_FLEET)
        programs.example("cleanup", "scheduled_cleanup.py")
        jobs = [arg for job in CLEANUP_FLEET.job_ids for arg in ("--job-id", job)]
        programs.example("cleanup-endpoint", "scheduled_cleanup.py", *jobs, fleet=CLEANUP_FLEET)
        programs.example("cleanup-bad-age", "scheduled_cleanup.py", "--older-than", "a while")
        programs.example("automation", "automation.py")
        programs.example("automation-flaky", "automation.py", "--p503", "0.5")
        for name in ("emergency_cancel.py", "scheduled_cleanup.py", "automation.py"):
            programs.example(f"aws-{name}", name, "--endpoint-url", AWS)
        service = unit_command((EXAMPLES / "bulkjobs-cleanup.service").read_text())
        service = service.replace(INSTALLED, str(BIN / "bulkjobs"))
        service = service.replace("/var/lib/bulkjobs", str(programs.dir("systemd")))
        service = service.replace(NODE_EXPORTER, str(programs.dir("systemd") / "textfile"))
        programs.start("systemd", shlex.split(service), fleet=CLEANUP_FLEET)
        cron = cron_command((EXAMPLES / "crontab").read_text())
        cron = cron.replace(INSTALLED, str(BIN / "bulkjobs"))
        programs.start("crontab", ["/bin/sh", "-c", cron], fleet=CLEANUP_FLEET)
        yield programs


def load_example(name: str) -> ModuleType:
    sys.path.insert(0, str(EXAMPLES))
    try:
        spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(EXAMPLES))


class TestEmergencyCancel:
    def test_runs_as_is_on_a_fresh_machine(self, programs: Programs) -> None:
        """No arguments, no credentials: a rehearsal that stops every device, exit 0."""
        result = programs.wait("emergency")
        assert result.returncode == 0, result.stderr
        assert "resume with:\n  bulkjobs cancel-job-execution" in result.stdout
        (report,) = programs.dir("emergency").glob("cancel-fw-2026-11-*")
        summary = json.loads((report / "summary.json").read_text())
        assert summary["total"] == 150
        assert summary["exitCode"] == 0
        assert set(summary["kinds"]) <= {"done", "noop"}
        assert "NOT STOPPED" not in result.stdout

    def test_stops_the_group_and_prints_a_working_resume_command(self, programs: Programs) -> None:
        """Against an endpoint: no execution left running; the printed command resumes."""
        key = "emergency-endpoint"
        result = programs.wait(key)
        assert result.returncode == 0, result.stderr
        sim = programs.sims[key]
        assert [e for e in executions(sim, "fw-2026-11") if e.status in RUNNING] == []
        resume = re.search(r"resume with:\n  (bulkjobs .*)\n", result.stdout)
        assert resume is not None, result.stdout
        again = subprocess.run(
            shlex.split(resume.group(1)),
            cwd=programs.dir(key),
            env=child_env(sim.endpoint_url),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert again.returncode == 0, again.stderr
        summary = json.loads((programs.dir(key) / "report" / "summary.json").read_text())
        assert summary["carriedFromJournal"] == summary["total"] == 80


class TestScheduledCleanup:
    def test_runs_as_is_and_logs_only_json(self, programs: Programs) -> None:
        """No arguments: deletes old executions of three jobs; stderr is all JSON lines."""
        result = programs.wait("cleanup")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""
        logs = json_lines(result.stderr)
        assert logs[0]["event"] == "cleanup.started"
        final = logs[-1]
        assert final["event"] == "cleanup.finished"
        assert final["exit_code"] == 0
        assert set(final["jobs"]) == {"fw-2026-09", "fw-2026-10", "fw-2026-11"}
        assert final["outcomes"]["deleted"] > 0

    def test_deletes_only_terminal_executions_older_than_the_cutoff(
        self, programs: Programs
    ) -> None:
        """Against an endpoint: old terminal executions gone, everything else kept."""
        key = "cleanup-endpoint"
        result = programs.wait(key)
        assert result.returncode == 0, result.stderr
        sim = programs.sims[key]
        left = {
            (e.job_id, e.thing_name) for job in CLEANUP_FLEET.job_ids for e in executions(sim, job)
        }
        cutoff = time.time() - 30 * DAY
        deleted = 0
        for execution in programs.before[key]:
            here = (execution.job_id, execution.thing_name) in left
            # A minute either side of the cutoff: the run read the clock a little earlier.
            if execution.status not in RUNNING and execution.last_updated_at < cutoff - 60:
                assert not here, execution
                deleted += 1
            elif execution.status in RUNNING or execution.last_updated_at > cutoff + 60:
                assert here, execution
        assert deleted > 0
        assert json_lines(result.stderr)[-1]["outcomes"] == {"deleted": deleted}

    def test_bad_age_exits_2_with_a_json_error(self, programs: Programs) -> None:
        """A cutoff that cannot be read: exit 2, said in JSON, nothing started."""
        result = programs.wait("cleanup-bad-age")
        assert result.returncode == 2
        (line,) = json_lines(result.stderr)
        assert line["event"] == "cleanup.invalid_arguments"


class TestAutomation:
    def test_runs_as_is_and_returns_a_summary(self, programs: Programs) -> None:
        """No arguments: every device cancelled, a JSON summary on stdout, exit 0."""
        result = programs.wait("automation")
        assert result.returncode == 0, result.stderr
        summary = json.loads(result.stdout)
        assert summary["ok"] is True
        assert summary["outcomes"] == {"canceled": 120}
        assert summary["notStopped"] == []

    def test_stops_early_on_a_flaky_service_and_accounts_for_every_target(
        self, programs: Programs
    ) -> None:
        """Half the calls answer 503: the threshold stops the run, exit 1, none lost."""
        result = programs.wait("automation-flaky")
        assert result.returncode == 1, result.stderr
        summary = json.loads(result.stdout)
        assert summary["ok"] is False
        assert summary["stopReason"] == "more than 10 targets failed"
        assert summary["notStoppedCount"] > 10
        assert sum(summary["outcomes"].values()) == summary["total"] == 120
        assert all(line["level"] == "warning" for line in json_lines(result.stderr))

    def test_handler_refuses_invalid_input_without_calling_anything(self) -> None:
        """A malformed thing name: an error summary, every broken rule listed."""
        automation = load_example("automation")
        event = {"jobId": "fw-2026-11", "thingNames": ["ok-thing", "bad thing!", ""]}
        summary = automation.handler(event, None)
        assert summary["ok"] is False
        assert summary["error"] == "invalid input"
        assert len(summary["issues"]) == 2


class TestAgainstAws:
    @pytest.mark.parametrize(
        "name", ["emergency_cancel.py", "scheduled_cleanup.py", "automation.py"]
    )
    def test_rehearsal_targets_are_never_defaults_against_aws(
        self, name: str, programs: Programs
    ) -> None:
        """A non-loopback endpoint without explicit targets: exit 2 before any call."""
        result = programs.wait(f"aws-{name}")
        assert result.returncode == 2
        assert "against AWS" in result.stderr


class TestScheduling:
    def test_systemd_service_command_runs(self, programs: Programs) -> None:
        """The unit's ExecStart, pointed at the simulator, deletes and reports; exit 0."""
        result = programs.wait("systemd")
        assert result.returncode == 0, result.stderr
        (report,) = programs.dir("systemd").glob("cleanup-fw-2026-10-*")
        summary = json.loads((report / "summary.json").read_text())
        assert summary["outcomes"].get("deleted", 0) > 0
        metrics = (programs.dir("systemd") / "textfile" / "bulkjobs-cleanup.prom").read_text()
        deleted = 'bulkjobs_targets{kind="done",outcome="deleted",task="bulkjobs-cleanup"}'
        assert f"{deleted} {float(summary['outcomes']['deleted'])}" in metrics
        assert 'bulkjobs_exit_code{task="bulkjobs-cleanup"} 0.0' in metrics
        json_lines(result.stdout + result.stderr)  # --log-format json: nothing else

    def test_systemd_unit_runs_the_documented_command(self) -> None:
        """The unit runs the cleanup the README documents, and the timer starts it."""
        command = unit_command((EXAMPLES / "bulkjobs-cleanup.service").read_text())
        for part in (
            "bulkjobs delete-job-execution",
            "--from-job",
            "--status SUCCEEDED,FAILED,CANCELED,TIMED_OUT,REJECTED,REMOVED",
            "--older-than 30d",
            "--yes",
            "--log-format json",
            "--report",
            f"--metrics-textfile {NODE_EXPORTER}/bulkjobs-cleanup.prom",
        ):
            assert part in command
        timer = (EXAMPLES / "bulkjobs-cleanup.timer").read_text()
        assert re.search(r"^OnCalendar=\S", timer, re.M)
        assert "WantedBy=timers.target" in timer

    @pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd here")
    def test_systemd_accepts_the_units(self) -> None:
        """`systemd-analyze verify` finds nothing wrong with the unit and the timer."""
        units = [str(EXAMPLES / f"bulkjobs-cleanup.{kind}") for kind in ("service", "timer")]
        verify = subprocess.run(
            ["systemd-analyze", "verify", "--man=no", *units],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
        assert verify.returncode == 0, verify.stderr
        assert verify.stderr == ""

    def test_crontab_line_runs(self, programs: Programs) -> None:
        """The crontab's command, run by sh as cron would: exit 0, JSON log, a report."""
        result = programs.wait("crontab")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ""  # cron mails output: none when all went well
        home = programs.dir("crontab")
        log = json_lines((home / "bulkjobs-cleanup.log").read_text())
        assert log[-1]["event"] == "summary" and log[-1]["exitCode"] == 0
        (report,) = (home / "bulkjobs-reports").glob("cleanup-*")
        assert (report / "results.jsonl").exists()
