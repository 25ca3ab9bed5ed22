"""Sizing jobs before a run: one DescribeJob per job, each answer or why there is none.

A confirmation prompt or a pipeline's pre-flight check wants to know what a run would
touch before anything is sent; DescribeJob's counters say it in one read call a job.
Nothing here mutates, and nothing is retried: a job that does not answer in time is
reported as uncounted rather than holding the caller up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import anyio

from bulkjobs._client import CallError, Clients
from bulkjobs._config import RunConfig
from bulkjobs._destination import Destination
from bulkjobs._jobstatus import JobCounts

__all__ = ["JobSurvey", "describe_jobs"]


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
