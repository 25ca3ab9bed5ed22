"""The invariant that matters most: every target ends in exactly one outcome.

Hypothesis draws fault sequences (throttles, 503s, resets, conflicts, refused
transitions, missing executions, stop requests) and the engine must account for
every target once, whatever happened.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulkjobs import CancelExecution, DeleteExecution, Engine, Outcome, Result, RunConfig, Target
from tests.unit.scripted import Answer, FakeSleep, ScriptedTransport, execution, failure

FAULTS: list[Answer] = [
    {},
    failure("ThrottlingException", 400),
    failure("ThrottlingException", 429),
    failure("ServiceUnavailableException", 503),
    failure("ConnectionClosedError", 0),
    failure("VersionConflictException", 409),
    failure("InvalidStateTransitionException", 409),
    failure("ResourceNotFoundException", 404),
    failure("InvalidRequestException", 400),
    failure("AccessDeniedException", 403),
]
STATUSES = ["QUEUED", "IN_PROGRESS", "SUCCEEDED", "CANCELED", "FAILED"]


def chaos(seed: int, weights: list[int]) -> Any:
    rng = random.Random(seed)

    def handler(api: str, params: dict[str, Any]) -> Answer:
        if api == "DescribeJobExecution":
            if rng.random() < 0.1:
                return rng.choice(FAULTS[1:5])
            return execution(rng.choice(STATUSES), version=rng.randrange(1, 9))
        return rng.choices(FAULTS, weights=weights)[0]

    return handler


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32),
    weights=st.lists(st.integers(0, 6), min_size=len(FAULTS), max_size=len(FAULTS)).filter(any),
    count=st.integers(0, 60),
    concurrency=st.integers(1, 8),
    delete=st.booleans(),
    stop_after=st.one_of(st.none(), st.integers(0, 40)),
)
def test_every_target_ends_exactly_once(
    seed: int,
    weights: list[int],
    count: int,
    concurrency: int,
    delete: bool,
    stop_after: int | None,
) -> None:
    """Under any fault sequence, results and report count each target exactly once."""
    targets = [Target(job_id="job", thing_name=f"t{i}") for i in range(count)]
    operation = DeleteExecution() if delete else CancelExecution(expected_version="fresh")
    engine = Engine(
        operation,
        RunConfig(rate=1e6, concurrency=concurrency, max_attempts=4, max_conflict_retries=2),
        transport=ScriptedTransport(chaos(seed, weights)),
        sleep=FakeSleep(),
        rng=random.Random(seed),
    )
    seen: list[Result] = []

    def on_result(result: Result) -> None:
        seen.append(result)
        if stop_after is not None and len(seen) == stop_after:
            engine.stop("test stop")

    report = anyio.run(lambda: engine.run(targets, on_result=on_result))

    names = Counter(r.target.thing_name for r in seen)
    assert names == Counter(t.thing_name for t in targets)
    assert report.total == count
    assert sum(report.outcomes.values()) == count
    assert sum(report.kinds.values()) == count
    assert all(isinstance(r.outcome, Outcome) for r in seen)
