"""Shared by the docs tests: child processes with the venv on PATH, started in parallel.

Most of these tests are whole programs that spend their time starting Python and then
waiting on a rate limiter. :class:`Parallel` starts them all at once, each with what it
needs (its own simulator when it has one), and lets every test wait for its own: the
suite then takes about as long as its slowest program, not the sum of them.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
#: Long enough for a loaded CI machine; a program that takes this long is broken.
TIMEOUT = 60.0


def child_env(
    endpoint: str | None = None, *, credentials: bool = True, path: Path = BIN, **extra: str
) -> dict[str, str]:
    """The session's environment (dummy credentials, no ~/.aws) with ``path`` first on
    PATH; ``AWS_ENDPOINT_URL_IOT`` set to ``endpoint`` or removed; without
    ``credentials`` no AWS keys at all, as on a fresh machine."""
    env = dict(os.environ, PATH=f"{path}{os.pathsep}{os.environ.get('PATH', '')}", **extra)
    env.pop("AWS_ENDPOINT_URL_IOT", None)
    if endpoint is not None:
        env["AWS_ENDPOINT_URL_IOT"] = endpoint
    if not credentials:
        for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Job:
    """One program started by :class:`Parallel`."""

    process: subprocess.Popen[str]
    cleanup: Callable[[], None]
    result: subprocess.CompletedProcess[str] | None = None


@dataclass
class Parallel:
    """Programs started together; :meth:`wait` returns one's result once it has ended.

    Each runs in a process group of its own, killed whole if it overstays ``TIMEOUT``, so
    nothing it started in the background outlives it.
    """

    jobs: dict[str, Job] = field(default_factory=dict)

    def start(
        self,
        key: str,
        argv: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        cleanup: Callable[[], None] = lambda: None,
    ) -> None:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self.jobs[key] = Job(process, cleanup)

    def wait(self, key: str) -> subprocess.CompletedProcess[str]:
        job = self.jobs[key]
        if job.result is None:
            try:
                stdout, stderr = job.process.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                # The group is still ours: its leader is not reaped until communicate().
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(job.process.pid, signal.SIGKILL)
                stdout, stderr = job.process.communicate()
                stderr += f"\n[docs tests: killed after {TIMEOUT:g} s]"
            finally:
                job.cleanup()
            job.result = subprocess.CompletedProcess(
                job.process.args, job.process.returncode, stdout, stderr
            )
        return job.result

    def close(self) -> None:
        for key in self.jobs:
            self.wait(key)
