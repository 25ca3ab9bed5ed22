"""Records of the simulated control plane: operations, statuses, executions, jobs, groups.

The mutable records (:class:`Execution`, :class:`Job`, :class:`Group`) belong to
:class:`~bulkjobs.sim._state.FleetState`, which alone changes them; everything handed
out of the simulator is a frozen snapshot, so a test cannot mutate the server's state
behind its back.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Final, Generic, TypeVar

T = TypeVar("T")


class Operation(StrEnum):
    """The IoT API operations the simulator serves, named as in the service model."""

    CANCEL_JOB_EXECUTION = "CancelJobExecution"
    DELETE_JOB_EXECUTION = "DeleteJobExecution"
    CANCEL_JOB = "CancelJob"
    DELETE_JOB = "DeleteJob"
    LIST_JOBS = "ListJobs"
    SEARCH_INDEX = "SearchIndex"
    DESCRIBE_JOB_EXECUTION = "DescribeJobExecution"
    DESCRIBE_JOB = "DescribeJob"
    LIST_JOB_EXECUTIONS_FOR_JOB = "ListJobExecutionsForJob"
    LIST_JOB_EXECUTIONS_FOR_THING = "ListJobExecutionsForThing"
    LIST_THINGS_IN_THING_GROUP = "ListThingsInThingGroup"


#: Operations that change the fleet: what a "nothing was sent" assertion counts.
MUTATING_OPERATIONS: Final = frozenset(
    {
        Operation.CANCEL_JOB_EXECUTION,
        Operation.DELETE_JOB_EXECUTION,
        Operation.CANCEL_JOB,
        Operation.DELETE_JOB,
    }
)


class ExecutionStatus(StrEnum):
    """The eight job execution states of the IoT API."""

    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    TIMED_OUT = "TIMED_OUT"
    REJECTED = "REJECTED"
    REMOVED = "REMOVED"
    CANCELED = "CANCELED"


class JobStatus(StrEnum):
    """The API's JobStatus enum. No simulated job is ever SCHEDULED (the simulator has
    no CreateJob), but ListJobs accepts it as a filter, as AWS does."""

    IN_PROGRESS = "IN_PROGRESS"
    CANCELED = "CANCELED"
    COMPLETED = "COMPLETED"
    DELETION_IN_PROGRESS = "DELETION_IN_PROGRESS"
    SCHEDULED = "SCHEDULED"


class TargetSelection(StrEnum):
    """Whether a job also reaches things that join its target groups later."""

    CONTINUOUS = "CONTINUOUS"
    SNAPSHOT = "SNAPSHOT"


#: States an execution never leaves (except by deletion).
TERMINAL: Final = frozenset(
    {
        ExecutionStatus.SUCCEEDED,
        ExecutionStatus.FAILED,
        ExecutionStatus.TIMED_OUT,
        ExecutionStatus.REJECTED,
        ExecutionStatus.REMOVED,
        ExecutionStatus.CANCELED,
    }
)

#: States a device can still move an execution out of.
ACTIVE: Final = frozenset({ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS})


@dataclass(slots=True, kw_only=True)
class Execution:
    """One job execution on one thing (mutable; owned by the fleet state)."""

    job_id: str
    thing_name: str
    status: ExecutionStatus
    execution_number: int
    version_number: int
    queued_at: float
    started_at: float | None
    last_updated_at: float
    status_details: dict[str, str] | None = None
    force_canceled: bool = False
    #: Number of the API request that made the latest change (None: a device, the
    #: CancelJob sweep, or the seeded history).
    changed_by: int | None = None
    deleted: bool = False
    # Whether the device-churn pool holds this execution (it is pruned lazily).
    pooled: bool = False

    def snapshot(self) -> ExecutionSnapshot:
        return ExecutionSnapshot(
            job_id=self.job_id,
            thing_name=self.thing_name,
            status=self.status,
            execution_number=self.execution_number,
            version_number=self.version_number,
            queued_at=self.queued_at,
            started_at=self.started_at,
            last_updated_at=self.last_updated_at,
            status_details=MappingProxyType(dict(self.status_details or {})),
            force_canceled=self.force_canceled,
            changed_by=self.changed_by,
        )


@dataclass(slots=True, kw_only=True)
class Job:
    """One job and its executions, keyed by thing name (mutable; owned by the state)."""

    job_id: str
    arn: str
    description: str
    targets: tuple[str, ...]
    created_at: float
    last_updated_at: float
    status: JobStatus = JobStatus.IN_PROGRESS
    completed_at: float | None = None
    force_canceled: bool = False
    reason_code: str | None = None
    comment: str | None = None
    executions: dict[str, Execution] = field(default_factory=dict)
    # Listing order: thing names, possibly shared between jobs of a seeded fleet to save
    # memory; names whose execution was deleted stay in it and are skipped.
    order: list[str] = field(default_factory=list)
    counts: dict[ExecutionStatus, int] = field(
        default_factory=lambda: dict.fromkeys(ExecutionStatus, 0)
    )
    # Thing names CancelJob still has to visit in the background.
    pending_cancel: deque[str] = field(default_factory=deque)
    #: DeleteJob: when the job will be gone (epoch seconds; None: not being deleted).
    deletion_due: float | None = None
    #: A CONTINUOUS job never completes by itself (new group members may join).
    target_selection: TargetSelection = TargetSelection.SNAPSHOT
    #: The customer-managed namespace a job belongs to (None: none).
    namespace_id: str | None = None
    #: Creation order, unique in a fleet: ListJobs' tokens resume at a serial, so a job
    #: deleted while a client pages shifts nothing.
    serial: int = 0

    def snapshot(self) -> JobSnapshot:
        return JobSnapshot(
            job_id=self.job_id,
            status=self.status,
            force_canceled=self.force_canceled,
            reason_code=self.reason_code,
            comment=self.comment,
            counts=MappingProxyType(dict(self.counts)),
            pending_cancellations=len(self.pending_cancel),
        )


@dataclass(frozen=True, slots=True)
class ThingProfile:
    """What the registry and fleet indexing hold of a thing besides its name: its
    attributes and whether it is connected. Shared between things that are alike (a
    seeded fleet has a handful of profiles for any number of things)."""

    attributes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    connected: bool = False

    @staticmethod
    def of(attributes: Mapping[str, str] | None = None, *, connected: bool = False) -> ThingProfile:
        return ThingProfile(MappingProxyType(dict(attributes or {})), connected)


@dataclass(slots=True, kw_only=True)
class Group:
    """A thing group: its direct things and child groups."""

    name: str
    parent: str | None
    #: The thingGroupId AWS gives a group (a UUID; here derived from its name).
    group_id: str = ""
    children: list[str] = field(default_factory=list)
    things: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionSnapshot:
    """A job execution as the simulator holds it at one instant (epoch-second times)."""

    job_id: str
    thing_name: str
    status: ExecutionStatus
    execution_number: int
    version_number: int
    queued_at: float
    started_at: float | None
    last_updated_at: float
    status_details: Mapping[str, str]
    force_canceled: bool
    #: Number of the API request that made the latest change (request ids count from 1;
    #: :attr:`Simulator.requests_received` marks where a run began), None when a device,
    #: CancelJob's background sweep or the seeded history made it.
    changed_by: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSnapshot:
    """A job as the simulator holds it at one instant, with per-status counts."""

    job_id: str
    status: JobStatus
    force_canceled: bool
    reason_code: str | None
    comment: str | None
    counts: Mapping[ExecutionStatus, int]
    pending_cancellations: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page of a listing and the opaque token for the next, if any."""

    items: tuple[T, ...]
    next_token: str | None
