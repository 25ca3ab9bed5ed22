"""Scenario 3: peak memory of the ``bulkjobs`` process for large runs.

* A dry run over a generated file of N thing names (targets: ≤ 200 MB and ≤ 5 s for a
  million, and the summary must count every one): the whole pipeline — scan,
  validation, queue, workers, aggregation, results.jsonl — without the network.
* Real calls: M cancels against the simulator (unlimited quota, fixed high rate), with
  the report written, as a user would run it.
* ``bulkjobs --version``: what the interpreter and the imports alone take, the floor
  under both.

Each figure is the child's own peak RSS (``wait4`` rusage, i.e. VmHWM), so the driver's
memory never counts.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._harness import JOB_ID, ChildRun, Mode, SimProcess, bulkjobs_command, run_child
from benchmarks._report import Check, ScenarioResult, Table, fmt

LIMIT_MB = 200.0
#: Seconds a million-line dry run with a report may take, start-up included; smaller runs
#: get the same per-line budget (so the quick size's target is stricter than it sounds:
#: the interpreter's start-up does not shrink with it).
DRY_WALL_PER_MILLION = 5.0
COMMON = f"cancel-job-execution --job-id {JOB_ID} --region us-east-1 --quiet"


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizes:
    dry_targets: int
    real_targets: int
    time_cap: float


SIZES: dict[str, Sizes] = {
    "quick": Sizes(dry_targets=200_000, real_targets=10_000, time_cap=120),
    "full": Sizes(dry_targets=1_000_000, real_targets=100_000, time_cap=600),
}


def write_things(path: Path, count: int, *, width: int = 7) -> None:
    """``thing-0000001`` … one per line, sorted (de-duplication then needs O(1) memory).

    The simulator names its things with six digits: real runs pass ``width=6``.
    """
    with path.open("w") as fh:
        chunk = 100_000
        for start in range(1, count + 1, chunk):
            stop = min(start + chunk, count + 1)
            fh.write("".join(f"thing-{i:0{width}d}\n" for i in range(start, stop)))


def read_summary(report_dir: Path) -> dict[str, Any]:
    path = report_dir / "summary.json"
    return json.loads(path.read_text()) if path.exists() else {}


@dataclass(slots=True, kw_only=True)
class MemoryRow:
    label: str
    targets: int
    child: ChildRun
    summary_total: int | None
    counted: int | None  # the outcome that should cover every target
    server_queued: int | None = None

    @property
    def all_counted(self) -> bool:
        ok = self.summary_total == self.targets and self.counted == self.targets
        return ok and self.server_queued in (None, 0) and self.child.returncode == 0

    def cells(self) -> list[str]:
        rate = self.targets / self.child.wall if self.targets and self.child.wall else None
        return [
            self.label,
            f"{self.targets:,}",
            fmt(self.child.max_rss_mb, 1, " MB"),
            fmt(self.child.wall, 1, "s"),
            fmt(rate, 0) if rate else "-",
            str(self.child.returncode),
            ("yes" if self.all_counted else "NO") if self.targets else "-",
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "targets": self.targets,
            "max_rss_mb": self.child.max_rss_mb,
            "wall": self.child.wall,
            "cpu": self.child.cpu,
            "returncode": self.child.returncode,
            "summary_total": self.summary_total,
            "counted": self.counted,
            "server_queued": self.server_queued,
            "all_counted": self.all_counted,
            "stderr_tail": self.child.stderr[-500:] if self.child.returncode else "",
        }


def run(
    mode: Mode, *, dry_targets: int | None = None, real_targets: int | None = None
) -> ScenarioResult:
    sizes = SIZES[mode]
    n_dry = dry_targets or sizes.dry_targets
    n_real = real_targets or sizes.real_targets
    result = ScenarioResult(name="memory", title="Scenario 3: peak memory (RSS of the CLI process)")
    cli = bulkjobs_command()
    rows: list[MemoryRow] = []
    with tempfile.TemporaryDirectory(prefix="bulkjobs-bench-mem-") as tmp:
        work = Path(tmp)
        floor = run_child([*cli, "--version"], timeout=60)
        rows.append(
            MemoryRow(
                label="bulkjobs --version", targets=0, child=floor, summary_total=None, counted=None
            )
        )

        things = work / "dry.txt"
        write_things(things, n_dry)
        dry_cmd = [*cli, *COMMON.split(), "--things-file", str(things), "--dry-run"]
        dry_cmd += ["--report", str(work / "dry-report")]
        dry = run_child(dry_cmd, timeout=sizes.time_cap)
        summary = read_summary(work / "dry-report")
        rows.append(
            MemoryRow(
                label="dry run, file",
                targets=n_dry,
                child=dry,
                summary_total=summary.get("total"),
                counted=summary.get("outcomes", {}).get("dry_run"),
            )
        )
        things.unlink()  # a million-line results.jsonl is enough on disk at once

        real_things = work / "real.txt"
        write_things(real_things, n_real, width=6)
        with SimProcess(things=n_real, quota=None) as sim:
            real_cmd = [*cli, *COMMON.split(), "--things-file", str(real_things)]
            real_cmd += ["--endpoint-url", sim.endpoint_url, "--rate", "100000"]
            real_cmd += ["--report", str(work / "real-report")]
            real = run_child(real_cmd, timeout=sizes.time_cap)
            queued = sim.queued()
            sim_cmd = sim.command()
        summary = read_summary(work / "real-report")
        rows.append(
            MemoryRow(
                label="real calls vs simulator",
                targets=n_real,
                child=real,
                summary_total=summary.get("total"),
                counted=summary.get("outcomes", {}).get("canceled"),
                server_queued=queued,
            )
        )

    dry_shown = "bulkjobs cancel-job-execution --job-id J --things-file F --dry-run --report DIR -q"
    real_shown = (
        "bulkjobs cancel-job-execution --job-id J --things-file F --endpoint-url URL "
        "--rate 100000 --report DIR -q"
    )
    result.tables.append(
        Table(
            title="3. peak RSS of the bulkjobs process",
            command=f"{dry_shown}  |  {real_shown}  (against: {sim_cmd})",
            columns=["run", "targets", "peak RSS", "wall", "targets/s", "exit", "all counted"],
            rows=[row.cells() for row in rows],
            notes=[
                "all counted: summary.json total and outcome count == targets "
                "(and, for real calls, nothing left QUEUED on the server)"
            ],
        )
    )
    dry_row, real_row = rows[1], rows[2]
    dry_wall_limit = DRY_WALL_PER_MILLION * n_dry / 10**6
    result.checks += [
        Check(
            name=f"dry run of {n_dry:,} peak RSS",
            target=f"≤ {LIMIT_MB:g} MB" + (" (for 1,000,000)" if n_dry < 10**6 else ""),
            value=fmt(dry_row.child.max_rss_mb, 1, " MB"),
            ok=dry_row.child.max_rss_mb <= LIMIT_MB,
        ),
        Check(
            name=f"dry run of {n_dry:,} wall",
            target=f"≤ {dry_wall_limit:.2g} s"
            + (f" ({DRY_WALL_PER_MILLION:g} s for 1,000,000)" if n_dry != 10**6 else ""),
            value=fmt(dry_row.child.wall, 2, " s"),
            ok=dry_row.child.wall <= dry_wall_limit,
        ),
        Check(
            name="dry run summary counts every target",
            target=f"total == {n_dry:,}",
            value=str(dry_row.summary_total),
            ok=dry_row.all_counted,
        ),
        Check(
            name=f"{n_real:,} real calls all cancelled and counted",
            target="yes",
            value="yes" if real_row.all_counted else "no",
            ok=real_row.all_counted,
        ),
    ]
    result.data = {"rows": [row.to_json() for row in rows], "simulator": sim_cmd}
    return result
