"""The HTTP face of the simulator: routing, the operations, faults and error answers.

It runs on aiohttp's low-level server (no application router, no middleware, no access
log) because the benchmarks push thousands of requests a second through one process.
Routing is a split of the path; each operation parses its inputs, applies the API's
rules (:mod:`._rules`), calls the pure state (:mod:`._state`) and renders the result
(:mod:`._wire`). Faults are decided per request from one seeded RNG.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import socket
import struct
from collections.abc import Callable, Mapping
from urllib.parse import unquote

from aiohttp import web

from bulkjobs.sim import _listing, _organizations, _rules, _servicequotas, _sts, _wire
from bulkjobs.sim._auth import SignatureCheck, signing_region
from bulkjobs.sim._config import THING_INDEX, SimConfig
from bulkjobs.sim._errors import (
    ERROR_STATUS,
    ApiError,
    ErrorCode,
    invalid_request,
    not_found,
)
from bulkjobs.sim._jobs import DeletionTally, JobDeletions
from bulkjobs.sim._model import Operation
from bulkjobs.sim._quota import QuotaBook
from bulkjobs.sim._realms import Realm
from bulkjobs.sim._state import FleetState
from bulkjobs.sim._stats import OperationCounters, Recorder

#: Page size when a listing gets no maxResults (AWS does not document its default).
DEFAULT_MAX_RESULTS = 100

Query = Mapping[str, str]
Handler = Callable[["Service", tuple[str, ...], Query, bytes, float], "_wire.Document | None"]
#: Builds the fleet and quotas of a destination met for the first time.
RealmFactory = Callable[[str, str], tuple[FleetState, QuotaBook]]
_LINGER_RESET = struct.pack("ii", 1, 0)


class Service:
    """Answers IoT API requests from one fleet state, under one configuration."""

    def __init__(
        self,
        state: FleetState,
        config: SimConfig,
        quota: QuotaBook,
        recorder: Recorder,
        *,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        on_job_canceled: Callable[[], None],
        realm_factory: RealmFactory | None = None,
    ) -> None:
        #: The fleet of the caller's account in ``config.region`` — and of every
        #: destination unless the configuration separates them (``config.separate``).
        self.state = state
        #: The fleet the request being served acts on (set just before its handler).
        self.current = state
        self.config = config
        #: The configuration of the destination the request being served acts in.
        self.current_config = config
        self.quota = quota
        self.recorder = recorder
        self._rng = random.Random(config.seed)
        self._clock = clock
        self._wall_clock = wall_clock
        self._on_job_canceled = on_job_canceled
        self._request_ids = itertools.count(1)
        #: The number of the last request received (request ids count from 1).
        self.requests_received = 0
        #: The request whose handler is running: handlers are synchronous, so the state
        #: changes they make can be attributed to it.
        self._serving: int | None = None
        #: ARNs for the region the request being served was signed for.
        self.arns = _wire.Arns(config.account_id, config.region)
        self._arns_by_region: dict[str, _wire.Arns] = {}
        self._signatures = SignatureCheck()
        self._quota_signatures = SignatureCheck("servicequotas")
        self._sts_signatures = SignatureCheck("sts")
        self._org_signatures = SignatureCheck("organizations")
        #: Role sessions handed out by AssumeRole, by access key.
        self.tokens = _sts.TokenBook()
        #: Destinations other than the home one, when the configuration separates them.
        self.realms: dict[tuple[str, str], Realm] = {}
        self._realm_factory = realm_factory
        #: DeleteJob's deletions in progress, per fleet (each account-region has its own).
        self._deletions: dict[FleetState, JobDeletions] = {}
        #: Their sum at one instant, across every fleet.
        self.deletion_tally = DeletionTally()

    def deletions(self, state: FleetState) -> JobDeletions:
        """The DeleteJob book of one fleet."""
        book = self._deletions.get(state)
        if book is None:
            book = self._deletions[state] = JobDeletions(tally=self.deletion_tally)
        return book

    def now(self) -> float:
        """The server's wall clock, which ``clock_skew`` sets apart from this machine's."""
        return self._wall_clock() + self.config.clock_skew

    async def handle(self, request: web.BaseRequest) -> web.StreamResponse:
        """The aiohttp low-level handler: every request comes through here."""
        number = self.requests_received = next(self._request_ids)
        if request.method == "POST":
            target = request.headers.get("X-Amz-Target", "")
            if target.startswith(_servicequotas.TARGET_PREFIX):
                return await self._service_quotas(request, target, number)
            if target.startswith(_organizations.TARGET_PREFIX):
                return await self._organizations(request, target, number)
            if not target and request.rel_url.raw_path == "/":
                return await self._sts(request, number)
        route = _route(request.method, request.rel_url.raw_path)
        if route is None:
            self.recorder.unknown_requests += 1
            return self._error(
                number,
                ErrorCode.UNKNOWN_OPERATION,
                f"No operation serves {request.method} {request.rel_url.raw_path}.",
                ERROR_STATUS[ErrorCode.UNKNOWN_OPERATION],
            )
        operation, handler, raw_params = route
        counters = self.recorder.begin(operation)
        try:
            return await self._serve(request, number, operation, handler, raw_params, counters)
        finally:
            self.recorder.end(counters)

    async def _serve(
        self,
        request: web.BaseRequest,
        number: int,
        operation: Operation,
        handler: Handler,
        raw_params: tuple[str, ...],
        counters: OperationCounters,
    ) -> web.StreamResponse:
        authorization = request.headers.get("Authorization")
        try:
            caller = self._identify(request)
        except _sts.StsError as exc:
            code = (
                ErrorCode.EXPIRED_TOKEN
                if exc.code == "ExpiredToken"
                else ErrorCode.UNRECOGNIZED_CLIENT
            )
            counters.error(code)
            return self._error(number, code, exc.message, ERROR_STATUS[code])
        account = self.config.account_id if caller is None else caller.account
        region = signing_region(authorization) or self.config.region
        realm = self.realm(account, region)
        config = self.config if realm is None or realm.config is None else realm.config
        rng = self._rng if realm is None or realm.rng is None else realm.rng
        quota = self.quota if realm is None else realm.quota
        faulty = config.faulty_operations is None or operation in config.faulty_operations
        if faulty and config.p_reset and rng.random() < config.p_reset:
            counters.resets += 1
            return _reset(request)
        if config.check_signatures:
            # Authentication comes first and costs no quota, as at AWS.
            try:
                self._signatures.check(authorization, request.headers.get("X-Amz-Date"), self.now())
            except ApiError as exc:
                counters.error(exc.code)
                return self._error(number, exc.code, exc.message, ERROR_STATUS[exc.code])
        # The quota is charged on arrival, as AWS meters requests, not on completion.
        arrived = self._clock()
        if counters.first_request_at is None:
            counters.first_request_at = arrived
        throttled = not quota.try_acquire(operation)
        delay = 0.0 if config.latency is None else config.latency.sample(rng)
        if faulty and config.p_slow and rng.random() < config.p_slow:
            counters.slow += 1
            delay += config.slow_seconds
        if delay > 0.0:
            await asyncio.sleep(delay)
        if throttled:
            counters.throttled += 1
            counters.error(ErrorCode.THROTTLING)
            return self._error(
                number, ErrorCode.THROTTLING, "Rate exceeded", config.throttle_status
            )
        if faulty and config.p503 and rng.random() < config.p503:
            counters.unavailable += 1
            counters.error(ErrorCode.SERVICE_UNAVAILABLE)
            return self._error(
                number, ErrorCode.SERVICE_UNAVAILABLE, "Service is temporarily unavailable.", 503
            )
        body = await request.read() if request.method in ("PUT", "POST") else b""
        self._serving = number
        self.arns = self._arns_for(region, account)
        self.current = self.state if realm is None else realm.state
        self.current_config = config
        try:
            params = _decode_params(raw_params)
            now = self.now()
            # Deletions whose time has come are over before anything reads the state.
            self.deletions(self.current).finish_due(self.current, now)
            document = handler(self, params, request.query, body, now)
        except ApiError as exc:
            counters.error(exc.code)
            return self._error(number, exc.code, exc.message, ERROR_STATUS[exc.code], exc.details)
        finally:
            self._serving = None
            self.current = self.state
            self.current_config = self.config
        if faulty and config.p_lost_response and rng.random() < config.p_lost_response:
            counters.lost_responses += 1
            return _reset(request)
        counters.accepted += 1
        if realm is not None or config.separate:
            where = f"{account}/{region}"
            by_destination = self.recorder.by_destination
            by_destination[where] = by_destination.get(where, 0) + 1
        if counters.last_accepted_at is None or arrived > counters.last_accepted_at:
            counters.last_accepted_at = arrived
        return web.Response(
            body=_wire.encode(document),
            headers={
                "Content-Type": "application/json",
                "x-amzn-RequestId": _request_id(number),
            },
        )

    async def _service_quotas(
        self, request: web.BaseRequest, target: str, number: int
    ) -> web.Response:
        """Service Quotas (JSON 1.1) for the quotas in force; costs no IoT quota."""
        self.recorder.service_quota_requests += 1
        config = self.config
        status: int
        if config.check_signatures:
            try:
                self._quota_signatures.check(
                    request.headers.get("Authorization"),
                    request.headers.get("X-Amz-Date"),
                    self.now(),
                )
            except ApiError as exc:
                status, document = 403, {"__type": exc.code.value, "message": exc.message}
                return self._json_1_1(number, status, document)
        try:
            caller = self._identify(request)
        except _sts.StsError as exc:
            return self._json_1_1(number, exc.status, {"__type": exc.code, "message": exc.message})
        account = config.account_id if caller is None else caller.account
        region = signing_region(request.headers.get("Authorization")) or config.region
        realm = self.realm(account, region)
        quota = self.quota if realm is None else realm.quota
        status, document = _servicequotas.answer(
            target,
            await request.read(),
            quota.quotas(),
            enabled=config.service_quotas,
            account_id=account,
            region=region,
        )
        return self._json_1_1(number, status, document)

    def _identify(self, request: web.BaseRequest) -> _sts.Issued | None:
        """The role session a request is signed with (None: the caller's own key)."""
        return _sts.identity(
            self.tokens,
            self.config,
            _sts.access_key_of(request.headers.get("Authorization")),
            request.headers.get("X-Amz-Security-Token"),
            self.now(),
        )

    def realm(self, account: str, region: str) -> Realm | None:
        """The destination (account, region) a request acts in; None: the home one
        (``state`` and ``quota``), which every request uses unless separated."""
        config = self.config
        if not config.separate or (account == config.account_id and region == config.region):
            return None
        key = (account, region)
        found = self.realms.get(key)
        if found is None:
            if self._realm_factory is None:
                return None
            state, quota = self._realm_factory(account, region)
            found = self.realms[key] = Realm(
                account=account, region=region, state=state, quota=quota
            )
        return found

    def states(self) -> list[FleetState]:
        """Every destination's fleet, the home one first (for background activity)."""
        return [self.state, *(realm.state for realm in self.realms.values())]

    async def _sts(self, request: web.BaseRequest, number: int) -> web.Response:
        """STS (query protocol, XML answers): AssumeRole and GetCallerIdentity."""
        self.recorder.sts_requests += 1
        status: int
        if self.config.check_signatures:
            try:
                self._sts_signatures.check(
                    request.headers.get("Authorization"),
                    request.headers.get("X-Amz-Date"),
                    self.now(),
                )
            except ApiError as exc:
                error = _sts.StsError(exc.code.value, exc.message, 403)
                return self._xml(number, 403, _sts.error_document(error, _request_id(number)))
        try:
            caller = self._identify(request)
        except _sts.StsError as exc:
            return self._xml(number, exc.status, _sts.error_document(exc, _request_id(number)))
        status, text = _sts.answer(
            await request.read(),
            book=self.tokens,
            config=self.config,
            caller=caller,
            now=self.now(),
            request_id=_request_id(number),
        )
        return self._xml(number, status, text)

    def _xml(self, number: int, status: int, text: str) -> web.Response:
        return web.Response(
            status=status,
            body=text.encode(),
            headers={"Content-Type": _sts.CONTENT_TYPE, "x-amzn-RequestId": _request_id(number)},
        )

    async def _organizations(
        self, request: web.BaseRequest, target: str, number: int
    ) -> web.Response:
        """Organizations (JSON 1.1): the accounts and units the management account sees."""
        self.recorder.organizations_requests += 1
        if self.config.check_signatures:
            try:
                self._org_signatures.check(
                    request.headers.get("Authorization"),
                    request.headers.get("X-Amz-Date"),
                    self.now(),
                )
            except ApiError as exc:
                return self._json_1_1(
                    number, 403, {"__type": exc.code.value, "message": exc.message}
                )
        try:
            caller = self._identify(request)
        except _sts.StsError as exc:
            return self._json_1_1(number, exc.status, {"__type": exc.code, "message": exc.message})
        account = self.config.account_id if caller is None else caller.account
        status, document = _organizations.answer(
            target, await request.read(), self.config.org, caller=account
        )
        return self._json_1_1(number, status, document)

    def _json_1_1(self, number: int, status: int, document: _wire.Document) -> web.Response:
        return web.Response(
            status=status,
            body=_wire.encode(document),
            headers={
                "Content-Type": _servicequotas.CONTENT_TYPE,
                "x-amzn-RequestId": _request_id(number),
            },
        )

    def _arns_for(self, region: str, account: str) -> _wire.Arns:
        key = f"{account}/{region}"
        arns = self._arns_by_region.get(key)
        if arns is None:
            arns = self._arns_by_region[key] = _wire.Arns(account, region)
        return arns

    def _error(
        self,
        number: int,
        code: ErrorCode,
        message: str,
        status: int,
        details: Mapping[str, object] | None = None,
    ) -> web.Response:
        return web.Response(
            status=status,
            body=_wire.encode({"message": message, **(details or {})}),
            headers={
                "Content-Type": "application/json",
                "x-amzn-ErrorType": code.value,
                "x-amzn-RequestId": _request_id(number),
            },
        )

    # -- operations ---------------------------------------------------------------------

    def cancel_job_execution(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        thing_name, job_id = _rules.thing_name(params[0]), _rules.job_id(params[1])
        force = _rules.flag(query.get("force"), "force")
        document = _wire.request_document(body)
        self.current.cancel_execution(
            job_id,
            thing_name,
            force=force,
            expected_version=_rules.expected_version(document.get("expectedVersion")),
            status_details=_rules.status_details(document.get("statusDetails")),
            now=now,
            by=self._serving,
        )
        return None

    def delete_job_execution(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        thing_name, job_id = _rules.thing_name(params[0]), _rules.job_id(params[1])
        execution_number = _rules.long_value(params[2], "executionNumber")
        force = _rules.flag(query.get("force"), "force")
        # Validated, then not used: the simulated jobs are not customer-managed ones.
        _rules.namespace_id(query.get("namespaceId"))
        self.current.delete_execution(job_id, thing_name, execution_number, force=force, now=now)
        return None

    def cancel_job(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        job_id = _rules.job_id(params[0])
        force = _rules.flag(query.get("force"), "force")
        document = _wire.request_document(body)
        job = self.current.cancel_job(
            job_id,
            force=force,
            reason_code=_rules.reason_code(document.get("reasonCode")),
            comment=_rules.comment(document.get("comment")),
            now=now,
            max_cancelling_jobs=self.config.max_cancelling_jobs,
        )
        self._on_job_canceled()
        return _wire.cancel_job_result(job, self.arns)

    def delete_job(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        job_id = _rules.job_id(params[0])
        force = _rules.flag(query.get("force"), "force")
        # Validated, then not used: the simulated jobs are not customer-managed ones.
        _rules.namespace_id(query.get("namespaceId"))
        config, deletions = self.config, self.deletions(self.current)
        deletions.max_deleting = config.max_deleting_jobs
        deletions.base_seconds = config.job_deletion_seconds
        deletions.per_execution_seconds = config.job_deletion_seconds_per_execution
        deletions.start(self.current, job_id, force=force, now=now)
        return None

    def list_jobs(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        group_name = query.get("thingGroupName")
        group_id = query.get("thingGroupId")
        state = self.current
        page = _listing.jobs(
            state,
            status=_rules.job_status(query.get("status")),
            target_selection=_rules.target_selection(query.get("targetSelection")),
            thing_group_name=None if group_name is None else _rules.thing_group_name(group_name),
            thing_group_id=None if group_id is None else _rules.thing_group_id(group_id),
            namespace_id=_rules.namespace_id(query.get("namespaceId")),
            max_results=_rules.max_results(query.get("maxResults"), DEFAULT_MAX_RESULTS),
            next_token=query.get("nextToken"),
        )
        summaries = []
        for job in page.items:
            group = state.target_group(job)
            summaries.append(
                _wire.job_summary(job, self.arns, None if group is None else group.group_id)
            )
        return _wire.page("jobs", summaries, page.next_token)

    def describe_job_execution(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        thing_name, job_id = _rules.thing_name(params[0]), _rules.job_id(params[1])
        number = query.get("executionNumber")
        execution_number = None if number is None else _rules.long_value(number, "executionNumber")
        execution = self.current.execution(job_id, thing_name, execution_number)
        return {"execution": _wire.job_execution(self.arns, execution)}

    def describe_job(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        job_id = _rules.job_id(params[0])
        _rules.flag(query.get("beforeSubstitution"), "beforeSubstitution")
        return _wire.job(self.current.job(job_id), self.arns)

    def list_job_executions_for_job(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        job_id = _rules.job_id(params[0])
        page = _listing.executions_for_job(
            self.current,
            job_id,
            status=_rules.execution_status(query.get("status")),
            max_results=_rules.max_results(query.get("maxResults"), DEFAULT_MAX_RESULTS),
            next_token=query.get("nextToken"),
        )
        thing_arn = self.arns.thing
        summaries = [
            {
                "thingArn": thing_arn(execution.thing_name),
                "jobExecutionSummary": _wire.execution_summary(execution),
            }
            for execution in page.items
        ]
        return _wire.page("executionSummaries", summaries, page.next_token)

    def list_job_executions_for_thing(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        thing_name = _rules.thing_name(params[0])
        job_id = query.get("jobId")
        # Validated, then not used: the simulated jobs are not customer-managed ones.
        _rules.namespace_id(query.get("namespaceId"))
        page = _listing.executions_for_thing(
            self.current,
            thing_name,
            status=_rules.execution_status(query.get("status")),
            job_id=None if job_id is None else _rules.job_id(job_id),
            max_results=_rules.max_results(query.get("maxResults"), DEFAULT_MAX_RESULTS),
            next_token=query.get("nextToken"),
        )
        summaries = [
            {"jobId": execution.job_id, "jobExecutionSummary": _wire.execution_summary(execution)}
            for execution in page.items
        ]
        return _wire.page("executionSummaries", summaries, page.next_token)

    def list_things_in_thing_group(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        group_name = _rules.thing_group_name(params[0])
        page = _listing.things_in_group(
            self.current,
            group_name,
            recursive=_rules.flag(query.get("recursive"), "recursive"),
            max_results=_rules.max_results(query.get("maxResults"), DEFAULT_MAX_RESULTS),
            next_token=query.get("nextToken"),
        )
        return _wire.page("things", list(page.items), page.next_token)

    def search_index(
        self, params: tuple[str, ...], query: Query, body: bytes, now: float
    ) -> _wire.Document | None:
        document = _wire.request_document(body)
        name = _rules.index_name(document.get("indexName"))
        query_string = _rules.query_string(document.get("queryString"))
        max_results = _rules.search_max_results(
            document.get("maxResults"), _rules.MAX_SEARCH_RESULTS
        )
        next_token = _rules.optional_string(document.get("nextToken"), "nextToken")
        _rules.optional_string(document.get("queryVersion"), "queryVersion")
        # The state of the index belongs to the destination's configuration.
        config = self.current_config
        if name != THING_INDEX or config.thing_index == "OFF":
            # What AWS answers while thing indexing is off (or for an index it lacks).
            raise not_found(
                f"Index {name} does not exist. Please enable index by calling "
                "UpdateIndexingConfiguration"
            )
        if config.thing_index == "BUILDING":
            raise ApiError(ErrorCode.INDEX_NOT_READY, f"Index {name} is not ready.")
        state = self.current
        page = _listing.search_things(
            state, query_string, max_results=max_results, next_token=next_token
        )
        things = [_wire.thing_document(state, name, self.arns) for name in page.items]
        document = {"things": things, "thingGroups": []}
        if page.next_token is not None:
            document["nextToken"] = page.next_token
        return document


def _route(method: str, raw_path: str) -> tuple[Operation, Handler, tuple[str, ...]] | None:
    """The operation a request addresses and its still-encoded path labels."""
    parts = raw_path.split("/")
    size = len(parts)
    if size == 2 and parts == ["", "jobs"] and method == "GET":
        return Operation.LIST_JOBS, Service.list_jobs, ()
    if size < 3 or parts[0]:
        return None
    head = parts[1]
    if head == "things" and size >= 4 and parts[3] == "jobs":
        if size == 4 and method == "GET":
            return (
                Operation.LIST_JOB_EXECUTIONS_FOR_THING,
                Service.list_job_executions_for_thing,
                (parts[2],),
            )
        if size == 5 and method == "GET":
            return (
                Operation.DESCRIBE_JOB_EXECUTION,
                Service.describe_job_execution,
                (parts[2], parts[4]),
            )
        if size == 6 and method == "PUT" and parts[5] == "cancel":
            return (
                Operation.CANCEL_JOB_EXECUTION,
                Service.cancel_job_execution,
                (parts[2], parts[4]),
            )
        if size == 7 and method == "DELETE" and parts[5] == "executionNumber":
            return (
                Operation.DELETE_JOB_EXECUTION,
                Service.delete_job_execution,
                (parts[2], parts[4], parts[6]),
            )
    elif head == "jobs":
        if size == 3 and method == "GET":
            return Operation.DESCRIBE_JOB, Service.describe_job, (parts[2],)
        if size == 3 and method == "DELETE":
            return Operation.DELETE_JOB, Service.delete_job, (parts[2],)
        if size == 4 and method == "GET" and parts[3] == "things":
            return (
                Operation.LIST_JOB_EXECUTIONS_FOR_JOB,
                Service.list_job_executions_for_job,
                (parts[2],),
            )
        if size == 4 and method == "PUT" and parts[3] == "cancel":
            return Operation.CANCEL_JOB, Service.cancel_job, (parts[2],)
    elif head == "indices" and size == 3 and parts[2] == "search" and method == "POST":
        return Operation.SEARCH_INDEX, Service.search_index, ()
    elif head == "thing-groups" and size == 4 and parts[3] == "things" and method == "GET":
        return (
            Operation.LIST_THINGS_IN_THING_GROUP,
            Service.list_things_in_thing_group,
            (parts[2],),
        )
    return None


def _request_id(number: int) -> str:
    return f"00000000-0000-4000-8000-{number:012x}"


def _decode_params(raw: tuple[str, ...]) -> tuple[str, ...]:
    try:
        return tuple(unquote(part, errors="strict") for part in raw)
    except UnicodeDecodeError:
        raise invalid_request("A path parameter is not valid percent-encoded UTF-8.") from None


def _reset(request: web.BaseRequest) -> web.StreamResponse:
    """Drop the connection with a TCP reset, answering nothing.

    SO_LINGER with a zero timeout makes close() send RST instead of FIN, which clients
    report as "connection reset by peer" — the failure mode this knob exists to test.
    """
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RESET)
        transport.abort()
    # Nothing reaches the client: the transport is gone before aiohttp writes this.
    return web.Response(status=500)
