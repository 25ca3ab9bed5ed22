"""The fleet and the semantics of the Jobs control plane, with no I/O and no clock.

Every mutating method takes ``now`` (epoch seconds) from its caller, so tests drive the
model deterministically. Rules follow the IoT API reference:

- CancelJobExecution: QUEUED can be canceled; IN_PROGRESS only with ``force``; anything
  else is an InvalidStateTransitionException. An ``expectedVersion`` that differs from
  the current version is a VersionConflictException, checked first (optimistic lock).
- DeleteJobExecution: terminal executions can be deleted; QUEUED and IN_PROGRESS only
  with ``force``; a wrong ``executionNumber`` is a ResourceNotFoundException.
- Every change of an execution increments its ``versionNumber``; the change records the
  number of the API request that made it (``by``; None for devices and CancelJob's
  background sweep), so a test can tell which run changed what.
- A VersionConflictException carries the execution's current state (``executionState``:
  status, statusDetails, versionNumber), as the API reference's ``expectedVersion``
  documents ("an ErrorResponse that contains the current job execution status data").
  botocore keeps only ``message``, the one member the service model declares.
- CancelJob: the job turns CANCELED at once; its QUEUED executions (and IN_PROGRESS with
  ``force``) are canceled later, in the background, by :meth:`FleetState.sweep_cancellations`.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bulkjobs.sim._errors import (
    ApiError,
    ErrorCode,
    invalid_request,
    invalid_transition,
    not_found,
)
from bulkjobs.sim._model import (
    ACTIVE,
    TERMINAL,
    Execution,
    ExecutionStatus,
    Group,
    Job,
    JobStatus,
    TargetSelection,
    ThingProfile,
)

_BARE = ThingProfile()
_QUEUED = ExecutionStatus.QUEUED
_IN_PROGRESS = ExecutionStatus.IN_PROGRESS


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepResult:
    """What one background CancelJob sweep did."""

    canceled: int
    finished_jobs: tuple[str, ...]


class FleetState:
    """Things, thing groups, jobs and executions, and the API's rules over them."""

    def __init__(self, *, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self._arn_prefix = f"arn:aws:iot:{region}:{account_id}:"
        # An ordered set of thing names, each with its profile (None: no attributes,
        # never connected): profiles are shared, so a big fleet costs no more memory.
        self._things: dict[str, ThingProfile | None] = {}
        self._groups: dict[str, Group] = {}
        self._flattened: dict[str, list[str]] = {}
        # Built when the index is first searched; dropped whenever things or groups change.
        self._thing_list: list[str] | None = None
        self._groups_of: dict[str, list[str]] | None = None
        self._jobs: dict[str, Job] = {}
        self._job_order: list[str] = []
        self._serials = 0
        self._cancelling: dict[str, Job] = {}
        # Executions a device may still move; pruned lazily by churn_step.
        self._pool: list[Execution] = []

    # -- identity ---------------------------------------------------------------------

    def thing_arn(self, thing_name: str) -> str:
        return f"{self._arn_prefix}thing/{thing_name}"

    def job_arn(self, job_id: str) -> str:
        return f"{self._arn_prefix}job/{job_id}"

    def group_arn(self, group_name: str) -> str:
        return f"{self._arn_prefix}thinggroup/{group_name}"

    # -- building the fleet -----------------------------------------------------------

    def add_group(self, name: str, *, parent: str | None = None) -> None:
        if name in self._groups:
            raise ValueError(f"thing group {name!r} already exists")
        if parent is not None:
            self._groups[parent].children.append(name)
        # Stable across runs and distinct per account and region, as AWS's are.
        group_id = str(uuid.uuid5(uuid.NAMESPACE_URL, self.group_arn(name)))
        self._groups[name] = Group(name=name, parent=parent, group_id=group_id)
        self._changed()

    def find_group(self, name: str) -> Group | None:
        return self._groups.get(name)

    def find_group_by_id(self, group_id: str) -> Group | None:
        for group in self._groups.values():
            if group.group_id == group_id:
                return group
        return None

    def target_group(self, job: Job) -> Group | None:
        """The first thing group a job targets (what ListJobs' thingGroupId names)."""
        for arn in job.targets:
            _, sep, name = arn.rpartition(":thinggroup/")
            if sep and (group := self._groups.get(name)) is not None:
                return group
        return None

    def add_thing(
        self, name: str, *, groups: Iterable[str] = (), profile: ThingProfile | None = None
    ) -> None:
        if name not in self._things or profile is not None:
            self._things[name] = profile
        for group in groups:
            self._groups[group].things.append(name)
        self._changed()

    def add_things(
        self,
        names: Iterable[str],
        *,
        group: str,
        profiles: Mapping[str, ThingProfile] | None = None,
    ) -> None:
        """Many new things in one group: the bulk form of :meth:`add_thing` for seeding."""
        names = list(names)
        if profiles is None:
            self._things.update(dict.fromkeys(names))
        else:
            self._things.update((name, profiles.get(name)) for name in names)
        self._groups[group].things.extend(names)
        self._changed()

    def has_thing(self, name: str) -> bool:
        return name in self._things

    def has_group(self, name: str) -> bool:
        return name in self._groups

    def profile(self, name: str) -> ThingProfile:
        """A thing's attributes and connectivity (ResourceNotFound: no such thing)."""
        if name not in self._things:
            raise not_found(f"Thing {name} does not exist.")
        return self._things[name] or _BARE

    def set_profile(
        self,
        name: str,
        *,
        attributes: Mapping[str, str] | None = None,
        connected: bool | None = None,
    ) -> None:
        """Change a thing's attributes (replacing them) or connectivity, as UpdateThing
        or a device connecting would; the index sees the change at once."""
        current = self.profile(name)
        self._things[name] = ThingProfile.of(
            current.attributes if attributes is None else attributes,
            connected=current.connected if connected is None else connected,
        )

    def thing_names(self) -> list[str]:
        """Every thing, in registration order (the order fleet indexing pages through)."""
        if self._thing_list is None:
            self._thing_list = list(self._things)
        return self._thing_list

    def groups_of(self, name: str) -> list[str]:
        """The groups ``name`` is directly in (as fleet indexing's thingGroupNames)."""
        if self._groups_of is None:
            found: dict[str, list[str]] = {}
            for group in self._groups.values():
                for thing in group.things:
                    found.setdefault(thing, []).append(group.name)
            self._groups_of = found
        return self._groups_of.get(name, [])

    def add_job(
        self,
        job_id: str,
        *,
        now: float,
        description: str = "",
        targets: Sequence[str] = (),
        order: list[str] | None = None,
        target_selection: TargetSelection = TargetSelection.SNAPSHOT,
        namespace_id: str | None = None,
    ) -> Job:
        """A new, empty IN_PROGRESS job created at ``now``; ``order`` may be shared with
        other jobs."""
        if job_id in self._jobs:
            raise ValueError(f"job {job_id!r} already exists")
        self._serials += 1
        job = Job(
            job_id=job_id,
            arn=self.job_arn(job_id),
            description=description,
            targets=tuple(targets),
            created_at=now,
            last_updated_at=now,
            order=[] if order is None else order,
            target_selection=TargetSelection(target_selection),
            namespace_id=namespace_id,
            serial=self._serials,
        )
        self._jobs[job_id] = job
        self._job_order.append(job_id)
        return job

    def install(self, job: Job, execution: Execution, *, append_to_order: bool = True) -> None:
        """Put a seeded execution in place as-is (no version bump: it is history).

        Call :meth:`settle_job` once the job's executions are all installed.
        """
        if execution.thing_name not in self._things:
            self.add_thing(execution.thing_name)
        previous = job.executions.get(execution.thing_name)
        if previous is not None:
            self._forget(job, previous)
        elif append_to_order:
            job.order.append(execution.thing_name)
        job.executions[execution.thing_name] = execution
        job.counts[execution.status] += 1
        if execution.status in ACTIVE:
            self._pool_add(execution)

    def settle_job(self, job: Job, now: float) -> None:
        """Give a job the status its executions imply (after installing them)."""
        self._settle_job(job, now)

    # -- reading ----------------------------------------------------------------------

    def find_job(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def job(self, job_id: str) -> Job:
        job = self._jobs.get(job_id)
        if job is None:
            raise not_found(f"Job {job_id} does not exist.")
        return job

    def jobs(self) -> tuple[Job, ...]:
        return tuple(self._jobs[job_id] for job_id in self._job_order)

    def execution(
        self, job_id: str, thing_name: str, execution_number: int | None = None
    ) -> Execution:
        job = self._jobs.get(job_id)
        execution = None if job is None else job.executions.get(thing_name)
        if execution is None or (
            execution_number is not None and execution.execution_number != execution_number
        ):
            raise not_found(f"Job execution for job {job_id} on thing {thing_name} not found.")
        return execution

    # -- CancelJobExecution / DeleteJobExecution ---------------------------------------

    def cancel_execution(
        self,
        job_id: str,
        thing_name: str,
        *,
        force: bool,
        expected_version: int | None,
        status_details: dict[str, str] | None,
        now: float,
        by: int | None = None,
    ) -> Execution:
        execution = self.execution(job_id, thing_name)
        if expected_version is not None and expected_version != execution.version_number:
            raise ApiError(
                ErrorCode.VERSION_CONFLICT,
                f"The expected version {expected_version} does not match the current "
                f"version {execution.version_number} of the job execution.",
                {
                    "executionState": {
                        "status": execution.status.value,
                        "statusDetails": dict(execution.status_details or {}),
                        "versionNumber": execution.version_number,
                    }
                },
            )
        status = execution.status
        if status is not _QUEUED and not (status is _IN_PROGRESS and force):
            hint = " without force" if status is _IN_PROGRESS else ""
            raise invalid_transition(
                f"Cannot cancel the job execution{hint}: its status is {status}."
            )
        if status_details is not None:
            execution.status_details = status_details
        execution.force_canceled = force
        self._move(self._jobs[job_id], execution, ExecutionStatus.CANCELED, now, by=by)
        return execution

    def delete_execution(
        self,
        job_id: str,
        thing_name: str,
        execution_number: int,
        *,
        force: bool,
        now: float,
    ) -> None:
        execution = self.execution(job_id, thing_name, execution_number)
        if execution.status not in TERMINAL and not force:
            raise invalid_transition(
                f"Cannot delete a job execution in status {execution.status} without force."
            )
        job = self._jobs[job_id]
        del job.executions[thing_name]
        self._forget(job, execution)
        self._settle_job(job, now)

    # -- device side --------------------------------------------------------------------

    def device_update(
        self,
        job_id: str,
        thing_name: str,
        status: ExecutionStatus,
        *,
        now: float,
        status_details: dict[str, str] | None = None,
    ) -> Execution:
        """What a device's UpdateJobExecution would do: any status, version + 1."""
        execution = self.execution(job_id, thing_name)
        if status_details is not None:
            execution.status_details = status_details
        self._move(self._jobs[job_id], execution, status, now)
        return execution

    def churn_step(
        self, rng: random.Random, now: float, *, failure_share: float, progress_share: float
    ) -> Execution | None:
        """Move one random active execution a step, as its device would; None if idle.

        QUEUED → IN_PROGRESS; IN_PROGRESS → a progress report (same status, new
        version) or SUCCEEDED/FAILED. QUEUED executions of a CANCELED job stay put: the
        background CancelJob sweep is about to cancel them.
        """
        pool = self._pool
        for _ in range(8):
            if not pool:
                return None
            index = rng.randrange(len(pool))
            execution = pool[index]
            if execution.deleted or execution.status not in ACTIVE:
                pool[index] = pool[-1]
                pool.pop()
                execution.pooled = False
                continue
            job = self._jobs[execution.job_id]
            if execution.status is _QUEUED:
                if job.status is JobStatus.CANCELED:
                    continue
                self._move(job, execution, _IN_PROGRESS, now)
            elif rng.random() < progress_share:
                execution.status_details = {"progress": str(rng.randrange(1, 100))}
                self._move(job, execution, _IN_PROGRESS, now)
            else:
                failed = rng.random() < failure_share
                final = ExecutionStatus.FAILED if failed else ExecutionStatus.SUCCEEDED
                self._move(job, execution, final, now)
            return execution
        return None

    # -- CancelJob --------------------------------------------------------------------------

    def cancel_job(
        self,
        job_id: str,
        *,
        force: bool,
        reason_code: str | None,
        comment: str | None,
        now: float,
        max_cancelling_jobs: int | None = None,
    ) -> Job:
        """Mark the job CANCELED and queue its executions for the background sweep.

        The API reference does not say what CancelJob does to a job that is already
        canceled or completed; the simulator refuses with InvalidRequestException
        (CancelJob's model has no InvalidStateTransitionException), except that a
        canceled job may be canceled again *with* force to reach its IN_PROGRESS
        executions too.
        """
        job = self.job(job_id)
        if job.status is JobStatus.DELETION_IN_PROGRESS:
            raise invalid_request(f"Job {job_id} is being deleted and cannot be canceled.")
        if job.status is JobStatus.COMPLETED:
            raise invalid_request(f"Job {job_id} is COMPLETED and cannot be canceled.")
        if job.status is JobStatus.CANCELED and (job.force_canceled or not force):
            raise invalid_request(f"Job {job_id} is already canceled.")
        if (
            max_cancelling_jobs is not None
            and job_id not in self._cancelling
            and len(self._cancelling) >= max_cancelling_jobs
        ):
            raise ApiError(
                ErrorCode.LIMIT_EXCEEDED,
                f"Too many jobs are being canceled at once (limit {max_cancelling_jobs}).",
            )
        job.status = JobStatus.CANCELED
        job.force_canceled = job.force_canceled or force
        if reason_code is not None:
            job.reason_code = reason_code
        if comment is not None:
            job.comment = comment
        job.last_updated_at = now
        wanted = ACTIVE if force else frozenset({_QUEUED})
        job.pending_cancel.extend(
            name for name, execution in job.executions.items() if execution.status in wanted
        )
        if job.pending_cancel:
            self._cancelling[job_id] = job
        return job

    def is_cancelling(self, job_id: str) -> bool:
        return job_id in self._cancelling

    def has_pending_cancellations(self) -> bool:
        return bool(self._cancelling)

    def sweep_cancellations(self, budget: int, now: float) -> SweepResult:
        """Visit up to ``budget`` executions queued by CancelJob, canceling those still due."""
        canceled = 0
        visited = 0
        finished: list[str] = []
        for job_id, job in list(self._cancelling.items()):
            pending = job.pending_cancel
            while pending and visited < budget:
                visited += 1
                execution = job.executions.get(pending.popleft())
                if execution is None:
                    continue
                if execution.status is _QUEUED or (
                    execution.status is _IN_PROGRESS and job.force_canceled
                ):
                    execution.force_canceled = execution.status is _IN_PROGRESS
                    self._move(job, execution, ExecutionStatus.CANCELED, now)
                    canceled += 1
            if not pending:
                del self._cancelling[job_id]
                finished.append(job_id)
            if visited >= budget:
                break
        return SweepResult(canceled=canceled, finished_jobs=tuple(finished))

    def remove_job(self, job_id: str) -> None:
        """Forget a job and its executions (the end of a DeleteJob)."""
        job = self._jobs.pop(job_id)
        self._job_order.remove(job_id)
        self._cancelling.pop(job_id, None)
        for execution in job.executions.values():
            # The churn pool drops deleted executions lazily.
            execution.deleted = True
        job.executions.clear()

    # -- listing support --------------------------------------------------------------------

    def job_ids(self) -> list[str]:
        """Job ids in creation order (the order ListJobExecutionsForThing pages through)."""
        return self._job_order

    def group_members(self, group_name: str, *, recursive: bool) -> list[str]:
        """Things directly in a group, or in it and its descendants (each once)."""
        group = self._groups.get(group_name)
        if group is None:
            raise not_found(f"Thing group {group_name} does not exist.")
        return self._flatten(group_name) if recursive else group.things

    # -- internals ----------------------------------------------------------------------------

    def _changed(self) -> None:
        self._flattened.clear()
        self._thing_list = None
        self._groups_of = None

    def _flatten(self, group_name: str) -> list[str]:
        # Group topology changes rarely (seeding, setup); listings page through it often.
        cached = self._flattened.get(group_name)
        if cached is None:
            seen: dict[str, None] = {}
            stack = [group_name]
            while stack:
                group = self._groups[stack.pop()]
                seen.update(dict.fromkeys(group.things))
                stack.extend(reversed(group.children))
            cached = self._flattened[group_name] = list(seen)
        return cached

    def _move(
        self,
        job: Job,
        execution: Execution,
        status: ExecutionStatus,
        now: float,
        *,
        by: int | None = None,
    ) -> None:
        previous = execution.status
        if previous is not status:
            job.counts[previous] -= 1
            job.counts[status] += 1
            execution.status = status
            if status is _IN_PROGRESS and execution.started_at is None:
                execution.started_at = now
            if status in ACTIVE and not execution.pooled:
                self._pool_add(execution)
        execution.version_number += 1
        execution.last_updated_at = now
        execution.changed_by = by
        job.last_updated_at = now
        self._settle_job(job, now)

    def _forget(self, job: Job, execution: Execution) -> None:
        job.counts[execution.status] -= 1
        execution.deleted = True

    def _pool_add(self, execution: Execution) -> None:
        execution.pooled = True
        self._pool.append(execution)

    @staticmethod
    def _settle_job(job: Job, now: float) -> None:
        # A snapshot job completes once no execution is left to run; it reopens if a
        # test puts an execution back to QUEUED. A continuous one runs until canceled.
        if job.target_selection is TargetSelection.CONTINUOUS:
            return
        active = job.counts[_QUEUED] + job.counts[_IN_PROGRESS]
        if job.status is JobStatus.IN_PROGRESS and active == 0 and job.executions:
            job.status = JobStatus.COMPLETED
            job.completed_at = now
        elif job.status is JobStatus.COMPLETED and active > 0:
            job.status = JobStatus.IN_PROGRESS
            job.completed_at = None
