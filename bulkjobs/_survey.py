"""Sizing jobs before a run: one DescribeJob per job, each answer or why there is none.

A confirmation prompt or a pipeline's pre-flight check wants to know what a run would
touch before anything is sent; DescribeJob's counters say it in one read call a job.
Nothing here mutates, and nothing is retried: a job that does not answer in time is
reported as uncounted rather than holding the caller up.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio

from bulkjobs._client import CallError, Clients
from bulkjobs._config import RunConfig
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ApiError
from bulkjobs._jobstatus import JobCounts
from bulkjobs._plan import SelectedJob
from bulkjobs._selectors import FromJobs

__all__ = ["JobSelection", "JobSurvey", "describe_jobs", "select_jobs"]


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
    ``describe`` jobs found, within ``within`` seconds in all; read calls only, none
    retried (a refusal is reported in ``error``, as the run would meet it)."""
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
                found = [SelectedJob(job=job, counts=None) for job in jobs]
                for n, job in enumerate(jobs[:describe]):
                    answer = await caller("DescribeJob", {"jobId": job.job_id})
                    found[n] = SelectedJob(
                        job=job, counts=JobCounts.from_describe(job.job_id, answer)
                    )
            except ApiError as exc:
                if not found:
                    error = str(exc)
        if scope.cancelled_caught and not found:
            error = f"ListJobs did not finish within {within:g} s"
    described = sum(1 for job in found if job.counts is not None)
    return JobSelection(
        destination=destination, jobs=tuple(found), described=described, error=error
    )
