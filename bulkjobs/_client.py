"""The thin I/O layer: one aiobotocore IoT client per destination, and one call.

botocore's own retries are switched off (``total_max_attempts=1``) so the engine owns
the retry policy: with both layers retrying, a throttled call would be repeated
``botocore attempts × engine attempts`` times, and botocore's per-client retry quota
would turn later throttles into immediate failures (``RetryQuotaReached``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import anyio
import botocore.exceptions as bexc
from aiobotocore.config import AioConfig
from aiobotocore.httpsession import AIOHTTPSession
from aiobotocore.session import AioSession

from bulkjobs._accounts import AccessFailure, AccountAccess, AccountState
from bulkjobs._classify import ErrorClass, classify_code
from bulkjobs._config import DEFAULT_REGION, RunConfig
from bulkjobs._destination import Destination
from bulkjobs._iotmodel import aio_session, recorded_release
from bulkjobs._useragent import memoize_user_agent

__all__ = ["CallError", "CallFailure", "Clients", "Transport", "no_access"]

_METHOD = {
    "CancelJobExecution": "cancel_job_execution",
    "DeleteJobExecution": "delete_job_execution",
    "CancelJob": "cancel_job",
    "DeleteJob": "delete_job",
    "DescribeJobExecution": "describe_job_execution",
    "DescribeJob": "describe_job",
    "ListJobExecutionsForJob": "list_job_executions_for_job",
    "ListJobExecutionsForThing": "list_job_executions_for_thing",
    "ListThingsInThingGroup": "list_things_in_thing_group",
    "ListJobs": "list_jobs",
    "SearchIndex": "search_index",
}

_TRANSPORT = (bexc.ConnectionError, bexc.HTTPClientError, TimeoutError, OSError)
_CREDENTIALS = (
    bexc.NoCredentialsError,
    bexc.PartialCredentialsError,
    bexc.CredentialRetrievalError,
    bexc.TokenRetrievalError,
    bexc.UnauthorizedSSOTokenError,
    bexc.SSOTokenLoadError,
    bexc.ProfileNotFound,
)


class _NoSilentRetrySession(AIOHTTPSession):  # type: ignore[misc]
    """aiohttp silently resends an idempotent request (PUT, DELETE) once when a reused
    connection drops. For CancelJobExecution that hides the one signal that a call may
    have been applied before its answer was lost — the retry then meets the cancelled
    execution and looks like "already terminal". The engine owns every retry, so this
    one is switched off and the drop surfaces as a transport error."""

    async def _get_session(self, proxy_url: Any) -> Any:
        session = await super()._get_session(proxy_url)
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False
        return session


@dataclass(frozen=True, slots=True, kw_only=True)
class CallFailure:
    """A failed call, translated once from botocore's exceptions."""

    cls: ErrorClass
    code: str
    message: str
    http_status: int | None = None


class CallError(Exception):
    def __init__(self, failure: CallFailure) -> None:
        self.failure = failure
        super().__init__(f"{failure.code}: {failure.message}")


def translate(exc: BaseException) -> CallFailure:
    """The one boundary where botocore's exceptions become ours."""
    if isinstance(exc, bexc.ClientError):
        error = exc.response.get("Error", {})
        meta = exc.response.get("ResponseMetadata", {})
        code = str(error.get("Code") or "Unknown")
        message = str(error.get("Message") or "")
        status = meta.get("HTTPStatusCode")
        status = int(status) if status is not None else None
        return CallFailure(
            cls=classify_code(code, message, status), code=code, message=message, http_status=status
        )
    if isinstance(exc, _CREDENTIALS):
        return CallFailure(cls=ErrorClass.AUTH, code=type(exc).__name__, message=str(exc))
    if isinstance(exc, bexc.ParamValidationError):
        return CallFailure(
            cls=ErrorClass.INVALID_REQUEST, code="ParamValidationError", message=str(exc)
        )
    if isinstance(exc, _TRANSPORT):
        return CallFailure(cls=ErrorClass.TRANSPORT, code=type(exc).__name__, message=str(exc))
    return CallFailure(cls=ErrorClass.OTHER, code=type(exc).__name__, message=str(exc))


class Transport(Protocol):
    """What the engine needs from the I/O layer: scripted in unit tests."""

    @property
    def default_destination(self) -> Destination:
        """Where a target without a destination of its own goes, every field set."""
        ...

    async def call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination
    ) -> dict[str, Any]:
        """Send one call to ``destination`` (resolved: every field set); raise
        :class:`CallError` on any failure."""
        ...


def no_access(failure: AccessFailure) -> CallFailure:
    """An account that cannot be reached, as the failure of each of its targets."""
    return CallFailure(
        cls=ErrorClass.NO_ACCESS,
        code=failure.code,
        message=failure.message,
        http_status=failure.http_status,
    )


class Clients:
    """Opens one client per destination on first use; closes them all on exit.

    A destination in a named account gets its client from that account's session in
    ``access`` (an assumed role); without ``access`` every call uses the base session.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        session: AioSession | None = None,
        access: AccountAccess | None = None,
    ) -> None:
        self._config = config
        self._session = session if session is not None or access is None else access.base_session
        self._access = access
        self._stack = contextlib.AsyncExitStack()
        self._clients: dict[Destination, Any] = {}
        self._quota_clients: dict[Destination, Any] = {}
        self._lock = anyio.Lock()
        self._answered: set[Destination] = set()
        self._answer_events: dict[Destination, anyio.Event] = {}

    @property
    def default_destination(self) -> Destination:
        configured = self._config.destination
        if configured.region is not None:
            return configured
        # Without --region, the profile's configuration (or AWS_REGION) decides.
        session = self._get_session()
        region = str(session.get_config_variable("region") or DEFAULT_REGION)
        return Destination(region=region)

    def _get_session(self) -> AioSession:
        if self._session is None:
            self._session = aio_session(self._config.profile)
        return self._session

    async def __aenter__(self) -> Clients:
        await self._stack.__aenter__()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._clients.clear()
        self._quota_clients.clear()
        await self._stack.aclose()

    async def service_quotas(self, destination: Destination) -> Any:
        """A Service Quotas client for ``destination`` (resolved), opened on first use.

        With an ``endpoint_url`` it asks the same endpoint (the simulator answers
        both APIs); one attempt, short timeouts: it only seeds auto rate mode.
        """
        if (found := self._quota_clients.get(destination)) is not None:
            return found
        # The quota is the account's: ask with its role's session.
        session = await self._session_for(destination)
        async with self._lock:
            if (found := self._quota_clients.get(destination)) is None:
                cfg = self._config
                aio_config = AioConfig(
                    connect_timeout=min(cfg.connect_timeout, 3.0),
                    read_timeout=min(cfg.read_timeout, 5.0),
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    user_agent_extra="bulkjobs",
                )
                # An IoT endpoint set only through the environment is a custom one too
                # (a rehearsal): ask it, never the real Service Quotas behind its back.
                endpoint = cfg.endpoint_url or os.environ.get("AWS_ENDPOINT_URL_IOT") or None
                found = await self._stack.enter_async_context(
                    session.create_client(
                        "service-quotas",
                        region_name=destination.region,
                        endpoint_url=endpoint,
                        config=aio_config,
                    )
                )
                self._quota_clients[destination] = found
        return found

    def unreachable(self, destination: Destination) -> AccountState | None:
        """The state of ``destination``'s account when calls there cannot be made (its
        role was refused), or None: its targets then fail without a rate slot."""
        if self._access is None or destination.account is None:
            return None
        state = self._access.state(destination.account)
        return None if state is None or state.error is None else state

    async def _session_for(self, destination: Destination) -> AioSession:
        if self._access is None or destination.account is None:
            return self._get_session()
        try:
            return await self._access.session_for(destination.account)
        except AccessFailure as failure:
            raise CallError(no_access(failure)) from failure

    async def client(self, destination: Destination) -> Any:
        if (found := self._clients.get(destination)) is not None:
            return found
        # Outside the lock: an AssumeRole for one account must not hold up the others.
        session = await self._session_for(destination)
        async with self._lock:
            if (found := self._clients.get(destination)) is None:
                cfg = self._config
                aio_config = AioConfig(
                    max_pool_connections=max(cfg.concurrency, 10),
                    connect_timeout=cfg.connect_timeout,
                    read_timeout=cfg.read_timeout,
                    retries={"total_max_attempts": 1, "mode": "standard"},
                    user_agent_extra="bulkjobs",
                    http_session_cls=_NoSilentRetrySession,
                )
                try:
                    found = await self._stack.enter_async_context(
                        session.create_client(
                            "iot",
                            region_name=destination.region,
                            endpoint_url=cfg.endpoint_url,
                            config=aio_config,
                        )
                    )
                except Exception as exc:
                    raise CallError(translate(exc)) from exc
                memoize_user_agent(found, checked_release=recorded_release())
                self._clients[destination] = found
        return found

    async def first_answer(self, destination: Destination) -> None:
        """Return once a call to ``destination`` has ended, answered or failed.

        What can wait until the first request has gone out (the Service Quotas lookup)
        waits for this: creating another client is some milliseconds of CPU that would
        otherwise be spent while the first request is still being prepared and sent.
        """
        if destination not in self._answered:
            await self._answer_events.setdefault(destination, anyio.Event()).wait()

    def _answer(self, destination: Destination) -> None:
        self._answered.add(destination)
        if (event := self._answer_events.pop(destination, None)) is not None:
            event.set()

    async def call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination
    ) -> dict[str, Any]:
        try:
            client = await self.client(destination)
            try:
                response: dict[str, Any] = await getattr(client, _METHOD[api])(**params)
            except Exception as exc:
                failure = translate(exc)
                if failure.cls is ErrorClass.EXPIRED_CREDENTIALS and self._access is not None:
                    # The server has the last word on a session's end: renew it before
                    # the engine's retry signs again.
                    self._access.expired(destination.account)
                raise CallError(failure) from exc
        finally:
            if destination not in self._answered:
                self._answer(destination)
        return response
