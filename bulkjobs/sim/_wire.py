"""JSON shapes of the IoT REST-JSON protocol: request bodies in, response documents out.

Member names and nesting follow the service model's output shapes. Timestamps are epoch
seconds as JSON numbers, which is what botocore's rest-json parser expects (it turns them
into timezone-aware datetimes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from bulkjobs.sim._errors import invalid_request
from bulkjobs.sim._model import Execution, ExecutionStatus, Job
from bulkjobs.sim._state import FleetState

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Arns:
    """ARNs as the region a request was signed for names them: one simulator serves
    every region a client asks, and an ARN names the region it lives in."""

    account_id: str
    region: str

    def thing(self, thing_name: str) -> str:
        return f"arn:aws:iot:{self.region}:{self.account_id}:thing/{thing_name}"

    def job(self, job_id: str) -> str:
        return f"arn:aws:iot:{self.region}:{self.account_id}:job/{job_id}"

    def rehome(self, arn: str) -> str:
        """``arn`` (stored in the seeding region) in this region."""
        parts = arn.split(":", 4)
        if len(parts) < 5:
            return arn
        parts[3] = self.region
        return ":".join(parts)


def timestamp(value: float) -> float:
    # Millisecond precision, as AWS sends it.
    return round(value, 3)


def request_document(body: bytes) -> dict[str, object]:
    """The JSON object of a request body; botocore sends ``{}`` or nothing when empty."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise invalid_request("Could not parse the request body as JSON.") from None
    if not isinstance(value, dict):
        raise invalid_request("The request body must be a JSON object.")
    return value


def execution_summary(execution: Execution) -> Document:
    """A ``JobExecutionSummary``."""
    summary: Document = {
        "status": execution.status.value,
        "queuedAt": timestamp(execution.queued_at),
        "lastUpdatedAt": timestamp(execution.last_updated_at),
        "executionNumber": execution.execution_number,
    }
    if execution.started_at is not None:
        summary["startedAt"] = timestamp(execution.started_at)
    return summary


def job_execution(arns: Arns, execution: Execution) -> Document:
    """A ``JobExecution`` as DescribeJobExecution returns it."""
    document: Document = {
        "jobId": execution.job_id,
        "status": execution.status.value,
        "forceCanceled": execution.force_canceled,
        "statusDetails": {"detailsMap": dict(execution.status_details or {})},
        "thingArn": arns.thing(execution.thing_name),
        "queuedAt": timestamp(execution.queued_at),
        "lastUpdatedAt": timestamp(execution.last_updated_at),
        "executionNumber": execution.execution_number,
        "versionNumber": execution.version_number,
    }
    if execution.started_at is not None:
        document["startedAt"] = timestamp(execution.started_at)
    return document


_PROCESS_DETAIL_NAMES = {
    ExecutionStatus.CANCELED: "numberOfCanceledThings",
    ExecutionStatus.SUCCEEDED: "numberOfSucceededThings",
    ExecutionStatus.FAILED: "numberOfFailedThings",
    ExecutionStatus.REJECTED: "numberOfRejectedThings",
    ExecutionStatus.QUEUED: "numberOfQueuedThings",
    ExecutionStatus.IN_PROGRESS: "numberOfInProgressThings",
    ExecutionStatus.REMOVED: "numberOfRemovedThings",
    ExecutionStatus.TIMED_OUT: "numberOfTimedOutThings",
}


def job(job: Job, arns: Arns) -> Document:
    """A ``Job`` as DescribeJob returns it, with per-status counts."""
    document: Document = {
        "jobArn": arns.job(job.job_id),
        "jobId": job.job_id,
        "targetSelection": job.target_selection.value,
        "status": job.status.value,
        "forceCanceled": job.force_canceled,
        "targets": [arns.rehome(arn) for arn in job.targets],
        "description": job.description,
        "createdAt": timestamp(job.created_at),
        "lastUpdatedAt": timestamp(job.last_updated_at),
        "jobProcessDetails": {
            name: job.counts[status] for status, name in _PROCESS_DETAIL_NAMES.items()
        },
        "isConcurrent": False,
    }
    if job.completed_at is not None:
        document["completedAt"] = timestamp(job.completed_at)
    if job.reason_code is not None:
        document["reasonCode"] = job.reason_code
    if job.comment is not None:
        document["comment"] = job.comment
    return {"job": document}


def job_summary(job: Job, arns: Arns, thing_group_id: str | None) -> Document:
    """A ``JobSummary`` as ListJobs returns it (``thingGroupId``: the group it targets)."""
    summary: Document = {
        "jobArn": arns.job(job.job_id),
        "jobId": job.job_id,
        "targetSelection": job.target_selection.value,
        "status": job.status.value,
        "createdAt": timestamp(job.created_at),
        "lastUpdatedAt": timestamp(job.last_updated_at),
        "isConcurrent": False,
    }
    if thing_group_id is not None:
        summary["thingGroupId"] = thing_group_id
    if job.completed_at is not None:
        summary["completedAt"] = timestamp(job.completed_at)
    return summary


def cancel_job_result(job: Job, arns: Arns) -> Document:
    return {"jobArn": arns.job(job.job_id), "jobId": job.job_id, "description": job.description}


def page(key: str, items: list[Any], next_token: str | None) -> Document:
    document: Document = {key: items}
    if next_token is not None:
        document["nextToken"] = next_token
    return document


def encode(document: Document | None) -> bytes:
    # CancelJobExecution and DeleteJobExecution answer 200 with an empty body, as the
    # API reference specifies ("If the action is successful, the service sends back an
    # HTTP 200 response with an empty HTTP body").
    if document is None:
        return b""
    return json.dumps(document, separators=(",", ":")).encode()


def thing_document(state: FleetState, thing_name: str, arns: Arns) -> Document:
    """A ``ThingDocument`` as SearchIndex returns it (registry and connectivity data)."""
    profile = state.profile(thing_name)
    # A stable id per thing, shaped like the UUIDs AWS hands out.
    digest = hashlib.sha256(f"{arns.account_id}/{thing_name}".encode()).hexdigest()
    return {
        "thingName": thing_name,
        "thingId": f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}",
        "thingGroupNames": list(state.groups_of(thing_name)),
        "attributes": dict(profile.attributes),
        "connectivity": {"connected": profile.connected},
    }
