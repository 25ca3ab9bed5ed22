"""Rate control per (destination, API), shared by every worker of a run.

A worker calls :meth:`RateController.acquire` before each request (first attempts,
retries and the DescribeJobExecution calls of that API alike), :meth:`~RateController.
release` when the response is in, and :meth:`~RateController.record` with what it was::

    rate = registry.get(destination, "CancelJobExecution")
    await rate.acquire()
    began = clock()
    try:
        response = await call()
    finally:
        rate.release()
    rate.record(throttled=is_throttle(response), latency=clock() - began)

Two modes:

``--rate N`` (fixed)
    ``N`` requests/s, and up to ``0.9 × N`` back to back after a pause (at the start),
    like AWS's own bucket: a run at the true quota spends the server's initial burst
    instead of wasting it, and the 10 % kept back absorbs latency jitter.  (Measured
    against the simulator at 40/s: 0.95 or 0.975 gained under 1 % of quota use and
    cost a throttle or four at the start, where the first requests wait for their
    connections and then arrive bunched with the paced ones behind them.)
``--rate auto``
    :class:`~bulkjobs._ratecore.AutoRateCore` discovers the quota from throttles and
    keeps sending just at it; the limiter only paces (two requests or 50 ms deep), as
    bursts are the controller's decision, not the limiter's: the only ones are the
    core's ``initial_burst`` at the start, and the bucket a seed says is full (see
    :meth:`RateController.seed`), granted here without waiting.

Pacing is :class:`~bulkjobs._bucket.AsyncBucket`, a leaky bucket whose depth and rate
the controller retunes in place while tasks wait on it (see :meth:`RateController._tune`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal, Protocol, TypedDict, Unpack

from bulkjobs._bucket import AsyncBucket
from bulkjobs._destination import Destination
from bulkjobs._exceptions import InvalidInputError, ValidationIssue
from bulkjobs._ratecore import AutoRateCore, AutoRateParams, Phase, positive

__all__ = [
    "ControllerOptions",
    "FixedRateCore",
    "RateController",
    "RateCore",
    "RateRegistry",
    "RateStart",
    "RateStatistics",
    "parse_rate",
]

#: Seconds of rate the limiter lets through back to back, per mode (see module docs).
_FIXED_BURST = 0.9
_AUTO_BURST = 0.05
#: Auto mode's limiter holds at least two: in a bucket one request deep, every late
#: timer wake-up (a millisecond or more on a busy loop) delays all later grants, which
#: measured 10-20 % under the rate at 40/s; a second slot lets the next grant catch up.
_AUTO_MIN_CAPACITY = 2.0
#: Latency assumed for concurrency before the first response: generous, so the first
#: requests are not starved of workers.
_FIRST_LATENCY_GUESS = 0.2
#: Concurrency = rate × latency bound × this: room for latency spikes and for the rate
#: to grow before the next response retunes it.
_HEADROOM = 2.0


class RateCore(Protocol):
    """The decisions a :class:`RateController` wraps; all pure, with ``now`` injected."""

    @property
    def quota_estimate(self) -> float | None: ...

    def current_rate(self, now: float) -> float: ...

    def on_sent(self, now: float) -> None: ...

    def on_accepted(self, now: float, *, sent_at: float | None = None) -> None: ...

    def on_error(self, now: float, *, sent_at: float | None = None) -> None: ...

    def on_throttled(self, now: float, *, sent_at: float | None = None) -> None: ...


class FixedRateCore:
    """The rate the user chose (``--rate N``): feedback is ignored, by design.

    The user may know what we cannot — that other tools share the quota, or that it was
    raised — so nothing here second-guesses them.
    """

    __slots__ = ("_rate",)

    def __init__(self, rate: float) -> None:
        self._rate = positive("rate", rate)

    @property
    def quota_estimate(self) -> float | None:
        return None

    def current_rate(self, now: float) -> float:
        return self._rate

    def on_sent(self, now: float) -> None:
        pass

    def on_accepted(self, now: float, *, sent_at: float | None = None) -> None:
        pass

    def on_error(self, now: float, *, sent_at: float | None = None) -> None:
        pass

    def on_throttled(self, now: float, *, sent_at: float | None = None) -> None:
        pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RateStart:
    """Where a controller's first rate came from.

    ``fixed``: ``--rate N``; ``default``: AWS's published default quota, then slow
    start (``note`` says why no applied quota was used, if one was looked for);
    ``service-quotas``: the account's applied quota, read from Service Quotas.
    """

    source: Literal["fixed", "default", "service-quotas"]
    rate: float
    quota_code: str | None = None
    quota_name: str | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"source": self.source, "rate": self.rate}
        if self.quota_code is not None:
            data["quotaCode"] = self.quota_code
        if self.quota_name is not None:
            data["quotaName"] = self.quota_name
        if self.note is not None:
            data["note"] = self.note
        return data


@dataclass(frozen=True, slots=True, kw_only=True)
class RateStatistics:
    """A snapshot of one controller."""

    mode: Literal["auto", "fixed"]
    #: Requests per second currently allowed.
    rate: float
    in_flight: int
    acquired: int
    throttled: int
    #: Responses recorded (throttled and errors included).
    completed: int
    #: Concurrency the controller suggests now (Little's law, with headroom).
    concurrency: int
    #: Smoothed response latency in seconds (None before the first response).
    latency_ewma: float | None
    #: The quota auto mode believes in (None: fixed mode, or not yet throttled).
    quota_estimate: float | None = None
    #: Responses recorded as errors (5xx, lost connections).
    errors: int = 0
    #: Auto mode's phase (see :mod:`bulkjobs._ratecore`), or "fixed".
    phase: Phase | Literal["fixed"] = "fixed"
    #: Where the first rate came from.
    start: RateStart | None = None


class ControllerOptions(TypedDict, total=False):
    """Keyword arguments of :class:`RateController` besides ``rate``."""

    initial_rate: float
    min_rate: float
    max_rate: float
    max_concurrency: int
    clock: Callable[[], float] | None
    burst: float | None


class RateController:
    """Paces one API at one destination; shared by all workers that call it.

    ``rate=None`` discovers the quota (auto mode), starting at ``initial_rate`` and kept
    within ``[min_rate, max_rate]``; a number fixes it.  ``burst`` overrides how many
    seconds of rate the limiter lets through back to back.  ``clock`` (seconds,
    monotonic) defaults to :func:`time.monotonic`, which is also what asyncio's loop
    time — and so the bucket — runs on.

    Usage is ``await acquire()`` before a request, ``release()`` once it is answered
    (or failed), and ``record(...)`` with the outcome; ``release`` is separate from
    ``record`` so that a call that raised still frees its slot in :attr:`in_flight`.
    """

    __slots__ = (
        "_acquired",
        "_burst",
        "_clock",
        "_completed",
        "_core",
        "_errors",
        "_head_start",
        "_in_flight",
        "_latency",
        "_latency_dev",
        "_limiter",
        "_max_concurrency",
        "_min_capacity",
        "_mode",
        "_seed_burst",
        "_start",
        "_throttled",
    )

    def __init__(
        self,
        *,
        rate: float | None = None,
        initial_rate: float = 10.0,
        min_rate: float = 0.5,
        max_rate: float = 10_000.0,
        max_concurrency: int = 256,
        clock: Callable[[], float] | None = None,
        burst: float | None = None,
    ) -> None:
        if isinstance(max_concurrency, bool) or max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency!r}")
        self._core: RateCore
        self._mode: Literal["auto", "fixed"]
        if rate is None:
            params = AutoRateParams(
                initial_rate=positive("initial_rate", initial_rate),
                min_rate=positive("min_rate", min_rate),
                max_rate=positive("max_rate", max_rate),
            )
            auto = AutoRateCore(params)
            self._core, self._mode = auto, "auto"
            #: Grants left of the core's initial burst (see :meth:`acquire`).
            self._head_start = auto.initial_burst
            self._start = RateStart(source="default", rate=params.initial_rate)
        else:
            self._core, self._mode = FixedRateCore(rate), "fixed"
            self._head_start = 0
            self._start = RateStart(source="fixed", rate=rate)
        default_burst = _AUTO_BURST if rate is None else _FIXED_BURST
        self._burst = default_burst if burst is None else positive("burst", burst)
        self._min_capacity = _AUTO_MIN_CAPACITY if rate is None else 1.0
        self._max_concurrency = max_concurrency
        #: A seed's burst is on: ask the core before each grant (see :meth:`seed`).
        self._seed_burst = False
        self._clock = clock or time.monotonic
        # Created on first use: the bucket binds to the running loop.
        self._limiter: AsyncBucket | None = None
        self._in_flight = self._acquired = self._throttled = 0
        self._completed = self._errors = 0
        # Smoothed latency and mean deviation, as RFC 6298 smooths round-trip times.
        self._latency: float | None = None
        self._latency_dev = 0.0

    @property
    def mode(self) -> Literal["auto", "fixed"]:
        return self._mode

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def start(self) -> RateStart:
        return self._start

    def rate(self) -> float:
        """Requests per second allowed now."""
        return self._core.current_rate(self._clock())

    def seed(self, start: RateStart) -> bool:
        """Start from an applied quota (``service-quotas``) instead of searching for
        it, if no throttle has measured one yet; or, for a ``default`` start, record
        why there was none.  True if the quota was adopted.

        What the server's bucket still holds by the seed's account goes out back to
        back, as the initial burst does without one, opened round trip by round trip
        (:meth:`AutoRateCore.head_start`).
        """
        core = self._core
        if not isinstance(core, AutoRateCore):
            return False
        if start.source != "service-quotas":
            self._start = start
            return False
        now = self._clock()
        if not core.seed(start.rate, now):
            self._start = RateStart(
                source="default",
                rate=self._start.rate,
                note=f"Service Quotas' {start.rate:g}/s came after a throttle had measured "
                "the quota",
            )
            return False
        self._start = start
        self._seed_burst = True
        if self._limiter is not None:
            self._tune(core.current_rate(now))
        return True

    async def acquire(self) -> None:
        """Wait for a send slot; pair with :meth:`release` once the call is answered."""
        if not self.acquire_nowait():
            await self._tune(self._core.current_rate(self._clock())).acquire()
            self._sent()

    def acquire_nowait(self) -> bool:
        """Take a send slot if one is free now, as :meth:`acquire` would without
        waiting; False (nothing taken) when the caller has to wait for one."""
        limiter = self._tune(self._core.current_rate(self._clock()))
        if self._head_start > 0 or (self._seed_burst and self._seed_burst_grant()):
            # The core's initial burst, or a seed's: granted at once, taking the
            # limiter's own slots first so that pacing starts from a full limiter.
            self._head_start = max(0, self._head_start - 1)
            limiter.take_nowait()
        elif not limiter.take_nowait():
            return False
        self._sent()
        return True

    def _sent(self) -> None:
        self._core.on_sent(self._clock())
        self._acquired += 1
        self._in_flight += 1

    def _seed_burst_grant(self) -> bool:
        """Whether the seed's burst lets this grant go without waiting."""
        core = self._core
        assert isinstance(core, AutoRateCore)
        if core.head_start(self._clock()) > 0:
            return True
        self._seed_burst = core.bursting
        return False

    def release(self) -> None:
        """The call that :meth:`acquire` admitted is over (answered or failed)."""
        if self._in_flight > 0:
            self._in_flight -= 1

    def record(self, *, throttled: bool, latency: float, error: bool = False) -> None:
        """Feed back a response: a throttle (ThrottlingException, 429), an ``error``
        (5xx, lost connection — never a throttle signal), or any other answer.
        ``latency`` is the call's duration; the send time is taken as now − latency.
        Bookkeeping only: nothing here waits."""
        now = self._clock()
        latency = max(0.0, latency)
        sent_at = now - latency
        self._completed += 1
        if throttled:
            self._throttled += 1
            self._head_start = 0
            self._core.on_throttled(now, sent_at=sent_at)
        elif error:
            self._errors += 1
            self._core.on_error(now, sent_at=sent_at)
        else:
            self._core.on_accepted(now, sent_at=sent_at)
        if self._latency is None:
            self._latency, self._latency_dev = latency, latency / 2
        else:
            self._latency_dev += (abs(latency - self._latency) - self._latency_dev) / 4
            self._latency += (latency - self._latency) / 8
        if self._limiter is not None:
            # A cut must reach the workers already waiting, not only the next caller.
            self._tune(self._core.current_rate(now))

    def suggested_concurrency(self) -> int:
        """Workers needed to send at the current rate: ``ceil(rate × latency ×
        headroom)`` (Little's law), latency being the smoothed latency plus twice its
        deviation, within ``[1, max_concurrency]``."""
        rate = self._core.current_rate(self._clock())
        if self._latency is None:
            bound = _FIRST_LATENCY_GUESS
        else:
            bound = self._latency + 2 * self._latency_dev
        wanted = math.ceil(rate * bound * _HEADROOM)
        return max(1, min(self._max_concurrency, wanted))

    def statistics(self) -> RateStatistics:
        now = self._clock()
        core = self._core
        return RateStatistics(
            mode=self._mode,
            rate=core.current_rate(now),
            in_flight=self._in_flight,
            acquired=self._acquired,
            throttled=self._throttled,
            completed=self._completed,
            concurrency=self.suggested_concurrency(),
            latency_ewma=self._latency,
            quota_estimate=core.quota_estimate,
            errors=self._errors,
            phase=core.phase if isinstance(core, AutoRateCore) else "fixed",
            start=self._start,
        )

    def _tune(self, rate: float) -> AsyncBucket:
        """The limiter, set to ``rate``.

        A new bucket per change would strand the tasks waiting on the old one, so the
        same one is retuned in place (it drains at the old rate up to now, then takes
        the new depth and rate, and reschedules its head waiter).  The depth stays at
        ``burst`` seconds of rate — in auto mode about one request — so the limiter
        never sends a burst the server's bucket would not take.
        """
        capacity = max(self._min_capacity, rate * self._burst)
        limiter = self._limiter
        if limiter is None:
            limiter = self._limiter = AsyncBucket(capacity, rate)
        else:
            limiter.retune(capacity, rate)
        return limiter


#: APIs whose published default quota is not the common 10/s (AWS's 2019 table): where
#: auto mode starts them when Service Quotas says nothing.
AWS_DEFAULT_QUOTAS: Final[Mapping[str, float]] = MappingProxyType(
    {"SearchIndex": 15.0, "ListThingsInThingGroup": 25.0}
)

#: Told of each new controller: (destination, API, controller).
Listener = Callable[[Destination, str, "RateController"], object]


class RateRegistry:
    """One :class:`RateController` per (destination, API), created on first use.

    AWS applies each API's quota per account and region — a destination — so workers
    calling the same API at the same destination share a controller, and nothing else
    does. In auto mode an API starts at its own published default
    (:data:`AWS_DEFAULT_QUOTAS`) unless ``initial_rate`` is given.
    """

    __slots__ = ("_controllers", "_listener", "_options", "_rate")

    def __init__(
        self, *, rate: float | None, **controller_kwargs: Unpack[ControllerOptions]
    ) -> None:
        # Build one now so that bad options fail at configuration, not mid-run.
        RateController(rate=rate, **controller_kwargs)
        self._rate = rate
        self._options = controller_kwargs
        self._controllers: dict[tuple[Destination, str], RateController] = {}
        self._listener: Listener | None = None

    @property
    def mode(self) -> Literal["auto", "fixed"]:
        return "auto" if self._rate is None else "fixed"

    def on_new(self, listener: Listener | None) -> None:
        """Call ``listener(destination, api, controller)`` for each controller created
        from now on (the engine seeds auto mode from Service Quotas this way)."""
        self._listener = listener

    def get(self, destination: Destination, api: str) -> RateController:
        key = (destination, api)
        controller = self._controllers.get(key)
        if controller is None:
            options = self._options
            if self._rate is None and "initial_rate" not in options and api in AWS_DEFAULT_QUOTAS:
                options = {**options, "initial_rate": AWS_DEFAULT_QUOTAS[api]}
            controller = RateController(rate=self._rate, **options)
            self._controllers[key] = controller
            if self._listener is not None:
                self._listener(destination, api, controller)
        return controller

    def statistics(self) -> dict[tuple[Destination, str], RateStatistics]:
        return {key: c.statistics() for key, c in self._controllers.items()}


def parse_rate(text: str) -> float | None:
    """``--rate``'s value: ``auto`` (None) or a positive number of requests per
    second, optionally written with a ``/s`` suffix (``40``, ``2.5``, ``40/s``)."""
    value = text.strip().lower()
    if value == "auto":
        return None
    number = value.removesuffix("/s").strip()
    try:
        rate = float(number)
    except ValueError:
        rate = math.nan
    if not (math.isfinite(rate) and rate > 0):
        rule = (
            f"invalid rate {text!r}: expected 'auto' or a positive number of requests "
            "per second, such as 10 or 2.5"
        )
        issue = ValidationIssue(source="options", line=None, field="rate", rule=rule, value=text)
        raise InvalidInputError([issue])
    return rate
