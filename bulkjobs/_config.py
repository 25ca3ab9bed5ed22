"""Run-wide settings, validated on construction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bulkjobs._destination import Destination
from bulkjobs._exceptions import ConfigurationError
from bulkjobs._roles import AssumeRole

__all__ = ["DEFAULT_REGION", "RunConfig"]

DEFAULT_REGION = "us-east-1"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    """How a run talks to AWS and how hard it pushes.

    Credentials are never part of the config: they come from aiobotocore's own chain
    (environment, profile, SSO, instance role) so refreshable providers keep working
    through runs longer than a session token lives.
    """

    #: Default region for targets without one (None: the profile's or us-east-1).
    region: str | None = None
    profile: str | None = None
    #: The role to assume in every account other than the caller's own (None: every
    #: target must be in the caller's account).
    role: AssumeRole | None = None
    endpoint_url: str | None = None
    #: Requests per second per (region, API); None = discover the quota (auto).
    rate: float | None = None
    #: Auto mode starts from the applied quotas in Service Quotas, where readable.
    service_quotas: bool = True
    #: Upper bound on concurrent calls; the rate controller may use fewer.
    concurrency: int = 64
    max_attempts: int = 10
    max_conflict_retries: int = 5
    base_delay: float = 0.05
    max_delay: float = 10.0
    #: Run-wide retry budget: retries ≤ floor + ratio × first attempts.
    retry_budget_ratio: float = 1.0
    retry_budget_floor: int = 200
    connect_timeout: float = 5.0
    read_timeout: float = 20.0
    dry_run: bool = False
    #: Stop (remaining targets → interrupted) once failures pass this percentage…
    abort_failed_percent: float | None = None
    #: …after at least this many targets finished.
    abort_min_executed: int = 100
    #: Seconds after start at which the run stops cleanly.
    deadline: float | None = None
    #: Seconds in-flight calls may take to finish after a stop request.
    grace_period: float = 10.0
    #: Seconds this machine's clock may be off the service's. When a call's answer is
    #: lost, a change the service dates earlier than the call was sent, less this
    #: margin, is known not to be the call's (see the report's ``confirmed``).
    clock_margin: float = 2.0

    @property
    def destination(self) -> Destination:
        """Where targets without a destination of their own send their calls."""
        return Destination(region=self.region)

    def __post_init__(self) -> None:
        # Every rule here, so that nothing deeper (the retry policy, the clients) is
        # the first to find a bad value, with an error from outside the one root.
        for name in ("concurrency", "max_attempts"):
            _require(self, name, lambda v: _is_int(v) and v >= 1, "must be an integer ≥ 1")
        for name in ("max_conflict_retries", "retry_budget_floor", "abort_min_executed"):
            _require(self, name, lambda v: _is_int(v) and v >= 0, "must be an integer ≥ 0")
        for name in ("base_delay", "max_delay", "retry_budget_ratio", "grace_period"):
            _require(self, name, lambda v: _is_number(v) and v >= 0, "must be a number ≥ 0")
        for name in ("connect_timeout", "read_timeout"):
            _require(self, name, lambda v: _is_number(v) and v > 0, "must be a number > 0")
        if self.base_delay > self.max_delay:
            raise ConfigurationError(
                f"base_delay ({self.base_delay:g}) must not exceed max_delay ({self.max_delay:g})"
            )
        if self.rate is not None and not (_is_number(self.rate) and self.rate > 0):
            raise ConfigurationError("rate must be positive (or None for auto)")
        percent = self.abort_failed_percent
        if percent is not None and not (_is_number(percent) and 0 <= percent <= 100):
            raise ConfigurationError("abort_failed_percent must be within 0..100")
        for name in ("clock_margin",):
            _require(self, name, lambda v: _is_number(v) and v >= 0, "must be a number ≥ 0")
        if self.deadline is not None and not (_is_number(self.deadline) and self.deadline > 0):
            raise ConfigurationError("deadline must be positive")
        if self.role is not None and not isinstance(self.role, AssumeRole):
            raise ConfigurationError(f"role must be an AssumeRole (got {self.role!r})")
        if self.endpoint_url is not None and not self.endpoint_url.startswith(
            ("http://", "https://")
        ):
            raise ConfigurationError("endpoint_url must start with http:// or https://")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    # NaN compares false with everything, so "v >= 0" alone would let it through.
    return _is_int(value) or (isinstance(value, float) and value == value)


def _require(config: RunConfig, name: str, ok: Callable[[Any], bool], rule: str) -> None:
    value = getattr(config, name)
    if not ok(value):
        raise ConfigurationError(f"{name} {rule} (got {value!r})")
