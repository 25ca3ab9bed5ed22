"""The paginated listings (and SearchIndex's pages), and their opaque tokens.

A token records where the next page starts in a stable order (the job's thing list,
the job creation order, the group's member list) and which request it belongs to; a
token from another listing, job, filter or from nowhere is an InvalidRequestException.
Positions survive deletions (deleted executions are skipped, not shifted), so a client
deleting while it pages never skips an execution; one whose status changes mid-listing
may be seen twice or not at all under a status filter, as with any live listing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from bulkjobs.sim._errors import invalid_request, not_found
from bulkjobs.sim._model import Execution, ExecutionStatus, Job, JobStatus, Page, TargetSelection
from bulkjobs.sim._search import Document, parse_query
from bulkjobs.sim._state import FleetState


def encode_token(kind: str, scope: str, position: int) -> str:
    """An opaque pagination token bound to the listing (kind + scope) it came from."""
    raw = f"{kind}\x1f{scope}\x1f{position}".encode()
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, kind: str, scope: str) -> int:
    """The position a token resumes at; InvalidRequest when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        token_kind, token_scope, position = raw.split("\x1f")
        number = int(position)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_request("The pagination token is invalid.") from None
    if token_kind != kind or token_scope != scope or number < 0:
        raise invalid_request("The pagination token does not belong to this request.")
    return number


def executions_for_job(
    state: FleetState,
    job_id: str,
    *,
    status: ExecutionStatus | None,
    max_results: int,
    next_token: str | None,
) -> Page[Execution]:
    """ListJobExecutionsForJob: the job's executions in thing order."""
    job = state.job(job_id)
    scope = f"{job_id}/{status or ''}"
    start = 0 if next_token is None else decode_token(next_token, "job", scope)
    order, executions = job.order, job.executions
    items: list[Execution] = []
    index, end = start, len(order)
    while index < end and len(items) < max_results:
        execution = executions.get(order[index])
        index += 1
        if execution is not None and (status is None or execution.status is status):
            items.append(execution)
    token = encode_token("job", scope, index) if index < end else None
    return Page(items=tuple(items), next_token=token)


def executions_for_thing(
    state: FleetState,
    thing_name: str,
    *,
    status: ExecutionStatus | None,
    job_id: str | None,
    max_results: int,
    next_token: str | None,
) -> Page[Execution]:
    """ListJobExecutionsForThing: the thing's executions in job creation order."""
    if not state.has_thing(thing_name):
        raise not_found(f"Thing {thing_name} does not exist.")
    scope = f"{thing_name}/{status or ''}/{job_id or ''}"
    start = 0 if next_token is None else decode_token(next_token, "thing", scope)
    job_ids = state.job_ids() if job_id is None else [job_id]
    items: list[Execution] = []
    index, end = start, len(job_ids)
    while index < end and len(items) < max_results:
        job = state.find_job(job_ids[index])
        index += 1
        execution = None if job is None else job.executions.get(thing_name)
        if execution is not None and (status is None or execution.status is status):
            items.append(execution)
    token = encode_token("thing", scope, index) if index < end else None
    return Page(items=tuple(items), next_token=token)


def things_in_group(
    state: FleetState,
    group_name: str,
    *,
    recursive: bool,
    max_results: int,
    next_token: str | None,
) -> Page[str]:
    """ListThingsInThingGroup: direct members, or every member of the subtree."""
    members = state.group_members(group_name, recursive=recursive)
    scope = f"{group_name}/{recursive}"
    start = 0 if next_token is None else decode_token(next_token, "group", scope)
    end = min(start + max_results, len(members))
    token = encode_token("group", scope, end) if end < len(members) else None
    return Page(items=tuple(members[start:end]), next_token=token)


def jobs(
    state: FleetState,
    *,
    status: JobStatus | None,
    target_selection: TargetSelection | None,
    thing_group_name: str | None,
    thing_group_id: str | None,
    namespace_id: str | None,
    max_results: int,
    next_token: str | None,
) -> Page[Job]:
    """ListJobs: the jobs matching every filter given, in creation order.

    A job DELETION_IN_PROGRESS is listed until its deletion ends. The token holds the
    creation serial of the next job, so jobs deleted meanwhile shift nothing. A thing
    group filter names a group that must exist (ResourceNotFoundException, the one
    "not found" ListJobs' model declares); it selects the jobs that target the group
    itself, not those targeting a parent or child group.
    """
    group_arn: str | None = None
    if thing_group_name is not None:
        group = state.find_group(thing_group_name)
        if group is None:
            raise not_found(f"Thing group {thing_group_name} does not exist.")
        group_arn = state.group_arn(group.name)
    if thing_group_id is not None:
        by_id = state.find_group_by_id(thing_group_id)
        if by_id is None:
            raise not_found(f"Thing group with id {thing_group_id} does not exist.")
        by_id_arn = state.group_arn(by_id.name)
        if group_arn is not None and by_id_arn != group_arn:
            return Page(items=(), next_token=None)
        group_arn = by_id_arn
    scope = "/".join(
        (
            status or "",
            target_selection or "",
            thing_group_name or "",
            thing_group_id or "",
            namespace_id or "",
        )
    )
    start = 0 if next_token is None else decode_token(next_token, "jobs", scope)
    items: list[Job] = []
    resume_at: int | None = None
    for job in state.jobs():
        if job.serial < start:
            continue
        if len(items) == max_results:
            resume_at = job.serial
            break
        if status is not None and job.status is not status:
            continue
        if target_selection is not None and job.target_selection is not target_selection:
            continue
        if namespace_id is not None and job.namespace_id != namespace_id:
            continue
        if group_arn is not None and group_arn not in job.targets:
            continue
        items.append(job)
    token = None if resume_at is None else encode_token("jobs", scope, resume_at)
    return Page(items=tuple(items), next_token=token)


def search_things(
    state: FleetState,
    query: str,
    *,
    max_results: int,
    next_token: str | None,
) -> Page[str]:
    """SearchIndex over the thing index: the things ``query`` matches, in registration
    order. The token records where the scan stopped, bound to the query's text."""
    predicate = parse_query(query)
    scope = hashlib.sha256(query.encode()).hexdigest()[:32]
    start = 0 if next_token is None else decode_token(next_token, "search", scope)
    names = state.thing_names()
    found: list[str] = []
    index, end = start, len(names)
    while index < end and len(found) < max_results:
        name = names[index]
        index += 1
        profile = state.profile(name)
        document = Document(name, state.groups_of(name), profile.attributes, profile.connected)
        if predicate(document):
            found.append(name)
    token = encode_token("search", scope, index) if index < end else None
    return Page(items=tuple(found), next_token=token)
