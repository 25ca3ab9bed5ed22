"""The simulator's lifecycle: listen, serve, restart, stop; and the test-facing controls.

    async with Simulator(SimConfig(quota=None), FleetSpec(things=1000)) as sim:
        client = session.create_client("iot", endpoint_url=sim.endpoint_url, ...)

One :class:`Simulator` owns one fleet state and one event loop's worth of tasks. Its
state survives :meth:`Simulator.restart` (the listening socket goes, the data stays), as
a service's does across a deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import ipaddress
import random
import time
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bulkjobs.sim._app import Service
from bulkjobs.sim._churn import churn, run_device_churn, run_job_cancellations
from bulkjobs.sim._config import SimConfig
from bulkjobs.sim._fleet import FleetSpec, build_state
from bulkjobs.sim._jobs import DeletionStatistics, DeletionTotals
from bulkjobs.sim._model import (
    Execution,
    ExecutionSnapshot,
    ExecutionStatus,
    JobSnapshot,
    Operation,
    TargetSelection,
    ThingProfile,
)
from bulkjobs.sim._quota import QuotaBook
from bulkjobs.sim._state import FleetState
from bulkjobs.sim._stats import Recorder, SimStatistics

#: Seconds in-flight (say, deliberately slow) responses get at stop before being cancelled.
_SHUTDOWN_GRACE = 1.0
_QUOTA_FIELDS = frozenset({"quota", "quotas", "burst_seconds", "quota_schedule"})


def check_loopback(host: str, *, allow_remote: bool) -> None:
    """Refuse to listen beyond this machine unless explicitly allowed.

    The simulator has no authentication: on a reachable address anyone could drive it.
    """
    if allow_remote or host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(
            f"refusing to listen on {host!r}: not a loopback address "
            "(allow_remote=True / --allow-remote to override)"
        )


class Simulator:
    """An AWS IoT Jobs control plane on a local port, speaking the REST-JSON protocol.

    Use it as an async context manager (or :meth:`start` / :meth:`stop`). While it runs:
    :attr:`endpoint_url` for clients; :meth:`statistics` for the counters;
    :meth:`set_quota` and :meth:`reconfigure` to change behaviour mid-run;
    :meth:`restart` (or :meth:`stop_listening` / :meth:`start_listening`) to drop
    connections while keeping state; :meth:`execution`, :meth:`executions` and :meth:`job`
    to read the state, and :meth:`set_execution_status`, :meth:`advance_devices`,
    :meth:`add_job` and :meth:`reset` to change it as devices or operators would.
    ``clock`` (monotonic: quotas, uptime) and ``wall_clock`` (timestamps, signatures)
    can be injected.
    """

    def __init__(
        self,
        config: SimConfig | None = None,
        fleet: FleetSpec | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        allow_remote: bool = False,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        check_loopback(host, allow_remote=allow_remote)
        self._config = config if config is not None else SimConfig()
        self._fleet = fleet if fleet is not None else FleetSpec()
        self._host = host
        self._port = port
        self._clock = clock
        self._churn_wake = asyncio.Event()
        self._cancel_wake = asyncio.Event()
        self._cancel_done: dict[str, asyncio.Event] = {}
        self._device_rng = random.Random(self._config.seed + 2)
        self._service = Service(
            build_state(
                self._fleet,
                now=wall_clock() + self._config.clock_skew,
                account_id=self._config.account_id,
                region=self._config.region,
            ),
            self._config,
            self._quota_book(self._config),
            Recorder(),
            clock=clock,
            wall_clock=wall_clock,
            on_job_canceled=self._cancel_wake.set,
            realm_factory=self._new_realm,
        )
        self._runner: web.ServerRunner | None = None
        self._site: web.TCPSite | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._started_at = clock()

    # -- lifecycle ----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Bind the port and start serving and the background activity."""
        if self._runner is not None:
            raise RuntimeError("the simulator is already started")
        server = web.Server(self._service.handle, access_log=None)
        self._runner = web.ServerRunner(
            server, handle_signals=False, shutdown_timeout=_SHUTDOWN_GRACE
        )
        await self._runner.setup()
        try:
            await self.start_listening()
        except BaseException:
            # Port taken, address unavailable: leave nothing half-started behind.
            await self._runner.cleanup()
            self._runner = None
            raise
        self._started_at = self._clock()
        self._service.quota.rebase()
        self._tasks = [
            asyncio.create_task(
                run_device_churn(
                    self._service, wake=self._churn_wake, wall_clock=self._service.now
                ),
                name="bulkjobs-sim-churn",
            ),
            asyncio.create_task(
                run_job_cancellations(
                    self._service,
                    wake=self._cancel_wake,
                    wall_clock=self._service.now,
                    finished=self._jobs_finished_cancelling,
                ),
                name="bulkjobs-sim-cancel-job",
            ),
        ]

    async def stop(self) -> None:
        """Stop serving and the background tasks; the state stays readable."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        if self._site is not None:
            await self.stop_listening()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def start_listening(self) -> None:
        """Accept connections again (on the same port once one was bound)."""
        if self._runner is None:
            raise RuntimeError("the simulator is not started")
        if self._site is not None:
            return
        site = web.TCPSite(self._runner, self._host, self._port, reuse_address=True)
        await site.start()
        self._site = site
        self._port = site.port

    async def stop_listening(self) -> None:
        """Close the listening socket and every open connection, as a dying server does."""
        if self._site is None:
            return
        await self._site.stop()
        self._site = None
        assert self._runner is not None and self._runner.server is not None
        for connection in self._runner.server.connections:
            connection.force_close()

    async def restart(self, *, downtime: float = 0.0) -> None:
        """Drop every connection, stay unreachable ``downtime`` seconds, listen again."""
        await self.stop_listening()
        if downtime > 0:
            await asyncio.sleep(downtime)
        await self.start_listening()
        self._service.recorder.restarts += 1

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        """The bound port (0 before the first start with port=0)."""
        return self._port

    @property
    def endpoint_url(self) -> str:
        """What to pass as ``endpoint_url`` to a boto3 / aiobotocore IoT client."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def listening(self) -> bool:
        return self._site is not None

    # -- configuration ------------------------------------------------------------------

    @property
    def config(self) -> SimConfig:
        return self._service.config

    @property
    def fleet(self) -> FleetSpec:
        return self._fleet

    def reconfigure(self, **changes: Any) -> SimConfig:
        """Swap in a config with ``changes`` (SimConfig fields); returns the new config.

        Changing a quota field restarts the quota buckets (and their schedule) from now.
        """
        config = dataclasses.replace(self._service.config, **changes)
        if _QUOTA_FIELDS & changes.keys():
            self._service.quota = self._quota_book(config)
            for realm in self._service.realms.values():
                if realm.config is None:
                    realm.quota = self._quota_book(config)
        self._service.config = config
        self._churn_wake.set()
        return config

    def set_quota(self, operation: Operation | str | None, tps: float | None) -> None:
        """Set one operation's quota, or all with None, in requests/s (None: unlimited)."""
        name = None if operation is None else Operation(operation).value
        self._service.quota.set_quota(name, tps)
        for realm in self._service.realms.values():
            if realm.config is None:
                realm.quota.set_quota(name, tps)

    def quotas(self) -> dict[str, float | None]:
        """The quota in force for each operation right now."""
        return self._service.quota.quotas()

    # -- observing ----------------------------------------------------------------------

    def statistics(self) -> SimStatistics:
        """A frozen snapshot of the counters."""
        return self._service.recorder.snapshot(
            uptime=self._clock() - self._started_at, since=self._started_at
        )

    def deletion_statistics(
        self, *, account: str | None = None, region: str | None = None
    ) -> DeletionStatistics:
        """DeleteJob's counters in one destination (the home one by default):
        deletions in progress, finished, refused for the limit, and the most at once."""
        service = self._service
        state = self._state(account, region)
        book = service.deletions(state)
        book.finish_due(state, service.now())
        return book.statistics()

    def deletion_totals(self) -> DeletionTotals:
        """Deletions in progress across every destination, and the most at one instant
        (destinations that deleted side by side add up; ones that took turns do not)."""
        return self._service.deletion_tally.totals(self._service.now())

    @property
    def requests_received(self) -> int:
        """How many requests arrived so far: the number of the latest (ids count from 1).

        Read it between two runs to tell their changes apart by
        :attr:`ExecutionSnapshot.changed_by`.
        """
        return self._service.requests_received

    def reset_statistics(self) -> None:
        """Start counting from zero (between benchmark repeats, say)."""
        self._service.recorder = Recorder()

    # -- destinations (accounts and regions) ---------------------------------------------

    def _state(self, account: str | None, region: str | None) -> FleetState:
        """The fleet of a destination (the home one by default)."""
        config = self._service.config
        realm = self._service.realm(account or config.account_id, region or config.region)
        return self._service.state if realm is None else realm.state

    def destinations(self) -> list[tuple[str, str]]:
        """Every (account, region) with a fleet of its own so far, the home one first."""
        config = self._service.config
        return [(config.account_id, config.region), *self._service.realms]

    def reconfigure_destination(self, account: str, region: str, **changes: Any) -> SimConfig:
        """Give one (account, region) a configuration of its own: faults, latency or
        quotas (SimConfig fields) apply there only. Needs separated destinations."""
        service = self._service
        realm = service.realm(account, region)
        if realm is None:
            raise ValueError(
                "only a destination other than the home one, on a simulator with accounts "
                "(or separate_destinations), can be configured apart"
            )
        realm.config = dataclasses.replace(realm.config or service.config, **changes)
        realm.rng = random.Random(hash((realm.config.seed, account, region)))
        if _QUOTA_FIELDS & changes.keys():
            realm.quota = self._quota_book(realm.config)
            realm.quota.rebase()
        return realm.config

    def set_destination_quota(
        self, account: str, region: str, operation: Operation | str | None, tps: float | None
    ) -> None:
        """Set one destination's quota for an operation (None: all) in requests/s."""
        realm = self._service.realm(account, region)
        book = self._service.quota if realm is None else realm.quota
        name = None if operation is None else Operation(operation).value
        book.set_quota(name, tps)

    def assumed_roles(self) -> dict[str, int]:
        """AssumeRole calls answered with credentials so far, per account."""
        return dict(self._service.tokens.assumed)

    def refused_roles(self) -> dict[str, int]:
        """AssumeRole calls refused (AccessDenied) so far, per account."""
        return dict(self._service.tokens.refused)

    def expire_sessions(self, account: str | None = None) -> int:
        """End the role sessions handed out (of ``account``) now, as if they had run
        out: the next request with one is answered ExpiredToken(Exception)."""
        return self._service.tokens.expire(account, now=self._service.now())

    def execution(
        self,
        job_id: str,
        thing_name: str,
        *,
        account: str | None = None,
        region: str | None = None,
    ) -> ExecutionSnapshot | None:
        """The execution as the server holds it, or None if there is none (deleted)."""
        job = self._state(account, region).find_job(job_id)
        execution = job.executions.get(thing_name) if job is not None else None
        return None if execution is None else execution.snapshot()

    def executions(
        self,
        job_id: str,
        *,
        status: ExecutionStatus | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> list[ExecutionSnapshot]:
        """Every execution of a job (in listing order), optionally of one status."""
        job = self._state(account, region).find_job(job_id)
        if job is None:
            raise KeyError(job_id)
        return [
            execution.snapshot()
            for name in job.order
            if (execution := job.executions.get(name)) is not None
            and (status is None or execution.status is status)
        ]

    def job(
        self, job_id: str, *, account: str | None = None, region: str | None = None
    ) -> JobSnapshot:
        """The job as the server holds it; KeyError if it does not exist (or its
        deletion has finished)."""
        state = self._state(account, region)
        self._service.deletions(state).finish_due(state, self._service.now())
        job = state.find_job(job_id)
        if job is None:
            raise KeyError(job_id)
        return job.snapshot()

    async def wait_job_cancellation(self, job_id: str) -> None:
        """Return once CancelJob has reached every execution it is going to cancel."""
        if not self._service.state.is_cancelling(job_id):
            return
        await self._cancel_done.setdefault(job_id, asyncio.Event()).wait()

    # -- acting as devices and operators -----------------------------------------------------

    def set_execution_status(
        self,
        job_id: str,
        thing_name: str,
        status: ExecutionStatus | str,
        *,
        status_details: dict[str, str] | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> ExecutionSnapshot:
        """Change an execution as its device would (version + 1); KeyError if missing."""
        state = self._state(account, region)
        if state.find_job(job_id) is None:
            raise KeyError(job_id)
        execution = state.device_update(
            job_id,
            thing_name,
            ExecutionStatus(status),
            now=self._service.now(),
            status_details=status_details,
        )
        return execution.snapshot()

    def set_thing(
        self,
        thing_name: str,
        *,
        attributes: dict[str, str] | None = None,
        connected: bool | None = None,
        account: str | None = None,
        region: str | None = None,
    ) -> None:
        """Change what fleet indexing sees of a thing: its attributes (replaced, as
        UpdateThing would) or its connectivity (a device connecting or dropping off).
        KeyError when there is no such thing."""
        state = self._state(account, region)
        if not state.has_thing(thing_name):
            raise KeyError(thing_name)
        state.set_profile(thing_name, attributes=attributes, connected=connected)

    def add_thing(
        self,
        thing_name: str,
        *,
        attributes: dict[str, str] | None = None,
        connected: bool = False,
        groups: tuple[str, ...] = (),
        account: str | None = None,
        region: str | None = None,
    ) -> None:
        """Register a thing as CreateThing and AddThingToThingGroup would (its
        attributes replaced if it exists); groups not there yet are made top-level."""
        state = self._state(account, region)
        for group in groups:
            if not state.has_group(group):
                state.add_group(group)
        state.add_thing(
            thing_name, groups=groups, profile=ThingProfile.of(attributes, connected=connected)
        )

    def thing_attributes(
        self, thing_name: str, *, account: str | None = None, region: str | None = None
    ) -> tuple[dict[str, str], bool]:
        """A thing's attributes and whether it is connected; KeyError if missing."""
        state = self._state(account, region)
        if not state.has_thing(thing_name):
            raise KeyError(thing_name)
        profile = state.profile(thing_name)
        return dict(profile.attributes), profile.connected

    def advance_devices(self, steps: int) -> int:
        """Make ``steps`` device updates now (what churn does in the background)."""
        return churn(self._service, self._device_rng, steps, self._service.now())

    def add_job(
        self,
        job_id: str,
        thing_names: Iterable[str],
        *,
        status: ExecutionStatus | str = ExecutionStatus.QUEUED,
        description: str = "",
        account: str | None = None,
        region: str | None = None,
        thing_group: str | None = None,
        target_selection: str = "SNAPSHOT",
        namespace_id: str | None = None,
        age_days: float = 0.0,
    ) -> JobSnapshot:
        """Create a job with one execution per thing (things are created as needed).

        ``thing_group`` (which must exist) is the job's target, as ListJobs' group
        filters see it; ``age_days`` dates the job and its executions that many days
        back (a finished job then completed back then too).
        """
        state = self._state(account, region)
        now = self._service.now() - age_days * 86_400.0
        if thing_group is not None and state.find_group(thing_group) is None:
            raise KeyError(thing_group)
        job = state.add_job(
            job_id,
            now=now,
            description=description,
            targets=() if thing_group is None else (state.group_arn(thing_group),),
            target_selection=TargetSelection(target_selection),
            namespace_id=namespace_id,
        )
        initial = ExecutionStatus(status)
        for name in thing_names:
            started = None if initial is ExecutionStatus.QUEUED else now
            state.install(
                job,
                Execution(
                    job_id=job_id,
                    thing_name=name,
                    status=initial,
                    execution_number=1,
                    version_number=1,
                    queued_at=now,
                    started_at=started,
                    last_updated_at=now,
                ),
            )
        state.settle_job(job, now)
        return job.snapshot()

    def cancel_job(
        self,
        job_id: str,
        *,
        force: bool = False,
        age_days: float = 0.0,
        account: str | None = None,
        region: str | None = None,
    ) -> JobSnapshot:
        """Cancel a job as CancelJob does, dated ``age_days`` back (a job canceled long
        ago); its executions are canceled by the background sweep. KeyError if missing."""
        state = self._state(account, region)
        if state.find_job(job_id) is None:
            raise KeyError(job_id)
        job = state.cancel_job(
            job_id,
            force=force,
            reason_code=None,
            comment=None,
            now=self._service.now() - age_days * 86_400.0,
        )
        self._cancel_wake.set()
        return job.snapshot()

    def reset(self, fleet: FleetSpec | None = None) -> None:
        """Start over from a freshly seeded fleet (the given one, or the original)."""
        if fleet is not None:
            self._fleet = fleet
        config = self._service.config
        self._service.state = build_state(
            self._fleet,
            now=self._service.now(),
            account_id=config.account_id,
            region=config.region,
        )
        self._service.quota = self._quota_book(config)
        self._service.realms.clear()
        self._service.recorder = Recorder()
        self._jobs_finished_cancelling(tuple(self._cancel_done))

    # -- internals -----------------------------------------------------------------------------

    def _quota_book(self, config: SimConfig) -> QuotaBook:
        book = QuotaBook(
            (operation.value for operation in Operation),
            default=config.quota,
            overrides={operation.value: config.quota_for(operation) for operation in Operation},
            burst_seconds=config.burst_seconds,
            schedule=config.quota_schedule,
            clock=self._clock,
        )
        return book

    def _new_realm(self, account: str, region: str) -> tuple[FleetState, QuotaBook]:
        """A destination met for the first time: the fleet spec, its own quotas."""
        service = self._service
        state = build_state(self._fleet, now=service.now(), account_id=account, region=region)
        quota = self._quota_book(service.config)
        quota.rebase()
        return state, quota

    def _jobs_finished_cancelling(self, job_ids: tuple[str, ...]) -> None:
        for job_id in job_ids:
            event = self._cancel_done.pop(job_id, None)
            if event is not None:
                event.set()
