"""Retry timing and the run-wide retry budget: pure, no awaits, no clock of their own.

Backoff is exponential with *full jitter* (delay drawn from [0, min(cap, base·2^n)]),
which spreads synchronized retries best (AWS Architecture Blog, "Exponential Backoff
And Jitter"). The budget follows Finagle's RetryBudget: retries may add at most a
fixed share of the first attempts plus a small floor, so a failing service sees a
bounded amplification instead of a retry storm.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from bulkjobs._exceptions import ConfigurationError

__all__ = ["RetryBudget", "RetryPolicy"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    #: Attempts per target for one call (first attempt included).
    max_attempts: int = 10
    #: Fresh-version retries after VersionConflict or a racing state change.
    max_conflict_retries: int = 5
    base_delay: float = 0.05
    max_delay: float = 10.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError("max_attempts must be at least 1")
        if self.max_conflict_retries < 0:
            raise ConfigurationError("max_conflict_retries must be ≥ 0")
        if not 0 <= self.base_delay <= self.max_delay:
            raise ConfigurationError("need 0 ≤ base_delay ≤ max_delay")

    def backoff(self, failures: int, rng: random.Random) -> float:
        """Delay before the next attempt after ``failures`` consecutive failures (≥ 1)."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** min(failures - 1, 30)))
        return rng.uniform(0.0, ceiling)

    def may_retry(self, attempts: int) -> bool:
        return attempts < self.max_attempts


@dataclass(slots=True, kw_only=True)
class RetryBudget:
    """Run-wide cap: retries ≤ ``floor`` + ``ratio`` × first attempts."""

    ratio: float = 1.0
    floor: int = 200
    first_attempts: int = field(default=0, init=False)
    retries: int = field(default=0, init=False)
    denied: int = field(default=0, init=False)

    def record_first_attempt(self) -> None:
        self.first_attempts += 1

    def try_spend(self) -> bool:
        """Take one retry from the budget; False when it is spent."""
        if self.retries < self.floor + self.ratio * self.first_attempts:
            self.retries += 1
            return True
        self.denied += 1
        return False
