"""Sizing jobs before a run: one DescribeJob per job, each answer or why there is none.

A confirmation prompt or a pipeline's pre-flight check wants to know what a run would
touch before anything is sent; DescribeJob's counters say it in one read call a job.
Nothing here mutates: a job that does not answer in time is reported as uncounted
rather than holding the caller up.

:func:`describe_jobs` asks the run's one destination with a plain client.
:func:`select_jobs` lists a :class:`~bulkjobs.FromJobs` selection there and counts
the jobs it finds. :func:`describe_jobs_in` asks every destination of a run over many accounts and
regions, concurrently, through a caller the run provides (its credentials per account,
its rate controllers per destination), so the counts come back per account and region.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

import anyio

from bulkjobs._caller import ApiCaller
from bulkjobs._client import CallError, Clients
from bulkjobs._config import RunConfig
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ApiError, RunInterrupted
from bulkjobs._jobstatus import JobCounts
from bulkjobs._plan import SelectedJob
from bulkjobs._selectors import FromJobs

__all__ = [
    "DestinationJobs",
    "JobSelection",
    "JobSurvey",
    "describe_jobs",
    "describe_jobs_in",
    "select_jobs",
]

#: DescribeJob calls in flight at once across destinations, by default.
DESCRIBE_CONCURRENCY: Final = 8


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSurvey:
    """What DescribeJob said of each job asked about."""

    #: Where the calls went (the run's default destination, resolved).
    destination: Destination
    jobs: tuple[JobCounts, ...]
    #: (jobId, why) for each job that could not be counted.
    uncounted: tuple[tuple[str, str], ...]


async def describe_jobs(
    job_ids: Sequence[str], config: RunConfig, *, per_job: float = 5.0
) -> JobSurvey:
    """DescribeJob for each of ``job_ids`` at ``config``'s default destination, each
    given at most ``per_job`` seconds."""
    clients = Clients(config)
    destination = clients.default_destination
    jobs: list[JobCounts] = []
    uncounted: list[tuple[str, str]] = []
    async with clients:
        for job_id in job_ids:
            with anyio.move_on_after(per_job) as scope:
                try:
                    response = await clients.call(
                        "DescribeJob", {"jobId": job_id}, destination=destination
                    )
                    jobs.append(JobCounts.from_describe(job_id, response))
                except CallError as exc:
                    failure = exc.failure
                    uncounted.append((job_id, f"DescribeJob: {failure.code} {failure.message}"))
            if scope.cancelled_caught:
                uncounted.append((job_id, "DescribeJob did not answer in time"))
    return JobSurvey(destination=destination, jobs=tuple(jobs), uncounted=tuple(uncounted))


@dataclass(frozen=True, slots=True, kw_only=True)
class DestinationJobs:
    """What DescribeJob said of each job in one destination."""

    destination: Destination
    jobs: tuple[JobCounts, ...] = ()
    #: Jobs DescribeJob says do not exist there (ResourceNotFoundException): nothing
    #: of them to change in that destination.
    missing: tuple[str, ...] = ()
    #: (jobId, why) for each job that could not be counted there.
    uncounted: tuple[tuple[str, str], ...] = ()

    def of(self, job_id: str) -> JobCounts | None:
        return next((job for job in self.jobs if job.job_id == job_id), None)

    def size(self, job_id: str, statuses: Sequence[str]) -> int | None:
        """Executions of ``job_id`` in ``statuses`` here: 0 if the job does not exist
        here, None if it could not be counted."""
        if job_id in self.missing:
            return 0
        job = self.of(job_id)
        return None if job is None else job.of(statuses)


async def describe_jobs_in(
    call: ApiCaller,
    job_ids: Sequence[str],
    destinations: Sequence[Destination],
    *,
    at_most: float = 15.0,
    concurrency: int = DESCRIBE_CONCURRENCY,
) -> tuple[DestinationJobs, ...]:
    """DescribeJob for each of ``job_ids`` in each of ``destinations`` (resolved),
    ``concurrency`` calls at a time through ``call``; whatever has not answered after
    ``at_most`` seconds is uncounted. One :class:`DestinationJobs` per destination, in
    the order given."""
    answers: dict[tuple[Destination, str], JobCounts | str | None] = {
        (d, job_id): None for d in destinations for job_id in job_ids
    }
    missing: set[tuple[Destination, str]] = set()
    limiter = anyio.CapacityLimiter(max(1, concurrency))

    async def describe(destination: Destination, job_id: str) -> None:
        async with limiter:
            try:
                response = await call("DescribeJob", {"jobId": job_id}, destination=destination)
            except ApiError as exc:
                if exc.code == "ResourceNotFoundException":
                    missing.add((destination, job_id))
                answers[destination, job_id] = str(exc)
                return
            except RunInterrupted as exc:
                answers[destination, job_id] = str(exc)
                return
            answers[destination, job_id] = JobCounts.from_describe(job_id, response)

    with anyio.move_on_after(at_most):
        async with anyio.create_task_group() as tg:
            for destination, job_id in answers:
                tg.start_soon(describe, destination, job_id)
    found: list[DestinationJobs] = []
    for destination in destinations:
        jobs: list[JobCounts] = []
        gone: list[str] = []
        uncounted: list[tuple[str, str]] = []
        for job_id in job_ids:
            answer = answers[destination, job_id]
            if isinstance(answer, JobCounts):
                jobs.append(answer)
            elif (destination, job_id) in missing:
                gone.append(job_id)
            else:
                uncounted.append((job_id, answer or "DescribeJob did not answer in time"))
        found.append(
            DestinationJobs(
                destination=destination,
                jobs=tuple(jobs),
                missing=tuple(gone),
                uncounted=tuple(uncounted),
            )
        )
    return tuple(found)


@dataclass(frozen=True, slots=True, kw_only=True)
class JobSelection:
    """What a :class:`~bulkjobs.FromJobs` selection finds now, before a run."""

    destination: Destination
    #: Every job selected, the first ``described`` of them with DescribeJob's counts.
    jobs: tuple[SelectedJob, ...]
    described: int
    #: Why the selection could not be listed (then ``jobs`` is empty).
    error: str | None = None

    @property
    def all_counted(self) -> bool:
        return self.error is None and all(job.counts is not None for job in self.jobs)


async def select_jobs(
    selection: FromJobs, config: RunConfig, *, describe: int = 10, within: float = 30.0
) -> JobSelection:
    """List ``selection`` at ``config``'s default destination and DescribeJob the first
    ``describe`` jobs found, within ``within`` seconds in all. Read calls only, none
    retried: a refused listing is reported in ``error``, as the run would meet it; a
    job that cannot be described is left uncounted."""
    clients = Clients(config)
    destination = clients.default_destination

    async def caller(
        api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        try:
            return await clients.call(api, params, destination=clients.default_destination)
        except CallError as exc:
            failure = exc.failure
            raise ApiError(
                api=api, code=failure.code, message=failure.message, http_status=None
            ) from exc

    found: list[SelectedJob] = []
    error: str | None = None
    async with clients:
        with anyio.move_on_after(within) as scope:
            try:
                jobs = await replace(selection, destination=None).select(caller)
            except ApiError as exc:
                error, jobs = str(exc), []
            found = [SelectedJob(job=job, counts=None) for job in jobs]
            for n, selected in enumerate(found[:describe]):
                job_id = selected.job.job_id
                try:
                    answer = await caller("DescribeJob", {"jobId": job_id})
                except ApiError:
                    continue  # gone meanwhile, or refused: shown as not counted
                found[n] = SelectedJob(
                    job=selected.job, counts=JobCounts.from_describe(job_id, answer)
                )
        if scope.cancelled_caught and not found:
            error = f"ListJobs did not finish within {within:g} s"
    described = sum(1 for job in found if job.counts is not None)
    return JobSelection(
        destination=destination, jobs=tuple(found), described=described, error=error
    )
