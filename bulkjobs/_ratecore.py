"""Pure, clock-injected quota discovery behind :class:`bulkjobs._rate.RateController`.

Nothing here awaits, sleeps or reads a clock: every method takes ``now`` (and the send
time of the request a response belongs to), so the same code runs under asyncio and in
a discrete-event simulation of the server (see ``tests/unit/test_rate.py``).

The server
----------
AWS enforces a quota as a token bucket per (account, region, API): it refills at ``Q``
tokens/s and holds about one second of them (``burst_seconds``); an admitted request
takes a token, one that finds less than a token is throttled.  Hence:

* A throttle says the bucket was empty when that request arrived.  Between two throttles
  the server admitted exactly ``Q × elapsed`` requests (less whatever overflowed a full
  bucket), so counting admitted requests between throttles *measures* ``Q``
  (:func:`estimate_quota`) — botocore's CUBIC only learns "too fast" and guesses.
* Sending a little under ``Q`` loses nothing while the bucket is not full: what we leave
  stays in it for the next probe.  Only an overflowing bucket loses quota.
* The first second of excess is hidden by the burst, so a throttle arrives only once
  ``∫(rate − Q) dt`` reaches the bucket's depth, and every request sent in the round
  trip after that is throttled too.  The cost of a probe is set by how fast its rate
  grows at the moment it crosses ``Q``.

The algorithm
-------------
``startup``
    Send ``initial_burst`` seconds of ``initial_rate`` back to back (10 requests: a fresh
    bucket at AWS's published default quota, 10/s, holds at least that many), then
    *slow start*: a bucket full at the first send admits at most ``Q × (burst +
    elapsed)`` requests, so every admitted answer raises a proven lower bound on ``Q``,
    and the rate is a multiple of that bound.  It grows as fast as the server keeps
    admitting — from 10/s past 150/s within half a second — and when the bucket runs
    dry the bound has caught up with the quota, so the rate then, which sets the first
    throttle burst (every request of the next round trip above the quota), is a known
    multiple of it: large while few requests are in flight, down to twice the quota
    once the burst would cost more than ``slow_start_throttles`` requests.  While the
    rate is under the quota the server's full bucket overflows, and the initial burst
    takes out of it what would have been lost.
    A throttle *within* the initial burst says the bucket held less than the burst —
    a bucket shallower than a second of quota, or one another client had spent — and
    nothing about the quota: the slow start goes on, with the bucket's depth capped at
    what it admitted, so that later readings do not credit it with tokens it never
    held (read as a second's worth, a tenth-of-a-second bucket kept runs at 0.75-0.86
    of the quota).  If the bucket was only spent, the readings come out high and the
    quota seems to drop at once; the cap is then dropped too.
    ``seed`` (a quota read from Service Quotas) skips the search: the estimate is set,
    the bucket modelled full from the first send, and what it holds above the cushion
    may go out back to back (:attr:`AutoRateCore.head_start`).
On a throttle
    Estimate ``Q`` over the window since an earlier throttle (bucket empty then and now)
    or, before any, since the first send (bucket full then), and adopt
    ``min(estimate, current rate)``.  Throttles of requests sent before a reaction took
    effect (plus the latency's jitter) belong to the same event and are ignored.
``hold``
    Send at the estimate, steering a modelled copy of the server's bucket towards a
    cushion of a couple of tokens (at most ``margin`` under the estimate): the cushion
    absorbs latency jitter, and the bucket never overflows however long the hold.  If
    throttles keep coming while holding (``confirm_throttles`` of them soon after a
    reaction), the quota has dropped — the estimate's window still averages the old
    value — so cut by ``backoff`` once per round trip until they stop (40/s to 10/s
    takes four round trips), then climb straight away.
``probe``
    After ``hold`` seconds, send ``probe_excess`` over the estimate.  If the quota is
    unchanged the modelled bucket runs dry and a throttle comes with few requests in
    flight behind it: about one throttle per probe.  ``hold`` doubles after each probe
    that confirms the estimate, up to ``probe_requests / Q`` seconds, so probes cost
    well under 1 % of calls; it stays short below a recently seen higher quota, which
    may come back any moment.
``climb``
    Admitted past the point where the modelled bucket should have run dry: the quota was
    raised or restored.  Double the excess every ``probe_doubling`` seconds until a
    throttle measures the new quota.

Growth (ramp, climb, hold time) pauses while demand rather than the limiter bounds the
send rate, so an idle controller never talks itself into a rate it has not tried, and
it slows in proportion beyond ``pace_latency``: the throttle burst at a crossing grows
with the number of requests in flight.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

__all__ = ["AutoRateCore", "AutoRateParams", "Phase", "estimate_quota", "positive"]

Phase = Literal["startup", "hold", "probe", "climb"]

#: Bins :func:`estimate_quota` folds a window into; bounds its cost per throttle.
_ESTIMATE_BINS = 512
#: Bisection steps: 2**-48 of the search range is well below one request per hour.
_BISECT_STEPS = 48
#: Relative change of the estimate beyond which the quota is taken to have moved.
_STABLE = 0.05
#: Relative error assumed of an estimate when judging whether the bucket ran dry.
_ESTIMATE_ERROR = 0.01


def positive(name: str, value: float) -> float:
    """``value`` as a float, if it is a finite positive number (ValueError otherwise)."""
    if isinstance(value, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class AutoRateParams:
    """Tunables of :class:`AutoRateCore`; the defaults fit AWS IoT's quotas."""

    #: First rate tried: AWS's published default quota for the IoT job APIs.
    initial_rate: float = 10.0
    #: Seconds of ``initial_rate`` sent back to back at the start (0: none); at most
    #: ``burst_seconds``, the depth of the bucket a fresh account starts with.
    initial_burst: float = 1.0
    min_rate: float = 0.5
    max_rate: float = 10_000.0
    #: Depth of the server's token bucket, in seconds of quota.
    burst_seconds: float = 1.0
    #: Slow start: until the first throttle, send at up to this many times the lowest
    #: quota under which the server could have admitted what it did…
    slow_start: float = 5.0
    #: …less (down to twice that quota) when the requests in flight above the quota
    #: when the bucket runs dry — the first throttle burst — would exceed this many.
    slow_start_throttles: float = 20.0
    #: While holding, steer the modelled bucket towards ``margin × quota ×
    #: cushion_seconds`` tokens (at least 2, at most half the bucket) with a time
    #: constant of ``cushion_seconds``, never sending more than ``margin`` off the
    #: estimate to do so.
    margin: float = 0.04
    cushion_seconds: float = 2.0
    #: Multiplicative cut per round trip once the quota is known to have dropped.
    backoff: float = 0.7
    #: Throttles soon after a reaction that it takes to conclude the quota dropped.
    confirm_throttles: int = 2
    #: A probe sends this fraction over the estimate…
    probe_excess: float = 0.1
    #: …or more, to spend the modelled cushion within this many seconds…
    probe_seconds: float = 1.0
    #: …and, admitted past the point the bucket should have run dry, doubles its
    #: excess every this many seconds: the quota was raised or restored.
    probe_doubling: float = 0.6
    #: The shortest hold before probing lasts both this many seconds and this many
    #: requests; the longest, ``hold_max`` seconds.
    hold_min: float = 2.0
    hold_min_requests: float = 20.0
    hold_max: float = 60.0
    #: The hold grows towards this many requests per probe (one throttle each).
    probe_requests: float = 400.0
    #: How much the hold grows after each probe that confirmed the estimate.
    hold_growth: float = 2.0
    #: Seconds a higher quota seen before is remembered; holds stay short below it.
    ceiling_memory: float = 60.0
    #: Latency beyond which ramps and climbs slow down in proportion.
    pace_latency: float = 0.1
    #: A seed's burst grows by this many requests for each one admitted.
    seed_burst_growth: float = 0.5
    #: Growth pauses while the measured send rate is under rate / demand_factor.
    demand_factor: float = 2.0
    #: Seconds of responses kept for estimates (longer than a hold and its probe).
    history_seconds: float = 120.0
    #: Hard cap on responses kept (memory bound at very high rates).
    history_limit: int = 200_000

    def __post_init__(self) -> None:
        for name in (
            "initial_rate",
            "min_rate",
            "max_rate",
            "burst_seconds",
            "cushion_seconds",
            "probe_excess",
            "probe_seconds",
            "probe_doubling",
            "pace_latency",
            "hold_min",
            "hold_min_requests",
            "hold_max",
            "probe_requests",
            "slow_start_throttles",
            "seed_burst_growth",
            "ceiling_memory",
            "history_seconds",
        ):
            positive(name, getattr(self, name))
        if not self.min_rate <= self.initial_rate <= self.max_rate:
            raise ValueError("need min_rate <= initial_rate <= max_rate")
        if self.slow_start < 2:
            raise ValueError("slow_start must be at least 2")
        if not 0 <= self.initial_burst <= self.burst_seconds:
            raise ValueError("initial_burst must be within [0, burst_seconds]")
        if not 0 < self.margin < 0.5:
            raise ValueError("margin must be within (0, 0.5)")
        if not 0 < self.backoff < 1:
            raise ValueError("backoff must be within (0, 1)")
        if self.hold_min > self.hold_max:
            raise ValueError("need hold_min <= hold_max")
        if self.hold_growth < 1 or self.demand_factor < 1:
            raise ValueError("hold_growth and demand_factor must be at least 1")
        if self.confirm_throttles < 1 or self.history_limit < 1:
            raise ValueError("confirm_throttles and history_limit must be at least 1")


def estimate_quota(
    admitted: Iterable[float],
    *,
    start: float,
    end: float,
    full_at_start: bool,
    burst_seconds: float,
    low: float,
    high: float,
    depth: float = math.inf,
) -> float:
    """The refill rate under which a token bucket matches what the server did.

    ``admitted`` are the send times of admitted requests; the bucket is empty at ``end``
    (a throttle) and at ``start`` either empty too (an earlier throttle) or full (nothing
    sent before).  Simulating a bucket of ``burst_seconds × Q`` tokens over the window
    gives a level at ``end`` that only grows with ``Q``, so bisection finds the ``Q``
    that leaves it half a token — the middle of "less than one", which is all a throttle
    says.  Without overflow this is simply admitted / elapsed; the simulation matters
    when the bucket overflowed (startup, or a long hold under the quota), where the plain
    average would read low.  ``depth`` caps the bucket in tokens, when a throttle has
    shown it shallower than ``burst_seconds`` of any quota in reach.
    """
    span = end - start
    if span <= 0:
        return high
    bins = [0] * _ESTIMATE_BINS
    width = span / _ESTIMATE_BINS
    for sent in admitted:
        if start <= sent <= end:
            bins[min(int((sent - start) / width), _ESTIMATE_BINS - 1)] += 1
    # Empty bins only refill the bucket: fold them into the gap before the next count.
    steps: list[tuple[float, int]] = []
    gap = 0.0
    for count in bins:
        gap += width
        if count:
            steps.append((gap, count))
            gap = 0.0

    def final_level(rate: float) -> float:
        capacity = max(1.0, min(rate * burst_seconds, depth))
        level = capacity if full_at_start else 0.5
        for elapsed, count in steps:
            level = min(capacity, level + rate * elapsed) - count
        return min(capacity, level + rate * gap)

    if final_level(high) < 0.5:
        return high
    if final_level(low) >= 0.5:
        return low
    for _ in range(_BISECT_STEPS):
        middle = (low + high) / 2
        if final_level(middle) < 0.5:
            low = middle
        else:
            high = middle
    return (low + high) / 2


class AutoRateCore:
    """Discovers and tracks a quota from throttles; see the module docstring.

    Report every send slot granted (:meth:`on_sent`) and every answer with the time
    its request was sent (:meth:`on_accepted`, :meth:`on_error`, :meth:`on_throttled`);
    read the allowed rate with :meth:`current_rate`.  Times are seconds on any
    monotonic clock, never decreasing.
    """

    __slots__ = (
        "_admitted",
        "_anchor",
        "_burst_until",
        "_ceiling",
        "_ceiling_at",
        "_climb_excess",
        "_clock_at",
        "_depth",
        "_dropping",
        "_estimate",
        "_forgotten",
        "_hold",
        "_latency",
        "_latency_dev",
        "_level",
        "_level_at",
        "_measured",
        "_origin",
        "_outstanding",
        "_p",
        "_phase",
        "_proven",
        "_proven_until",
        "_react_at",
        "_seed_admitted",
        "_seed_at",
        "_seed_burst",
        "_seed_sent",
        "_send_rate",
        "_sends",
        "_sent_at",
        "_strikes",
        "_tau",
        "_throttles",
        "_window_until",
    )

    def __init__(self, params: AutoRateParams | None = None) -> None:
        self._p = params or AutoRateParams()
        #: First send: where the server's bucket is assumed full.
        self._origin: float | None = None
        #: Last ``now`` seen, and the schedule time since the last cycle began; it only
        #: advances while the limiter, not demand, bounds the send rate.
        self._clock_at: float | None = None
        self._tau = 0.0
        self._phase: Phase = "startup"
        self._estimate: float | None = None
        #: Whether a throttle has measured the quota (the estimate may be a seed).
        self._measured = False
        #: Requests sent and not answered yet.
        self._outstanding = 0
        #: Requests sent so far (counted up to the initial burst), and the send time of
        #: the initial burst's last request.
        self._sends = 0
        self._burst_until = -math.inf
        #: The server's bucket depth in tokens, where a throttle within the initial
        #: burst showed it shallower than ``burst_seconds`` of the quota (else inf).
        self._depth = math.inf
        #: A seed's burst: whether it is still going, since when, and the requests sent
        #: and admitted since then (see :meth:`head_start`).
        self._seed_burst = False
        self._seed_at = math.inf
        self._seed_sent = self._seed_admitted = 0
        self._hold = self._p.hold_min
        #: Requests admitted during startup, and the latest send time among them.
        self._proven = 0
        self._proven_until = -math.inf
        #: The climb's excess over the estimate.
        self._climb_excess = 0.0
        #: The server's bucket as modelled under the estimate (tokens), the send time it
        #: is as of, and the throttle it starts from (empty then).
        self._level = 0.0
        self._level_at = self._anchor = -math.inf
        #: Throttles of requests sent before this (plus the latency's jitter) were caused
        #: by the rate before the last reaction.
        self._react_at = -math.inf
        #: Until then, throttles count as strikes against the last reaction's estimate;
        #: enough of them, and the quota has dropped.
        self._window_until = -math.inf
        self._strikes = 0
        self._dropping = False
        #: The highest estimate lately confirmed, and when.
        self._ceiling = 0.0
        self._ceiling_at = -math.inf
        #: Smoothed response latency and its mean deviation (RFC 6298's SRTT, RTTVAR).
        self._latency: float | None = None
        self._latency_dev = 0.0
        #: Exponentially weighted send rate (per-event estimator) and its last update.
        self._send_rate = 0.0
        self._sent_at: float | None = None
        #: Send times of admitted and throttled requests, for estimates.
        self._admitted: deque[float] = deque()
        self._throttles: deque[float] = deque()
        #: Newest admitted send time dropped from the history (estimates start after it).
        self._forgotten = -math.inf

    # -- observations -------------------------------------------------------------

    @property
    def quota_estimate(self) -> float | None:
        return self._estimate

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def bursting(self) -> bool:
        """Whether a seed's burst may still let requests go back to back."""
        return self._seed_burst

    @property
    def initial_burst(self) -> int:
        """Requests the caller may send back to back before pacing at the rate."""
        return int(self._p.initial_rate * self._p.initial_burst + 1e-9)

    def current_rate(self, now: float) -> float:
        self._advance(now)
        return self._rate()

    def seed(self, quota: float, now: float) -> bool:
        """Adopt ``quota`` (read from Service Quotas, say) as the estimate, unless a
        throttle has already measured one; True if adopted.

        The server's bucket is modelled full at the first send (now, if nothing was
        sent) less what it admitted since, and the run goes straight to holding at the
        quota: its probes still find a higher one, its throttles a lower one.
        """
        if self._phase != "startup":
            return False
        self._advance(now)
        estimate = self._clamp(positive("quota", quota))
        self._estimate = estimate
        self._hold = self._shortest_hold(estimate)
        self._start_cycle()
        origin = now if self._origin is None else self._origin
        self._level = self._capacity(estimate)
        self._level_at = origin
        # Just before the first send, so that every request counts against the bucket.
        self._anchor = math.nextafter(origin, -math.inf)
        for sent in sorted(self._admitted):
            self._spend(sent)
        self._seed_burst, self._seed_at = True, now
        self._seed_sent = self._seed_admitted = 0
        return True

    def head_start(self, now: float) -> int:
        """Requests a seed lets go out back to back now (0 without one).

        What the modelled bucket holds above its cushion, less what is in flight —
        but opened as TCP's slow start opens its window: ``initial_burst`` requests,
        then ``seed_burst_growth`` more for each one admitted, so the burst grows by
        that factor every round trip.  A seed above what the server really allows
        (another tool shares the quota, say) then costs part of one round trip's
        requests in throttles, not a whole bucket of them; any throttle ends the burst.
        """
        quota = self._estimate
        if not self._seed_burst or quota is None:
            return 0
        capacity = self._capacity(quota)
        level = min(capacity, self._level + quota * max(0.0, now - self._level_at))
        spare = level - self._cushion(quota) - self._outstanding
        if spare < 1.0:
            self._seed_burst = False  # spent: pacing at the quota from here on
            return 0
        growth = 1.0 + self._p.seed_burst_growth
        window = self.initial_burst + growth * self._seed_admitted - self._seed_sent
        return max(0, min(math.floor(spare), math.floor(window)))

    def on_sent(self, now: float) -> None:
        if self._origin is None:
            self._origin = now
        if self._sends < self.initial_burst:
            self._sends += 1
            self._burst_until = now
        self._advance(now)
        window = self._demand_window()
        if self._sent_at is not None:
            self._send_rate *= math.exp(-max(0.0, now - self._sent_at) / window)
        self._send_rate += 1.0 / window
        self._sent_at = now
        self._outstanding += 1
        if self._seed_burst:
            self._seed_sent += 1

    def on_accepted(self, now: float, *, sent_at: float | None = None) -> None:
        sent = self._observe(now, sent_at)
        self._remember(self._admitted, sent, now)
        self._spend(sent)

    def on_error(self, now: float, *, sent_at: float | None = None) -> None:
        # A 5xx was answered past the throttle check, so it took a token (AWS throttles
        # at the front door; the simulator charges 503s too).  Leaving errors out made
        # the estimate low by the error share — 2 % of 503s held 3-5 % under the quota,
        # and no probe can correct that, as every estimate left them out again.  A lost
        # connection may not have taken one; those are rare, and an estimate high by
        # their share costs one throttle per few seconds of hold, not a lower rate.
        sent = self._observe(now, sent_at)
        self._remember(self._admitted, sent, now)
        self._spend(sent)

    def on_throttled(self, now: float, *, sent_at: float | None = None) -> None:
        self._seed_burst = False
        sent = self._observe(now, sent_at)
        self._remember(self._throttles, sent, now)
        if self._phase == "startup" and sent <= self._burst_until:
            # The bucket could not hold the initial burst: that measures its depth, not
            # the quota.  The slow start goes on, knowing the depth.
            self._depth = min(self._depth, max(1.0, float(self._burst_admitted())))
            return
        # Requests sent just after a reaction can still arrive among the older, faster
        # ones when latency varies; their throttles say nothing about the new rate.
        if sent >= self._react_at + 4.0 * self._latency_dev:
            self._react(now, sent)

    def _observe(self, now: float, sent_at: float | None) -> float:
        self._advance(now)
        self._outstanding = max(0, self._outstanding - 1)
        sent = now if sent_at is None else sent_at
        sample = max(0.0, now - sent)
        if self._latency is None:
            self._latency, self._latency_dev = sample, sample / 2
        else:
            self._latency_dev += (abs(sample - self._latency) - self._latency_dev) / 4
            self._latency += (sample - self._latency) / 8
        return sent

    # -- schedule -----------------------------------------------------------------

    def _clamp(self, rate: float) -> float:
        return min(self._p.max_rate, max(self._p.min_rate, rate))

    def _slow_start_rate(self) -> float:
        """A multiple of the lowest quota the admitted requests prove (see the module
        docstring): admitted ÷ (burst + elapsed) from the first send."""
        p = self._p
        if not self._proven or self._origin is None:
            return p.initial_rate
        elapsed = max(0.0, self._proven_until - self._origin)
        proven = self._proven / (p.burst_seconds + elapsed)
        if self._depth < math.inf and elapsed > 0:
            # A bucket of known depth lent at most that: the rest came from the refill.
            proven = max(proven, (self._proven - self._depth) / elapsed)
        # At the crossing about ``excess × Q × latency`` requests are in flight above
        # the quota: bound that burst, but never below doubling the proven quota.
        latency = max(self._latency or 0.0, 1e-9)
        excess = min(p.slow_start - 1.0, max(1.0, p.slow_start_throttles / (proven * latency)))
        return max(p.initial_rate, (1.0 + excess) * proven)

    def _rate(self) -> float:
        p = self._p
        quota = self._estimate
        if self._phase == "startup" or quota is None:
            return self._clamp(self._slow_start_rate())
        if self._phase == "hold":
            # Track the modelled bucket at a small cushion: the estimate's rate exactly,
            # less whatever refills the cushion.  Latency jitter then finds a token or
            # two to spare, and a hold can last as long as it likes without the bucket
            # overflowing (which would lose quota).
            correction = (self._level - self._cushion(quota)) / p.cushion_seconds
            limit = p.margin * quota
            return self._clamp(quota + min(limit, max(-limit, correction)))
        if self._phase == "probe":
            # Slightly above the estimate, so that if the quota has not moved the throttle
            # ending the probe finds few requests in flight behind it; yet fast enough to
            # spend the cushion and the tolerance within ``probe_seconds``, so that a
            # raised quota shows within seconds even at a low rate.
            seconds = max(p.probe_seconds, 4.0 / quota)
            spend = (self._cushion(quota) + self._tolerance(quota)) / seconds
            return self._clamp(quota + max(p.probe_excess * quota, spend))
        return self._clamp(quota + self._climb_excess)

    def _capacity(self, quota: float) -> float:
        """The server's bucket at ``quota``, in tokens."""
        return max(1.0, min(quota * self._p.burst_seconds, self._depth))

    def _burst_admitted(self) -> int:
        return sum(1 for sent in self._admitted if sent <= self._burst_until)

    def _cushion(self, quota: float) -> float:
        # A couple of tokens absorb latency jitter; never more than half the bucket.
        p = self._p
        wanted = max(2.0, p.margin * quota * p.cushion_seconds)
        return min(wanted, self._capacity(quota) / 2)

    def _tolerance(self, quota: float) -> float:
        """How far below empty the modelled bucket may go before the quota must be
        higher than estimated: a token, plus the estimate's error accumulated since the
        anchor (capped: a long hold must not make probes ever longer)."""
        drift = _ESTIMATE_ERROR * quota * max(0.0, self._level_at - self._anchor)
        return 1.0 + min(drift, 0.1 * self._capacity(quota))

    def _demand_window(self) -> float:
        # Long enough to hold a few sends even at the lowest rates.
        return max(1.0, 4.0 / self._rate())

    def _demand_limited(self, now: float) -> bool:
        if self._origin is None or self._sent_at is None:
            return True
        window = self._demand_window()
        measured = self._send_rate * math.exp(-max(0.0, now - self._sent_at) / window)
        # The estimator starts at zero; correct its warm-up bias, like Adam's moments.
        warm = 1.0 - math.exp(-max(now - self._origin, 1e-9) / window)
        return measured / warm < self._rate() / self._p.demand_factor

    def _advance(self, now: float) -> None:
        if self._clock_at is None:
            self._clock_at = now
            return
        elapsed = now - self._clock_at
        if elapsed <= 0:
            return
        self._clock_at = now
        if self._demand_limited(now):
            return
        self._tau += elapsed
        p = self._p
        # Growth is paced in round trips beyond ``pace_latency``: the requests in flight
        # when the bucket runs dry are all throttled, so the overshoot a given growth
        # costs rises with the latency.
        pace = elapsed * min(1.0, p.pace_latency / max(self._latency or 0.0, 1e-9))
        if self._phase == "climb" and self._climb_excess < p.max_rate:
            self._climb_excess *= 2.0 ** (pace / p.probe_doubling)
        if self._phase == "hold" and self._tau >= self._hold:
            # After cuts for a dropped quota the estimate is only a lower bound (the
            # last cut may have gone up to 1 - backoff below it): climb at once.
            if self._dropping:
                self._climb(self._p.probe_excess * (self._estimate or 0.0))
            else:
                self._phase = "probe"

    def _spend(self, sent: float) -> None:
        """Track the server's bucket under the estimate, from the last throttle on."""
        if self._phase == "startup":
            self._proven += 1
            self._proven_until = max(self._proven_until, sent)
        elif self._seed_burst and sent >= self._seed_at:
            self._seed_admitted += 1
        quota = self._estimate
        if quota is None or sent <= self._anchor:
            return
        capacity = self._capacity(quota)
        # Responses overtake each other when latency varies; one that arrives after a
        # later-sent one still took its token, just without a refill to credit.
        refill = quota * max(0.0, sent - self._level_at)
        self._level = min(capacity, self._level + refill) - 1.0
        self._level_at = max(self._level_at, sent)
        # Spent past empty and still admitted: the quota is above the estimate.
        if self._phase == "probe" and self._level < -self._tolerance(quota):
            self._climb(self._rate() - quota)

    def _climb(self, excess: float) -> None:
        self._phase = "climb"
        self._climb_excess = max(excess, self._p.probe_excess * (self._estimate or 0.0))

    def _remember(self, history: deque[float], sent: float, now: float) -> None:
        history.append(sent)
        horizon = now - self._p.history_seconds
        while history and (history[0] < horizon or len(history) > self._p.history_limit):
            dropped = history.popleft()
            if history is self._admitted:
                self._forgotten = max(self._forgotten, dropped)

    # -- decisions ----------------------------------------------------------------

    def _measure(self, sent: float, sending: float) -> float:
        """Estimate the quota at a throttle of a request sent at ``sent``."""
        p = self._p
        # The window needs enough admitted requests for the count to mean something,
        # so the anchor is the latest earlier throttle at least this far back.
        shortest = max(0.5, 20.0 / sending)
        anchor = next((t for t in reversed(self._throttles) if t <= sent - shortest), None)
        if anchor is not None:
            start, full = anchor, False
        else:
            # Before any estimate, assume the bucket was full at the first send (AWS
            # starts it full).  Later, with the anchor gone from the history, assume it
            # was about empty where the history starts: holds keep it near empty.
            origin = self._origin if self._origin is not None else sent
            start, full = max(origin, self._forgotten), not self._measured
        return estimate_quota(
            self._admitted,
            start=start,
            end=sent,
            full_at_start=full,
            burst_seconds=p.burst_seconds,
            low=p.min_rate,
            high=p.max_rate,
            depth=self._depth,
        )

    def _react(self, now: float, sent: float) -> None:
        p = self._p
        sending = self._rate()
        # Throttles while holding at the rate a reaction just chose are strikes against
        # it; a throttle that ends a probe or a climb is the expected kind.
        in_window = self._phase == "hold" and now <= self._window_until
        self._strikes = self._strikes + 1 if in_window else 0
        if in_window and (self._dropping or self._strikes >= p.confirm_throttles):
            # Throttled again soon after reacting, at the rate the reaction chose: the
            # quota has dropped, and the window behind the estimate still averages the
            # old value.  Cut once per round trip until the throttles stop.
            estimate = p.backoff * sending
            self._dropping = True
            # A shallow bucket, read from a throttled initial burst, makes estimates
            # high if it was only spent, not shallow: trust it no more.
            self._depth = math.inf
            self._hold = self._shortest_hold(estimate)
            self._start_cycle()
        elif in_window:
            # One throttle soon after a reaction may be latency jitter meeting a nearly
            # empty bucket; wait for another before concluding anything.
            return
        else:
            measured = self._measure(sent, sending)
            previous = self._estimate
            # Whatever the window says (it may span a change of quota), the quota is
            # below a rate that ran the bucket dry.
            estimate = min(measured, sending)
            self._dropping = False
            # Remember the highest quota seen lately: below it, a dropped quota may come
            # back at any moment, so keep probing often instead of settling in.
            if now - self._ceiling_at > p.ceiling_memory or estimate >= self._ceiling:
                self._ceiling, self._ceiling_at = estimate, now
            recovering = estimate < (1.0 - 4 * _STABLE) * self._ceiling
            if previous is None or recovering or abs(estimate / previous - 1.0) > _STABLE:
                self._hold = self._shortest_hold(estimate)
                self._start_cycle()
            elif self._phase != "hold":
                # The probe confirmed the estimate: probe less often while it holds.
                target = max(self._shortest_hold(estimate), p.probe_requests / estimate)
                target = min(p.hold_max, target)
                self._hold = min(target, self._hold * p.hold_growth)
                self._start_cycle()
            # A throttle while holding only corrects the estimate; the hold goes on.
        self._estimate = self._clamp(estimate)
        self._measured = True
        self._react_at = now
        self._window_until = now + max(1.0, 4.0 / self._estimate)
        # The bucket was empty when the throttled request arrived.
        self._level, self._level_at, self._anchor = 0.5, sent, sent

    def _shortest_hold(self, quota: float) -> float:
        # At a few requests per second a probe every couple of seconds would be a large
        # share of all calls: hold for a minimum number of requests too.
        p = self._p
        return min(p.hold_max, max(p.hold_min, p.hold_min_requests / max(quota, 1e-9)))

    def _start_cycle(self) -> None:
        self._phase = "hold"
        self._tau = 0.0
