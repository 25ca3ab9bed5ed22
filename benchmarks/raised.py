"""Scenario 5: auto mode at raised quotas, unknown or read from Service Quotas.

Each row cancels every execution of one job against a fresh simulator process (2 % of
503s, as in scenario 1) with ``--rate auto``. "unknown" rows run the simulator with
``--no-service-quotas``, so auto mode must find the quota itself (slow start, then the
measuring controller); the "seeded" row lets it read the applied quota first.

Quota use here is the *active share*, from the simulator's own clock: the least time
the requests the run needed could have taken — every admitted request, 503s included
(they spend quota), less the bucket's burst, at the quota — divided by the span from
the first request's arrival to the last accepted one's. Start-up is left out (scenario
4 measures it).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from benchmarks._harness import JOB_ID, Mode, SimProcess
from benchmarks._quotarow import thing_names
from benchmarks._report import Check, ScenarioResult, Table, fmt, pct
from benchmarks._tools import RunSpec, run_bulkjobs

P503 = 0.02


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    key: str
    label: str
    quota: float
    targets: int
    latency_ms: float
    seeded: bool
    use: float  # the target for the active share
    throttled: float | None = None  # and for the throttled share, where it sets one


def cases(mode: Mode) -> list[Case]:
    scale = 1.0 if mode == "full" else 0.3
    n = lambda count: max(100, int(count * scale))  # noqa: E731
    return [
        Case(
            key="auto_40",
            label="auto, 40/s unknown",
            quota=40,
            targets=n(1000),
            latency_ms=50,
            seeded=False,
            use=0.99,
        ),
        Case(
            key="auto_150",
            label="auto, 150/s unknown",
            quota=150,
            targets=n(3000),
            latency_ms=20,
            seeded=False,
            use=0.97,
        ),
        Case(
            key="auto_500",
            label="auto, 500/s unknown",
            quota=500,
            targets=n(10_000),
            latency_ms=20,
            seeded=False,
            use=0.95,
            throttled=0.02,
        ),
        Case(
            key="seeded_150",
            label="auto, 150/s from Service Quotas",
            quota=150,
            targets=n(3000),
            latency_ms=20,
            seeded=True,
            use=0.99,
        ),
    ]


@dataclass(slots=True, kw_only=True)
class Measured:
    case: Case
    counters: dict[str, Any]
    queued: int
    wall: float
    start: dict[str, Any]

    @property
    def admitted(self) -> int:
        return int(self.counters.get("requests", 0)) - int(self.counters.get("throttled", 0))

    @property
    def active(self) -> float:
        first = self.counters.get("first_request_at")
        last = self.counters.get("last_accepted_at")
        return float("nan") if first is None or last is None else float(last) - float(first)

    @property
    def least(self) -> float:
        return max(0.0, self.admitted - self.case.quota) / self.case.quota

    @property
    def active_share(self) -> float:
        return self.least / self.active if self.active > 0 else float("nan")

    @property
    def throttled_share(self) -> float:
        requests = int(self.counters.get("requests", 0))
        return int(self.counters.get("throttled", 0)) / requests if requests else float("nan")

    def cells(self) -> list[str]:
        c = self.case
        return [
            c.label,
            str(c.targets),
            f"{c.latency_ms:g} ms",
            fmt(self.active_share, 3),
            pct(self.throttled_share, 2),
            str(self.queued),
            fmt(self.active, 2, "s"),
            fmt(self.least, 2, "s"),
            str(self.counters.get("requests", 0)),
            self.start.get("source", "?"),
        ]


def measure(case: Case, time_cap: float) -> Measured:
    sim_process = SimProcess(
        things=case.targets,
        quota=case.quota,
        latency_ms=case.latency_ms,
        p503=P503,
        seed=1,
        service_quotas=case.seeded,
    )
    with sim_process as sim:
        spec = RunSpec(
            endpoint_url=sim.endpoint_url,
            job_id=JOB_ID,
            names=thing_names(case.targets),
            time_cap=time_cap,
            seed=1,
        )
        run = partial(run_bulkjobs, rate=None, record=False)(spec)
        queued = sim.queued()
        sim.stop()
        counters = sim.operation()
    control: dict[str, Any] = run.extra.get("rate_control") or {}
    starts: list[dict[str, Any]] = control.get("start", [])
    start: dict[str, Any] = next((s for s in starts if s.get("api") == "CancelJobExecution"), {})
    return Measured(case=case, counters=counters, queued=queued, wall=run.wall, start=start)


def run(mode: Mode, *, time_cap: float = 240.0) -> ScenarioResult:
    result = ScenarioResult(
        name="raised", title="Scenario 5: auto mode at raised quotas (active share)"
    )
    rows = [measure(case, time_cap) for case in cases(mode)]
    command = SimProcess(things=0, quota=150, latency_ms=20, p503=P503, seed=1).command()
    result.tables.append(
        Table(
            title="5a. CancelJobExecution with --rate auto: quota unknown, or read from "
            f"Service Quotas; {P503:.0%} 503s",
            command=f"{command} [--no-service-quotas]  # per row: --things, --quota, "
            "--latency-ms; the client: benchmarks/_tools.py run_bulkjobs(rate=None)",
            columns=[
                "run",
                "targets",
                "latency",
                "active share",
                "throttled",
                "lost",
                "active",
                "least",
                "requests",
                "start",
            ],
            rows=[row.cells() for row in rows],
            notes=[
                "active share = least ÷ active; least = (admitted requests, 503s "
                "included, − one second's burst) ÷ quota; active = last accepted − first "
                "request, on the simulator's clock",
                "lost = executions still QUEUED at the end",
            ],
        )
    )
    for row in rows:
        c = row.case
        result.checks.append(
            Check(
                name=f"{c.key} active share",
                target=f"≥ {c.use:g}",
                value=fmt(row.active_share, 3),
                ok=row.active_share >= c.use,
            )
        )
        if c.throttled is not None:
            result.checks.append(
                Check(
                    name=f"{c.key} throttled",
                    target=f"≤ {c.throttled * 100:g} %",
                    value=pct(row.throttled_share, 2),
                    ok=row.throttled_share <= c.throttled,
                )
            )
        result.checks.append(
            Check(name=f"{c.key} lost", target="0", value=str(row.queued), ok=row.queued == 0)
        )
    result.data = {
        "rows": [
            {
                "key": row.case.key,
                "quota": row.case.quota,
                "targets": row.case.targets,
                "latency_ms": row.case.latency_ms,
                "seeded": row.case.seeded,
                "active_share": row.active_share,
                "throttled_share": row.throttled_share,
                "active": row.active,
                "least": row.least,
                "lost": row.queued,
                "wall": row.wall,
                "start": row.start,
                "server": row.counters,
            }
            for row in rows
        ],
        "command": command,
    }
    return result
