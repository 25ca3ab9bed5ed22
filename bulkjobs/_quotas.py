"""The account's applied IoT quotas, read from Service Quotas to seed auto rate mode.

Service Quotas lists IoT's per-API rate quotas under service code ``iot``, with names
such as "CancelJobExecution throttle limit" and codes (``L-…``) that differ between
partitions and may change, so the codes are looked up by name with
``ListServiceQuotas`` (once per region) and the applied value read with
``GetServiceQuota`` (once per API).  Reading them is a courtesy, never a requirement:
a caller without ``servicequotas:*`` permission, a region or endpoint without the
service, or a quota without an entry all leave auto mode where it starts without one
— at AWS's published default and its slow start — with a note for ``summary.json``
and a debug log line, never an error.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import anyio

from bulkjobs._destination import Destination
from bulkjobs._log import get_logger
from bulkjobs._rate import RateStart

__all__ = ["QUOTA_PERMISSIONS", "SERVICE_CODE", "QuotaLookup", "match_quota"]

SERVICE_CODE = "iot"
#: The IAM actions the lookup needs (optional: without them it falls back).
QUOTA_PERMISSIONS = ("servicequotas:ListServiceQuotas", "servicequotas:GetServiceQuota")
#: Words that mark a quota as a request rate (not a count of resources).
_RATE_WORDS = re.compile(r"throttl|\brate\b|\btps\b|per second", re.IGNORECASE)
#: Seconds the whole lookup may take; a slow answer is no answer.
LOOKUP_TIMEOUT = 10.0

log = get_logger("bulkjobs")

#: Opens (or returns the open) Service Quotas client for a destination.
ClientOpener = Callable[[Destination], Awaitable[Any]]


def match_quota(api: str, quotas: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The entry among ``quotas`` that is ``api``'s request rate, if any.

    The API's name must stand as a whole word ("CancelJob" is not "CancelJobExecution
    throttle limit") in a name that speaks of a rate.
    """
    name_of_api = re.compile(rf"(?<![A-Za-z0-9]){re.escape(api)}(?![A-Za-z0-9])", re.IGNORECASE)
    for quota in quotas:
        name = quota.get("QuotaName")
        if not isinstance(name, str) or not isinstance(quota.get("QuotaCode"), str):
            continue
        if name_of_api.search(name) and _RATE_WORDS.search(name):
            return quota
    return None


class QuotaLookup:
    """Applied quotas per (destination, API); every answer a :class:`RateStart`.

    Concurrent lookups in one destination share one listing.
    """

    def __init__(self, open_client: ClientOpener) -> None:
        self._open = open_client
        self._listings: dict[Destination, list[Mapping[str, Any]] | str] = {}
        self._locks: dict[Destination, anyio.Lock] = {}

    async def start(self, destination: Destination, api: str, *, default: float) -> RateStart:
        """Where ``api``'s auto rate in ``destination`` should start: its applied quota, or
        ``default`` with a note saying why not."""
        try:
            with anyio.fail_after(LOOKUP_TIMEOUT):
                return await self._start(destination, api, default=default)
        except TimeoutError:
            return self._fallback(
                destination, api, default, "Service Quotas did not answer in time"
            )

    async def _start(self, destination: Destination, api: str, *, default: float) -> RateStart:
        listing = await self._listing(destination)
        if isinstance(listing, str):
            return self._fallback(destination, api, default, listing)
        entry = match_quota(api, listing)
        if entry is None:
            return self._fallback(destination, api, default, f"no {api} rate quota listed")
        code, name = str(entry["QuotaCode"]), str(entry["QuotaName"])
        try:
            client = await self._open(destination)
            answer = await client.get_service_quota(ServiceCode=SERVICE_CODE, QuotaCode=code)
        except Exception as exc:
            return self._fallback(destination, api, default, _why(exc))
        value = answer.get("Quota", {}).get("Value")
        if isinstance(value, bool) or not isinstance(value, int | float):
            return self._fallback(destination, api, default, f"{name} has no value")
        if not (math.isfinite(value) and value > 0):
            return self._fallback(destination, api, default, f"{name} is {value!r}")
        log.debug(
            "applied quota read",
            destination=str(destination),
            api=api,
            quota=value,
            code=code,
            name=name,
        )
        return RateStart(
            source="service-quotas", rate=float(value), quota_code=code, quota_name=name
        )

    async def _listing(self, destination: Destination) -> list[Mapping[str, Any]] | str:
        """IoT's quotas in ``destination``, or why they could not be listed."""
        lock = self._locks.setdefault(destination, anyio.Lock())
        async with lock:
            found = self._listings.get(destination)
            if found is None:
                found = self._listings[destination] = await self._list(destination)
        return found

    async def _list(self, destination: Destination) -> list[Mapping[str, Any]] | str:
        try:
            client = await self._open(destination)
            quotas: list[Mapping[str, Any]] = []
            paginator = client.get_paginator("list_service_quotas")
            async for page in paginator.paginate(ServiceCode=SERVICE_CODE):
                quotas.extend(q for q in page.get("Quotas", []) if isinstance(q, Mapping))
        except Exception as exc:
            return _why(exc)
        return quotas

    @staticmethod
    def _fallback(destination: Destination, api: str, default: float, why: str) -> RateStart:
        log.debug("no applied quota", destination=str(destination), api=api, reason=why)
        return RateStart(source="default", rate=default, note=f"Service Quotas: {why}")


def _why(exc: BaseException) -> str:
    """A short reason: the error code of an AWS answer, else the exception's type."""
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__
