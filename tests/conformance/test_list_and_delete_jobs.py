"""ListJobs and DeleteJob against moto and bulkjobs.sim, as bulkjobs uses them.

Where moto deviates from the API reference the moto case is a strict xfail saying how
(see test_jobs_api.py). moto 5 implements ListJobs as a plain list: it ignores every
filter, accepts any maxResults and status, names a new job's status QUEUED (not in the
JobStatus enum) and hands back the first page for every nextToken. Its DeleteJob
deletes at once, force or not, and answers a missing job with an HTML 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bulkjobs import DeleteJob, FromJobs, Outcome, RunConfig, run_sync
from bulkjobs.sim import ExecutionStatus
from tests.conformance.conftest import Backend, moto_deviates

THINGS = ["lj-a", "lj-b", "lj-c"]
JOB_STATUSES = {"IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED"}


#: The job the simulator's empty fleet holds (a fleet has at least one): not a test's.
PLACEHOLDER = "unused"


def ids(answer: dict[str, Any]) -> list[str]:
    """The listed job IDs, but the simulator's placeholder job."""
    return [s["jobId"] for s in answer["jobs"] if s["jobId"] != PLACEHOLDER]


def finish(backend: Backend, job_id: str, things: list[str]) -> None:
    for thing in things:
        backend.set_status(job_id, thing, ExecutionStatus.SUCCEEDED)


def gone_or_deleting(backend: Backend, job_id: str) -> bool:
    try:
        status = backend.iot.describe_job(jobId=job_id)["job"]["status"]
    except backend.iot.exceptions.ResourceNotFoundException:
        return True
    return bool(status == "DELETION_IN_PROGRESS")


def endpoint(backend: Backend) -> str:
    return str(backend.iot.meta.endpoint_url)


class TestListJobs:
    def test_summaries_name_each_job_with_its_dates(self, backend: Backend) -> None:
        """Every job is listed once with jobId, jobArn, targetSelection and its dates."""
        backend.create_job("lj-1", THINGS[:1])
        backend.create_job("lj-2", THINGS[1:2])
        answer = backend.iot.list_jobs()
        assert sorted(ids(answer)) == ["lj-1", "lj-2"]
        for summary in answer["jobs"]:
            assert summary["jobArn"].endswith(f":job/{summary['jobId']}")
            assert summary["targetSelection"] == "SNAPSHOT"
            assert summary["createdAt"] <= summary["lastUpdatedAt"]

    def test_status_is_a_job_status(self, backend: Backend, request: pytest.FixtureRequest) -> None:
        """A new job with queued executions is IN_PROGRESS."""
        moto_deviates(backend, request, "names a new job's status QUEUED, not a JobStatus")
        backend.create_job("lj-1", THINGS[:1])
        (summary,) = [s for s in backend.iot.list_jobs()["jobs"] if s["jobId"] == "lj-1"]
        assert summary["status"] in JOB_STATUSES and summary["status"] == "IN_PROGRESS"

    def test_pages_cover_every_job_once(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        """maxResults=2 over 5 jobs: pages of at most 2, each job once, then no token."""
        moto_deviates(backend, request, "answers the first page again for every nextToken")
        for n in range(5):
            backend.create_job(f"lj-{n}", THINGS[:1] if n == 0 else [f"lj-t{n}"])
        seen: list[str] = []
        token: str | None = None
        for _ in range(10):
            page = backend.iot.list_jobs(maxResults=2, **({"nextToken": token} if token else {}))
            assert len(page["jobs"]) <= 2
            seen.extend(ids(page))
            token = page.get("nextToken")
            if token is None:
                break
        assert sorted(seen) == [f"lj-{n}" for n in range(5)]

    def test_status_filter(self, backend: Backend, request: pytest.FixtureRequest) -> None:
        """status=COMPLETED lists the finished job only."""
        moto_deviates(backend, request, "ignores the status filter (and never completes a job)")
        backend.create_job("done", THINGS[:1])
        backend.create_job("live", THINGS[1:2])
        finish(backend, "done", THINGS[:1])
        assert ids(backend.iot.list_jobs(status="COMPLETED")) == ["done"]

    def test_thing_group_filters(self, backend: Backend, request: pytest.FixtureRequest) -> None:
        """thingGroupName and targetSelection keep the jobs aimed at the group and of
        that kind."""
        moto_deviates(backend, request, "ignores thingGroupName and targetSelection")
        backend.create_job("direct", THINGS[:1])
        backend.create_group_job("grouped", THINGS[1:2], continuous=True)
        backend.create_group_job("grouped-snap", THINGS[2:3], continuous=False)
        assert ids(backend.iot.list_jobs(thingGroupName="fleet")) == ["grouped", "grouped-snap"]
        assert ids(backend.iot.list_jobs(targetSelection="CONTINUOUS")) == ["grouped"]

    def test_max_results_over_250_is_refused(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        moto_deviates(backend, request, "accepts maxResults above the model's 250")
        with pytest.raises(backend.iot.exceptions.InvalidRequestException):
            backend.iot.list_jobs(maxResults=251)


class TestDeleteJob:
    def test_finished_job_goes(self, backend: Backend) -> None:
        """DeleteJob of a finished job: it is being deleted or already gone."""
        backend.create_job("old", THINGS[:2])
        finish(backend, "old", THINGS[:2])
        backend.iot.delete_job(jobId="old")
        assert gone_or_deleting(backend, "old")

    def test_in_progress_job_needs_force(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        """An IN_PROGRESS job: InvalidStateTransitionException without force."""
        moto_deviates(backend, request, "deletes an IN_PROGRESS job without force")
        backend.create_job("live", THINGS[:1])
        with pytest.raises(backend.iot.exceptions.InvalidStateTransitionException):
            backend.iot.delete_job(jobId="live")

    def test_force_deletes_an_in_progress_job(self, backend: Backend) -> None:
        backend.create_job("live", THINGS[:1])
        backend.iot.delete_job(jobId="live", force=True)
        assert gone_or_deleting(backend, "live")

    def test_missing_job_is_not_found(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        moto_deviates(backend, request, "answers an HTML 500 for a missing job")
        with pytest.raises(backend.iot.exceptions.ResourceNotFoundException):
            backend.iot.delete_job(jobId="no-such-job")


@pytest.fixture
def finished_jobs(backend: Backend) -> Iterator[Backend]:
    """Two finished jobs named old-*, one other."""
    for job_id, thing in (("old-1", "lj-a"), ("old-2", "lj-b"), ("keep", "lj-c")):
        backend.create_job(job_id, [thing])
        finish(backend, job_id, [thing])
    yield backend


def test_bulkjobs_deletes_a_selection(finished_jobs: Backend) -> None:
    """bulkjobs' own ListJobs + DeleteJob + DescribeJob run (FromJobs by ID prefix,
    a filter bulkjobs applies itself): both old-* jobs deleted, the other kept."""
    backend = finished_jobs
    config = RunConfig(endpoint_url=endpoint(backend), region="us-east-1", rate=50)
    report = run_sync(FromJobs(job_id_prefix="old-"), DeleteJob(poll_interval=0.05), config)
    assert report.to_json()["outcomes"] == {Outcome.DELETED.value: 2}
    assert ids(backend.iot.list_jobs()) == ["keep"]


def test_bulkjobs_selects_by_status(finished_jobs: Backend, request: pytest.FixtureRequest) -> None:
    """A status selection is ListJobs' own filter: the live job is not deleted."""
    backend = finished_jobs
    moto_deviates(backend, request, "ignores the status filter: the live job is selected too")
    backend.create_job("live", ["lj-d"])
    config = RunConfig(endpoint_url=endpoint(backend), region="us-east-1", rate=50)
    source = FromJobs(statuses=("COMPLETED",), job_id_prefix="l")
    report = run_sync(source, DeleteJob(poll_interval=0.05), config)
    assert report.to_json()["outcomes"] == {}
    assert "live" in ids(backend.iot.list_jobs())
