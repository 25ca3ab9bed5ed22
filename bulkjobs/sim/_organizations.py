"""AWS Organizations for the simulator: the accounts a multi-account run selects.

JSON 1.1 like Service Quotas (``X-Amz-Target: AWSOrganizationsV20161128.<Operation>``):
``ListAccounts``, ``ListAccountsForParent`` and ``ListOrganizationalUnitsForParent``,
paged at most 20 a page as AWS does. An :class:`Organization` is a root, organisational
units under it (nested as deep as wanted) and accounts in them, each ``ACTIVE`` or
not (``SUSPENDED``, ``PENDING_CLOSURE`` …) so a client can be seen to skip those. Only
the management account (``SimConfig.account_id``) may ask, as at AWS.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["TARGET_PREFIX", "OrgAccount", "OrgUnit", "Organization", "answer"]

TARGET_PREFIX: Final = "AWSOrganizationsV20161128."
CONTENT_TYPE: Final = "application/x-amz-json-1.1"
MAX_RESULTS: Final = 20
ORG_ID: Final = "o-sim0000000"
ROOT_ID: Final = "r-sim0"

Answer = tuple[int, dict[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrgUnit:
    """An organisational unit: ``parent`` is the root's ID or another unit's."""

    id: str
    name: str
    parent: str = ROOT_ID


@dataclass(frozen=True, slots=True, kw_only=True)
class OrgAccount:
    """A member account, in ``parent`` (the root or a unit)."""

    id: str
    name: str
    parent: str = ROOT_ID
    state: str = "ACTIVE"


@dataclass(frozen=True, slots=True, kw_only=True)
class Organization:
    """The organisation the management account sees."""

    management: str
    units: tuple[OrgUnit, ...] = ()
    accounts: tuple[OrgAccount, ...] = ()

    def __post_init__(self) -> None:
        ids = {ROOT_ID, *(u.id for u in self.units)}
        for unit in self.units:
            if unit.parent not in ids:
                raise ValueError(f"unit {unit.id}: no parent {unit.parent}")
        for account in self.accounts:
            if account.parent not in ids:
                raise ValueError(f"account {account.id}: no parent {account.parent}")

    @classmethod
    def simple(cls, management: str, members: Sequence[str]) -> Organization:
        """The management account in the root, ``members`` in one unit, ``Workloads``
        (``ou-sim0-workloads``): what ``bulkjobs simulate --accounts N`` serves."""
        unit = OrgUnit(id="ou-sim0-workloads", name="Workloads")
        accounts = [OrgAccount(id=management, name="management")]
        accounts += [
            OrgAccount(id=a, name=f"workload-{n}", parent=unit.id)
            for n, a in enumerate(members, start=1)
            if a != management
        ]
        return cls(management=management, units=(unit,), accounts=tuple(accounts))

    def parents(self) -> set[str]:
        return {ROOT_ID, *(u.id for u in self.units)}


def _account_json(org: Organization, account: OrgAccount) -> dict[str, Any]:
    status = account.state if account.state in ("ACTIVE", "SUSPENDED") else "PENDING_CLOSURE"
    return {
        "Id": account.id,
        "Arn": f"arn:aws:organizations::{org.management}:account/{ORG_ID}/{account.id}",
        "Email": f"{account.name}@example.com",
        "Name": account.name,
        "Status": status,
        "State": account.state,
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": 1_700_000_000.0,
    }


def _unit_json(org: Organization, unit: OrgUnit) -> dict[str, Any]:
    return {
        "Id": unit.id,
        "Arn": f"arn:aws:organizations::{org.management}:ou/{ORG_ID}/{unit.id}",
        "Name": unit.name,
    }


def answer(target: str, body: bytes, org: Organization | None, *, caller: str) -> Answer:
    """(HTTP status, JSON document) for one Organizations request signed by ``caller``."""
    operation = target.removeprefix(TARGET_PREFIX)
    handlers = {
        "ListAccounts": _list_accounts,
        "ListAccountsForParent": _list_accounts_for_parent,
        "ListOrganizationalUnitsForParent": _list_units_for_parent,
    }
    handler = handlers.get(operation)
    if handler is None:
        return _error("UnknownOperationException", f"Unknown operation {operation}.")
    if org is None:
        return _error(
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        )
    if caller != org.management:
        return _error(
            "AccessDeniedException", "You don't have permissions to access this resource."
        )
    try:
        request = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        request = None
    if not isinstance(request, dict):
        return _error("InvalidInputException", "The request body is not a JSON object.")
    return handler(org, request)


def _list_accounts(org: Organization, request: dict[str, Any]) -> Answer:
    rows = [_account_json(org, a) for a in org.accounts]
    return _page("Accounts", rows, request)


def _parent(org: Organization, request: dict[str, Any]) -> str | Answer:
    parent = request.get("ParentId")
    if not isinstance(parent, str) or parent not in org.parents():
        return _error(
            "ParentNotFoundException",
            "We can't find a root or OU with the ParentId that you specified.",
        )
    return parent


def _list_accounts_for_parent(org: Organization, request: dict[str, Any]) -> Answer:
    parent = _parent(org, request)
    if not isinstance(parent, str):
        return parent
    rows = [_account_json(org, a) for a in org.accounts if a.parent == parent]
    return _page("Accounts", rows, request)


def _list_units_for_parent(org: Organization, request: dict[str, Any]) -> Answer:
    parent = _parent(org, request)
    if not isinstance(parent, str):
        return parent
    rows = [_unit_json(org, u) for u in org.units if u.parent == parent]
    return _page("OrganizationalUnits", rows, request)


def _page(member: str, rows: list[dict[str, Any]], request: dict[str, Any]) -> Answer:
    size = request.get("MaxResults", MAX_RESULTS)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_RESULTS:
        return _error("InvalidInputException", "MaxResults must be between 1 and 20.")
    token = request.get("NextToken")
    try:
        start = 0 if token is None else int(str(token))
    except ValueError:
        start = -1
    if not 0 <= start <= len(rows):
        return _error("InvalidInputException", "The NextToken is not valid.")
    document: dict[str, Any] = {member: rows[start : start + size]}
    if start + size < len(rows):
        document["NextToken"] = str(start + size)
    return 200, document


def _error(code: str, message: str) -> Answer:
    return 400, {"__type": code, "Message": message}
