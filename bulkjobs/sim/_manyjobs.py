"""Many seeded jobs of every kind, for rehearsing selections over ListJobs.

A fleet's named jobs all target every thing and are all alike; the jobs made here are
not: each is IN_PROGRESS, COMPLETED or CANCELED (about 1 : 2 : 1), targets a thing
group or a few things directly, is SNAPSHOT or (targeting a group, one in five)
CONTINUOUS, and has its dates spread over the fleet's ``max_age_days``. A finished
job's end (``completedAt``, or a canceled job's last update) is spread evenly over the
span, so "older than 30 days" selects about the share of the span older than 30 days.
Each job has ``job_executions`` executions whose statuses agree with the job's: a
COMPLETED job's are all terminal, an IN_PROGRESS one keeps at least one QUEUED or
IN_PROGRESS, a CANCELED one's were canceled or had finished before.

Drawn from their own seeded generator, so adding jobs leaves the rest of the fleet as
it was.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from bulkjobs.sim._model import Execution, ExecutionStatus, JobStatus, TargetSelection
from bulkjobs.sim._state import FleetState

__all__ = ["seed_jobs"]

_DAY = 86_400.0
_S = ExecutionStatus
_FINISHED = (_S.SUCCEEDED, _S.SUCCEEDED, _S.SUCCEEDED, _S.FAILED, _S.TIMED_OUT, _S.REJECTED)


def seed_jobs(
    state: FleetState,
    *,
    count: int,
    executions: int,
    names: Sequence[str],
    groups: Sequence[str],
    job_prefix: str,
    max_age_days: float,
    seed: int,
    now: float,
) -> None:
    """Add ``count`` jobs ``f"{job_prefix}{i:05d}"`` to ``state`` (see the module)."""
    rng = random.Random(f"jobs/{seed}")
    span = max_age_days * _DAY
    oldest = now - span
    drafts = []
    for index in range(1, count + 1):
        draw = rng.random()
        status = (
            JobStatus.IN_PROGRESS
            if draw < 0.25
            else JobStatus.CANCELED
            if draw < 0.5
            else JobStatus.COMPLETED
        )
        if status is JobStatus.IN_PROGRESS:
            created = now - rng.random() * span
            ended = None
        else:
            ended = now - rng.random() * span
            created = ended - rng.random() * (ended - oldest)
        drafts.append((created, index, status, ended))
    # Created in date order, as an account's jobs are: ListJobs pages in creation order.
    drafts.sort()
    for created, index, status, ended in drafts:
        job_id = f"{job_prefix}{index:05d}"
        group = groups[rng.randrange(len(groups))] if groups and rng.random() < 0.5 else None
        chosen = sorted(rng.sample(range(len(names)), min(executions, len(names))))
        things = [names[i] for i in chosen]
        if group is not None:
            targets: tuple[str, ...] = (state.group_arn(group),)
            selection = (
                TargetSelection.CONTINUOUS if rng.random() < 0.2 else TargetSelection.SNAPSHOT
            )
        else:
            targets = tuple(state.thing_arn(name) for name in things)
            selection = TargetSelection.SNAPSHOT
        job = state.add_job(
            job_id,
            now=created,
            description=f"Simulated {status.lower()} job {job_id}",
            targets=targets,
            target_selection=selection,
        )
        last = ended if ended is not None else now
        active_left = status is JobStatus.IN_PROGRESS
        for position, name in enumerate(things):
            queued = created
            updated = created + rng.random() * (last - created)
            started: float | None = queued + rng.random() * (updated - queued)
            if status is JobStatus.COMPLETED:
                execution_status = _FINISHED[rng.randrange(len(_FINISHED))]
            elif status is JobStatus.CANCELED:
                execution_status = _S.CANCELED if rng.random() < 0.7 else _S.SUCCEEDED
            else:
                must_run = active_left and position == len(things) - 1
                draw = rng.random()
                if must_run or draw < 0.6:
                    execution_status = _S.QUEUED if rng.random() < 0.5 else _S.IN_PROGRESS
                    active_left = False
                else:
                    execution_status = _S.SUCCEEDED
            if execution_status is _S.QUEUED:
                started, updated = None, queued
            state.install(
                job,
                Execution(
                    job_id=job_id,
                    thing_name=name,
                    status=execution_status,
                    execution_number=1,
                    version_number=1 if execution_status is _S.QUEUED else 3,
                    queued_at=queued,
                    started_at=started,
                    last_updated_at=updated,
                ),
            )
        # The job's own status and dates are drawn, not implied by its executions.
        job.status = status
        job.completed_at = ended if status is JobStatus.COMPLETED else None
        job.last_updated_at = last
