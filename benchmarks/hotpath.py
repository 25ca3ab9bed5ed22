"""Scenario 2: the engine's own cost — bulkjobs against a bare aiobotocore loop.

Unlimited quota, no latency, no faults: the server answers as fast as it can, so the
client's CPU per call is what limits the rate. bulkjobs runs with a fixed rate far above
anything reachable (the limiter never waits) at concurrency C; the reference is the
tightest aiobotocore code that does the same calls: ``asyncio.gather`` under a semaphore
of C, botocore retries off. Repeats alternate the order and each uses a job of its own
(a cancelled execution cannot be cancelled twice); figures are medians.

The profile is of one more bulkjobs run under cProfile, self time grouped by where the
code lives. Time in C functions is charged to the Python function that called them, so
``json.loads`` called by botocore's parser counts as parsing, not as "builtins".
"""

from __future__ import annotations

import cProfile
import pstats
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks._harness import Mode, SimProcess, median
from benchmarks._report import Check, ScenarioResult, Table, fmt, pct
from benchmarks._tools import RunSpec, run_bulkjobs

FAST_RATE = 1_000_000.0
#: The engine may cost at most 7 % of the bare loop's calls per second.
MIN_RATIO = 0.93


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizes:
    targets: int
    repeats: int
    concurrency: int
    profile_targets: int
    time_cap: float


SIZES: dict[str, Sizes] = {
    "quick": Sizes(targets=1000, repeats=5, concurrency=64, profile_targets=600, time_cap=60),
    "full": Sizes(targets=10_000, repeats=5, concurrency=64, profile_targets=5000, time_cap=300),
}

#: Where self time is charged, first match wins (paths as cProfile records them).
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    ("bulkjobs", ("/bulkjobs/",)),
    (
        "one-off: imports, model loading",
        (
            "<frozen importlib",
            "/botocore/loaders.py",
            "/re/_parser.py",
            "/re/_compiler.py",
            "/inspect.py",
        ),
    ),
    (
        "botocore serialize/parse/validate",
        (
            "/botocore/serialize.py",
            "/botocore/parsers.py",
            "/botocore/validate.py",
            "/botocore/model.py",
            "/aiobotocore/parsers.py",
            "/json/",
        ),
    ),
    (
        "botocore signing & credentials",
        (
            "/botocore/auth.py",
            "/botocore/signers.py",
            "/botocore/credentials.py",
            "/aiobotocore/signers.py",
            "/aiobotocore/credentials.py",
            "/hmac.py",
            "/hashlib.py",
        ),
    ),
    ("botocore user-agent string", ("/botocore/useragent.py",)),
    (
        "botocore endpoint rules",
        (
            "/botocore/endpoint_provider.py",
            "/botocore/regions.py",
            "/aiobotocore/regions.py",
        ),
    ),
    (
        "botocore hooks & handlers",
        (
            "/botocore/hooks.py",
            "/botocore/handlers.py",
            "/aiobotocore/hooks.py",
            "/aiobotocore/handlers.py",
        ),
    ),
    ("botocore request plumbing", ("/botocore/", "/aiobotocore/", "/urllib/", "/email/")),
    ("aiohttp/yarl/multidict", ("/aiohttp/", "/yarl/", "/multidict/", "/propcache/")),
    ("anyio", ("/anyio/",)),
    ("asyncio event loop", ("/asyncio/", "selectors.py")),
    ("structlog", ("/structlog/",)),
]


def group_of(filename: str) -> str:
    for name, needles in GROUPS:
        if any(needle in filename for needle in needles):
            return name
    return "builtins (C)" if filename == "~" else "stdlib & other"


@dataclass(slots=True, kw_only=True)
class Sample:
    tool: str
    wall: float
    cpu: float
    server_cpu: float
    done: int
    queued_after: int

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "wall": self.wall,
            "cpu": self.cpu,
            "server_cpu": self.server_cpu,
            "done": self.done,
            "queued_after": self.queued_after,
        }


def run_raw(spec: RunSpec, *, concurrency: int) -> tuple[int, float]:
    """The floor: aiobotocore calls under a semaphore, nothing else. (done, cpu)."""
    import asyncio

    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession

    cpu = time.process_time()

    async def main() -> int:
        session = AioSession()
        config = AioConfig(
            max_pool_connections=concurrency, retries={"total_max_attempts": 1, "mode": "standard"}
        )
        semaphore = asyncio.Semaphore(concurrency)
        async with session.create_client(
            "iot", region_name="us-east-1", endpoint_url=spec.endpoint_url, config=config
        ) as client:

            async def cancel(name: str) -> bool:
                async with semaphore:
                    try:
                        await client.cancel_job_execution(jobId=spec.job_id, thingName=name)
                    except Exception:
                        return False
                    return True

            return sum(await asyncio.gather(*(cancel(name) for name in spec.names)))

    done = asyncio.run(main())
    return done, time.process_time() - cpu


def _sample(
    tool: str, sim: SimProcess, spec: RunSpec, call: Callable[[RunSpec], tuple[int, float]]
) -> Sample:
    server = sim.cpu_seconds()
    started = time.perf_counter()
    done, cpu = call(spec)
    wall = time.perf_counter() - started
    server_cpu = sim.cpu_seconds() - server
    return Sample(
        tool=tool,
        wall=wall,
        cpu=cpu,
        server_cpu=server_cpu,
        done=done,
        queued_after=sim.queued(spec.job_id),
    )


def profile_groups(profile: cProfile.Profile) -> tuple[dict[str, float], list[tuple[str, float]]]:
    """Self time per group (C time charged to its Python caller) and the top functions."""
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    groups: dict[str, float] = defaultdict(float)
    functions: list[tuple[str, float]] = []
    for (filename, line, name), (_, _, tottime, _, callers) in stats.items():
        functions.append((_label(filename, line, name), tottime))
        if filename != "~" or not callers:
            groups[group_of(filename)] += tottime
            continue
        charged = 0.0
        for (caller_file, _, _), caller_stats in callers.items():
            share = caller_stats[2]
            groups[group_of(caller_file)] += share
            charged += share
        groups["builtins (C)"] += max(0.0, tottime - charged)
    functions.sort(key=lambda item: item[1], reverse=True)
    return dict(groups), functions


def _label(filename: str, line: int, name: str) -> str:
    """``package/module.py:line(function)``, whatever the install layout."""
    if filename == "~":
        return name
    if "site-packages/" in filename:
        filename = filename.rsplit("site-packages/", 1)[1]
    elif (at := filename.rfind("/bulkjobs/")) >= 0:
        filename = filename[at + 1 :]
    else:
        filename = re.sub(r"^.*/lib/python3\.\d+/", "", filename)
    return f"{filename}:{line}({name})"


def run(mode: Mode, *, targets: int | None = None, repeats: int | None = None) -> ScenarioResult:
    sizes = SIZES[mode]
    n = targets or sizes.targets
    reps = repeats or sizes.repeats
    c = sizes.concurrency
    profile_n = min(sizes.profile_targets, n)
    jobs = [f"hot-{i:02d}" for i in range(2 * reps + 3)]
    result = ScenarioResult(
        name="hotpath", title=f"Scenario 2: hot path, {n} calls, concurrency {c}"
    )
    names = [f"thing-{i:06d}" for i in range(1, n + 1)]

    def bulkjobs_call(spec: RunSpec) -> tuple[int, float]:
        run_ = run_bulkjobs(spec, rate=FAST_RATE, concurrency=c, record=False)
        return run_.done, run_.cpu

    def raw_call(spec: RunSpec) -> tuple[int, float]:
        return run_raw(spec, concurrency=c)

    tools: dict[str, Callable[[RunSpec], tuple[int, float]]] = {
        "bulkjobs": bulkjobs_call,
        "raw aiobotocore": raw_call,
    }
    samples: list[Sample] = []
    with SimProcess(things=n, job_ids=jobs, quota=None) as sim:
        job_iter = iter(jobs)

        def spec(count: int) -> RunSpec:
            return RunSpec(
                endpoint_url=sim.endpoint_url,
                job_id=next(job_iter),
                names=names[:count],
                time_cap=sizes.time_cap,
            )

        for call in tools.values():  # warm-up, not counted
            call(spec(max(50, n // 5)))
        for r in range(reps):
            # Alternate who goes first so a drift in machine load hits both alike.
            order = list(tools.items()) if r % 2 == 0 else list(reversed(tools.items()))
            for tool, call in order:
                samples.append(_sample(tool, sim, spec(n), call))
        profiler = cProfile.Profile()
        profiled = spec(profile_n)
        profiler.enable()
        run_bulkjobs(profiled, rate=FAST_RATE, concurrency=c, record=False)
        profiler.disable()
        sim_cmd = sim.command()

    table = Table(
        title=f"2. hot path: {n} CancelJobExecution, unlimited quota, 0 ms latency, "
        f"concurrency {c}; median of {reps}",
        command=f"{sim_cmd}  # bulkjobs: RunConfig(rate={FAST_RATE:g}, concurrency={c})",
        columns=["tool", "calls/s", "CPU ms/call", "wall", "client CPU", "server CPU", "all done"],
    )
    summary: dict[str, dict[str, float]] = {}
    for tool in tools:
        mine = [s for s in samples if s.tool == tool]
        rate = median([n / s.wall for s in mine])
        cpu_ms = median([s.cpu / n * 1000 for s in mine])
        client = median([s.cpu / s.wall for s in mine])
        server = median([s.server_cpu / s.wall for s in mine])
        ok = all(s.done == n and s.queued_after == 0 for s in mine)
        summary[tool] = {
            "calls_per_s": rate,
            "cpu_ms_per_call": cpu_ms,
            "client_cpu": client,
            "server_cpu": server,
        }
        table.rows.append(
            [
                tool,
                fmt(rate, 0),
                fmt(cpu_ms, 3),
                fmt(median([s.wall for s in mine]), 2, "s"),
                pct(client, 0),
                pct(server, 0),
                "yes" if ok else "NO",
            ]
        )
    ratio = summary["bulkjobs"]["calls_per_s"] / summary["raw aiobotocore"]["calls_per_s"]
    cpu_ratio = (
        summary["bulkjobs"]["cpu_ms_per_call"] / summary["raw aiobotocore"]["cpu_ms_per_call"]
    )
    table.notes.append(
        f"bulkjobs/raw: {ratio:.2f}× the calls/s, {cpu_ratio:.2f}× the CPU per call "
        f"(at equal CPU: {1 / cpu_ratio:.2f}× the calls/s)"
    )
    table.notes.append(
        "client/server CPU = CPU seconds / wall of the driver and of the simulator: both "
        "tools are CPU-bound, so a client share well under 100% means another process took "
        "the client's CPU (then trust CPU ms/call over calls/s); a server near 100% was the limit"
    )
    if min(v["client_cpu"] for v in summary.values()) < 0.85:
        table.notes.append("CONTENDED: the client did not get its CPU; calls/s are unreliable")
    if max(v["server_cpu"] for v in summary.values()) > 0.9:
        table.notes.append("the simulator saturated its CPU: the ratio understates overhead")
    result.tables.append(table)

    groups, functions = profile_groups(profiler)
    total = sum(groups.values()) or 1.0
    profile_table = Table(
        title=f"2b. where a bulkjobs run spends its time (cProfile, {profile_n} calls, self time)",
        command="python -m benchmarks --only hotpath  # cProfile around Engine.run",
        columns=["group", "share", "seconds"],
        rows=[
            [name, pct(seconds / total), fmt(seconds, 3)]
            for name, seconds in sorted(groups.items(), key=lambda kv: kv[1], reverse=True)
        ],
        notes=["cProfile inflates per-call costs of Python code; read shares, not seconds"],
    )
    top = Table(
        title="2c. top functions by self time",
        command="(same run)",
        columns=["function", "share", "seconds"],
        rows=[[name, pct(seconds / total), fmt(seconds, 3)] for name, seconds in functions[:12]],
    )
    own = [(name, s) for name, s in functions if name.startswith("bulkjobs/")][:6]
    top.notes.append(
        "top bulkjobs functions: " + "; ".join(f"{name} {pct(s / total)}" for name, s in own)
    )
    result.tables += [profile_table, top]
    result.checks.append(
        Check(
            name=f"bulkjobs ≥ {MIN_RATIO:g} × raw calls/s",
            target=f"≥ {MIN_RATIO:.2f}",
            value=f"{ratio:.2f}",
            ok=ratio >= MIN_RATIO,
        )
    )
    result.data = {
        "targets": n,
        "concurrency": c,
        "repeats": reps,
        "samples": [s.to_json() for s in samples],
        "summary": summary,
        "ratio_calls_per_s": ratio,
        "ratio_cpu_per_call": cpu_ratio,
        "contended": min(v["client_cpu"] for v in summary.values()) < 0.85,
        "profile_groups": {k: v / total for k, v in groups.items()},
        "profile_top": [{"function": k, "share": v / total} for k, v in functions[:30]],
        "command": sim_cmd,
    }
    return result
