"""Helpers shared by the simulator's tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from botocore.config import Config

from bulkjobs.sim import SimConfig

#: One attempt, short timeouts: a hung server fails a test fast instead of stalling it.
NO_RETRIES = Config(
    retries={"total_max_attempts": 1, "mode": "standard"},
    connect_timeout=2,
    read_timeout=5,
)

#: A quiet simulator: no quota, no faults. Tests opt into the behaviour they examine.
OPEN = SimConfig(quota=None)


async def in_thread(function: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run a blocking boto3 call without blocking the simulator's event loop."""
    return await asyncio.to_thread(function, **kwargs)


class FakeClock:
    """A monotonic clock tests move by hand."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
