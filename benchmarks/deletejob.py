"""Scenario: deleting whole jobs within AWS's 10-deletions limit.

40 jobs of 500 executions each (quick: 12 of 100) against the simulator's deletion
model: at most 10 jobs DELETION_IN_PROGRESS at once, each taking
``executions × per_execution`` seconds, DeleteJob and DescribeJob at AWS's default
10/s. The physical limit is ``ceil(jobs / 10) × deletion time``: no client can finish
sooner. bulkjobs (``DeleteJob`` with its defaults: 10 slots, DescribeJob every 1 s
growing to 10 s) is set beside the loop a CI teardown script writes: one boto3
``delete_job`` per job, all at once from a thread pool, standard retries — how many
LimitExceededException it meets and how many jobs it leaves behind.

Everything runs in this process: the simulator on a thread, on loopback.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import anyio
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from benchmarks._harness import REGION, Mode
from benchmarks._report import Check, ScenarioResult, Table, fmt
from bulkjobs import DeleteJob, Engine, OutcomeKind, Result, RunConfig, Target
from bulkjobs.sim import ExecutionStatus, SimConfig, ThreadedSimulator

SLOTS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizes:
    jobs: int
    executions: int
    #: Simulated deletion time per execution, seconds.
    per_execution: float


SIZES: dict[str, Sizes] = {
    "quick": Sizes(jobs=12, executions=100, per_execution=0.005),
    "full": Sizes(jobs=40, executions=500, per_execution=0.01),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    tool: str
    wall: float
    deleted: int
    failed: int
    limit_exceeded: int
    left_behind: int
    calls: int


def config(sizes: Sizes) -> SimConfig:
    return SimConfig(
        max_deleting_jobs=SLOTS,
        job_deletion_seconds=0.0,
        job_deletion_seconds_per_execution=sizes.per_execution,
    )


def seed(sim: ThreadedSimulator, sizes: Sizes) -> list[str]:
    jobs = [f"old-{n:03d}" for n in range(sizes.jobs)]

    def add(simulator: Any) -> None:
        for n, job in enumerate(jobs):
            names = [f"dev-{n}-{i}" for i in range(sizes.executions)]
            simulator.add_job(job, names, status=ExecutionStatus.SUCCEEDED)

    sim.call(add)
    return jobs


def remaining(sim: ThreadedSimulator, jobs: list[str]) -> int:
    def count(simulator: Any) -> int:
        left = 0
        for job in jobs:
            try:
                simulator.job(job)
            except KeyError:
                continue
            left += 1
        return left

    return int(sim.call(count))


def requests(sim: ThreadedSimulator) -> int:
    return int(sim.call(lambda simulator: simulator.requests_received))


def run_bulkjobs(sizes: Sizes, *, time_cap: float) -> Row:
    with ThreadedSimulator(config(sizes)) as sim:
        jobs = seed(sim, sizes)
        before = requests(sim)
        engine = Engine(
            DeleteJob(),
            RunConfig(endpoint_url=sim.endpoint_url, region=REGION, service_quotas=False),
        )
        results: list[Result] = []

        async def go() -> None:
            with anyio.move_on_after(time_cap):
                await engine.run([Target(job_id=j) for j in jobs], on_result=results.append)

        began = time.perf_counter()
        anyio.run(go)
        wall = time.perf_counter() - began
        refusals = sim.call(lambda simulator: simulator.deletion_statistics().limit_refusals)
        return Row(
            tool="bulkjobs delete-job",
            wall=wall,
            deleted=sum(1 for r in results if r.outcome.value == "deleted"),
            failed=sum(1 for r in results if r.outcome.kind is OutcomeKind.FAILED),
            limit_exceeded=int(refusals),
            left_behind=remaining(sim, jobs),
            calls=requests(sim) - before,
        )


def run_naive(sizes: Sizes, *, settle: float) -> Row:
    """All at once: one delete_job per job from a pool as large as the job list."""
    with ThreadedSimulator(config(sizes)) as sim:
        jobs = seed(sim, sizes)
        before = requests(sim)
        client = boto3.client(
            "iot",
            region_name=REGION,
            endpoint_url=sim.endpoint_url,
            config=Config(retries={"mode": "standard"}, max_pool_connections=len(jobs)),
        )

        def delete(job: str) -> str:
            try:
                client.delete_job(jobId=job, force=False)
            except ClientError as exc:
                return str(exc.response.get("Error", {}).get("Code", "error"))
            return "accepted"

        began = time.perf_counter()
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            answers = list(pool.map(delete, jobs))
        sent = time.perf_counter() - began
        # The loop is done once its calls return; give the accepted deletions their time
        # before counting what is left.
        time.sleep(settle)
        return Row(
            tool="boto3 all at once",
            wall=sent,
            deleted=answers.count("accepted"),
            failed=sum(1 for a in answers if a != "accepted"),
            limit_exceeded=answers.count("LimitExceededException"),
            left_behind=remaining(sim, jobs),
            calls=requests(sim) - before,
        )


def run(mode: Mode) -> ScenarioResult:
    sizes = SIZES[mode]
    deletion = sizes.executions * sizes.per_execution
    physical = math.ceil(sizes.jobs / SLOTS) * deletion
    ours = run_bulkjobs(sizes, time_cap=max(60.0, physical * 6))
    naive = run_naive(sizes, settle=deletion * 1.5 + 0.5)
    command = f"python -m benchmarks --{mode} --only deletejob"
    table = Table(
        title=(
            f"{sizes.jobs} jobs × {sizes.executions} executions, {SLOTS} deletions at once, "
            f"{fmt(deletion, 2)} s per deletion; physical limit {fmt(physical, 1)} s"
        ),
        command=command,
        columns=[
            "tool",
            "wall s",
            "× physical limit",
            "deleted",
            "failed",
            "LimitExceeded",
            "jobs left behind",
            "requests",
        ],
    )
    for row in (ours, naive):
        table.rows.append(
            [
                row.tool,
                fmt(row.wall, 2),
                fmt(row.wall / physical, 2) if row is ours else "(returns at once)",
                str(row.deleted),
                str(row.failed),
                str(row.limit_exceeded),
                str(row.left_behind),
                str(row.calls),
            ]
        )
    table.notes.append(
        "wall time of the naive loop is how long its calls took to return; its jobs "
        "are counted after the accepted deletions had time to finish"
    )
    return ScenarioResult(
        name="deletejob",
        title="delete-job: whole jobs within the 10-deletions limit",
        tables=[table],
        checks=[
            Check(
                name="bulkjobs delete-job failed",
                target="0",
                value=str(ours.failed),
                ok=ours.failed == 0,
            ),
            Check(
                name="bulkjobs delete-job jobs left behind",
                target="0",
                value=str(ours.left_behind),
                ok=ours.left_behind == 0,
            ),
        ],
        data={
            "sizes": {"jobs": sizes.jobs, "executions": sizes.executions},
            "physicalLimitSeconds": physical,
            "bulkjobs": _row(ours),
            "naive": _row(naive),
        },
    )


def _row(row: Row) -> dict[str, Any]:
    return {name: getattr(row, name) for name in Row.__slots__}
