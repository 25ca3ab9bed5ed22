"""Reaching many accounts: one assumed role per account, from the SDK's own machinery.

A run's base identity is whatever aiobotocore's credential chain finds (profile, SSO,
environment, instance role). An account other than the caller's own is reached through
a role there — :class:`AssumeRole`, ``arn:aws:iam::{account}:role/NAME`` — assumed once
per account from the base credentials by botocore's ``AssumeRoleCredentialFetcher``
behind deferred *refreshable* credentials: a run longer than the role session renews
them before they expire, and no key is ever copied out of the SDK.

:class:`AccountAccess` holds those sessions for a run:

- :meth:`~AccountAccess.caller_account` asks ``sts:GetCallerIdentity`` once; a failure
  there is the base identity's problem and stops the run before anything is sent;
- :meth:`~AccountAccess.prepare` assumes every account's role up front (concurrently),
  so a dry run proves access and the plan can say which accounts cannot be reached;
- :meth:`~AccountAccess.session_for` hands the clients the session of one account, or
  raises :class:`AccessFailure` — which the engine turns into that account's targets
  failing with the STS error code while the other accounts go on.

Without a role, every account named must be the caller's own.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

import anyio
import botocore.exceptions as bexc
from aiobotocore.config import AioConfig
from aiobotocore.credentials import (
    AioAssumeRoleCredentialFetcher,
    AioCredentialResolver,
    AnyioDeferredRefreshableCredentials,
)
from aiobotocore.session import AioSession
from botocore.credentials import CredentialProvider

from bulkjobs._exceptions import ApiError, BulkJobsError
from bulkjobs._iotmodel import aio_session
from bulkjobs._roles import AssumeRole
from bulkjobs._validation import check_account

__all__ = ["AccessFailure", "AccountAccess", "AccountState", "OrganizationAccount"]

#: Accounts whose role is assumed at once by :meth:`AccountAccess.prepare`.
_PREPARE_CONCURRENCY: Final = 8


class AccessFailure(BulkJobsError):
    """An account that cannot be reached: its role could not be assumed, or (without a
    role) it is not the caller's own. ``code`` is STS's error code (or bulkjobs')."""

    def __init__(
        self,
        *,
        account: str,
        code: str,
        message: str,
        role_arn: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.account = account
        self.code = code
        self.message = message
        self.role_arn = role_arn
        self.http_status = http_status


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountState:
    """How one account is reached: ``own`` (the base credentials), ``assumed`` (a
    role session) or ``failed`` (see ``error``)."""

    account: str
    status: str
    role_arn: str | None = None
    error: AccessFailure | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"account": self.account, "status": self.status}
        if self.role_arn is not None:
            data["roleArn"] = self.role_arn
        if self.error is not None:
            data["errorCode"] = self.error.code
            data["message"] = self.error.message
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationAccount:
    """An account AWS Organizations lists: its ID, name and state (``ACTIVE`` …)."""

    id: str
    name: str
    state: str

    @property
    def active(self) -> bool:
        return self.state == "ACTIVE"


def _api_error(api: str, exc: BaseException) -> ApiError:
    if isinstance(exc, bexc.ClientError):
        error = exc.response.get("Error", {})
        return ApiError(
            api=api,
            code=str(error.get("Code") or "Unknown"),
            message=str(error.get("Message") or ""),
            http_status=exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
        )
    return ApiError(api=api, code=type(exc).__name__, message=str(exc), http_status=None)


class _NoCache(dict[str, Any]):
    """The fetcher's response cache, switched off: the refreshable credentials hold
    the one live session per account, and a refresh must really call AssumeRole."""

    def __contains__(self, key: object) -> bool:
        return False

    def __setitem__(self, key: str, value: Any) -> None:
        pass


class _RoleCredentials(AnyioDeferredRefreshableCredentials):  # type: ignore[misc]
    """botocore's deferred refreshable credentials, which a server's verdict can also
    expire: an ``ExpiredTokenException`` (a session revoked, or clocks that disagree on
    its end) makes the next signature wait for a fresh AssumeRole."""

    def expire(self) -> None:
        expiry: datetime.datetime | None = self._expiry_time  # type: ignore[has-type]
        if expiry is not None:
            self._expiry_time = self._time_fetcher()


class _FixedProvider(CredentialProvider):  # type: ignore[misc]
    """A credential provider that hands one session's credentials to its clients."""

    METHOD = "assume-role"
    CANONICAL_NAME = "custom-bulkjobs-assume-role"

    def __init__(self, credentials: _RoleCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    async def load(self) -> _RoleCredentials:
        return self._credentials


TimeFetcher = Callable[[], datetime.datetime]


class AccountAccess:
    """The sessions of one run, one per account (see the module docstring).

    ``session`` is the base session (made from ``profile`` when not given);
    ``region`` where STS is asked; ``endpoint_url`` the endpoint for STS when it must
    not be AWS's (a rehearsal: ``AWS_ENDPOINT_URL_STS`` always wins, botocore reads it);
    ``time_fetcher`` the clock the credentials' expiry is judged by (tests inject it).
    """

    def __init__(
        self,
        role: AssumeRole | None = None,
        *,
        session: AioSession | None = None,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        time_fetcher: TimeFetcher | None = None,
    ) -> None:
        self.role = role
        self._base = session
        self._profile = profile
        self._region = region
        self._endpoint_url = endpoint_url
        self._time_fetcher = time_fetcher
        self._caller: str | None = None
        self._caller_lock = anyio.Lock()
        self._sessions: dict[str, AioSession] = {}
        self._credentials: dict[str, _RoleCredentials] = {}
        self._states: dict[str, AccountState] = {}
        self._locks: dict[str, anyio.Lock] = {}
        #: AssumeRole calls made (first assumes and refreshes alike).
        self.assume_calls = 0

    @property
    def base_session(self) -> AioSession:
        if self._base is None:
            self._base = aio_session(self._profile)
        return self._base

    def _endpoint(self, service_variable: str) -> str | None:
        """A custom endpoint for STS or Organizations: ``AWS_ENDPOINT_URL_<SERVICE>``
        (botocore reads it itself), else the run's IoT endpoint when that is a custom
        one — a rehearsal must never assume real roles behind the simulator's back."""
        if os.environ.get(service_variable):
            return None
        return self._endpoint_url or os.environ.get("AWS_ENDPOINT_URL_IOT") or None

    def _sts_endpoint(self) -> str | None:
        return self._endpoint("AWS_ENDPOINT_URL_STS")

    async def organization_accounts(
        self, *, ou: str | None = None, recursive: bool = False
    ) -> list[OrganizationAccount]:
        """The organisation's accounts (ListAccounts), or those of unit ``ou``
        (ListAccountsForParent; ``recursive``: and of every unit under it, through
        ListOrganizationalUnitsForParent). Every state: filter on ``active``.

        Raises :class:`ApiError` (not the management account, no organisation, an
        unknown unit): nothing about the run can be known then.
        """
        config = AioConfig(
            connect_timeout=5.0,
            read_timeout=20.0,
            retries={"total_max_attempts": 5, "mode": "standard"},
            user_agent_extra="bulkjobs",
        )
        found: dict[str, OrganizationAccount] = {}
        api = "ListAccounts" if ou is None else "ListAccountsForParent"
        try:
            async with self.base_session.create_client(
                "organizations",
                region_name="us-east-1",
                endpoint_url=self._endpoint("AWS_ENDPOINT_URL_ORGANIZATIONS"),
                config=config,
            ) as org:

                async def add_accounts(paginator: Any, **params: Any) -> None:
                    async for page in paginator.paginate(**params):
                        for entry in page.get("Accounts", []):
                            state = entry.get("State") or entry.get("Status") or "UNKNOWN"
                            found[str(entry["Id"])] = OrganizationAccount(
                                id=str(entry["Id"]), name=str(entry.get("Name", "")), state=state
                            )

                if ou is None:
                    await add_accounts(org.get_paginator("list_accounts"))
                else:
                    parents, seen = [ou], {ou}
                    units = org.get_paginator("list_organizational_units_for_parent")
                    by_parent = org.get_paginator("list_accounts_for_parent")
                    while parents:
                        parent = parents.pop(0)
                        api = "ListAccountsForParent"
                        await add_accounts(by_parent, ParentId=parent)
                        if not recursive:
                            continue
                        api = "ListOrganizationalUnitsForParent"
                        async for page in units.paginate(ParentId=parent):
                            for unit in page.get("OrganizationalUnits", []):
                                if (unit_id := str(unit["Id"])) not in seen:
                                    seen.add(unit_id)
                                    parents.append(unit_id)
        except (bexc.BotoCoreError, bexc.ClientError, OSError) as exc:
            raise _api_error(api, exc) from exc
        return sorted(found.values(), key=lambda a: a.id)

    def _sts_region(self) -> str:
        region = self._region or self.base_session.get_config_variable("region")
        return str(region or "us-east-1")

    def _sts_client(self, **credentials: Any) -> Any:
        config = AioConfig(
            connect_timeout=5.0,
            read_timeout=20.0,
            retries={"total_max_attempts": 3, "mode": "standard"},
            user_agent_extra="bulkjobs",
        )
        return self.base_session.create_client(
            "sts",
            region_name=self._sts_region(),
            endpoint_url=self._sts_endpoint(),
            config=config,
            **credentials,
        )

    async def caller_account(self) -> str:
        """The base identity's account (``sts:GetCallerIdentity``, asked once).

        Raises :class:`ApiError` when the base credentials do not work: that stops
        the run before anything is sent, whatever the accounts.
        """
        if self._caller is not None:
            return self._caller
        async with self._caller_lock:
            if self._caller is None:
                try:
                    async with self._sts_client() as sts:
                        identity = await sts.get_caller_identity()
                except bexc.ClientError as exc:
                    error = exc.response.get("Error", {})
                    raise ApiError(
                        api="GetCallerIdentity",
                        code=str(error.get("Code") or "Unknown"),
                        message=str(error.get("Message") or ""),
                        http_status=exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
                    ) from exc
                except (bexc.BotoCoreError, OSError) as exc:
                    raise ApiError(
                        api="GetCallerIdentity",
                        code=type(exc).__name__,
                        message=f"{exc} — check the credentials (--profile / AWS_PROFILE, "
                        "'aws sso login', environment variables or the instance role)",
                        http_status=None,
                    ) from exc
                self._caller = str(identity["Account"])
        return self._caller

    def state(self, account: str) -> AccountState | None:
        """How ``account`` is reached, once :meth:`session_for` or :meth:`prepare` saw it."""
        return self._states.get(account)

    def states(self) -> list[AccountState]:
        return [self._states[a] for a in sorted(self._states)]

    async def prepare(self, accounts: Iterable[str]) -> list[AccountState]:
        """Reach every account now (a role assumed per account, concurrently): what a
        dry run proves and the plan shows. Failures are recorded, not raised."""
        await self.caller_account()
        wanted = sorted(set(accounts))
        limiter = anyio.CapacityLimiter(_PREPARE_CONCURRENCY)

        async def reach(account: str) -> None:
            async with limiter:
                with contextlib.suppress(AccessFailure):
                    await self.session_for(account)

        async with anyio.create_task_group() as tg:
            for account in wanted:
                tg.start_soon(reach, account)
        return [self._states[a] for a in wanted]

    async def session_for(self, account: str | None) -> AioSession:
        """The session whose clients act in ``account`` (None: the caller's own).

        Raises :class:`AccessFailure` when the account cannot be reached; the verdict
        is kept, so an account whose role is refused costs one AssumeRole, not one a
        target.
        """
        if account is None:
            return self.base_session
        found = self._sessions.get(account)
        if found is not None:
            return found
        known = self._states.get(account)
        if known is not None and known.error is not None:
            raise known.error
        lock = self._locks.setdefault(account, anyio.Lock())
        async with lock:
            known = self._states.get(account)
            if known is not None and known.error is not None:
                raise known.error
            if (found := self._sessions.get(account)) is None:
                found = await self._open(account)
        return found

    async def _open(self, account: str) -> AioSession:
        if (rule := check_account(account)) is not None:
            self._fail(account, "InvalidAccount", f"account {account!r} {rule}")
        caller = await self.caller_account()
        if account == caller:
            # The caller's own account: its own credentials, no role (the management
            # account of an organisation has no OrganizationAccountAccessRole).
            self._states[account] = AccountState(account=account, status="own")
            self._sessions[account] = self.base_session
            return self.base_session
        role = self.role
        if role is None:
            self._fail(
                account,
                "AccountNotAccessible",
                f"account {account} is not the caller's own ({caller}) and no role to "
                "assume was given (--role-name or --role-arn)",
            )
        assert role is not None
        arn = role.arn(account)
        credentials = await self._assume(account, arn)
        session = AioSession(profile=self._profile)
        # The base session's loader: service models parsed once, not once per account.
        session.register_component("data_loader", self.base_session.get_component("data_loader"))
        session.register_component(
            "credential_provider", AioCredentialResolver([_FixedProvider(credentials)])
        )
        self._credentials[account] = credentials
        self._sessions[account] = session
        self._states[account] = AccountState(account=account, status="assumed", role_arn=arn)
        return session

    async def _assume(self, account: str, arn: str) -> _RoleCredentials:
        assert self.role is not None
        source = await self.base_session.get_credentials()
        if source is None:
            raise ApiError(
                api="AssumeRole",
                code="NoCredentialsError",
                message="no base credentials to assume roles from",
                http_status=None,
            )

        def creator(service: str, **credentials: Any) -> Any:
            return self._sts_client(**credentials)

        fetcher = AioAssumeRoleCredentialFetcher(
            client_creator=creator,
            source_credentials=source,
            role_arn=arn,
            extra_args=self.role.extra_args(),
            cache=_NoCache(),
        )

        async def fetch() -> Mapping[str, Any]:
            self.assume_calls += 1
            result: Mapping[str, Any] = await fetcher.fetch_credentials()
            return result

        options: dict[str, Any] = {}
        if self._time_fetcher is not None:
            options["time_fetcher"] = self._time_fetcher
        credentials = _RoleCredentials(refresh_using=fetch, method="assume-role", **options)
        try:
            # The first AssumeRole, now: a refused role is known before any target.
            await credentials.get_frozen_credentials()
        except bexc.ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code") or "Unknown")
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            self._fail(
                account,
                code,
                f"cannot assume role {arn} in account {account}: {code}: "
                f"{error.get('Message') or ''}".rstrip(": "),
                role_arn=arn,
                http_status=status,
            )
        except (bexc.BotoCoreError, OSError) as exc:
            self._fail(
                account,
                type(exc).__name__,
                f"cannot assume role {arn} in account {account}: {exc}",
                role_arn=arn,
            )
        return credentials

    def _fail(
        self,
        account: str,
        code: str,
        message: str,
        *,
        role_arn: str | None = None,
        http_status: int | None = None,
    ) -> None:
        failure = AccessFailure(
            account=account,
            code=code,
            message=message,
            role_arn=role_arn,
            http_status=http_status,
        )
        self._states[account] = AccountState(
            account=account, status="failed", role_arn=role_arn, error=failure
        )
        raise failure

    def expired(self, account: str | None) -> None:
        """A server said ``account``'s session expired: renew it before the next call."""
        if account is not None and (credentials := self._credentials.get(account)) is not None:
            credentials.expire()

    def to_json(self) -> dict[str, Any]:
        """For ``summary.json``: the caller's account, the role and each account's state."""
        return {
            "callerAccount": self._caller,
            "roleArn": None if self.role is None else self.role.role_arn,
            "assumeRoleCalls": self.assume_calls,
            "accounts": [state.to_json() for state in self.states()],
        }
