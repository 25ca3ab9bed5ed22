"""Asking fleet indexing about a run's queries before anything is sent.

Only the service can judge a query: its syntax is Lucene's, over fields each account
chooses to index. So a run that selects things by query asks once per (query, index,
destination) — one SearchIndex call for a single thing — and learns the answers that
must stop it before a mutating call goes out: the query is invalid
(InvalidQueryException, in the server's own words), or the index is off or still being
built (ResourceNotFoundException, IndexNotReadyException). Throttles and dropped
connections are the caller's to retry; if the index still does not answer, the run
starts and its listing meets the same failure before it yields a target.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from bulkjobs._caller import ApiCaller
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ApiError, ConfigurationError, InvalidInputError, ValidationIssue
from bulkjobs._log import get_logger
from bulkjobs._selectors import FromQuery

__all__ = ["check_queries"]

log = get_logger("bulkjobs")

#: What the service answers for a query it cannot parse or a request it refuses.
_REFUSED_QUERY: Final = frozenset({"InvalidQueryException", "InvalidRequestException"})
#: An index that does not exist (thing indexing off) or is still being built.
_NOT_SEARCHABLE: Final = {
    "ResourceNotFoundException": "is off",
    "IndexNotReadyException": "is not ready yet",
}


async def check_queries(checks: Sequence[tuple[FromQuery, Destination]], call: ApiCaller) -> None:
    """One SearchIndex (``maxResults=1``) per distinct (query, index, destination).

    Raises :class:`InvalidInputError` listing every query the service refused (field
    ``queryString``, the server's message in the rule) and :class:`ConfigurationError`
    when an index cannot be searched; any other failure is logged and left to the
    listing, which meets it before it yields a target.
    """
    issues: list[ValidationIssue] = []
    seen: set[tuple[str, str, Destination]] = set()
    for spec, destination in checks:
        key = (spec.query, spec.index_name, destination)
        if key in seen:
            continue
        seen.add(key)
        params = {"indexName": spec.index_name, "queryString": spec.query, "maxResults": 1}
        try:
            await call("SearchIndex", params, destination=destination)
        except ApiError as exc:
            where = destination.label
            if exc.code in _REFUSED_QUERY:
                rule = f"refused by fleet indexing in {where}: {exc.code}: {exc.message}"
                issues.append(
                    ValidationIssue(
                        source="options",
                        line=None,
                        field="queryString",
                        rule=rule,
                        value=spec.query,
                    )
                )
            elif (state := _NOT_SEARCHABLE.get(exc.code)) is not None:
                raise ConfigurationError(
                    f"fleet indexing's {spec.index_name} index in {where} {state} "
                    f"({exc.code}: {exc.message}); turn thing indexing on (aws iot "
                    "update-indexing-configuration --thing-indexing-configuration "
                    "thingIndexingMode=REGISTRY) and wait for the index to be ACTIVE "
                    "before selecting things with a query"
                ) from None
            else:
                log.warning("query.unchecked", destination=where, error=str(exc))
    if issues:
        raise InvalidInputError(issues)
