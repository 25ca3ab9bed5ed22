"""The pipeline: source → bounded queue → workers → results stream → aggregator.

Structured concurrency throughout: one task group owns the producer, the workers and
the stop timer, so nothing outlives a run. Memory is O(concurrency): the work queue
and the results stream are bounded, and the source is pulled only as workers free up.

Every target that enters ends in exactly one :class:`Result`: a worker either finishes
it, or — when the run is stopped — records it as ``interrupted``; the producer records
targets it could not hand out the same way.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import anyio
import structlog
from aiobotocore.session import AioSession
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from bulkjobs._accounts import AccountAccess
from bulkjobs._batch import ResultBatch, TargetBatch
from bulkjobs._caller import ApiCaller
from bulkjobs._calls import Caller
from bulkjobs._client import Clients, Transport
from bulkjobs._config import RunConfig
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ConfigurationError, RunInterrupted
from bulkjobs._models import (
    InvalidTarget,
    Operation,
    Outcome,
    OutcomeKind,
    Result,
    Target,
    settled_by_listing,
)
from bulkjobs._quotas import QuotaLookup
from bulkjobs._rate import RateController, RateRegistry, RateStart, RateStatistics
from bulkjobs._report import Aggregator, Report
from bulkjobs._retry import RetryBudget, RetryPolicy
from bulkjobs._steps import Steps

__all__ = ["Engine", "EngineStatistics", "ResultStream", "SourceItem", "Targets"]

SourceItem = Target | InvalidTarget
Targets = Iterable[SourceItem] | AsyncIterable[SourceItem]

log = structlog.get_logger("bulkjobs")


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineStatistics:
    """A snapshot for progress displays."""

    total: int | None
    #: ``total`` is an estimate (given to :meth:`Engine.expect`) until the source is
    #: exhausted; then it is the count of targets that came out of it.
    total_is_estimate: bool
    finished: int
    in_flight: int
    attempts: int
    throttles: int
    retries: int
    failed: int
    #: Targets recorded as interrupted (a stopped run's unfinished ones).
    interrupted: int
    elapsed: float
    #: Targets worked on per second of active time (the report's rate, live).
    rate: float
    stopping: str | None


class ResultStream:
    """Results as targets finish (an async iterator).

    Results already buffered are handed over without a trip through the event loop:
    a checkpoint per result (what iterating the memory stream does) made the loop turn
    once per call, and cost the hot path about a tenth of its throughput.
    """

    __slots__ = ("_receive",)

    def __init__(self, receive: MemoryObjectReceiveStream[Result]) -> None:
        self._receive = receive

    def __aiter__(self) -> ResultStream:
        return self

    async def __anext__(self) -> Result:
        try:
            return self._receive.receive_nowait()
        except anyio.WouldBlock:
            pass
        except anyio.EndOfStream:
            raise StopAsyncIteration from None
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None


class Engine:
    """Runs one operation over many targets. Use :meth:`results` or :meth:`run`.

    An engine runs once; make a new one for the next run.
    """

    def __init__(
        self,
        operation: Operation,
        config: RunConfig | None = None,
        *,
        session: AioSession | None = None,
        access: AccountAccess | None = None,
        rates: RateRegistry | None = None,
        transport: Transport | None = None,
        sleep: Callable[[float], Awaitable[None]] = anyio.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.operation = operation
        self.config = config or RunConfig()
        self._session = session
        #: The sessions per account (assumed roles); None: every call in the caller's.
        self.access = access
        self._transport = transport
        self._rates = rates or RateRegistry(rate=self.config.rate)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._wall = wall_clock
        self._policy = RetryPolicy(
            max_attempts=self.config.max_attempts,
            max_conflict_retries=self.config.max_conflict_retries,
            base_delay=self.config.base_delay,
            max_delay=self.config.max_delay,
        )
        self._budget = RetryBudget(
            ratio=self.config.retry_budget_ratio, floor=self.config.retry_budget_floor
        )
        self._started = clock()
        self._aggregator = Aggregator(
            operation=operation.name, started=self._started, dry_run=self.config.dry_run
        )
        self._total: int | None = None
        self._total_is_estimate = False
        #: Items the source handed out; the true total once it is exhausted.
        self._taken = 0
        #: Sources (lanes) not yet exhausted.
        self._sources_left = 1
        self._used = False
        self._stop_reason: str | None = None
        self._signalled = False
        self._hard = anyio.Event()
        self._abandon = False
        self._stop_requested = anyio.Event()
        self._scopes: set[anyio.CancelScope] = set()
        self._steps: Steps | None = None

    # -- control -----------------------------------------------------------------------

    def stop(self, reason: str, *, hard: bool = False, signalled: bool = False) -> None:
        """Stop taking targets; in-flight calls get ``grace_period`` (none if ``hard``).

        Safe to call from a signal-handling task; calling twice escalates to hard.
        """
        if self._stop_reason is None:
            self._stop_reason = reason
            self._signalled = signalled
            self._stop_requested.set()
            if self._steps is not None:
                self._steps.interrupt()
        elif signalled:
            # A second Ctrl-C: stop now, and stop listing the remaining targets too.
            hard = True
            self._abandon = True
        if hard:
            self._hard.set()
            for scope in list(self._scopes):
                scope.cancel()

    def expect(self, total: int) -> None:
        """Set (or correct) the expected number of targets, for progress and ETA.

        An estimate until the source is exhausted, when the engine replaces it with
        the number of targets that actually came (``statistics().total_is_estimate``).
        """
        self._total = total
        self._total_is_estimate = True

    def _source_exhausted(self) -> None:
        # With lanes, the total is known once every one of them has run dry.
        self._sources_left -= 1
        if self._sources_left > 0:
            return
        if self._stop_reason is not None:
            # A source may end early because the run stopped (a listing cut short):
            # what came out is then not the total.
            return
        self._total = self._taken + self._aggregator.carried
        self._total_is_estimate = False

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    def statistics(self) -> EngineStatistics:
        agg = self._aggregator
        now = self._clock()
        elapsed = now - self._started
        # Once stopping, the targets recorded as interrupted are no work: the rate
        # stays what the work achieved instead of decaying over the grace period.
        active = agg.active_time(None if self._stop_reason is not None else now)
        return EngineStatistics(
            total=self._total,
            total_is_estimate=self._total_is_estimate,
            finished=agg.total,
            in_flight=0 if self._steps is None else self._steps.in_flight,
            attempts=agg.attempts,
            throttles=agg.throttles,
            retries=self._budget.retries,
            failed=agg.kinds.get(OutcomeKind.FAILED.value, 0),
            interrupted=agg.kinds.get(OutcomeKind.INTERRUPTED.value, 0),
            elapsed=elapsed,
            rate=agg.executed / active if agg.executed else 0.0,
            stopping=self._stop_reason,
        )

    async def _open_transport(self, stack: contextlib.AsyncExitStack) -> Transport:
        """The transport given to the engine, or the run's own clients (closed with
        ``stack``)."""
        if self._transport is not None:
            return self._transport
        return await stack.enter_async_context(
            Clients(self.config, session=self._session, access=self.access)
        )

    def rate_statistics(self) -> dict[tuple[Destination, str], RateStatistics]:
        """The rate controllers' snapshots, keyed by (destination, API)."""
        return self._rates.statistics()

    def report(self) -> Report:
        report = self._aggregator.report(
            self._clock(),
            stop_reason=self._stop_reason,
            stopped_by_signal=self._signalled,
            calls_saved=0 if self._steps is None else self._steps.calls_saved,
        )
        starts = [
            {**destination.to_json(), "api": api, **stats.start.to_json()}
            for (destination, api), stats in self._rates.statistics().items()
            if stats.start is not None
        ]
        return replace(report, rate_control={"mode": self._rates.mode, "start": starts})

    @property
    def signalled(self) -> bool:
        return self._signalled

    def carry(self, result: Result) -> None:
        """Count a result finished by an earlier run (resume) in this run's report."""
        self._aggregator.add(result, self._clock(), carried=True)

    async def call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        """An :class:`~bulkjobs._caller.ApiCaller` sharing this run's clients, rate
        control and retries — for listing sources, which it iterates while running.

        Raises :class:`ApiError` once retries are spent, and :class:`RunInterrupted`
        when the run stopped before the call could be sent."""
        if self._steps is None:
            raise ConfigurationError("Engine.call is available only while the run is going")
        return await self._steps.api_call(api, params, destination=destination)

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[ApiCaller]:
        """Read calls outside the run — sizing it before a confirmation prompt, or
        following what it started after it ended — with the run's own credentials per
        account and its own rate controllers per (account, region, API), so a prompt
        over 60 destinations spends each destination's quota as the run would, never
        one shared budget, and an account whose role was refused gets no call.

        Retries follow the run's policy, from a budget of their own: reads before the
        run do not use up what its targets may retry.
        """
        async with contextlib.AsyncExitStack() as stack:
            clients = await self._open_transport(stack)
            caller = Caller(
                clients=clients,
                rates=self._rates,
                policy=self._policy,
                budget=RetryBudget(
                    ratio=self.config.retry_budget_ratio, floor=self.config.retry_budget_floor
                ),
                sleep=self._sleep,
                rng=self._rng,
                clock=self._clock,
                wall_clock=self._wall,
                concurrency=self.config.concurrency,
            )
            yield caller.api_call

    # -- running -------------------------------------------------------------------------

    async def run(
        self,
        targets: Targets,
        *,
        total: int | None = None,
        on_result: Callable[[Result], object] | None = None,
        lanes: Sequence[Targets] = (),
    ) -> Report:
        """Run to the end and return the report; ``on_result`` sees every result.

        ``lanes`` are further sources, each with workers of its own (see
        :meth:`results`)."""
        async with self.results(targets, total=total, lanes=lanes) as results:
            async for result in results:
                if on_result is not None:
                    on_result(result)
        return self.report()

    async def run_batches(
        self,
        items: Iterable[SourceItem | TargetBatch],
        *,
        total: int | None = None,
        on_result: Callable[[Result], object],
        on_batch: Callable[[ResultBatch], object],
    ) -> Report:
        """A dry run over ``items`` where batches stay batches: ``on_batch`` gets each
        :class:`TargetBatch`'s results as one :class:`ResultBatch`, ``on_result`` every
        other result. The same outcomes, in the same order, as :meth:`run` would give
        one by one — stop, deadline and abort threshold included — at a cost per batch
        rather than per target: no call is made, so no worker waits on the network."""
        if not self.config.dry_run:
            raise ConfigurationError("run_batches is for dry runs (they make no call)")
        if self._used:
            raise ConfigurationError("an Engine runs once; create a new one")
        self._used = True
        self._total = total
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._watch_deadline)
            tg.start_soon(self._grace_timer)
            since_checkpoint = 0
            for item in items:
                if self._abandon:
                    break
                if isinstance(item, TargetBatch):
                    self._taken += len(item)
                    for batch in self._batch_results(item):
                        on_batch(batch)
                    since_checkpoint += len(item)
                else:
                    self._taken += 1
                    result = self._no_call(item)
                    assert result is not None  # a dry run calls nothing
                    self._record(result)
                    on_result(result)
                    since_checkpoint += 1
                if since_checkpoint >= 256:
                    # Let the signal watcher, the deadline and a progress display run.
                    since_checkpoint = 0
                    await anyio.lowlevel.checkpoint()
            else:
                self._source_exhausted()
            tg.cancel_scope.cancel()
        return self.report()

    def _batch_results(self, batch: TargetBatch) -> Iterator[ResultBatch]:
        """The results of a batch as :meth:`_emit` would record them one by one."""
        names = batch.names
        while names:
            if self._stop_reason is not None:
                proto = self._interrupted(batch.prototype(), "not started: run stopped")
                taken = len(names)
            else:
                proto = self._dry_run(batch.prototype())
                taken = self._before_abort(len(names))
            done, names = names[:taken], names[taken:]
            results = ResultBatch(prototype=proto, names=done)
            self._aggregator.add(proto, self._clock(), count=len(done))
            _log_batch(results)
            self._check_abort()
            yield results

    def _before_abort(self, count: int) -> int:
        """How many of ``count`` dry-run results may be recorded before the abort
        threshold stops the run (checked after each, as :meth:`_check_abort` is)."""
        limit = self.config.abort_failed_percent
        if limit is None:
            return count
        agg = self._aggregator
        executed = agg.total - agg.carried
        failed = agg.kinds.get(OutcomeKind.FAILED.value, 0)
        # Failures stay as they are while executed grows: the threshold can only be
        # crossed at the first result that reaches the minimum.
        first = max(1, self.config.abort_min_executed - executed)
        if first < count and failed * 100 > limit * (executed + first):
            return first
        return count

    @asynccontextmanager
    async def results(
        self, targets: Targets, *, total: int | None = None, lanes: Sequence[Targets] = ()
    ) -> AsyncIterator[AsyncIterator[Result]]:
        """Start the run; yield a stream of results as targets finish.

        ``lanes`` are more sources, each read by ``concurrency`` workers of its own: a
        run over many accounts and regions gives each destination a lane, so one whose
        quota is low (or whose calls are throttled) holds up only its own workers —
        with one source, every worker ends up waiting on the slowest destination's
        rate slots. Leaving the block early stops the run (remaining targets are not
        reported).
        """
        if self._used:
            raise ConfigurationError("an Engine runs once; create a new one")
        self._used = True
        self._total = total
        # The run's time starts now, not when the engine was made: a confirmation
        # prompt answered minutes later is no part of the wall time or the rate.
        self._started = self._aggregator.started = self._clock()
        concurrency = self.config.concurrency
        out_send, out_recv = anyio.create_memory_object_stream[Result](concurrency * 2)
        async with contextlib.AsyncExitStack() as stack:
            clients = await self._open_transport(stack)
            steps = Steps(
                operation=self.operation,
                clients=clients,
                rates=self._rates,
                policy=self._policy,
                budget=self._budget,
                sleep=self._sleep,
                rng=self._rng,
                clock=self._clock,
                wall_clock=self._wall,
                concurrency=concurrency,
                on_fatal=lambda reason: self.stop(reason),
                clock_margin=self.config.clock_margin,
            )
            self._steps = steps
            async with anyio.create_task_group() as tg, out_recv:
                tg.start_soon(self._watch_deadline)
                tg.start_soon(self._grace_timer)
                if isinstance(clients, Clients) and self._rates.mode == "auto":
                    self._seed_from_service_quotas(
                        QuotaLookup(clients.service_quotas), clients.first_answer, tg
                    )
                sources = [targets, *lanes]
                self._sources_left = len(sources)
                takes = [self._source(source, tg, stack, concurrency) for source in sources]
                async with anyio.create_task_group() as workers:
                    # A dry run makes no call: one worker, which never waits on the
                    # network, takes the queue in batches instead of 64 taking turns.
                    for take in takes:
                        for _ in range(1 if self.config.dry_run else concurrency):
                            workers.start_soon(self._work, steps, take, out_send.clone())
                    out_send.close()
                    try:
                        yield ResultStream(out_recv)
                    finally:
                        self._rates.on_new(None)
                        tg.cancel_scope.cancel()
                        workers.cancel_scope.cancel()

    def _seed_from_service_quotas(
        self,
        lookup: QuotaLookup,
        first_answer: Callable[[Destination], Awaitable[None]],
        tg: TaskGroup,
    ) -> None:
        """Look up each auto controller's applied quota as it is created, while its
        first requests go out at the default: the answer seeds it if it comes before
        the first throttle (see :meth:`RateController.seed`). The lookup starts once
        the destination's first call has been answered, so that opening the Service
        Quotas client never delays the run's first request."""
        if not self.config.service_quotas:
            return

        async def seed(destination: Destination, api: str, controller: RateController) -> None:
            default = controller.start.rate
            try:
                await first_answer(destination)
                start = await lookup.start(destination, api, default=default)
            except anyio.get_cancelled_exc_class():
                note = "Service Quotas had not answered when the run ended"
                controller.seed(RateStart(source="default", rate=default, note=note))
                raise
            controller.seed(start)

        self._rates.on_new(
            lambda destination, api, controller: tg.start_soon(seed, destination, api, controller)
        )

    def _source(
        self, targets: Targets, tg: TaskGroup, stack: contextlib.AsyncExitStack, buffer: int
    ) -> Callable[[], Awaitable[SourceItem | None]]:
        """How workers take their next item (None: no more).

        A synchronous source is read by the workers themselves: ``next()`` runs to
        completion between two awaits, so no lock is needed and no queue hop is paid
        per target. An asynchronous one (a listing) is pumped by one producer task
        through a bounded stream, which keeps memory O(concurrency) either way.
        """
        if not isinstance(targets, AsyncIterable):
            iterator = iter(targets)
            exhausted = False

            async def take_next() -> SourceItem | None:
                nonlocal exhausted
                if self._abandon:
                    return None
                item = next(iterator, None)
                if item is None:
                    if not exhausted:
                        # Every worker of the source meets its end: count it once.
                        exhausted = True
                        self._source_exhausted()
                else:
                    self._taken += 1
                return item

            return take_next

        send, receive = anyio.create_memory_object_stream[SourceItem](buffer)
        stack.enter_context(receive)
        tg.start_soon(self._pump, targets, send)

        async def take_received() -> SourceItem | None:
            if self._abandon:
                return None
            try:
                # Items already queued cost no trip through the event loop: a turn
                # per item was most of a dry run's time.
                return receive.receive_nowait()
            except anyio.WouldBlock:
                pass
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                return None
            try:
                return await receive.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                return None

        return take_received

    async def _pump(
        self, targets: AsyncIterable[SourceItem], send: MemoryObjectSendStream[SourceItem]
    ) -> None:
        async with send:
            try:
                async for item in targets:
                    if self._abandon:
                        # A second Ctrl-C: stop at once; the journal holds what finished.
                        return
                    self._taken += 1
                    try:
                        # Only a full queue waits (the source checkpoints itself).
                        send.send_nowait(item)
                    except anyio.WouldBlock:
                        await send.send(item)
            except RunInterrupted:
                # A listing's next page was not fetched because the run is stopping.
                return
            self._source_exhausted()

    async def _watch_deadline(self) -> None:
        if self.config.deadline is None:
            return
        await self._sleep(self.config.deadline)
        self.stop(f"deadline of {self.config.deadline:g}s reached")

    async def _grace_timer(self) -> None:
        await self._stop_requested.wait()
        with anyio.move_on_after(self.config.grace_period):
            await self._hard.wait()
        self.stop(self._stop_reason or "stopped", hard=True)

    async def _work(
        self,
        steps: Steps,
        take: Callable[[], Awaitable[SourceItem | None]],
        out: MemoryObjectSendStream[Result],
    ) -> None:
        async with out:
            while (item := await take()) is not None:
                await self._emit(out, await self._handle(steps, item))

    def _no_call(self, item: SourceItem) -> Result | None:
        """The result of an item that needs no call (None: it needs one)."""
        if isinstance(item, InvalidTarget):
            return self._invalid(item)
        if self._stop_reason is not None:
            return self._interrupted(item, "not started: run stopped")
        if self.config.dry_run:
            return self._dry_run(item)
        return None

    async def _handle(self, steps: Steps, item: SourceItem) -> Result:
        """The one result of one source item."""
        if (found := self._no_call(item)) is not None:
            return found
        assert isinstance(item, Target)
        result: Result | None = None
        with anyio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                result = await steps.process(item)
            finally:
                self._scopes.discard(scope)
        if result is None:
            return self._interrupted(item, "stopped while a call was in flight; state unknown")
        return result

    def _record(self, result: Result) -> None:
        self._aggregator.add(result, self._clock())
        _log_result(result)
        self._check_abort()

    async def _emit(self, out: MemoryObjectSendStream[Result], result: Result) -> None:
        self._record(result)
        # If the consumer left the results block early, it asked for no more.
        with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            try:
                # The common case costs no trip through the event loop.
                out.send_nowait(result)
            except anyio.WouldBlock:
                # Shielded: a result that was counted must reach the consumer even while
                # the run is being cancelled, or the report and the stream would disagree.
                with anyio.CancelScope(shield=True):
                    await out.send(result)

    def _check_abort(self) -> None:
        limit = self.config.abort_failed_percent
        if limit is None or self._stop_reason is not None:
            return
        agg = self._aggregator
        executed = agg.total - agg.carried
        failed = agg.kinds.get(OutcomeKind.FAILED.value, 0)
        if executed >= self.config.abort_min_executed and failed * 100 > limit * executed:
            self.stop(
                f"aborted: {failed} of {executed} targets failed "
                f"({failed * 100 / executed:.1f}% > {limit:g}%)"
            )

    # -- results that need no call -------------------------------------------------------

    def _plain(self, target: Target, outcome: Outcome, message: str | None = None) -> Result:
        now = self._wall()
        return Result(
            target=target,
            operation=self.operation.name,
            outcome=outcome,
            message=message,
            started_at=now,
            finished_at=now,
        )

    def _interrupted(self, target: Target, message: str) -> Result:
        return self._plain(target, Outcome.INTERRUPTED, message)

    def _dry_run(self, target: Target) -> Result:
        # Built in one go (no dataclasses.replace): a dry run makes a million of these.
        now = self._wall()
        if (note := settled_by_listing(self.operation, target)) is not None:
            # As the real run will: no call, so none to show.
            return Result(
                target=target,
                operation=self.operation.name,
                outcome=Outcome.ALREADY_TERMINAL,
                status_before=target.listed_status,
                message=note,
                started_at=now,
                finished_at=now,
            )
        request = self.operation.request(target)
        return Result(
            target=target,
            operation=self.operation.name,
            outcome=Outcome.DRY_RUN,
            message=f"would call {request.api}",
            started_at=now,
            finished_at=now,
            request=request,
        )

    def _invalid(self, item: InvalidTarget) -> Result:
        now = self._wall()
        return Result(
            target=item.target,
            operation=self.operation.name,
            outcome=Outcome.INVALID_REQUEST,
            error_code="InvalidInput",
            message=item.reason,
            started_at=now,
            finished_at=now,
        )


def _log_batch(batch: ResultBatch) -> None:
    # A batch is of dry-run or interrupted results, which log at debug: a line each
    # when debug is on, and not a call per target when it is off.
    if not structlog.is_configured() or not batch.names:
        return
    enabled = getattr(log, "is_enabled_for", None)
    if enabled is not None and not enabled(logging.DEBUG):
        return
    for result in batch.results():
        _log_result(result)


def _log_result(result: Result) -> None:
    # One canonical line per target, for applications that configured structlog (the
    # CLI does). Unconfigured, structlog prints everything to stdout: a library must
    # not flood its caller's output with a line per device.
    if not structlog.is_configured():
        return
    kind = result.outcome.kind
    method = log.warning if kind in (OutcomeKind.FAILED, OutcomeKind.SKIPPED) else log.debug
    method(
        "target.finished",
        job_id=result.target.job_id,
        thing_name=result.target.thing_name,
        outcome=result.outcome.value,
        attempts=result.attempts,
        error_code=result.error_code,
        message=result.message if kind is OutcomeKind.FAILED else None,
    )
