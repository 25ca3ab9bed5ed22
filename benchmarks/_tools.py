"""The tools compared in the quota scenarios: bulkjobs and the ways people do it today.

Each runner cancels ``names``' executions of one job and returns a :class:`ToolRun`.
Its clock starts before the tool creates its session and client — a tool's own start
is part of its wall time — and stops at its last answer. Each counts what *it* believes
happened; the simulator's state says what did.

The peers, configured as their users would:

* a one-at-a-time boto3 loop: what a shell loop over ``aws iot cancel-job-execution``
  amounts to, minus a process start per call (AWS CLI v2 retries in standard mode);
* boto3 in a 32-thread pool, standard retries, then ``retries={"mode": "adaptive"}``
  (botocore's client-side rate limiter);
* aiobotocore ``asyncio.gather`` under a semaphore of 64, standard retries.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from benchmarks._harness import REGION

#: One answer as seen on the wire: (seconds since the tool started, kind).
Event = tuple[float, str]


@dataclass(slots=True, kw_only=True)
class ToolRun:
    """What one tool did over its targets, by its own account."""

    tool: str
    targets: int
    wall: float
    done: int
    failed: int
    unreached: int = 0  # targets a time-capped run never tried (not lost: just not run)
    cpu: float = 0.0
    events: list[Event] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def accounted(self) -> bool:
        return self.done + self.failed + self.unreached == self.targets


@dataclass(slots=True, kw_only=True)
class RunSpec:
    """Where and what: the endpoint, the job, the things, and the hard stop."""

    endpoint_url: str
    job_id: str
    names: Sequence[str]
    time_cap: float  # seconds; a tool past it stops taking new targets
    seed: int = 0


class WireRecorder:
    """Records every HTTP answer of CancelJobExecution through botocore's event hook.

    ``response-received`` fires once per attempt (retries included) in botocore and
    aiobotocore alike, so every tool is observed the same way, inside the client.
    """

    EVENT = "response-received.iot.CancelJobExecution"

    def __init__(self, started: float) -> None:
        self.started = started
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def __call__(
        self,
        response_dict: dict[str, Any] | None = None,
        parsed_response: dict[str, Any] | None = None,
        exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        now = time.perf_counter() - self.started
        if exception is not None or response_dict is None:
            kind = "error"
        elif response_dict["status_code"] < 300:
            kind = "ok"
        else:
            code = (parsed_response or {}).get("Error", {}).get("Code")
            if code == "ThrottlingException":
                kind = "throttled"
            elif response_dict["status_code"] == 503:
                kind = "unavailable"
            else:
                kind = "error"
        with self._lock:
            self.events.append((now, kind))


# -- bulkjobs ------------------------------------------------------------------------


def run_bulkjobs(
    spec: RunSpec, *, rate: float | None, concurrency: int = 64, record: bool = True
) -> ToolRun:
    """bulkjobs as a library: ``Engine(CancelExecution(), RunConfig(...)).run(targets)``."""
    import anyio
    from aiobotocore.session import AioSession

    from bulkjobs import CancelExecution, Engine, Report, RunConfig, Target

    started = time.perf_counter()
    cpu = time.process_time()
    recorder = WireRecorder(started)

    async def main() -> Report:
        session = AioSession()
        if record:
            session.register(WireRecorder.EVENT, recorder)
        config = RunConfig(
            region=REGION,
            endpoint_url=spec.endpoint_url,
            rate=rate,
            concurrency=concurrency,
            deadline=spec.time_cap,
        )
        engine = Engine(CancelExecution(), config, session=session, rng=random.Random(spec.seed))
        targets = [Target(job_id=spec.job_id, thing_name=name) for name in spec.names]
        return await engine.run(targets, total=len(targets))

    report = anyio.run(main)
    wall = time.perf_counter() - started
    interrupted = report.outcomes.get("interrupted", 0)
    done = report.outcomes.get("canceled", 0)
    return ToolRun(
        tool="bulkjobs",
        targets=len(spec.names),
        wall=wall,
        done=done,
        failed=report.total - done - interrupted,
        unreached=interrupted,
        cpu=time.process_time() - cpu,
        events=recorder.events,
        extra={
            "outcomes": report.outcomes,
            "attempts": report.attempts,
            "throttles": report.throttles,
            "latency_ms": report.latency_ms,
            "rate_control": report.rate_control,
        },
    )


# -- boto3 ---------------------------------------------------------------------------


def _boto3_client(spec: RunSpec, recorder: WireRecorder, **config: Any) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(region_name=REGION)
    session.events.register(WireRecorder.EVENT, recorder)
    return session.client("iot", endpoint_url=spec.endpoint_url, config=Config(**config))


def run_boto3_loop(spec: RunSpec) -> ToolRun:
    """One call after another, as a shell loop over the AWS CLI would make them."""
    from botocore.exceptions import BotoCoreError, ClientError

    started = time.perf_counter()
    cpu = time.process_time()
    recorder = WireRecorder(started)
    client = _boto3_client(spec, recorder, retries={"mode": "standard"})
    done = failed = 0
    stop_at = started + spec.time_cap
    for name in spec.names:
        if time.perf_counter() > stop_at:
            break
        try:
            client.cancel_job_execution(jobId=spec.job_id, thingName=name)
            done += 1
        except (ClientError, BotoCoreError):
            failed += 1
    wall = time.perf_counter() - started
    client.close()
    return ToolRun(
        tool="boto3 loop",
        targets=len(spec.names),
        wall=wall,
        done=done,
        failed=failed,
        unreached=len(spec.names) - done - failed,
        cpu=time.process_time() - cpu,
        events=recorder.events,
    )


def run_boto3_threads(spec: RunSpec, *, mode: str, threads: int = 32) -> ToolRun:
    """A thread pool sharing one client (boto3 clients are thread-safe)."""
    from botocore.exceptions import BotoCoreError, ClientError

    started = time.perf_counter()
    cpu = time.process_time()
    recorder = WireRecorder(started)
    client = _boto3_client(spec, recorder, retries={"mode": mode}, max_pool_connections=threads)
    stop_at = started + spec.time_cap

    def cancel(name: str) -> bool | None:
        if time.perf_counter() > stop_at:
            return None
        try:
            client.cancel_job_execution(jobId=spec.job_id, thingName=name)
            return True
        except (ClientError, BotoCoreError):
            return False

    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(cancel, spec.names))
    wall = time.perf_counter() - started
    client.close()
    return ToolRun(
        tool=f"boto3 {threads} threads {mode}",
        targets=len(spec.names),
        wall=wall,
        done=outcomes.count(True),
        failed=outcomes.count(False),
        unreached=outcomes.count(None),
        cpu=time.process_time() - cpu,
        events=recorder.events,
    )


# -- aiobotocore -----------------------------------------------------------------------


def run_aiobotocore_gather(spec: RunSpec, *, limit: int = 64) -> ToolRun:
    """Every target as a coroutine, ``asyncio.gather``-ed under a semaphore."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import AioSession
    from botocore.exceptions import BotoCoreError, ClientError

    started = time.perf_counter()
    cpu = time.process_time()
    recorder = WireRecorder(started)
    stop_at = started + spec.time_cap

    async def main() -> list[bool | None]:
        session = AioSession()
        session.register(WireRecorder.EVENT, recorder)
        config = AioConfig(retries={"mode": "standard"}, max_pool_connections=limit)
        semaphore = asyncio.Semaphore(limit)
        async with session.create_client(
            "iot", region_name=REGION, endpoint_url=spec.endpoint_url, config=config
        ) as client:

            async def cancel(name: str) -> bool | None:
                async with semaphore:
                    if time.perf_counter() > stop_at:
                        return None
                    try:
                        await client.cancel_job_execution(jobId=spec.job_id, thingName=name)
                        return True
                    except (ClientError, BotoCoreError):
                        return False

            return await asyncio.gather(*(cancel(name) for name in spec.names))

    outcomes = asyncio.run(main())
    return ToolRun(
        tool=f"aiobotocore gather sem {limit}",
        targets=len(spec.names),
        wall=time.perf_counter() - started,
        done=outcomes.count(True),
        failed=outcomes.count(False),
        unreached=outcomes.count(None),
        cpu=time.process_time() - cpu,
        events=recorder.events,
    )


#: Row label → runner, in the order the quota table prints them.
Runner = Callable[[RunSpec], ToolRun]
PEERS: list[tuple[str, str, Runner]] = [
    ("boto3 loop (one at a time)", "boto3_loop", run_boto3_loop),
    (
        "boto3 32 threads, standard retries",
        "boto3_threads_standard",
        lambda spec: run_boto3_threads(spec, mode="standard"),
    ),
    (
        "boto3 32 threads, adaptive retries",
        "boto3_threads_adaptive",
        lambda spec: run_boto3_threads(spec, mode="adaptive"),
    ),
    (
        "aiobotocore gather, sem 64, standard",
        "aiobotocore_gather",
        run_aiobotocore_gather,
    ),
]
