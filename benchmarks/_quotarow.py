"""One row of the quota tables: the simulated account, a tool's run, its figures.

* quota use = ideal / wall, ideal = (cancelled − burst) / quota: 1.0 means the tool kept
  the server's bucket busy from its first call to its last. Only targets the tool
  actually cancelled count, or a tool that gives up on half of them would finish early
  and score above 1;
* throttled = ThrottlingException answers / CancelJobExecution requests, as the
  simulator counted them;
* lost = executions still QUEUED on the server at the end (what the run failed to
  cancel, whatever the tool reported).

The simulator charges a token to every request it answers 503 as well, so with a share
``p`` of 503s even a perfect client needs ``targets / (1 − p)`` tokens: see
:func:`use_ceiling`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks._harness import JOB_ID, SimProcess
from benchmarks._report import fmt, pct
from benchmarks._tools import RunSpec, ToolRun


@dataclass(frozen=True, slots=True, kw_only=True)
class Server:
    """The simulated account every row runs against (40/s, 50 ms, 2 % 503s)."""

    quota: float = 40.0
    burst_seconds: float = 1.0
    latency_ms: float = 50.0
    p503: float = 0.02
    seed: int = 1

    @property
    def burst(self) -> float:
        return self.quota * self.burst_seconds

    def process(self, targets: int, quota_at: Sequence[tuple[float, float]] = ()) -> SimProcess:
        return SimProcess(
            things=targets,
            quota=self.quota,
            burst_seconds=self.burst_seconds,
            latency_ms=self.latency_ms,
            p503=self.p503,
            quota_at=quota_at,
            seed=self.seed,
        )


SATURATION = Server()
QUOTA = SATURATION.quota


def thing_names(count: int) -> list[str]:
    """The simulator's thing names (FleetSpec's default prefix and width)."""
    return [f"thing-{i:06d}" for i in range(1, count + 1)]


def ideal_seconds(
    targets: int, schedule: Sequence[tuple[float, float]], *, offset: float, burst: float
) -> float:
    """Seconds a perfect client needs: the burst, then the quota as it changes.

    ``schedule`` is [(seconds after the simulator's start, quota)], first at 0;
    ``offset`` is when the tool started, on that clock; the bucket holds ``burst``
    tokens then.
    """
    remaining = targets - burst
    t = offset
    for i, (_, tps) in enumerate(schedule):
        end = schedule[i + 1][0] if i + 1 < len(schedule) else float("inf")
        if end <= t:
            continue
        span = end - t
        if remaining <= tps * span:
            return t + remaining / tps - offset
        remaining -= tps * span
        t = end
    raise AssertionError("unreachable: the last segment is unbounded")


def use_ceiling(targets: int, p503: float, burst: float) -> float:
    """Best quota use possible when a share ``p503`` of admitted requests are wasted."""
    return (targets - burst) / (targets / (1 - p503) - burst)


@dataclass(slots=True, kw_only=True)
class Row:
    label: str
    key: str
    run: ToolRun
    sim: dict[str, Any]
    queued: int
    schedule: Sequence[tuple[float, float]]  # [(seconds after the server's start, quota)]
    offset: float  # when the tool started, on the server's clock
    burst: float
    estimated: bool = False

    @property
    def wall(self) -> float:
        """Wall time; a time-capped run's is extrapolated from the share it reached."""
        reached = self.run.targets - self.run.unreached
        if self.run.unreached and reached:
            return self.run.wall * self.run.targets / reached
        return self.run.wall

    @property
    def lost(self) -> int:
        # A capped run's unreached targets are QUEUED but were never its to lose.
        return self.queued - self.run.unreached

    @property
    def ideal(self) -> float:
        """Ideal time for the targets the tool cancelled: a lost one earns nothing.

        Otherwise a tool that gives up on half its targets would finish early and score
        a quota use above 1.
        """
        useful = self.run.targets - self.lost
        if useful <= self.burst:
            return 0.0
        return ideal_seconds(useful, self.schedule, offset=self.offset, burst=self.burst)

    @property
    def quota_use(self) -> float:
        return self.ideal / self.wall if self.wall > 0 else float("nan")

    @property
    def throttled_share(self) -> float:
        requests = self.sim.get("requests", 0)
        return self.sim.get("throttled", 0) / requests if requests else float("nan")

    def cells(self) -> list[str]:
        approx = "≈" if self.estimated else ""
        return [
            self.label,
            approx + fmt(self.quota_use),
            pct(self.throttled_share),
            f"{self.lost} ({self.lost / self.run.targets:.0%})" if self.lost else "0",
            approx + fmt(self.wall, 1, "s"),
            str(self.sim.get("requests", 0)),
            str(self.run.done),
            str(self.run.failed),
        ]

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.key,
            "label": self.label,
            "targets": self.run.targets,
            "quota_use": self.quota_use,
            "throttled_share": self.throttled_share,
            "lost": self.lost,
            "wall": self.wall,
            "measured_wall": self.run.wall,
            "wall_extrapolated": self.estimated,
            "ideal": self.ideal,
            "reported_done": self.run.done,
            "reported_failed": self.run.failed,
            "unreached": self.run.unreached,
            "accounted": self.run.accounted,
            "client_cpu": self.run.cpu,
            "server": self.sim,
            "extra": self.run.extra,
        }


COLUMNS = ["tool", "quota use", "throttled", "lost", "wall", "requests", "done", "failed"]


def measure(
    label: str,
    key: str,
    runner: Callable[[RunSpec], ToolRun],
    *,
    targets: int,
    time_cap: float,
    quota_at: Sequence[tuple[float, float]] = (),
    server: Server = SATURATION,
) -> Row:
    """One tool against a fresh simulator; the row it earns."""
    names = thing_names(targets)
    schedule = [(0.0, server.quota), *quota_at]
    with server.process(targets, quota_at) as sim:
        offset = time.perf_counter() - sim.ready_at
        spec = RunSpec(
            endpoint_url=sim.endpoint_url,
            job_id=JOB_ID,
            names=names,
            time_cap=time_cap,
            seed=server.seed,
        )
        run = runner(spec)
        queued = sim.queued()
        sim.stop()
        counters = sim.operation()
    return Row(
        label=label,
        key=key,
        run=run,
        sim=counters,
        queued=queued,
        schedule=schedule,
        offset=offset,
        burst=server.burst,
        estimated=run.unreached > 0 and key == "boto3_loop",
    )
