"""Scenario 1: quota saturation against peers, and a quota that drops mid-run.

Every row gets a fresh simulator process with the same seeded fleet (all QUEUED), quota,
latency and 503 share, and cancels every execution of one job; the figures are defined
in :mod:`benchmarks._quotarow`. A warm-up run of every tool comes first.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from benchmarks import _plot
from benchmarks._harness import JOB_ID, Mode, SimProcess, bulkjobs_command, run_child
from benchmarks._quotarow import (
    COLUMNS,
    SATURATION,
    Row,
    Server,
    measure,
    thing_names,
    use_ceiling,
)
from benchmarks._report import Check, ScenarioResult, Table, fmt, pct
from benchmarks._tools import PEERS, RunSpec, ToolRun, run_bulkjobs

DROP_TPS = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizes:
    targets: int
    #: The one-at-a-time loop needs ~targets × latency; quick mode stops it early and
    #: extrapolates its wall time from the share it did (marked ≈ in the table).
    loop_cap: float | None
    drop_at: float  # seconds after the simulator starts: quota 40 → 10/s …
    restore_at: float  # … and back to 40/s
    cli_row: bool  # also time the whole `bulkjobs` process (start-up included)
    time_cap: float  # per row


SIZES: dict[str, Sizes] = {
    # Quick mode stays within its two minutes with 300 targets; the fixed start-up cost of
    # every tool (the auto mode's ramp above all) weighs more here than in --full.
    "quick": Sizes(
        targets=300, loop_cap=3.0, drop_at=2.5, restore_at=6.0, cli_row=False, time_cap=60
    ),
    "full": Sizes(
        targets=1000, loop_cap=None, drop_at=5.0, restore_at=12.0, cli_row=True, time_cap=240
    ),
}


def run_cli(targets: int, time_cap: float, server: Server = SATURATION) -> tuple[Row, str]:
    """The `bulkjobs` command, auto rate: wall from process launch, imports included."""
    names = thing_names(targets)
    with (
        tempfile.TemporaryDirectory(prefix="bulkjobs-bench-") as tmp,
        server.process(targets) as sim,
    ):
        things = Path(tmp) / "things.txt"
        things.write_text("\n".join(names) + "\n")
        command = [
            *bulkjobs_command(),
            "cancel-job-execution",
            "--job-id",
            JOB_ID,
            "--things-file",
            str(things),
            "--endpoint-url",
            sim.endpoint_url,
            "--region",
            "us-east-1",
            "--quiet",
        ]
        offset = time.perf_counter() - sim.ready_at
        child = run_child(command, timeout=time_cap)
        queued = sim.queued()
        sim.stop()
        counters = sim.operation()
    done = targets - queued
    run = ToolRun(
        tool="bulkjobs CLI",
        targets=targets,
        wall=child.wall,
        done=done,
        failed=0 if child.returncode == 0 else queued,
        cpu=child.cpu,
        extra={"returncode": child.returncode, "max_rss_mb": child.max_rss_mb},
    )
    row = Row(
        label="bulkjobs CLI process, auto",
        key="bulkjobs_cli_auto",
        run=run,
        sim=counters,
        queued=queued,
        schedule=[(0.0, server.quota)],
        offset=offset,
        burst=server.burst,
    )
    return row, "bulkjobs cancel-job-execution --job-id J --things-file F --endpoint-url URL -q"


def warm_up(targets: int = 20) -> None:
    """One small run of every tool first: imports, model loading, page cache."""
    tools: list[tuple[str, Callable[[RunSpec], ToolRun]]] = [
        ("bulkjobs", partial(run_bulkjobs, rate=None)),
        *((key, runner) for _, key, runner in PEERS),
    ]
    jobs = [f"warm-{i}" for i in range(len(tools))]
    with SimProcess(things=targets, job_ids=jobs, quota=None) as sim:
        for (key, runner), job in zip(tools, jobs, strict=True):
            spec = RunSpec(
                endpoint_url=sim.endpoint_url,
                job_id=job,
                names=thing_names(targets),
                time_cap=30,
            )
            if not runner(spec).accounted:
                raise RuntimeError(f"warm-up of {key} did not account for its targets")


def run(
    mode: Mode,
    *,
    targets: int | None = None,
    warm: bool = True,
    plot: Path | None = None,
    server: Server = SATURATION,
) -> ScenarioResult:
    sizes = SIZES[mode]
    n = targets or sizes.targets
    q = server.quota
    result = ScenarioResult(name="quota", title=f"Scenario 1: quota saturation, {n} cancels")
    if warm:
        warm_up()
    loop_cap = sizes.loop_cap if sizes.loop_cap is not None else sizes.time_cap
    tools: list[tuple[str, str, Callable[[RunSpec], ToolRun]]] = [
        ("bulkjobs auto (quota unknown)", "bulkjobs_auto", partial(run_bulkjobs, rate=None)),
        (f"bulkjobs fixed --rate {q:g}", "bulkjobs_fixed", partial(run_bulkjobs, rate=q)),
        *PEERS,
    ]
    rows: list[Row] = []
    for label, key, runner in tools:
        cap = loop_cap if key == "boto3_loop" else sizes.time_cap
        rows.append(measure(label, key, runner, targets=n, time_cap=cap, server=server))
    sim_cmd = server.process(n).command()
    table = Table(
        title=f"1a. {n} CancelJobExecution, quota {q:g}/s, burst {server.burst_seconds:g}s, "
        f"{server.latency_ms:g} ms latency, {server.p503:.0%} 503s",
        command=f"{sim_cmd}  # one per row; the tools: benchmarks/_tools.py",
        columns=COLUMNS,
        rows=[row.cells() for row in rows],
        notes=[
            f"quota use ceiling with {server.p503:.0%} 503s charged to the quota: "
            f"{use_ceiling(n, server.p503, server.burst):.3f}",
            "lost = still QUEUED on the server at the end; requests/throttled from the "
            "simulator's counters; done/failed as each tool reported them",
            "quota use counts the targets a tool cancelled: lost ones earn no credit",
        ],
    )
    if any(row.estimated for row in rows):
        table.notes.append(
            f"≈: the loop was stopped after {loop_cap:g}s and its wall time extrapolated "
            "(--full runs it to the end)"
        )
    if sizes.cli_row:
        cli_row, cli_cmd = run_cli(n, sizes.time_cap, server)
        rows.append(cli_row)
        table.rows.append(cli_row.cells())
        table.notes.append(f"CLI row: `{cli_cmd}`; its wall includes interpreter start-up")
    result.tables.append(table)

    schedule = ((sizes.drop_at, DROP_TPS), (sizes.restore_at, q))
    drop = measure(
        "bulkjobs auto (quota unknown)",
        "bulkjobs_auto_drop",
        partial(run_bulkjobs, rate=None),
        targets=n,
        time_cap=sizes.time_cap,
        quota_at=schedule,
        server=server,
    )
    drop_cmd = server.process(n, schedule).command()
    result.tables.append(
        Table(
            title=f"1b. quota drop: {q:g}/s → {DROP_TPS:g}/s at {sizes.drop_at:g}s, "
            f"back to {q:g}/s at {sizes.restore_at:g}s (seconds after the simulator starts)",
            command=drop_cmd,
            columns=COLUMNS,
            rows=[drop.cells()],
            notes=["quota use here: ideal under the time-varying quota / wall"],
        )
    )
    by_key = {row.key: row for row in rows}
    result.tables.append(_seconds_table([by_key["bulkjobs_auto"], by_key["bulkjobs_fixed"], drop]))
    result.checks += _checks(by_key, drop)
    result.data = {
        "targets": n,
        "server": {
            "quota": q,
            "burst_seconds": server.burst_seconds,
            "latency_ms": server.latency_ms,
            "p503": server.p503,
            "seed": server.seed,
        },
        "rows": [row.to_json() for row in rows],
        "drop": {**drop.to_json(), "schedule": schedule},
        "commands": {"simulator": sim_cmd, "drop_simulator": drop_cmd},
    }
    if plot is not None:
        series = [(row.label, row.run.events) for row in [*rows, drop] if row.run.events]
        written = _plot.timelines(plot, series, title=f"{n} cancels, quota {q:g}/s")
        result.notes.append(
            f"timeline plot: {written}"
            if written
            else "timeline plot skipped: matplotlib is not installed (pip install matplotlib)"
        )
        result.data["plot"] = str(written) if written else None
    return result


def _seconds_table(rows: list[Row]) -> Table:
    """Answers per second as bulkjobs saw them: how fast the ramp, where the throttles."""
    table = Table(
        title="1c. bulkjobs' answers per second since its start: ok/throttled",
        command="(the runs above; botocore's response-received hook inside the client)",
        columns=["run", "per second"],
    )
    for row, name in zip(rows, ["auto", "fixed", "drop"], strict=True):
        counts = _plot.per_second(row.run.events)
        seconds = max((len(v) for v in counts.values()), default=0)
        ok, throttled = counts.get("ok", [0] * seconds), counts.get("throttled", [0] * seconds)
        table.rows.append([name, " ".join(f"{a}/{b}" for a, b in zip(ok, throttled, strict=True))])
    return table


def _checks(rows: dict[str, Row], drop: Row) -> list[Check]:
    """The targets: (quota use ≥, throttled ≤, none lost) per scenario."""
    return [
        *_row_checks("auto", rows["bulkjobs_auto"], use=0.95, throttled=0.01),
        *_row_checks("fixed", rows["bulkjobs_fixed"], use=0.98, throttled=0.002),
        *_row_checks("drop", drop, use=None, throttled=0.03),
    ]


def _row_checks(label: str, row: Row, *, use: float | None, throttled: float) -> list[Check]:
    checks = []
    if use is not None:
        checks.append(
            Check(
                name=f"{label} quota use",
                target=f"≥ {use:g}",
                value=fmt(row.quota_use, 3),
                ok=row.quota_use >= use,
            )
        )
    checks.append(
        Check(
            name=f"{label} throttled",
            target=f"≤ {throttled * 100:g} %",
            value=pct(row.throttled_share, 2),
            ok=row.throttled_share <= throttled,
        )
    )
    checks.append(Check(name=f"{label} lost", target="0", value=str(row.lost), ok=row.lost == 0))
    return checks
