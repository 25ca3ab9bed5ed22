"""The same Jobs API behaviours against moto and bulkjobs.sim.

Where both follow the API reference, one assertion covers both. Where moto deviates (it
implements these operations shallowly), the moto case is a strict xfail naming the
deviation, or a branch asserting moto's actual behaviour; in every such case the
simulator's answer is the one the API reference describes. If moto ever changes, the
strict xfails turn red and this file needs a look.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from bulkjobs.sim import ExecutionStatus
from tests.conformance.conftest import Backend, moto_deviates

THINGS = ["conf-a", "conf-b", "conf-c", "conf-d", "conf-e"]


def describe(backend: Backend, job_id: str, thing: str) -> dict[str, Any]:
    """The ``execution`` member of DescribeJobExecution."""
    execution: dict[str, Any] = backend.iot.describe_job_execution(jobId=job_id, thingName=thing)[
        "execution"
    ]
    return execution


class TestDescribeJobExecution:
    def test_shape(self, backend: Backend) -> None:
        """A QUEUED execution carries the model's members, with the right types."""
        backend.create_job("shape", THINGS[:1])
        execution = describe(backend, "shape", "conf-a")
        assert execution["jobId"] == "shape"
        assert execution["status"] == "QUEUED"
        assert execution["thingArn"] == backend.thing_arn("conf-a")
        assert isinstance(execution["executionNumber"], int)
        assert isinstance(execution["versionNumber"], int)
        assert isinstance(execution["queuedAt"], dt.datetime)
        assert isinstance(execution["lastUpdatedAt"], dt.datetime)
        if backend.name == "moto":
            # moto fixes both numbers at 123; real executions count from 1.
            assert (execution["executionNumber"], execution["versionNumber"]) == (123, 123)
        else:
            assert (execution["executionNumber"], execution["versionNumber"]) == (1, 1)

    def test_missing_execution_is_not_found(self, backend: Backend) -> None:
        """An unknown thing's execution: ResourceNotFoundException (404)."""
        backend.create_job("missing", THINGS[:1])
        with pytest.raises(backend.iot.exceptions.ResourceNotFoundException):
            describe(backend, "missing", "no-such-thing")

    def test_missing_job_is_not_found(self, backend: Backend) -> None:
        """DescribeJob on an unknown job: ResourceNotFoundException (404)."""
        with pytest.raises(backend.iot.exceptions.ResourceNotFoundException) as excinfo:
            backend.iot.describe_job(jobId="no-such-job")
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


class TestCancelJobExecution:
    def test_queued_becomes_canceled(self, backend: Backend) -> None:
        """Canceling a QUEUED execution makes it CANCELED."""
        backend.create_job("cancel", THINGS[:1])
        backend.iot.cancel_job_execution(jobId="cancel", thingName="conf-a")
        assert describe(backend, "cancel", "conf-a")["status"] == "CANCELED"

    def test_in_progress_needs_force(self, backend: Backend) -> None:
        """IN_PROGRESS: InvalidStateTransitionException without force; canceled with it."""
        backend.create_job("inprog", THINGS[:1])
        backend.set_status("inprog", "conf-a", ExecutionStatus.IN_PROGRESS)
        with pytest.raises(backend.iot.exceptions.InvalidStateTransitionException) as excinfo:
            backend.iot.cancel_job_execution(jobId="inprog", thingName="conf-a")
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
        backend.iot.cancel_job_execution(jobId="inprog", thingName="conf-a", force=True)
        assert describe(backend, "inprog", "conf-a")["status"] == "CANCELED"

    def test_terminal_is_an_invalid_transition(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        """A SUCCEEDED execution cannot be canceled (only QUEUED / IN_PROGRESS can)."""
        moto_deviates(backend, request, "cancels terminal executions")
        backend.create_job("terminal", THINGS[:1])
        backend.set_status("terminal", "conf-a", ExecutionStatus.SUCCEEDED)
        with pytest.raises(backend.iot.exceptions.InvalidStateTransitionException):
            backend.iot.cancel_job_execution(jobId="terminal", thingName="conf-a")

    def test_stale_expected_version_conflicts(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        """An expectedVersion other than the current one: VersionConflictException (409)."""
        moto_deviates(backend, request, "ignores expectedVersion")
        backend.create_job("version", THINGS[:1])
        current = describe(backend, "version", "conf-a")["versionNumber"]
        with pytest.raises(backend.iot.exceptions.VersionConflictException):
            backend.iot.cancel_job_execution(
                jobId="version", thingName="conf-a", expectedVersion=current + 1
            )

    def test_version_grows_with_each_change(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        """Each update of an execution increments its versionNumber."""
        moto_deviates(backend, request, "versionNumber is fixed at 123")
        backend.create_job("bump", THINGS[:1])
        before = describe(backend, "bump", "conf-a")["versionNumber"]
        backend.iot.cancel_job_execution(jobId="bump", thingName="conf-a")
        assert describe(backend, "bump", "conf-a")["versionNumber"] == before + 1

    def test_missing_execution_is_not_found(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        """Canceling an execution that does not exist: ResourceNotFoundException."""
        moto_deviates(backend, request, "answers an HTML 500 for a missing execution")
        backend.create_job("ghost", THINGS[:1])
        with pytest.raises(backend.iot.exceptions.ResourceNotFoundException):
            backend.iot.cancel_job_execution(jobId="ghost", thingName="no-such-thing")


class TestDeleteJobExecution:
    def test_terminal_execution_is_deleted(self, backend: Backend) -> None:
        """A terminal execution deleted by its executionNumber is gone afterwards."""
        backend.create_job("delete", THINGS[:1])
        backend.set_status("delete", "conf-a", ExecutionStatus.SUCCEEDED)
        number = describe(backend, "delete", "conf-a")["executionNumber"]
        backend.iot.delete_job_execution(jobId="delete", thingName="conf-a", executionNumber=number)
        with pytest.raises(backend.iot.exceptions.ResourceNotFoundException):
            describe(backend, "delete", "conf-a")

    def test_wrong_execution_number_is_not_found(self, backend: Backend) -> None:
        """Deleting with another executionNumber: ResourceNotFoundException."""
        backend.create_job("wrongnum", THINGS[:1])
        backend.set_status("wrongnum", "conf-a", ExecutionStatus.FAILED)
        number = describe(backend, "wrongnum", "conf-a")["executionNumber"]
        with pytest.raises(backend.iot.exceptions.ResourceNotFoundException):
            backend.iot.delete_job_execution(
                jobId="wrongnum",
                thingName="conf-a",
                executionNumber=number + 1,
            )

    def test_queued_needs_force(self, backend: Backend, request: pytest.FixtureRequest) -> None:
        """Without force only terminal executions can be deleted."""
        moto_deviates(backend, request, "deletes QUEUED executions without force")
        backend.create_job("queued", THINGS[:1])
        number = describe(backend, "queued", "conf-a")["executionNumber"]
        with pytest.raises(backend.iot.exceptions.InvalidStateTransitionException):
            backend.iot.delete_job_execution(
                jobId="queued", thingName="conf-a", executionNumber=number
            )


class TestListJobExecutionsForJob:
    def test_pages_and_shapes(self, backend: Backend) -> None:
        """maxResults=2 over five executions: three pages, each thing once, summary members."""
        backend.create_job("pages", THINGS)
        seen: list[str] = []
        token: str | None = None
        pages = 0
        while True:
            kwargs = {"nextToken": token} if token else {}
            answer = backend.iot.list_job_executions_for_job(jobId="pages", maxResults=2, **kwargs)
            pages += 1
            for item in answer["executionSummaries"]:
                seen.append(item["thingArn"])
                summary = item["jobExecutionSummary"]
                assert summary["status"] == "QUEUED"
                assert isinstance(summary["executionNumber"], int)
                assert isinstance(summary["queuedAt"], dt.datetime)
            token = answer.get("nextToken")
            if not token:
                break
        assert pages == 3
        assert sorted(seen) == sorted(backend.thing_arn(thing) for thing in THINGS)

    def test_status_filter(self, backend: Backend) -> None:
        """status=CANCELED lists only the canceled executions."""
        backend.create_job("filter", THINGS[:3])
        backend.iot.cancel_job_execution(jobId="filter", thingName="conf-b")
        answer = backend.iot.list_job_executions_for_job(jobId="filter", status="CANCELED")
        assert [s["thingArn"] for s in answer["executionSummaries"]] == [
            backend.thing_arn("conf-b")
        ]


def test_list_for_thing_shape(backend: Backend) -> None:
    """ListJobExecutionsForThing names the job and summarizes its execution."""
    backend.create_job("perthing", THINGS[:1])
    answer = backend.iot.list_job_executions_for_thing(thingName="conf-a")
    [item] = answer["executionSummaries"]
    assert item["jobId"] == "perthing"
    assert item["jobExecutionSummary"]["status"] == "QUEUED"


class TestCancelJob:
    def test_job_turns_canceled(self, backend: Backend) -> None:
        """CancelJob answers jobId/jobArn; DescribeJob then shows status CANCELED."""
        backend.create_job("stopjob", THINGS[:3])
        answer = backend.iot.cancel_job(jobId="stopjob", reasonCode="BAD_FW", comment="halt")
        assert answer["jobId"] == "stopjob"
        assert answer["jobArn"].endswith(":job/stopjob")
        job = backend.iot.describe_job(jobId="stopjob")["job"]
        assert (job["status"], job["reasonCode"], job["comment"]) == ("CANCELED", "BAD_FW", "halt")

    def test_missing_job_is_not_found(
        self, backend: Backend, request: pytest.FixtureRequest
    ) -> None:
        """CancelJob on an unknown job: ResourceNotFoundException."""
        moto_deviates(backend, request, "answers an HTML 500 for a missing job")
        with pytest.raises(backend.iot.exceptions.ResourceNotFoundException):
            backend.iot.cancel_job(jobId="no-such-job")

    def test_queued_executions_are_canceled(self, backend: Backend) -> None:
        """The job's QUEUED executions end CANCELED (the reference: 'only QUEUED are canceled')."""
        backend.create_job("stopall", THINGS[:3])
        backend.iot.cancel_job(jobId="stopall")
        backend.settle_cancel_job("stopall")
        statuses = {describe(backend, "stopall", thing)["status"] for thing in THINGS[:3]}
        if backend.name == "moto":
            # moto flips the job only; its executions stay QUEUED. The simulator follows
            # the API reference and cancels them (in the background, as AWS does).
            assert statuses == {"QUEUED"}
        else:
            assert statuses == {"CANCELED"}
