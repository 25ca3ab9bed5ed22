"""Counters of what the simulator saw and answered, and their frozen snapshots.

The hot path bumps plain integer attributes on a slotted object per operation; only
:meth:`Recorder.snapshot` builds the immutable records tests and benchmarks read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bulkjobs.sim._model import MUTATING_OPERATIONS, Operation


@dataclass(frozen=True, slots=True, kw_only=True)
class OperationStatistics:
    """What one operation received and how it was answered.

    ``requests`` counts every request routed to the operation; each ends in exactly one
    of ``accepted`` (2xx), an error counted in ``errors`` by code (ThrottlingException
    and ServiceUnavailableException included), ``resets`` (connection reset before any
    work) or ``lost_responses`` (work done, then reset) — or is still in flight.
    """

    requests: int = 0
    accepted: int = 0
    throttled: int = 0
    unavailable: int = 0
    resets: int = 0
    lost_responses: int = 0
    slow: int = 0
    errors: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    in_flight_peak: int = 0
    #: Seconds since the simulator started at which the first request arrived, and the
    #: last one it accepted (None before any): the span a client kept the quota busy.
    first_request_at: float | None = None
    last_accepted_at: float | None = None


_EMPTY = OperationStatistics()


@dataclass(frozen=True, slots=True, kw_only=True)
class SimStatistics:
    """A snapshot of the simulator's counters (see :meth:`Simulator.statistics`)."""

    operations: Mapping[str, OperationStatistics]
    in_flight: int
    in_flight_peak: int
    unknown_requests: int
    #: Service Quotas requests (ListServiceQuotas, GetServiceQuota), answered or not.
    service_quota_requests: int
    device_updates: int
    job_cancellation_updates: int
    restarts: int
    uptime: float
    #: STS (AssumeRole, GetCallerIdentity) and Organizations requests.
    sts_requests: int = 0
    organizations_requests: int = 0
    #: Accepted IoT requests per destination ("account/region"), when separated.
    by_destination: Mapping[str, int] = field(default_factory=dict)

    def of(self, operation: Operation | str) -> OperationStatistics:
        """One operation's counters (all zero if it was never called)."""
        return self.operations.get(Operation(operation).value, _EMPTY)

    @property
    def total_requests(self) -> int:
        return sum(stats.requests for stats in self.operations.values())

    @property
    def mutating_requests(self) -> int:
        """Requests that could have changed the fleet: a dry run must leave this at 0."""
        return sum(self.of(operation).requests for operation in MUTATING_OPERATIONS)

    @property
    def accepted(self) -> int:
        return sum(stats.accepted for stats in self.operations.values())

    @property
    def throttled(self) -> int:
        return sum(stats.throttled for stats in self.operations.values())

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "operations": {
                name: {
                    "requests": stats.requests,
                    "accepted": stats.accepted,
                    "throttled": stats.throttled,
                    "unavailable": stats.unavailable,
                    "resets": stats.resets,
                    "lost_responses": stats.lost_responses,
                    "slow": stats.slow,
                    "errors": dict(stats.errors),
                    "in_flight_peak": stats.in_flight_peak,
                    "first_request_at": stats.first_request_at,
                    "last_accepted_at": stats.last_accepted_at,
                }
                for name, stats in self.operations.items()
            },
            "in_flight_peak": self.in_flight_peak,
            "unknown_requests": self.unknown_requests,
            "service_quota_requests": self.service_quota_requests,
            "device_updates": self.device_updates,
            "job_cancellation_updates": self.job_cancellation_updates,
            "restarts": self.restarts,
            "uptime": round(self.uptime, 3),
            "sts_requests": self.sts_requests,
            "organizations_requests": self.organizations_requests,
            "by_destination": dict(self.by_destination),
        }


class OperationCounters:
    """Mutable per-operation counters for the request path."""

    __slots__ = (
        "accepted",
        "errors",
        "first_request_at",
        "in_flight",
        "in_flight_peak",
        "last_accepted_at",
        "lost_responses",
        "requests",
        "resets",
        "slow",
        "throttled",
        "unavailable",
    )

    def __init__(self) -> None:
        self.requests = 0
        self.accepted = 0
        self.throttled = 0
        self.unavailable = 0
        self.resets = 0
        self.lost_responses = 0
        self.slow = 0
        self.in_flight = 0
        self.in_flight_peak = 0
        self.errors: dict[str, int] = {}
        self.first_request_at: float | None = None
        self.last_accepted_at: float | None = None

    def error(self, code: str) -> None:
        key = str(code)  # the plain code string, even when given an ErrorCode
        self.errors[key] = self.errors.get(key, 0) + 1

    def freeze(self, since: float) -> OperationStatistics:
        first, last = self.first_request_at, self.last_accepted_at
        return OperationStatistics(
            first_request_at=None if first is None else round(first - since, 6),
            last_accepted_at=None if last is None else round(last - since, 6),
            requests=self.requests,
            accepted=self.accepted,
            throttled=self.throttled,
            unavailable=self.unavailable,
            resets=self.resets,
            lost_responses=self.lost_responses,
            slow=self.slow,
            errors=MappingProxyType(dict(self.errors)),
            in_flight_peak=self.in_flight_peak,
        )


class Recorder:
    """All counters of one simulator."""

    __slots__ = (
        "by_destination",
        "device_updates",
        "in_flight",
        "in_flight_peak",
        "job_cancellation_updates",
        "operations",
        "organizations_requests",
        "restarts",
        "service_quota_requests",
        "sts_requests",
        "unknown_requests",
    )

    def __init__(self) -> None:
        self.operations = {operation.value: OperationCounters() for operation in Operation}
        self.in_flight = 0
        self.in_flight_peak = 0
        self.unknown_requests = 0
        self.service_quota_requests = 0
        self.device_updates = 0
        self.job_cancellation_updates = 0
        self.restarts = 0
        self.sts_requests = 0
        self.organizations_requests = 0
        self.by_destination: dict[str, int] = {}

    def begin(self, operation: str) -> OperationCounters:
        counters = self.operations[operation]
        counters.requests += 1
        counters.in_flight += 1
        if counters.in_flight > counters.in_flight_peak:
            counters.in_flight_peak = counters.in_flight
        self.in_flight += 1
        if self.in_flight > self.in_flight_peak:
            self.in_flight_peak = self.in_flight
        return counters

    def end(self, counters: OperationCounters) -> None:
        counters.in_flight -= 1
        self.in_flight -= 1

    def snapshot(self, *, uptime: float, since: float = 0.0) -> SimStatistics:
        """Counters now; request times in seconds after ``since`` on the server's clock."""
        return SimStatistics(
            operations=MappingProxyType(
                {
                    name: counters.freeze(since)
                    for name, counters in self.operations.items()
                    if counters.requests
                }
            ),
            in_flight=self.in_flight,
            in_flight_peak=self.in_flight_peak,
            unknown_requests=self.unknown_requests,
            service_quota_requests=self.service_quota_requests,
            device_updates=self.device_updates,
            job_cancellation_updates=self.job_cancellation_updates,
            restarts=self.restarts,
            uptime=uptime,
            sts_requests=self.sts_requests,
            organizations_requests=self.organizations_requests,
            by_destination=MappingProxyType(dict(self.by_destination)),
        )
