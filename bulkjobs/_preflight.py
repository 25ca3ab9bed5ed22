"""Asking fleet indexing about a run's queries before anything is sent.

Only the service can judge a query: its syntax is Lucene's, over fields each account
chooses to index. So a run that selects things by query asks once per (query,
destination) — one SearchIndex call for a single thing — and learns the two answers
that must stop it before a mutating call goes out: the query is invalid
(InvalidQueryException, the server's own words), or the index is off or still being
built (ResourceNotFoundException, IndexNotReadyException). Throttles and dropped
connections are tried again a few times; if the index still does not answer, the run
starts and its listing meets the same failure before it yields a target.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import anyio
import structlog

from bulkjobs._classify import ErrorClass
from bulkjobs._client import CallError
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ConfigurationError, InvalidInputError, ValidationIssue
from bulkjobs._selectors import FromQuery

__all__ = ["check_queries"]

log = structlog.get_logger("bulkjobs")

#: Attempts at one check when the index throttles or the connection drops.
ATTEMPTS: Final = 4
#: Seconds before the second attempt; doubled before each later one.
FIRST_BACKOFF: Final = 0.5
_INDEX_NOT_SEARCHABLE = ("ResourceNotFoundException", "IndexNotReadyException")

Call = Callable[..., Awaitable[dict[str, Any]]]


async def check_queries(
    checks: Sequence[tuple[FromQuery, Destination]],
    call: Call,
    *,
    sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
) -> None:
    """One SearchIndex (``maxResults=1``) per distinct (query, index, destination).

    ``call(api, params, destination=...)`` is :meth:`bulkjobs.Clients.call`. Raises
    :class:`InvalidInputError` listing every query the service refused (field
    ``queryString``, the server's message as the rule) and :class:`ConfigurationError`
    when an index cannot be searched.
    """
    issues: list[ValidationIssue] = []
    seen: set[tuple[str, str, Destination]] = set()
    for spec, destination in checks:
        key = (spec.query, spec.index_name, destination)
        if key in seen:
            continue
        seen.add(key)
        failure = await _ask(spec, destination, call, sleep)
        if failure is None:
            continue
        where = destination.label
        if failure.code == "InvalidQueryException" or failure.cls is ErrorClass.INVALID_REQUEST:
            rule = f"refused by fleet indexing in {where}: {failure.code}: {failure.message}"
            issues.append(
                ValidationIssue(
                    source="options", line=None, field="queryString", rule=rule, value=spec.query
                )
            )
        elif failure.code in _INDEX_NOT_SEARCHABLE:
            state = "is not ready yet" if failure.code == "IndexNotReadyException" else "is off"
            raise ConfigurationError(
                f"fleet indexing's {spec.index_name} index in {where} {state} "
                f"({failure.code}: {failure.message}); turn thing indexing on (aws iot "
                "update-indexing-configuration --thing-indexing-configuration "
                "thingIndexingMode=REGISTRY) and wait for the index to be ACTIVE "
                "before selecting things with a query"
            )
    if issues:
        raise InvalidInputError(issues)


async def _ask(
    spec: FromQuery,
    destination: Destination,
    call: Call,
    sleep: Callable[[float], Awaitable[None]],
) -> Any:
    """The failure that settles the check, or None (answered, or nothing decisive)."""
    params = {"indexName": spec.index_name, "queryString": spec.query, "maxResults": 1}
    delay = FIRST_BACKOFF
    for attempt in range(1, ATTEMPTS + 1):
        try:
            await call("SearchIndex", params, destination=destination)
            return None
        except CallError as exc:
            failure = exc.failure
        if not failure.cls.retryable:
            # A refused role is that account's own loss, recorded when its listing runs.
            return None if failure.cls is ErrorClass.NO_ACCESS else failure
        if attempt < ATTEMPTS:
            await sleep(delay)
            delay *= 2
    log.warning(
        "query.unchecked",
        destination=destination.label,
        error=f"{failure.code}: {failure.message}",
    )
    return None
