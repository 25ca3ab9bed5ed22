"""Shared machinery: the simulator in its own process, child processes, time limits.

Every process started here is registered in ``_LIVE`` and killed by :func:`kill_all`,
which ``__main__`` calls on every way out (normal end, exception, SIGTERM, time limit),
so a benchmark never leaves a simulator listening behind it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

Mode = Literal["quick", "full"]

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
REGION = "us-east-1"
JOB_ID = "bench-job"

_LIVE: set[subprocess.Popen[Any]] = set()
_CLIENT_CPUS: set[int] | None = None
_SERVER_CPU: int | None = None


# -- environment ---------------------------------------------------------------------


def prepare_environment() -> None:
    """Dummy credentials for loopback, and no stray AWS settings from the user's shell.

    The peers' retry behaviour is part of what is measured, so AWS_RETRY_MODE /
    AWS_MAX_ATTEMPTS from the environment must not change it; the instance-metadata
    lookup would add seconds to every client start on a machine without one.
    """
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "benchmark",
            "AWS_SECRET_ACCESS_KEY": "benchmark",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        }
    )


def configure_quiet_logging() -> None:
    """Library runs log as an application using structlog would: warnings and up.

    The engine emits its per-target line only when structlog is configured; measuring
    it configured (at the CLI's default level) is the costlier, more realistic case.
    """
    import logging

    import structlog

    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )


def pin_cpus(enabled: bool = True) -> str:
    """Keep the client (this process and its children) off the simulator's CPU."""
    global _CLIENT_CPUS, _SERVER_CPU
    cpus = sorted(os.sched_getaffinity(0))
    if not enabled or len(cpus) < 2:
        _CLIENT_CPUS, _SERVER_CPU = None, None
        return f"not pinned ({len(cpus)} CPU{'s' if len(cpus) != 1 else ''} available)"
    _SERVER_CPU = cpus[-1]
    _CLIENT_CPUS = set(cpus[:-1])
    os.sched_setaffinity(0, _CLIENT_CPUS)
    return f"client on CPU {sorted(_CLIENT_CPUS)}, simulator on CPU {_SERVER_CPU}"


def bulkjobs_command() -> list[str]:
    """The ``bulkjobs`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "bulkjobs"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bulkjobs"]


# -- time limits ---------------------------------------------------------------------


class ScenarioTimeout(Exception):
    """A scenario ran past its hard limit."""


@contextlib.contextmanager
def hard_timeout(seconds: float, what: str) -> Iterator[None]:
    """Raise :class:`ScenarioTimeout` in the main thread after ``seconds``.

    The last line of defence: every loop also has its own deadline, but a hung
    synchronous call can only be interrupted by a signal.
    """

    def on_alarm(signum: int, frame: object) -> None:
        raise ScenarioTimeout(f"{what} exceeded its hard limit of {seconds:g}s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def kill_all() -> None:
    """Kill every child process still running (idempotent)."""
    for proc in list(_LIVE):
        _kill(proc)


def _kill(proc: subprocess.Popen[Any]) -> None:
    """Kill ``proc`` and its process group: a launcher takes the command it ran along."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    _LIVE.discard(proc)


def _spawn(command: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """Popen in a process group of its own, registered for :func:`kill_all`."""
    proc = subprocess.Popen(command, start_new_session=True, **kwargs)
    _LIVE.add(proc)
    return proc


# -- child processes -----------------------------------------------------------------

#: Runs one command and reports its rusage as JSON. The measured command is started by
#: this small interpreter, not by the driver: a process's peak RSS (ru_maxrss, VmHWM)
#: includes what it held between fork and exec, which for a child of the driver is the
#: driver's own hundred-odd megabytes. perf_counter is CLOCK_MONOTONIC, comparable
#: across processes, so ``started`` lines up with the driver's clock.
_LAUNCHER = """
import json, os, subprocess, sys, time
spec = json.loads(sys.argv[1])
with open(spec["stdout"], "wb") as out, open(spec["stderr"], "wb") as err:
    started = time.perf_counter()
    proc = subprocess.Popen(spec["command"], stdout=out, stderr=err, cwd=spec["cwd"])
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
print(json.dumps({
    "returncode": os.waitstatus_to_exitcode(status), "wall": wall, "started": started,
    "max_rss_kb": usage.ru_maxrss, "cpu": usage.ru_utime + usage.ru_stime,
}))
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class ChildRun:
    """A finished child process: exit code, wall time, peak RSS and CPU time."""

    returncode: int
    started: float  # perf_counter() just before it was launched
    wall: float
    max_rss_mb: float
    cpu: float
    stdout: str
    stderr: str


def run_child(command: Sequence[str], *, timeout: float, cwd: Path | None = None) -> ChildRun:
    """Run ``command`` to its end and measure it on its own (see ``_LAUNCHER``)."""
    with tempfile.TemporaryDirectory(prefix="bulkjobs-bench-child-") as tmp:
        out, err = Path(tmp) / "stdout", Path(tmp) / "stderr"
        spec = {"command": list(command), "cwd": str(cwd or ROOT)}
        spec |= {"stdout": str(out), "stderr": str(err)}
        launcher = _spawn(
            [sys.executable, "-S", "-c", _LAUNCHER, json.dumps(spec)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            report, _ = launcher.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill(launcher)
            raise ScenarioTimeout(f"{command[0]} ran past {timeout:g}s") from None
        finally:
            _LIVE.discard(launcher)
        if launcher.returncode != 0:
            raise RuntimeError(f"could not run {command[0]}: {err.read_text()[-500:]}")
        figures = json.loads(report)
        return ChildRun(
            returncode=figures["returncode"],
            started=figures["started"],
            wall=figures["wall"],
            max_rss_mb=figures["max_rss_kb"] / 1024,  # kilobytes on Linux
            cpu=figures["cpu"],
            stdout=out.read_text(errors="replace"),
            stderr=err.read_text(errors="replace"),
        )


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a live process, from /proc (0.0 if unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # Fields 14 and 15 of stat(5); the split above starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the simulator in its own process ------------------------------------------------


@dataclass(slots=True, kw_only=True)
class SimProcess:
    """``python -m bulkjobs.sim`` as a context manager: start, query, stop, counters.

    The counters arrive through ``--stats-json`` when the process is stopped (SIGTERM),
    so one simulator serves one measured run. The fleet is seeded and every execution
    starts QUEUED.
    """

    things: int
    job_ids: Sequence[str] = (JOB_ID,)
    quota: float | None = None
    latency_ms: float = 0.0
    p503: float = 0.0
    quota_at: Sequence[tuple[float, float]] = ()
    burst_seconds: float = 1.0
    seed: int = 0
    #: Answer Service Quotas (False: --no-service-quotas, auto mode must find the quota).
    service_quotas: bool = True
    #: More simulator options, as given on its command line (accounts, regions, …).
    extra: Sequence[str] = ()
    start_timeout: float = 120.0
    endpoint_url: str = ""
    ready_at: float = 0.0  # perf_counter() when the URL was read: quota schedules start here
    stats: dict[str, Any] = field(default_factory=dict)
    _proc: subprocess.Popen[str] | None = None
    _dir: tempfile.TemporaryDirectory[str] | None = None
    _client: Any = None

    def args(self) -> list[str]:
        args = ["--things", str(self.things), "--seed", str(self.seed)]
        for job_id in self.job_ids:
            args += ["--job-id", job_id]
        args += ["--quota", "unlimited" if self.quota is None else f"{self.quota:g}"]
        args += ["--burst-seconds", f"{self.burst_seconds:g}"]
        for at, tps in self.quota_at:
            args += ["--quota-at", f"{at:g}:{tps:g}"]
        if self.latency_ms:
            args += ["--latency-ms", f"{self.latency_ms:g}"]
        if self.p503:
            args += ["--p503", f"{self.p503:g}"]
        if not self.service_quotas:
            args.append("--no-service-quotas")
        args += list(self.extra)
        return args

    def command(self) -> str:
        """The shell command a reader can run to get the same simulator."""
        return "python -m bulkjobs.sim " + " ".join(self.args())

    def __enter__(self) -> SimProcess:
        self._dir = tempfile.TemporaryDirectory(prefix="bulkjobs-bench-sim-")
        stats = Path(self._dir.name) / "stats.json"
        stderr = open(Path(self._dir.name) / "stderr.txt", "w")
        command = [sys.executable, "-m", "bulkjobs.sim", *self.args(), "--stats-json", str(stats)]
        self._proc = _spawn(command, stdout=subprocess.PIPE, stderr=stderr, text=True, cwd=ROOT)
        stderr.close()
        if _SERVER_CPU is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(self._proc.pid, {_SERVER_CPU})
        try:
            self.endpoint_url = self._read_url()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        self.ready_at = time.perf_counter()
        return self

    def _read_url(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        ready, _, _ = select.select([self._proc.stdout], [], [], self.start_timeout)
        line = self._proc.stdout.readline().strip() if ready else ""
        if not line.startswith("http://"):
            raise RuntimeError(f"simulator did not start: {line or 'no URL'}; {self._stderr()}")
        return line

    def _stderr(self) -> str:
        assert self._dir is not None
        path = Path(self._dir.name) / "stderr.txt"
        return path.read_text()[-2000:] if path.exists() else ""

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def cpu_seconds(self) -> float:
        return process_cpu_seconds(self.pid)

    def job_counts(self, job_id: str = JOB_ID) -> dict[str, int]:
        """DescribeJob's per-status counts, as the server holds them now."""
        if self._client is None:
            import boto3
            from botocore.config import Config

            # Retries on: the simulator's 503s and quota apply to DescribeJob too.
            self._client = boto3.session.Session().client(
                "iot",
                region_name=REGION,
                endpoint_url=self.endpoint_url,
                config=Config(retries={"mode": "standard", "max_attempts": 20}),
            )
        job = self._client.describe_job(jobId=job_id)["job"]
        return {k: int(v) for k, v in job["jobProcessDetails"].items()}

    def queued(self, job_id: str = JOB_ID) -> int:
        """Executions of ``job_id`` still QUEUED: what no tool managed to cancel."""
        return self.job_counts(job_id).get("numberOfQueuedThings", 0)

    def stop(self) -> dict[str, Any]:
        """Stop the simulator and return its final counters (``--stats-json``)."""
        if self._proc is None:
            return self.stats
        proc, self._proc = self._proc, None
        if self._client is not None:
            self._client.close()
            self._client = None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.communicate(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
        _LIVE.discard(proc)
        assert self._dir is not None
        path = Path(self._dir.name) / "stats.json"
        if path.exists():
            self.stats = json.loads(path.read_text())
        return self.stats

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def operation(self, name: str = "CancelJobExecution") -> dict[str, Any]:
        """One operation's final counters (zeros if it was never called)."""
        empty = {"requests": 0, "accepted": 0, "throttled": 0, "unavailable": 0}
        return dict(self.stats.get("operations", {}).get(name, empty))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
