"""Service Quotas' ListServiceQuotas and GetServiceQuota for the simulated IoT quotas.

Service Quotas speaks the JSON 1.1 protocol: ``POST /`` with ``X-Amz-Target:
ServiceQuotasV20190624.<Operation>`` and a JSON body; errors carry their code in the
body's ``__type``.  Each operation the simulator limits is listed under service code
``iot`` as "<Operation> throttle limit" with its quota in force (unlimited ones have
no entry, as a quota Service Quotas does not manage), behind a code derived from the
name as AWS's ``L-XXXXXXXX`` codes look.  A simulator configured without Service
Quotas answers AccessDeniedException, as AWS does a caller without permission.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, Final

TARGET_PREFIX: Final = "ServiceQuotasV20190624."
SERVICE_CODE: Final = "iot"
CONTENT_TYPE: Final = "application/x-amz-json-1.1"
#: ListServiceQuotas' page size when the request gives none (AWS's maximum).
MAX_RESULTS: Final = 100

Answer = tuple[int, dict[str, Any]]


def quota_code(operation: str) -> str:
    """A stable ``L-`` code for an operation's rate quota."""
    return "L-" + hashlib.sha256(operation.encode()).hexdigest()[:8].upper()


def quota_name(operation: str) -> str:
    return f"{operation} throttle limit"


def answer(
    target: str,
    body: bytes,
    quotas: Mapping[str, float | None],
    *,
    enabled: bool,
    account_id: str,
    region: str,
) -> Answer:
    """(HTTP status, JSON document) for one Service Quotas request."""
    operation = target.removeprefix(TARGET_PREFIX)
    if operation not in ("ListServiceQuotas", "GetServiceQuota"):
        return _error("UnknownOperationException", f"Unknown operation {operation}.")
    if not enabled:
        return _error(
            "AccessDeniedException",
            "You do not have sufficient permission to perform this action.",
        )
    try:
        request = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        request = None
    if not isinstance(request, dict):
        return _error("IllegalArgumentException", "The request body is not a JSON object.")
    if request.get("ServiceCode") != SERVICE_CODE:
        return _error(
            "NoSuchResourceException",
            "The request failed because the specified service does not exist.",
        )
    entries = [
        _entry(name, tps, account_id=account_id, region=region)
        for name, tps in sorted(quotas.items())
        if tps is not None
    ]
    if operation == "GetServiceQuota":
        code = request.get("QuotaCode")
        found = next((e for e in entries if e["QuotaCode"] == code), None)
        if found is None:
            return _error("NoSuchResourceException", f"The quota {code} does not exist.")
        return 200, {"Quota": found}
    return _page(entries, request)


def _page(entries: list[dict[str, Any]], request: dict[str, Any]) -> Answer:
    size = request.get("MaxResults", MAX_RESULTS)
    token = request.get("NextToken")
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_RESULTS:
        return _error("IllegalArgumentException", "MaxResults must be between 1 and 100.")
    try:
        start = 0 if token is None else int(str(token))
    except ValueError:
        start = -1
    if not 0 <= start <= len(entries):
        return _error("InvalidPaginationTokenException", "Invalid pagination token.")
    document: dict[str, Any] = {"Quotas": entries[start : start + size]}
    if start + size < len(entries):
        document["NextToken"] = str(start + size)
    return 200, document


def _entry(operation: str, tps: float, *, account_id: str, region: str) -> dict[str, Any]:
    code = quota_code(operation)
    return {
        "ServiceCode": SERVICE_CODE,
        "ServiceName": "AWS IoT",
        "QuotaArn": f"arn:aws:servicequotas:{region}:{account_id}:{SERVICE_CODE}/{code}",
        "QuotaCode": code,
        "QuotaName": quota_name(operation),
        "Value": float(tps),
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def _error(code: str, message: str) -> Answer:
    return 400, {"__type": code, "message": message}
