"""How the simulator behaves: quotas, faults, latency and background device activity.

All knobs live in one frozen :class:`SimConfig`; a running simulator swaps it whole
(:meth:`Simulator.reconfigure`), so a request always sees one consistent configuration.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from bulkjobs.sim._model import Operation
from bulkjobs.sim._organizations import Organization
from bulkjobs.sim._quota import QuotaChange

#: AWS's published default quota for each of the served APIs, per account and region.
AWS_DEFAULT_TPS: Final = 10.0
#: The served APIs whose default differs (AWS's 2019 quota table), applied while
#: ``SimConfig.quota`` is left at :data:`AWS_DEFAULT_TPS`.
AWS_DEFAULT_QUOTAS: Final[Mapping[str, float]] = MappingProxyType(
    {Operation.SEARCH_INDEX.value: 15.0, Operation.LIST_THINGS_IN_THING_GROUP.value: 25.0}
)
#: Fleet indexing's thing index, and the states the simulator can put it in: ACTIVE
#: (searchable), BUILDING (IndexNotReadyException) or OFF (ResourceNotFoundException,
#: as when thing indexing was never turned on).
THING_INDEX: Final = "AWS_Things"
IndexState = Literal["ACTIVE", "BUILDING", "OFF"]
#: How fast AWS documents CancelJob reaching a job's executions: about 1,000 a minute.
AWS_CANCEL_JOB_RATE: Final = 1000.0 / 60.0
#: The simulator's default CancelJob pace: effectively immediate for test fleets.
FAST_CANCEL_JOB_RATE: Final = 100_000.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency:
    """Service time added before each response: lognormal around ``median`` seconds.

    ``sigma`` = 0 gives a fixed delay; larger values a longer right tail (0.5 is a
    moderate one). ``maximum`` caps a single draw.
    """

    median: float
    sigma: float = 0.0
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.median < 0 or self.sigma < 0:
            raise ValueError("latency median and sigma must be >= 0")
        if self.maximum is not None and self.maximum < self.median:
            raise ValueError("latency maximum must be >= median")

    def sample(self, rng: random.Random) -> float:
        if self.sigma == 0.0 or self.median == 0.0:
            return self.median
        delay = self.median * math.exp(self.sigma * rng.gauss(0.0, 1.0))
        return delay if self.maximum is None else min(delay, self.maximum)


def _share(value: float, name: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class SimConfig:
    """Every behaviour knob of the simulator; the defaults model a plain AWS account.

    Quotas: ``quota`` requests/s for every operation (None: unlimited) — left at
    AWS's default, SearchIndex and ListThingsInThingGroup keep theirs
    (:data:`AWS_DEFAULT_QUOTAS`) — overridden per operation by ``quotas``; bursts hold
    ``burst_seconds`` of quota; ``quota_schedule`` changes quotas at given seconds
    after start; ``service_quotas`` answers Service Quotas' ListServiceQuotas and
    GetServiceQuota with them (False: AccessDenied).
    Faults, each a share of requests to the ``faulty_operations`` (None: all):
    ``p_reset`` closes the connection with a TCP reset before doing anything;
    ``p_lost_response`` applies the request and then resets (the change happened, the
    client cannot know); ``p503`` answers ServiceUnavailable;
    ``p_slow`` adds ``slow_seconds`` to trigger client read timeouts. ``latency`` delays
    every response. Devices move ``churn_rate`` executions a step per second. CancelJob
    reaches ``cancel_job_rate`` executions per second. ``max_cancelling_jobs`` bounds
    jobs cancelling at once (LimitExceededException beyond). ``check_signatures``
    refuses unsigned requests and those signed more than 5 minutes off the server's
    clock, which runs ``clock_skew`` seconds ahead of this machine's (negative: behind).

    Accounts: ``account_id`` is the caller's (any access key the simulator did not
    issue is its); ``accounts`` are further member accounts whose ``roles`` STS lets
    the caller assume (except in ``denied_accounts``, and only with
    ``role_external_id`` when that is set), each session lasting at most
    ``session_seconds`` when set. With ``accounts`` (or ``separate_destinations``) every
    (account, region) has its own fleet, quotas and faults, as at AWS; otherwise one
    fleet answers every region. ``organization`` is what Organizations lists (by
    default the accounts in one unit, when there are any).

    Fleet indexing: ``thing_index`` is the state of the ``AWS_Things`` index that
    SearchIndex answers from (see :data:`IndexState`).
    """

    quota: float | None = AWS_DEFAULT_TPS
    quotas: Mapping[str, float | None] = field(default_factory=dict)
    burst_seconds: float = 1.0
    quota_schedule: tuple[QuotaChange, ...] = ()
    throttle_status: Literal[400, 429] = 400
    service_quotas: bool = True
    p503: float = 0.0
    p_reset: float = 0.0
    p_lost_response: float = 0.0
    p_slow: float = 0.0
    slow_seconds: float = 30.0
    faulty_operations: frozenset[Operation] | None = None
    latency: Latency | None = None
    churn_rate: float = 0.0
    churn_failure_share: float = 0.1
    churn_progress_share: float = 0.3
    cancel_job_rate: float = FAST_CANCEL_JOB_RATE
    max_cancelling_jobs: int | None = None
    #: DeleteJob: jobs DELETION_IN_PROGRESS at once (AWS: 10), and how long a deletion
    #: takes: a base plus a share per execution.
    max_deleting_jobs: int = 10
    job_deletion_seconds: float = 0.5
    job_deletion_seconds_per_execution: float = 0.01
    check_signatures: bool = True
    clock_skew: float = 0.0
    account_id: str = "123456789012"
    region: str = "us-east-1"
    seed: int = 0
    accounts: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset({"OrganizationAccountAccessRole"})
    denied_accounts: frozenset[str] = frozenset()
    role_external_id: str | None = None
    session_seconds: float | None = None
    separate_destinations: bool = False
    organization: Organization | None = None
    thing_index: IndexState = "ACTIVE"

    def __post_init__(self) -> None:
        quotas: dict[str, float | None] = {}
        for name, tps in self.quotas.items():
            quotas[Operation(name).value] = tps
        for tps in (self.quota, *quotas.values()):
            if tps is not None and tps <= 0:
                raise ValueError("quotas must be positive (or None for unlimited)")
        # Frozen all the way down: a shared config cannot be edited behind a server.
        object.__setattr__(self, "quotas", MappingProxyType(quotas))
        for change in self.quota_schedule:
            if change.operation is not None:
                Operation(change.operation)
        if self.burst_seconds <= 0:
            raise ValueError("burst_seconds must be positive")
        if self.throttle_status not in (400, 429):
            raise ValueError("throttle_status must be 400 or 429")
        for name in (
            "p503",
            "p_reset",
            "p_lost_response",
            "p_slow",
            "churn_failure_share",
            "churn_progress_share",
        ):
            _share(getattr(self, name), name)
        if self.slow_seconds < 0 or self.churn_rate < 0:
            raise ValueError("slow_seconds and churn_rate must be >= 0")
        if self.cancel_job_rate <= 0:
            raise ValueError("cancel_job_rate must be positive")
        if self.max_deleting_jobs < 1:
            raise ValueError("max_deleting_jobs must be >= 1")
        if self.job_deletion_seconds < 0 or self.job_deletion_seconds_per_execution < 0:
            raise ValueError("job deletion times must be >= 0")
        if self.max_cancelling_jobs is not None and self.max_cancelling_jobs < 1:
            raise ValueError("max_cancelling_jobs must be >= 1 (or None)")
        object.__setattr__(self, "accounts", tuple(self.accounts))
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "denied_accounts", frozenset(self.denied_accounts))
        for account in (self.account_id, *self.accounts, *self.denied_accounts):
            if not (len(account) == 12 and account.isdigit()):
                raise ValueError(f"account IDs are 12 digits (got {account!r})")
        if self.thing_index not in ("ACTIVE", "BUILDING", "OFF"):
            raise ValueError("thing_index must be ACTIVE, BUILDING or OFF")
        if self.session_seconds is not None and self.session_seconds <= 0:
            raise ValueError("session_seconds must be positive (or None)")

    @property
    def separate(self) -> bool:
        """Whether each (account, region) has its own fleet and quotas."""
        return self.separate_destinations or bool(self.accounts)

    @property
    def org(self) -> Organization | None:
        """The organisation Organizations answers for (None: not in one)."""
        if self.organization is not None:
            return self.organization
        if not self.accounts:
            return None
        return Organization.simple(self.account_id, self.accounts)

    def quota_for(self, operation: Operation) -> float | None:
        """The starting quota of one operation."""
        if operation.value in self.quotas:
            return self.quotas[operation.value]
        if self.quota == AWS_DEFAULT_TPS:
            return AWS_DEFAULT_QUOTAS.get(operation.value, self.quota)
        return self.quota
