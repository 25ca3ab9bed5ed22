"""What a scenario hands back, how it is printed, and the machine it ran on."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks._harness import ROOT

_VERSIONED = ("bulkjobs", "aiobotocore", "botocore", "boto3", "aiohttp", "anyio", "structlog")


@dataclass(slots=True, kw_only=True)
class Table:
    """One printed table: cells are preformatted strings; ``command`` made it."""

    title: str
    command: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        widths = [len(c) for c in self.columns]
        for row in self.rows:
            widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

        def line(cells: list[str]) -> str:
            # First column (the name) left-aligned, figures right-aligned.
            parts = [cells[0].ljust(widths[0])]
            parts += [cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True)]
            return "  ".join(parts).rstrip()

        out = [self.title, f"$ {self.command}", line(self.columns)]
        out.append("  ".join("-" * w for w in widths))
        out += [line(row) for row in self.rows]
        out += [f"  note: {note}" for note in self.notes]
        return "\n".join(out)


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """A figure against the issue's target: informational, never asserted."""

    name: str
    target: str
    value: str
    ok: bool | None  # None: could not be measured

    def render(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "n/a "}[self.ok]
        return f"[{verdict}] {self.name}: {self.value} (target {self.target})"


@dataclass(slots=True, kw_only=True)
class ScenarioResult:
    name: str
    title: str
    tables: list[Table] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0
    error: str | None = None

    def render(self) -> str:
        out = [f"== {self.title} ({self.elapsed:.1f}s) =="]
        if self.error:
            out.append(f"ERROR: {self.error}")
        out += [table.render() + "\n" for table in self.tables]
        out += [check.render() for check in self.checks]
        out += [f"note: {note}" for note in self.notes]
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = _finite(
            {
                "name": self.name,
                "title": self.title,
                "elapsed": round(self.elapsed, 3),
                "error": self.error,
                "tables": [asdict(t) for t in self.tables],
                "checks": [asdict(c) for c in self.checks],
                "notes": self.notes,
                "data": self.data,
            }
        )
        return document


def _finite(value: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def fmt(value: float | None, digits: int = 2, suffix: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value * 100:.{digits}f}%"


def machine_info(pinning: str) -> dict[str, Any]:
    """CPU, memory, OS, interpreter and the versions that matter to the figures."""
    cpu = platform.processor() or platform.machine()
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for text in Path("/proc/meminfo").read_text().splitlines():
            if text.startswith("MemTotal:"):
                memory = f"{int(text.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for name in _VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu,
        "cpus_online": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)),
        "pinning": pinning,
        "memory": memory,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "versions": versions,
        "git": _git_revision(),
    }


def render_machine(info: dict[str, Any]) -> str:
    versions = ", ".join(f"{k} {v}" for k, v in info["versions"].items() if v)
    return "\n".join(
        [
            f"machine: {info['cpu']}; {info['cpus_usable']}/{info['cpus_online']} CPUs usable; "
            f"{info['memory']} RAM; load {info['load_average']}",
            f"         {info['os']}; {info['implementation']} {info['python']}",
            f"pinning: {info['pinning']}",
            f"versions: {versions}",
            f"git: {info['git']}",
        ]
    )


def _git_revision() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}{' (modified)' if dirty else ''}"


def timestamp() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_finite(document), indent=2) + "\n")
