"""Targets discovered through the API: a job's executions, a thing group, one thing.

Each source is a plain function that validates its arguments at once (so a bad
``--job-id`` fails before the run starts) and returns an async iterator that pages
lazily: one page of at most 250 summaries is held at a time, and the next page is
requested only when the consumer has taken the previous one, so the engine's
backpressure reaches the listing calls too.

Calls go through an :class:`ApiCaller`, which applies the run's rate limit and retry
policy and raises :class:`ApiError` once retries are spent; that error propagates.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from bulkjobs._caller import ApiCaller
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ApiError, InvalidInputError, ValidationIssue
from bulkjobs._models import Target
from bulkjobs._validation import (
    INDEX_NAME,
    JOB_ID,
    QUERY_STRING,
    THING_GROUP_NAME,
    THING_NAME,
    check_status,
)

__all__ = [
    "PAGE_SIZE",
    "SEARCH_PAGE_SIZE",
    "THING_INDEX",
    "Listed",
    "from_job",
    "from_query",
    "from_thing",
    "from_thing_group",
]

#: The model's maximum ``maxResults`` for all three listings: fewest calls per target.
PAGE_SIZE: Final = 250
#: SearchIndex's: "This maximum number cannot exceed 100".
SEARCH_PAGE_SIZE: Final = 100
#: Fleet indexing's index of things.
THING_INDEX: Final = "AWS_Things"


@dataclass(frozen=True, slots=True, kw_only=True)
class Listed:
    """A target as a listing found it, with the summary fields filters need.

    ``status`` and the times are None when the listing does not report them
    (ListThingsInThingGroup returns names only).
    """

    target: Target
    status: str | None = None
    queued_at: datetime | None = None
    started_at: datetime | None = None
    last_updated_at: datetime | None = None


def from_job(
    caller: ApiCaller,
    job_id: str,
    statuses: Sequence[str] | None = None,
    *,
    destination: Destination | None = None,
) -> AsyncGenerator[Listed, None]:
    """Executions of ``job_id`` (ListJobExecutionsForJob), all or those in ``statuses``.

    The API filters by one status per call, so each status is its own listing. An
    execution that changes status between two of them can appear twice: de-duplicate
    downstream (:class:`~bulkjobs._filters.Deduplicator`).
    """
    _raise_if_any(_check("jobId", JOB_ID.check(job_id), job_id), *_check_statuses(statuses))
    return _from_job(caller, job_id, _unique(statuses), destination)


async def _from_job(
    caller: ApiCaller, job_id: str, statuses: list[str | None], destination: Destination | None
) -> AsyncGenerator[Listed, None]:
    api = "ListJobExecutionsForJob"
    for status in statuses:
        params: dict[str, Any] = {"jobId": job_id}
        if status is not None:
            params["status"] = status
        pages = _pages(caller, api, params, "executionSummaries", destination)
        async with contextlib.aclosing(pages):
            async for page in pages:
                for entry in page:
                    arn = entry.get("thingArn") if isinstance(entry, dict) else None
                    thing_name = _thing_name(api, arn)
                    yield _listed(
                        api, entry, job_id=job_id, thing_name=thing_name, destination=destination
                    )


def from_thing(
    caller: ApiCaller,
    thing_name: str,
    statuses: Sequence[str] | None = None,
    *,
    job_id: str | None = None,
    namespace_id: str | None = None,
    destination: Destination | None = None,
) -> AsyncGenerator[Listed, None]:
    """Executions on ``thing_name`` across jobs (ListJobExecutionsForThing), optionally
    only those of ``job_id`` and only in ``statuses`` (one listing per status)."""
    issues = [_check("thingName", THING_NAME.check(thing_name), thing_name)]
    if job_id is not None:
        issues.append(_check("jobId", JOB_ID.check(job_id), job_id))
    _raise_if_any(*issues, *_check_statuses(statuses))
    return _from_thing(caller, thing_name, _unique(statuses), job_id, namespace_id, destination)


async def _from_thing(
    caller: ApiCaller,
    thing_name: str,
    statuses: list[str | None],
    job_id: str | None,
    namespace_id: str | None,
    destination: Destination | None,
) -> AsyncGenerator[Listed, None]:
    api = "ListJobExecutionsForThing"
    for status in statuses:
        params: dict[str, Any] = {"thingName": thing_name}
        if status is not None:
            params["status"] = status
        if job_id is not None:
            params["jobId"] = job_id
        if namespace_id is not None:
            params["namespaceId"] = namespace_id
        pages = _pages(caller, api, params, "executionSummaries", destination)
        async with contextlib.aclosing(pages):
            async for page in pages:
                for entry in page:
                    listed_job = entry.get("jobId") if isinstance(entry, dict) else None
                    if not isinstance(listed_job, str):
                        raise _malformed(api, f"summary without a jobId: {entry!r}")
                    yield _listed(
                        api,
                        entry,
                        job_id=listed_job,
                        thing_name=thing_name,
                        destination=destination,
                    )


def from_thing_group(
    caller: ApiCaller,
    group: str,
    job_id: str,
    *,
    recursive: bool = False,
    destination: Destination | None = None,
) -> AsyncGenerator[Listed, None]:
    """One target per thing in ``group`` (ListThingsInThingGroup) for ``job_id``.

    The listing knows nothing of executions: status and times are None, and a thing
    with no execution of the job ends as ``not_found``.
    """
    _raise_if_any(
        _check("thingGroupName", THING_GROUP_NAME.check(group), group),
        _check("jobId", JOB_ID.check(job_id), job_id),
    )
    return _from_thing_group(caller, group, job_id, recursive, destination)


async def _from_thing_group(
    caller: ApiCaller, group: str, job_id: str, recursive: bool, destination: Destination | None
) -> AsyncGenerator[Listed, None]:
    api = "ListThingsInThingGroup"
    params: dict[str, Any] = {"thingGroupName": group}
    if recursive:
        params["recursive"] = True
    pages = _pages(caller, api, params, "things", destination)
    async with contextlib.aclosing(pages):
        async for page in pages:
            for name in page:
                if not isinstance(name, str):
                    raise _malformed(api, f"thing name is not a string: {name!r}")
                yield Listed(target=Target(job_id=job_id, thing_name=name, destination=destination))


def from_query(
    caller: ApiCaller,
    query: str,
    job_id: str,
    *,
    index_name: str = THING_INDEX,
    destination: Destination | None = None,
) -> AsyncGenerator[Listed, None]:
    """One target of ``job_id`` per thing fleet indexing finds for ``query``
    (SearchIndex over ``index_name``, 100 things a page).

    Like a thing group, the index knows nothing of executions: status and times are
    None, and a matching thing with no execution of the job ends as ``not_found``.
    """
    _raise_if_any(*query_issues(query, index_name), _check("jobId", JOB_ID.check(job_id), job_id))
    return _from_query(caller, query, job_id, index_name, destination)


def query_issues(query: str, index_name: str) -> list[ValidationIssue | None]:
    """What is wrong with a query and index name before the server sees them."""
    return [
        _check("queryString", QUERY_STRING.check(query), query),
        _check("indexName", INDEX_NAME.check(index_name), index_name),
    ]


async def _from_query(
    caller: ApiCaller, query: str, job_id: str, index_name: str, destination: Destination | None
) -> AsyncGenerator[Listed, None]:
    api = "SearchIndex"
    params: dict[str, Any] = {"indexName": index_name, "queryString": query}
    pages = _pages(caller, api, params, "things", destination, size=SEARCH_PAGE_SIZE)
    async with contextlib.aclosing(pages):
        async for page in pages:
            for thing in page:
                name = thing.get("thingName") if isinstance(thing, dict) else None
                if not isinstance(name, str):
                    raise _malformed(api, f"thing document without a thingName: {thing!r}")
                yield Listed(target=Target(job_id=job_id, thing_name=name, destination=destination))


async def _pages(
    caller: ApiCaller,
    api: str,
    params: Mapping[str, Any],
    key: str,
    destination: Destination | None,
    *,
    size: int = PAGE_SIZE,
) -> AsyncGenerator[list[Any], None]:
    token: str | None = None
    while True:
        request = {**params, "maxResults": size}
        if token is not None:
            request["nextToken"] = token
        response = await caller(api, request, destination=destination)
        page = response.get(key) or []
        if not isinstance(page, list):
            raise _malformed(api, f"{key} is not a list")
        yield page
        next_token = response.get("nextToken")
        if not next_token:
            return
        # A server handing back the token it was given would page forever.
        if next_token == token:
            raise _malformed(api, "nextToken did not advance")
        token = str(next_token)


def _listed(
    api: str, entry: Any, *, job_id: str, thing_name: str, destination: Destination | None
) -> Listed:
    summary = entry.get("jobExecutionSummary") if isinstance(entry, dict) else None
    if not isinstance(summary, dict):
        raise _malformed(api, f"entry without a jobExecutionSummary: {entry!r}")
    number = summary.get("executionNumber")
    if number is not None and (not isinstance(number, int) or isinstance(number, bool)):
        raise _malformed(api, f"executionNumber is not an integer: {number!r}")
    status = summary.get("status")
    status = status if isinstance(status, str) else None
    target = Target(
        job_id=job_id,
        thing_name=thing_name,
        execution_number=number,
        destination=destination,
        listed_status=status,
    )
    return Listed(
        target=target,
        status=status,
        queued_at=_instant(api, summary.get("queuedAt")),
        started_at=_instant(api, summary.get("startedAt")),
        last_updated_at=_instant(api, summary.get("lastUpdatedAt")),
    )


def _thing_name(api: str, arn: object) -> str:
    # arn:aws:iot:REGION:ACCOUNT:thing/NAME; names cannot contain "/", so the last
    # "thing/" starts the name.
    if isinstance(arn, str):
        _, sep, name = arn.rpartition("thing/")
        if sep and name:
            return name
    raise _malformed(api, f"unexpected thingArn {arn!r}")


def _instant(api: str, value: object) -> datetime | None:
    """botocore parses timestamps into aware datetimes; a raw caller may pass epochs."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    raise _malformed(api, f"timestamp of unexpected type: {value!r}")


def _malformed(api: str, message: str) -> ApiError:
    return ApiError(api=api, code="MalformedResponse", message=message, http_status=None)


def _check(field: str, rule: str | None, value: str) -> ValidationIssue | None:
    if rule is None:
        return None
    return ValidationIssue(source="options", line=None, field=field, rule=rule, value=value)


def _check_statuses(statuses: Sequence[str] | None) -> list[ValidationIssue | None]:
    if statuses is None:
        return []
    if isinstance(statuses, str):
        # A bare string is a sequence of letters; "QUEUED" would become six statuses.
        return [_check("status", "must be a sequence of statuses, not a string", statuses)]
    if not statuses:
        return [_check("status", "at least one status when statuses are given", "")]
    return [_check("status", check_status(status), status) for status in statuses]


def _unique(statuses: Sequence[str] | None) -> list[str | None]:
    """The listings to make: None lists every status in one pass."""
    return [None] if statuses is None else list(dict.fromkeys(statuses))


def _raise_if_any(*issues: ValidationIssue | None) -> None:
    found = [issue for issue in issues if issue is not None]
    if found:
        raise InvalidInputError(found)
