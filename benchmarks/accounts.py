"""Scenario 6: one run across accounts and regions, against doing it one at a time.

The simulator serves 4 member accounts × 2 regions, each destination with its own
fleet and its own 10/s quota (as AWS applies quotas per account and region); the
client assumes ``OrganizationAccountAccessRole`` in each account through the
simulator's STS. Every run cancels every execution of one job in every destination,
in auto mode.

6a. One run over all 8 destinations (``--accounts … --regions …``), against the
    scripted baseline: the same work done destination by destination (one account
    and one region per run, one after the other, as public cleanup scripts loop).
    Quota use per destination = ideal ÷ wall, ideal = (targets − burst) ÷ quota, wall
    from the destination's first call to its last result; the speed-up is the
    baseline's summed wall time over the single run's (the physical limit is 8×).
6b. The same run with one account whose role is refused: its targets fail at once,
    the other destinations' quota use is what 6a shows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from benchmarks._harness import JOB_ID, REGION, Mode, SimProcess
from benchmarks._report import Check, ScenarioResult, Table, fmt

QUOTA = 10.0
BURST = 10  # the simulator's bucket: one second of quota
LATENCY_MS = 20.0
REGIONS = ("us-east-1", "eu-west-1")
ACCOUNTS = ("111111111111", "222222222222", "333333333333", "444444444444")
ROLE = "OrganizationAccountAccessRole"


def targets_per_destination(mode: Mode) -> int:
    return 400 if mode == "full" else 60


@dataclass(slots=True, kw_only=True)
class Lane:
    """What one destination saw in one run."""

    account: str
    region: str
    outcomes: dict[str, int] = field(default_factory=dict)
    first: float | None = None
    last: float | None = None
    throttles: int = 0

    @property
    def done(self) -> int:
        return self.outcomes.get("canceled", 0)

    @property
    def wall(self) -> float:
        if self.first is None or self.last is None:
            return float("nan")
        return self.last - self.first

    def use(self, targets: int) -> float:
        ideal = max(0, targets - BURST) / QUOTA
        return ideal / self.wall if self.wall > 0 else float("nan")


@dataclass(slots=True, kw_only=True)
class Run:
    wall: float
    lanes: dict[tuple[str, str], Lane]
    access: dict[str, Any]

    def lost(self, targets: int, skip: frozenset[str] = frozenset()) -> int:
        """Targets with no done outcome, in the destinations that should have finished."""
        return sum(targets - lane.done for (a, _), lane in self.lanes.items() if a not in skip)


def run_once(
    endpoint: str, accounts: Sequence[str], regions: Sequence[str], names: Sequence[str]
) -> Run:
    """One bulkjobs run (the library, as the CLI drives it) over the destinations."""
    import anyio

    from bulkjobs import (
        AccountAccess,
        AssumeRole,
        CancelExecution,
        Destination,
        Result,
        RunConfig,
        RunSession,
        Target,
    )

    role = AssumeRole.named(ROLE)
    config = RunConfig(region=REGION, endpoint_url=endpoint, rate=None, role=role)
    lanes: dict[tuple[str, str], Lane] = {
        (a, r): Lane(account=a, region=r) for a in accounts for r in regions
    }

    def note(result: Result) -> None:
        where = result.target.destination
        lane = lanes[(str(where.account), str(where.region))]
        lane.outcomes[result.outcome.value] = lane.outcomes.get(result.outcome.value, 0) + 1
        lane.throttles += result.throttles
        if result.attempts and result.started_at is not None and result.finished_at is not None:
            lane.first = min(lane.first or result.started_at, result.started_at)
            lane.last = max(lane.last or result.finished_at, result.finished_at)

    async def main() -> dict[str, Any]:
        access = AccountAccess(role, region=REGION, endpoint_url=endpoint)
        destinations = [Destination(account=a, region=r) for a in accounts for r in regions]
        session = RunSession(
            [Target(job_id=JOB_ID, thing_name=n) for n in names],
            CancelExecution(),
            config,
            destinations=destinations,
            access=access,
        )
        await session.prepare_access()
        await session.run(on_result=note)
        return access.to_json()

    started = time.time()
    access = anyio.run(main)
    return Run(wall=time.time() - started, lanes=lanes, access=access)


def sim_process(targets: int, denied: Sequence[str] = ()) -> SimProcess:
    extra = ["--accounts", str(len(ACCOUNTS)), "--regions", ",".join(REGIONS)]
    for account in denied:
        extra += ["--deny-account", account]
    return SimProcess(
        things=targets, quota=QUOTA, latency_ms=LATENCY_MS, seed=1, extra=tuple(extra)
    )


def together(targets: int, names: Sequence[str], denied: Sequence[str] = ()) -> Run:
    with sim_process(targets, denied) as sim:
        return run_once(sim.endpoint_url, ACCOUNTS, REGIONS, names)


def one_by_one(targets: int, names: Sequence[str]) -> tuple[float, list[Run]]:
    """The scripted baseline: a run per (account, region), one after the other, on one
    simulator (each destination's quota is its own either way)."""
    runs: list[Run] = []
    with sim_process(targets) as sim:
        for account in ACCOUNTS:
            for region in REGIONS:
                runs.append(run_once(sim.endpoint_url, [account], [region], names))
    return sum(r.wall for r in runs), runs


def run(mode: Mode) -> ScenarioResult:
    result = ScenarioResult(
        name="accounts", title="Scenario 6: 4 accounts × 2 regions, one run vs one at a time"
    )
    targets = targets_per_destination(mode)
    names = [f"thing-{n:06d}" for n in range(1, targets + 1)]
    single = together(targets, names)
    baseline_wall, baseline = one_by_one(targets, names)
    denied = ACCOUNTS[-1]
    failing = together(targets, names, denied=(denied,))
    command = sim_process(targets).command()
    client = (
        f"bulkjobs cancel-job-execution --job-id {JOB_ID} --things-file THINGS "
        f"--accounts {','.join(ACCOUNTS)} --regions {','.join(REGIONS)} --role-name {ROLE} "
        "--rate auto  # in-process: benchmarks/accounts.py run_once"
    )
    speedup = baseline_wall / single.wall if single.wall > 0 else float("nan")
    rows = []
    for key, lane in sorted(single.lanes.items()):
        alone = next(r for r in baseline if key in r.lanes).lanes[key]
        failed_lane = failing.lanes[key]
        rows.append(
            [
                lane.account,
                lane.region,
                str(lane.done),
                fmt(lane.use(targets), 3),
                str(lane.throttles),
                fmt(alone.use(targets), 3),
                fmt(alone.wall, 1, "s"),
                "refused" if lane.account == denied else fmt(failed_lane.use(targets), 3),
            ]
        )
    result.tables.append(
        Table(
            title=f"6a/6b. {targets} targets per destination at {QUOTA:g}/s each, auto mode, "
            f"{LATENCY_MS:g} ms latency",
            command=f"{command}\n  client: {client}",
            columns=[
                "account",
                "region",
                "done",
                "quota use (one run)",
                "throttled",
                "quota use (alone)",
                "wall (alone)",
                f"quota use ({denied} refused)",
            ],
            rows=rows,
            notes=[
                f"one run over 8 destinations: {single.wall:.1f} s; one destination at a time: "
                f"{baseline_wall:.1f} s in all; speed-up {speedup:.2f}× (limit 8×)",
                "quota use = (targets − burst) ÷ quota ÷ (the destination's last result − its "
                "first call)",
                f"6b: {denied}'s role is refused by STS (AccessDenied): its targets end failed "
                "with that code, without a call; the run took "
                f"{failing.wall:.1f} s",
            ],
        )
    )
    uses = [lane.use(targets) for lane in single.lanes.values()]
    result.checks.append(
        Check(
            name="one run: quota use in every destination",
            target="≥ 0.95",
            value=fmt(min(uses), 3) + " (lowest)",
            ok=min(uses) >= 0.95,
        )
    )
    lost = single.lost(targets)
    result.checks.append(Check(name="one run: lost", target="0", value=str(lost), ok=lost == 0))
    result.checks.append(
        Check(
            name="speed-up against one destination at a time",
            target="close to 8×",
            value=f"{speedup:.2f}×",
            ok=speedup >= 7.0,
        )
    )
    others = [lane.use(targets) for (a, _), lane in failing.lanes.items() if a != denied]
    refused = sum(
        lane.outcomes.get("error", 0) for (a, _), lane in failing.lanes.items() if a == denied
    )
    result.checks.append(
        Check(
            name="one role refused: quota use of the others",
            target="≥ 0.95",
            value=fmt(min(others), 3) + " (lowest)",
            ok=min(others) >= 0.95,
        )
    )
    result.checks.append(
        Check(
            name="one role refused: its targets failed, others lost",
            target=f"{targets * len(REGIONS)} failed, 0 lost",
            value=f"{refused} failed, {failing.lost(targets, frozenset({denied}))} lost",
            ok=refused == targets * len(REGIONS)
            and failing.lost(targets, frozenset({denied})) == 0,
        )
    )
    result.data = {
        "targets_per_destination": targets,
        "single_wall": single.wall,
        "baseline_wall": baseline_wall,
        "speedup": speedup,
        "single": {f"{a}/{r}": lane.use(targets) for (a, r), lane in single.lanes.items()},
        "baseline": {
            f"{a}/{r}": lane.use(targets)
            for run_ in baseline
            for (a, r), lane in run_.lanes.items()
        },
        "refused": {f"{a}/{r}": lane.use(targets) for (a, r), lane in failing.lanes.items()},
        "command": command,
    }
    return result
