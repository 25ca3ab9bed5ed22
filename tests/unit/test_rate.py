"""Rate control: quota discovery, fixed pacing, and the bucket that paces calls.

The decision core is pure, so most of this drives it in virtual time against a model
of AWS's throttling — a token bucket refilling at the quota and holding one second of
it — in a small discrete-event simulation.  The asyncio wrapper is tested under a
patched ``loop.time`` (what the bucket reads).  Nothing here sleeps.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import random
import statistics
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest

from bulkjobs._destination import Destination
from bulkjobs._exceptions import InvalidInputError
from bulkjobs._rate import (
    FixedRateCore,
    RateController,
    RateCore,
    RateRegistry,
    RateStart,
    parse_rate,
)
from bulkjobs._ratecore import AutoRateCore, AutoRateParams, estimate_quota

Quota = Callable[[float], float]


# -- a model of the server, and a client sending at the core's rate ---------------------


@dataclass(slots=True)
class Run:
    """What a simulated run did."""

    requests: int
    quota: Quota
    burst: float
    wall: float = math.inf
    sent: int = 0
    throttled: int = 0
    #: (send time, rate allowed then) for every request sent.
    rates: list[tuple[float, float]] = field(default_factory=list)

    @property
    def throttled_share(self) -> float:
        return self.throttled / self.sent

    @property
    def quota_use(self) -> float:
        """Ideal time / wall time; ideal = time for the quota (burst included) to admit
        every request — (requests − burst) / quota when the quota is constant."""
        admitted, t, step = max(1.0, self.quota(0.0) * self.burst), 0.0, 0.001
        while admitted < self.requests:
            admitted += self.quota(t) * step
            t += step
        return t / self.wall

    def rate_at(self, when: float) -> float:
        """The rate allowed for the last request sent at or before ``when``."""
        return next(r for t, r in reversed(self.rates) if t <= when)

    def first_time(self, after: float, condition: Callable[[float], bool]) -> float:
        """Seconds after ``after`` until a request was sent at a rate meeting
        ``condition`` (inf if none)."""
        return next((t - after for t, r in self.rates if t >= after and condition(r)), math.inf)


def simulate(
    core: RateCore,
    *,
    quota: float | Quota,
    requests: int = 1000,
    latency: float = 0.05,
    jitter: float = 0.0,
    error_rate: float = 0.0,
    burst: float = 1.0,
    demand: float | None = None,
    client_burst: float = 0.0,
    seed: int = 0,
    applied: tuple[float, float] | None = None,
    initial_tokens: float | None = None,
) -> Run:
    """Send ``requests`` successful calls through ``core`` to a token-bucket server.

    The client always has work queued (throttled calls and errors go back in the
    queue) unless ``demand`` caps how many calls per second it has to offer, and sends
    each one as soon as its own bucket — the core's current rate, ``client_burst``
    seconds of it deep, like :class:`RateController`'s limiter, and starting with the
    auto core's ``initial_burst`` in it — has a token.  The server decides when a
    request arrives (half the latency after sending), charges a token for a 503 as for
    any admitted request, and answers at the full latency.  ``applied`` = (time,
    quota) seeds the auto core then, as a Service Quotas answer would; the client then
    sends back to back whenever the core's ``head_start`` allows.  ``initial_tokens``
    starts the server's bucket that low instead of full (another client spent it).
    """
    quota_at = quota if callable(quota) else constant(quota)
    rng = random.Random(seed)
    run = Run(requests=requests, quota=quota_at, burst=burst)
    level, refilled_at = max(1.0, quota_at(0.0) * burst), 0.0
    if initial_tokens is not None:
        level = initial_tokens
    events: list[tuple[float, int, str, tuple[float, ...]]] = []
    counter = 0

    def push(when: float, kind: str, *data: float) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(events, (when, counter, kind, data))

    queued, done, last_send, generation = requests, 0, -math.inf, 0
    head_start = core.initial_burst if isinstance(core, AutoRateCore) else 0
    tokens = max(1.0, core.current_rate(0.0) * client_burst, float(head_start))
    tokens_at = 0.0

    def refill(now: float) -> float:
        rate = core.current_rate(now)
        depth = max(1.0, rate * client_burst)
        # A head start above the depth is spent, never refilled.
        return min(max(depth, tokens), tokens + rate * (now - tokens_at))

    def schedule_send(now: float) -> None:
        nonlocal generation
        generation += 1
        when = now + max(0.0, 1.0 - refill(now)) / core.current_rate(now)
        if isinstance(core, AutoRateCore) and core.head_start(now) > 0:
            when = now  # a seed's burst goes out back to back
        if demand is not None:
            when = max(when, last_send + 1.0 / demand)
        push(when, "send", generation)

    if applied is not None:
        push(applied[0], "seed", applied[1])
    schedule_send(0.0)
    while events and done < requests:
        now, _, kind, data = heapq.heappop(events)
        if kind == "seed":
            assert isinstance(core, AutoRateCore)
            core.seed(data[0], now)
            schedule_send(now)
        elif kind == "send":
            if data[0] != generation or queued == 0:
                continue
            queued -= 1
            run.sent += 1
            last_send = now
            # A burst's sends take the client's tokens only while it has them, as
            # RateController's do the limiter's slots.
            tokens, tokens_at = max(0.0, refill(now) - 1.0), now
            core.on_sent(now)
            run.rates.append((now, core.current_rate(now)))
            delay = latency + rng.uniform(-jitter, jitter)
            push(now + delay / 2, "arrive", now, delay)
            schedule_send(now)
        elif kind == "arrive":
            sent_at, delay = data
            rate = quota_at(now)
            level = min(max(1.0, rate * burst), level + rate * (now - refilled_at))
            refilled_at = now
            if level >= 1.0:
                level -= 1.0
                answer = 2.0 if rng.random() < error_rate else 1.0
            else:
                answer = 0.0
            push(sent_at + delay, "answer", sent_at, answer)
        else:
            sent_at, answer = data
            if answer == 0.0:
                run.throttled += 1
                queued += 1
                core.on_throttled(now, sent_at=sent_at)
            elif answer == 2.0:
                queued += 1
                core.on_error(now, sent_at=sent_at)
            else:
                done += 1
                core.on_accepted(now, sent_at=sent_at)
                if done == requests:
                    run.wall = now
            schedule_send(now)
    return run


def constant(value: float) -> Quota:
    return lambda _t: value


def step_quota(base: float, low: float, start: float, end: float) -> Quota:
    """``base``, except ``low`` during [start, end)."""
    return lambda t: low if start <= t < end else base


# -- the pure core -------------------------------------------------------------------


class ThrottleLog(AutoRateCore):
    """The auto core, noting when each throttle came back."""

    __slots__ = ("throttles",)

    def __init__(self, params: AutoRateParams | None = None) -> None:
        super().__init__(params)
        self.throttles: list[float] = []

    def on_throttled(self, now: float, *, sent_at: float | None = None) -> None:
        self.throttles.append(now)
        super().on_throttled(now, sent_at=sent_at)


class TestStartup:
    @pytest.mark.parametrize(
        ("quota", "within"), [(10.0, 0.5), (40.0, 0.5), (150.0, 1.0), (500.0, 1.5)]
    )
    def test_reaches_the_quota_within_seconds(self, quota: float, within: float) -> None:
        """Starting at 10/s, the rate reaches 95 % of an unknown quota within about a
        second, raised quotas included."""
        run = simulate(AutoRateCore(), quota=quota, requests=3000)
        assert run.first_time(0.0, lambda r: r >= 0.95 * quota) <= within

    @pytest.mark.parametrize(
        ("quota", "requests", "latency"), [(150.0, 3000, 0.02), (500.0, 10_000, 0.02)]
    )
    def test_uses_raised_quotas(self, quota: float, requests: int, latency: float) -> None:
        """An unknown raised quota is used ≥ 0.97 (150/s) or ≥ 0.96 (500/s), with at most
        1 % of calls throttled."""
        run = simulate(AutoRateCore(), quota=quota, requests=requests, latency=latency)
        assert run.quota_use >= (0.97 if quota < 200 else 0.96)
        assert run.throttled_share <= 0.01

    @pytest.mark.parametrize(("quota", "latency"), [(40.0, 0.05), (150.0, 0.05), (500.0, 0.02)])
    def test_first_throttle_burst_is_bounded(self, quota: float, latency: float) -> None:
        """The throttles of the first round trip at the quota number about
        ``slow_start_throttles``, whatever the quota (at most 1.25 times it)."""
        core = ThrottleLog()
        simulate(core, quota=quota, requests=int(quota * 8), latency=latency)
        first = core.throttles[0]
        burst = sum(1 for t in core.throttles if t <= first + 2 * latency)
        assert burst <= 1.25 * AutoRateParams().slow_start_throttles

    def test_does_not_grow_without_answers(self) -> None:
        """Sends that nobody answers prove nothing: the rate stays at the first guess."""
        core = AutoRateCore()
        for i in range(100):
            core.on_sent(i / 10)
        assert core.current_rate(10.0) == 10.0

    def test_starts_at_the_published_default(self) -> None:
        """The first guess is AWS's published default, 10 requests/s."""
        assert AutoRateCore().current_rate(0.0) == 10.0

    def test_first_throttle_measures_the_quota(self) -> None:
        """The first throttle, with the burst accounted for, yields the quota within 2 %."""
        core = AutoRateCore()
        simulate(core, quota=40.0, requests=150)
        assert core.quota_estimate == pytest.approx(40.0, rel=0.02)


class TestShallowBucket:
    """The server's bucket may hold less than a second of quota, or less than it
    should when another client shares the quota: a throttle within the initial burst
    measures how much it held, not the quota."""

    @pytest.mark.parametrize("quota", [20.0, 40.0])
    def test_a_bucket_shallower_than_the_initial_burst(self, quota: float) -> None:
        """A bucket of a tenth of a second (2 or 4 requests, against an initial burst
        of 10) still has its quota used ≥ 0.95; reading it as a second's worth held the
        run at 0.75-0.86."""
        run = simulate(AutoRateCore(), quota=quota, requests=int(quota * 10), burst=0.1)
        assert run.quota_use >= 0.95

    @pytest.mark.parametrize("quota", [40.0, 150.0])
    def test_a_bucket_another_client_emptied(self, quota: float) -> None:
        """Another client left two tokens in the bucket at the start: use ≥ 0.93 (it
        was 0.81-0.91), at most 3 % of calls throttled — the bucket read as shallow is
        trusted no more once estimates made with it prove high."""
        run = simulate(AutoRateCore(), quota=quota, requests=int(quota * 25), initial_tokens=2.0)
        assert run.quota_use >= 0.93
        assert run.throttled_share <= 0.03

    def test_the_initial_burst_throttled_keeps_the_slow_start(self) -> None:
        """A throttle of a request of the initial burst is no estimate of the quota: the
        controller stays in its slow start, growing from what the bucket held."""
        core = AutoRateCore()
        for _ in range(core.initial_burst):
            core.on_sent(0.0)
        for _ in range(4):
            core.on_accepted(0.05, sent_at=0.0)
        for _ in range(core.initial_burst - 4):
            core.on_throttled(0.05, sent_at=0.0)
        assert (core.phase, core.quota_estimate) == ("startup", None)
        core.on_sent(0.5)
        core.on_throttled(0.55, sent_at=0.5)
        assert core.phase == "hold" and core.quota_estimate is not None


class TestSteadyQuota:
    @pytest.mark.parametrize(
        ("quota", "requests"), [(10.0, 1000), (40.0, 2000), (200.0, 3000), (500.0, 10_000)]
    )
    def test_few_throttles(self, quota: float, requests: int) -> None:
        """At most 1 % of calls are throttled, the slow start's first throttle burst
        included (see TestStartup: about 20 requests, or 8 at 40/s)."""
        run = simulate(AutoRateCore(), quota=quota, requests=requests)
        assert run.throttled_share <= 0.01

    @pytest.mark.parametrize("quota", [10.0, 40.0])
    def test_uses_the_quota(self, quota: float) -> None:
        """Quota use is at least 0.95 although the quota is not known in advance."""
        run = simulate(AutoRateCore(), quota=quota)
        assert run.quota_use >= 0.95

    def test_tolerates_jitter_and_server_errors(self) -> None:
        """±30 ms of latency jitter and 2 % of 503s keep use ≥ 0.95 and throttles ≤ 1 %."""
        run = simulate(AutoRateCore(), quota=40.0, jitter=0.03, error_rate=0.02, seed=3)
        assert run.quota_use >= 0.95
        assert run.throttled_share <= 0.01

    def test_server_errors_count_as_spent_quota(self) -> None:
        """A 503 took a token too: with 5 % of them the estimate stays within 1.5 % of
        the quota, and the hold within 3 % (leaving them out read 5 % low)."""
        core = AutoRateCore()
        run = simulate(core, quota=40.0, error_rate=0.05, requests=1500, seed=2)
        assert core.quota_estimate == pytest.approx(40.0, rel=0.015)
        assert statistics.median(r for t, r in run.rates if t >= 5.0) >= 0.97 * 40.0

    def test_long_runs_probe_rarely(self) -> None:
        """Over 10,000 requests the probes for a raised quota cost under 0.5 % of calls."""
        run = simulate(AutoRateCore(), quota=40.0, requests=10_000)
        assert run.throttled_share <= 0.005
        assert run.quota_use >= 0.99


class TestQuotaChanges:
    def test_reacts_to_a_drop_within_two_seconds(self) -> None:
        """When the quota drops from 40/s to 10/s the rate is ≤ 11/s within 2 s."""
        run = simulate(AutoRateCore(), quota=step_quota(40.0, 10.0, 8.0, 16.0))
        assert run.first_time(8.0, lambda r: r <= 11.0) <= 2.0

    def test_holds_at_the_lowered_quota(self) -> None:
        """Once it has reacted it holds at the lowered quota, probing for its return."""
        run = simulate(AutoRateCore(), quota=step_quota(40.0, 10.0, 8.0, 30.0), requests=1500)
        rates = [r for t, r in run.rates if 14.0 <= t < 30.0]
        assert 9.0 <= statistics.median(rates) <= 10.5
        assert max(rates) <= 15.0

    def test_climbs_back_when_the_quota_returns(self) -> None:
        """After the quota returns to 40/s the rate is back at ≥ 36/s within 8 s."""
        run = simulate(AutoRateCore(), quota=step_quota(40.0, 10.0, 8.0, 16.0))
        assert run.first_time(16.0, lambda r: r >= 36.0) <= 8.0

    def test_few_throttles_through_a_drop(self) -> None:
        """A 40 → 10 → 40 episode costs at most 3 % of calls in throttles."""
        run = simulate(AutoRateCore(), quota=step_quota(40.0, 10.0, 8.0, 16.0))
        assert run.throttled_share <= 0.03

    def test_finds_a_raised_quota(self) -> None:
        """A quota raised from 40/s to 80/s mid-run is found within 15 s."""
        run = simulate(AutoRateCore(), quota=lambda t: 80.0 if t >= 10.0 else 40.0, requests=3000)
        assert run.first_time(10.0, lambda r: r >= 72.0) <= 15.0


class TestSeed:
    @pytest.mark.parametrize("quota", [40.0, 150.0, 500.0])
    def test_a_seeded_quota_is_used_from_the_start(self, quota: float) -> None:
        """Seeded with the applied quota before the first send, use is ≥ 0.99 and at
        most 1 % of calls are throttled."""
        requests = int(quota * 20)
        run = simulate(AutoRateCore(), quota=quota, requests=requests, applied=(0.0, quota))
        assert run.quota_use >= 0.99
        assert run.throttled_share <= 0.01

    def test_a_late_seed_still_spends_the_bucket(self) -> None:
        """A seed arriving 100 ms into the slow start still gets use ≥ 0.98."""
        run = simulate(AutoRateCore(), quota=150.0, requests=3000, applied=(0.1, 150.0))
        assert run.quota_use >= 0.98

    def test_head_start_opens_round_trip_by_round_trip(self) -> None:
        """Seeded before any send, the burst starts at the initial burst and grows by
        half a request for each one admitted, never past the bucket's content."""
        core = AutoRateCore()
        assert core.seed(150.0, 0.0)
        assert core.head_start(0.0) == core.initial_burst == 10
        assert core.current_rate(0.0) == pytest.approx(150.0, rel=0.05)
        for _ in range(10):
            core.on_sent(0.0)
        assert core.head_start(0.0) == 0
        for _ in range(10):
            core.on_accepted(0.02, sent_at=0.0)
        assert core.head_start(0.02) == 15
        for _ in range(100):
            core.on_sent(0.02)
            core.on_accepted(0.02, sent_at=0.02)
        assert 0 < core.head_start(0.02) <= 150 - 110

    def test_a_throttle_ends_the_burst(self) -> None:
        """Any throttle ends a seed's burst: pacing at the rate from then on."""
        core = AutoRateCore()
        core.seed(150.0, 0.0)
        core.on_sent(0.0)
        core.on_throttled(0.02, sent_at=0.0)
        assert core.head_start(0.02) == 0
        assert not core.bursting

    def test_a_measured_quota_wins(self) -> None:
        """After a throttle has measured the quota, a seed is refused."""
        core = AutoRateCore()
        simulate(core, quota=40.0, requests=200)
        estimate = core.quota_estimate
        assert not core.seed(500.0, 100.0)
        assert core.quota_estimate == estimate

    def test_a_seed_above_the_real_quota_is_corrected(self) -> None:
        """Seeded at 150/s against a 40/s server (the quota is shared, say), the rate is
        at the real quota within 2 s, with at most 3 % of calls throttled."""
        run = simulate(AutoRateCore(), quota=40.0, requests=1000, applied=(0.0, 150.0))
        assert run.first_time(0.0, lambda r: r <= 42.0) <= 2.0
        assert run.throttled_share <= 0.03

    def test_a_seed_below_the_real_quota_is_outgrown(self) -> None:
        """Seeded at 40/s against a 150/s server, probes find 95 % of it within 10 s."""
        run = simulate(AutoRateCore(), quota=150.0, requests=4000, applied=(0.0, 40.0))
        assert run.first_time(0.0, lambda r: r >= 0.95 * 150.0) <= 10.0


class TestBounds:
    def test_never_exceeds_max_rate(self) -> None:
        """With a quota far above ``max_rate`` the rate stops at ``max_rate``."""
        core = AutoRateCore(AutoRateParams(max_rate=50.0))
        run = simulate(core, quota=1000.0, requests=2000)
        assert max(r for _, r in run.rates) <= 50.0
        assert run.rates[-1][1] == 50.0

    def test_never_goes_below_min_rate(self) -> None:
        """With a quota under ``min_rate`` the rate stays at ``min_rate``."""
        core = AutoRateCore(AutoRateParams(min_rate=2.0, initial_rate=2.0))
        run = simulate(core, quota=1.0, requests=100)
        assert min(r for _, r in run.rates) >= 2.0

    def test_does_not_grow_without_demand(self) -> None:
        """While callers offer fewer requests than allowed, the allowance does not grow."""
        run = simulate(AutoRateCore(), quota=40.0, requests=100, demand=3.0)
        assert max(r for _, r in run.rates) <= 1.5 * 10.0

    @pytest.mark.parametrize(
        "changes",
        [
            {"initial_rate": 0.0},
            {"min_rate": 20.0},
            {"max_rate": 5.0},
            {"margin": 0.6},
            {"backoff": 1.0},
            {"hold_min": 100.0},
            {"slow_start": 1.5},
            {"confirm_throttles": 0},
        ],
    )
    def test_rejects_inconsistent_params(self, changes: dict[str, float]) -> None:
        """Parameters that cannot work are refused when built."""
        with pytest.raises(ValueError):
            AutoRateParams(**changes)  # type: ignore[arg-type]


class TestEstimateQuota:
    def test_counts_between_two_throttles(self) -> None:
        """Between two empty-bucket moments the estimate is admitted ÷ elapsed."""
        admitted = [i / 40 for i in range(1, 401)]
        estimate = estimate_quota(
            admitted, start=0.0, end=10.0, full_at_start=False, burst_seconds=1.0, low=0.5, high=1e4
        )
        assert estimate == pytest.approx(40.0, rel=0.005)

    def test_discounts_the_initial_burst(self) -> None:
        """From a full bucket, the burst is not mistaken for quota."""
        admitted = [i / 50 for i in range(1, 251)]  # 50/s for 5 s against Q=40, burst 40
        estimate = estimate_quota(
            admitted, start=0.0, end=5.0, full_at_start=True, burst_seconds=1.0, low=0.5, high=1e4
        )
        assert estimate == pytest.approx(250 / 6, rel=0.01)

    def test_accounts_for_an_overflowing_bucket(self) -> None:
        """Time spent under the quota with a full bucket does not lower the estimate."""
        slow = [i / 5 for i in range(1, 51)]  # 5/s for 10 s: the bucket stays full
        fast = [10 + i / 60 for i in range(1, 121)]  # then 60/s until it runs dry
        estimate = estimate_quota(
            slow + fast,
            start=0.0,
            end=12.0,
            full_at_start=True,
            burst_seconds=1.0,
            low=0.5,
            high=1e4,
        )
        assert estimate == pytest.approx(40.0, rel=0.03)


class TestFixedCore:
    def test_ignores_feedback(self) -> None:
        """A fixed rate stays what the user chose, whatever the server says."""
        core = FixedRateCore(25.0)
        for t in range(100):
            core.on_sent(t / 10)
            core.on_throttled(t / 10 + 0.05, sent_at=t / 10)
        assert core.current_rate(50.0) == 25.0
        assert core.quota_estimate is None

    def test_uses_the_quota_it_is_set_to(self) -> None:
        """At the true quota, with the limiter's 0.9 s burst, use is ≥ 0.98 and no call
        is throttled."""
        run = simulate(FixedRateCore(40.0), quota=40.0, client_burst=0.9)
        assert run.throttled == 0
        assert run.quota_use >= 0.98
        assert max(r for _, r in run.rates) == 40.0


class TestParseRate:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("auto", None),
            (" AUTO ", None),
            ("10", 10.0),
            ("2.5", 2.5),
            ("40/s", 40.0),
            ("1e3", 1000.0),
        ],
    )
    def test_accepts(self, text: str, expected: float | None) -> None:
        """``auto`` and positive numbers (optionally per second) are accepted."""
        assert parse_rate(text) == expected

    @pytest.mark.parametrize("text", ["", "0", "-5", "nan", "inf", "fast", "10/min", "1e999"])
    def test_rejects(self, text: str) -> None:
        """Anything else is refused with a message naming the value and the choices."""
        with pytest.raises(InvalidInputError, match="expected 'auto' or a positive number"):
            parse_rate(text)


# -- the asyncio wrapper -------------------------------------------------------------


class VirtualTime:
    """Patches the running loop's clock (the bucket reads ``loop.time``) and advances it
    while yielding, so due timers fire at once and nothing really waits."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.now = 0.0
        self._patch = mock.patch.object(loop, "time", self.clock)

    def clock(self) -> float:
        return self.now

    def __enter__(self) -> VirtualTime:
        self._patch.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._patch.stop()

    async def run_for(self, seconds: float, step: float = 0.001) -> None:
        for _ in range(round(seconds / step)):
            self.now += step
            for _ in range(4):
                await asyncio.sleep(0)


@pytest.fixture
async def virtual_time() -> AsyncIterator[VirtualTime]:
    with VirtualTime(asyncio.get_running_loop()) as vt:
        yield vt


async def serve(
    controller: RateController, vt: VirtualTime, *, quota: float, seconds: float, workers: int = 32
) -> tuple[list[float], int]:
    """Workers calling a token-bucket server through ``controller`` for ``seconds`` of
    virtual time; returns the grant times and the number of throttles."""
    level, refilled_at, latency = quota, 0.0, 0.05
    grants: list[float] = []
    throttles = 0

    async def worker() -> None:
        nonlocal level, refilled_at, throttles
        while True:
            await controller.acquire()
            began = vt.now
            grants.append(began)
            await asyncio.sleep(latency / 2)
            level = min(quota, level + quota * (vt.now - refilled_at))
            refilled_at = vt.now
            admitted = level >= 1.0
            level -= 1.0 if admitted else 0.0
            await asyncio.sleep(latency / 2)
            controller.release()
            controller.record(throttled=not admitted, latency=vt.now - began)
            throttles += not admitted

    tasks = [asyncio.ensure_future(worker()) for _ in range(workers)]
    await vt.run_for(seconds)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return grants, throttles


class TestController:
    async def test_fixed_rate_is_never_exceeded(self, virtual_time: VirtualTime) -> None:
        """In any window, grants ≤ rate × window + the 0.9 s burst, and no more."""
        controller = RateController(rate=20.0, clock=virtual_time.clock)
        grants, _ = await serve(controller, virtual_time, quota=1000.0, seconds=3.0)
        burst = 0.9 * 20.0
        for i, start in enumerate(grants):
            for j in range(i, len(grants)):
                assert j - i + 1 <= burst + 20.0 * (grants[j] - start) + 1
        assert len(grants) == pytest.approx(burst + 20.0 * 3.0, abs=2)

    async def test_fixed_rate_at_the_quota_is_never_throttled(
        self, virtual_time: VirtualTime
    ) -> None:
        """Paced at the quota, its burst included, the server throttles nothing."""
        controller = RateController(rate=40.0, clock=virtual_time.clock)
        _, throttles = await serve(controller, virtual_time, quota=40.0, seconds=5.0)
        assert throttles == 0

    async def test_auto_mode_finds_the_quota(self, virtual_time: VirtualTime) -> None:
        """Against a 40/s server the wrapper settles on the quota with few throttles."""
        controller = RateController(clock=virtual_time.clock)
        grants, throttles = await serve(controller, virtual_time, quota=40.0, seconds=8.0)
        stats = controller.statistics()
        assert stats.quota_estimate == pytest.approx(40.0, rel=0.03)
        # The slow start's first throttle burst (about 8 requests at 40/s and 50 ms)
        # and two probes, in a run of under 400 requests.
        assert throttles <= 0.03 * len(grants)
        assert sum(1 for t in grants if t >= 4.0) >= 0.95 * 40.0 * 4.0

    async def test_a_cut_reaches_tasks_already_waiting(self, virtual_time: VirtualTime) -> None:
        """A throttle slows down the tasks already queued in the limiter, not only later ones."""
        controller = RateController(clock=virtual_time.clock)
        grants: list[float] = []

        async def worker() -> None:
            while True:
                await controller.acquire()
                grants.append(virtual_time.now)
                controller.release()

        tasks = [asyncio.ensure_future(worker()) for _ in range(8)]
        await virtual_time.run_for(1.0)
        # The initial burst, then 10/s: unanswered sends prove no higher quota.
        assert len(grants) >= 15
        # No admitted answers were recorded, so the estimate falls to min_rate (0.5/s).
        controller.record(throttled=True, latency=0.05)
        cut_at, before = virtual_time.now, len(grants)
        await virtual_time.run_for(1.9)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        assert controller.rate() <= 0.5 * 1.05
        assert len(grants) - before <= 1
        assert all(t >= cut_at for t in grants[before:])

    async def test_paces_at_the_current_rate(self, virtual_time: VirtualTime) -> None:
        """Auto mode sends its initial burst (one second of the initial rate) at once,
        then paces at the current rate, never two requests back to back."""
        controller = RateController(initial_rate=10.0, max_rate=10.0, clock=virtual_time.clock)
        grants, _ = await serve(controller, virtual_time, quota=1000.0, seconds=2.0)
        assert grants[:10] == [grants[0]] * 10
        assert all(b - a >= 0.1 - 0.002 for a, b in itertools.pairwise(grants[10:]))
        assert len(grants) == pytest.approx(10 + 10.0 * 2.0, abs=1)

    async def test_initial_burst_stops_at_a_throttle(self, virtual_time: VirtualTime) -> None:
        """A throttle during the initial burst ends it: the rest waits for the limiter."""
        controller = RateController(initial_rate=10.0, clock=virtual_time.clock)
        for _ in range(3):
            await controller.acquire()
        controller.record(throttled=True, latency=0.0)
        task = asyncio.ensure_future(controller.acquire())
        await virtual_time.run_for(0.05)
        assert not task.done()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    @pytest.mark.parametrize("rate", [None, 40.0])
    async def test_late_wake_ups_are_made_up(
        self, virtual_time: VirtualTime, rate: float | None
    ) -> None:
        """Every timer firing up to 5 ms late (a busy loop) costs under 1 % of the rate:
        the limiter drains by elapsed time, so a late grant brings the next one forward."""
        loop = asyncio.get_running_loop()
        call_at, rng = loop.call_at, random.Random(1)

        def late_call_at(
            when: float, callback: Callable[..., object], *args: object, **kwargs: Any
        ) -> asyncio.TimerHandle:
            return call_at(when + rng.uniform(0.0, 0.005), callback, *args, **kwargs)

        controller = RateController(
            rate=rate, initial_rate=40.0, max_rate=40.0, clock=virtual_time.clock
        )
        with mock.patch.object(loop, "call_at", late_call_at):
            grants, _ = await serve(controller, virtual_time, quota=1e4, seconds=6.0)
        paced = [t for t in grants if t >= 1.0]
        assert len(paced) >= 0.99 * 40.0 * (6.0 - 1.0)
        assert len(paced) <= 40.0 * (6.0 - 1.0) + 1


class TestControllerSeed:
    async def test_a_seed_starts_at_the_applied_quota(self, virtual_time: VirtualTime) -> None:
        """Seeded before the first request, a controller sends at the quota from the
        start, its burst included, and records where that came from."""
        controller = RateController(clock=virtual_time.clock)
        start = RateStart(source="service-quotas", rate=150.0, quota_code="L-1", quota_name="n")
        assert controller.seed(start)
        grants, throttles = await serve(controller, virtual_time, quota=150.0, seconds=3.0)
        assert throttles <= 2
        # The bucket and three seconds of quota, but for a cushion of a few requests
        # (an unseeded start gets about 566 through, and 21 throttles).
        assert len(grants) - throttles >= 0.98 * 150.0 * 4.0
        assert controller.statistics().start == start

    async def test_a_seed_after_a_throttle_is_only_noted(self, virtual_time: VirtualTime) -> None:
        """Once a throttle has measured the quota, a seed changes nothing but the note."""
        controller = RateController(clock=virtual_time.clock)
        for _ in range(AutoRateCore().initial_burst):
            await controller.acquire()
        virtual_time.now = 1.0  # a request after the initial burst
        await controller.acquire()
        controller.record(throttled=True, latency=0.0)
        rate = controller.rate()
        assert not controller.seed(RateStart(source="service-quotas", rate=500.0))
        assert controller.rate() == rate
        start = controller.statistics().start
        assert start is not None and start.source == "default"
        assert start.note is not None and "after a throttle" in start.note

    def test_a_fixed_rate_is_never_seeded(self) -> None:
        """--rate N is the user's decision: a seed is refused."""
        controller = RateController(rate=25.0)
        assert not controller.seed(RateStart(source="service-quotas", rate=500.0))
        assert controller.rate() == 25.0
        assert controller.start == RateStart(source="fixed", rate=25.0)


class TestControllerBookkeeping:
    async def test_counts_calls(self) -> None:
        """Statistics count acquisitions, in-flight calls, throttles, errors and answers."""
        controller = RateController(rate=1000.0)
        for _ in range(3):
            await controller.acquire()
        controller.release()
        controller.record(throttled=True, latency=0.05)
        controller.record(throttled=False, latency=0.05, error=True)
        controller.record(throttled=False, latency=0.05)
        stats = controller.statistics()
        assert (stats.acquired, stats.in_flight, stats.completed) == (3, 2, 3)
        assert (stats.throttled, stats.errors, stats.mode, stats.phase) == (1, 1, "fixed", "fixed")
        assert stats.latency_ewma == pytest.approx(0.05)

    def test_release_never_goes_negative(self) -> None:
        """A release without an acquire leaves in_flight at zero."""
        controller = RateController()
        controller.release()
        assert controller.in_flight == 0

    def test_statistics_are_a_frozen_snapshot(self) -> None:
        """A snapshot cannot be altered and does not change afterwards."""
        controller = RateController(rate=5.0)
        stats = controller.statistics()
        controller.record(throttled=True, latency=0.1)
        assert stats.throttled == 0
        with pytest.raises(AttributeError):
            stats.throttled = 3  # type: ignore[misc]

    @pytest.mark.parametrize(
        ("rate", "latency", "expected"),
        [(10.0, 0.03, 1), (40.0, 0.06, 5), (100.0, 0.123, 25), (1e4, 1.0, 256), (0.5, 0.01, 1)],
    )
    def test_suggests_concurrency_by_littles_law(
        self, rate: float, latency: float, expected: int
    ) -> None:
        """Suggested concurrency is ceil(rate × latency × 2), within [1, 256]."""
        controller = RateController(rate=rate)
        controller.record(throttled=False, latency=latency)
        # One sample has a deviation of half itself; steady answers shrink it.
        for _ in range(60):
            controller.record(throttled=False, latency=latency)
        assert controller.suggested_concurrency() == expected

    def test_suggests_room_before_the_first_answer(self) -> None:
        """Before any latency is known the suggestion assumes a slow first answer."""
        assert RateController(rate=40.0).suggested_concurrency() == 16

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"rate": 0.0},
            {"rate": -1.0},
            {"rate": math.nan},
            {"rate": math.inf},
            {"initial_rate": 20.0, "max_rate": 10.0},
            {"min_rate": 0.0},
            {"max_concurrency": 0},
            {"burst": 0.0},
        ],
    )
    def test_rejects_bad_settings(self, kwargs: dict[str, float]) -> None:
        """Impossible settings fail at construction with ValueError."""
        with pytest.raises(ValueError):
            RateController(**kwargs)  # type: ignore[arg-type]


class TestRegistry:
    def test_one_controller_per_region_and_api(self) -> None:
        """Workers of one API at one destination share a controller; nothing else does."""
        registry = RateRegistry(rate=None)
        a = registry.get(Destination(region="eu-west-1"), "CancelJobExecution")
        assert registry.get(Destination(region="eu-west-1"), "CancelJobExecution") is a
        assert registry.get(Destination(region="us-east-1"), "CancelJobExecution") is not a
        assert registry.get(Destination(region="eu-west-1"), "DescribeJobExecution") is not a

    def test_one_controller_per_account_too(self) -> None:
        """The same region in two accounts is two quotas, so two controllers (the
        caller's own account a third); a throttle in one account leaves the other's
        rate where it was."""
        now = [100.0]
        registry = RateRegistry(rate=None, clock=lambda: now[0])
        west = "eu-west-1"
        mine = registry.get(Destination(account="111111111111", region=west), "CancelJob")
        theirs = registry.get(Destination(account="222222222222", region=west), "CancelJob")
        own = registry.get(Destination(region=west), "CancelJob")
        assert len({id(mine), id(theirs), id(own)}) == 3
        assert registry.get(Destination(account="111111111111", region=west), "CancelJob") is mine
        before = theirs.rate()
        assert mine.rate() == before
        mine.record(throttled=True, latency=0.05)
        now[0] += 1.0
        assert mine.rate() < before
        assert theirs.rate() == before and own.rate() == before
        assert theirs.statistics().throttled == 0

    def test_passes_the_mode_and_options_on(self) -> None:
        """Controllers get the registry's rate and options."""
        fixed = RateRegistry(rate=7.0).get(Destination(region="r"), "api")
        auto = RateRegistry(rate=None, initial_rate=3.0, max_concurrency=4).get(
            Destination(region="r"), "api"
        )
        assert (fixed.mode, fixed.rate()) == ("fixed", 7.0)
        assert (auto.mode, auto.rate()) == ("auto", 3.0)
        capped = RateRegistry(rate=1e4, max_concurrency=4).get(Destination(region="r"), "api")
        assert capped.suggested_concurrency() == 4

    def test_apis_with_their_own_default_start_there(self) -> None:
        """Auto mode starts SearchIndex at 15/s and ListThingsInThingGroup at 25/s (AWS's
        published defaults), every other API at 10/s; a fixed rate is the user's."""
        registry = RateRegistry(rate=None)
        where = Destination(region="r")
        assert registry.get(where, "SearchIndex").rate() == 15.0
        assert registry.get(where, "ListThingsInThingGroup").rate() == 25.0
        assert registry.get(where, "CancelJobExecution").rate() == 10.0
        assert RateRegistry(rate=4.0).get(where, "SearchIndex").rate() == 4.0
        assert RateRegistry(rate=None, initial_rate=3.0).get(where, "SearchIndex").rate() == 3.0

    def test_statistics_by_key(self) -> None:
        """Statistics are keyed by (destination, API), for the controllers in use."""
        registry = RateRegistry(rate=3.0)
        registry.get(Destination(region="eu-west-1"), "CancelJob")
        eu = Destination(region="eu-west-1")
        assert list(registry.statistics()) == [(eu, "CancelJob")]
        assert registry.statistics()[(eu, "CancelJob")].rate == 3.0

    def test_rejects_bad_options_up_front(self) -> None:
        """Bad options fail when the registry is built, not on first use mid-run."""
        with pytest.raises(ValueError):
            RateRegistry(rate=None, min_rate=-1.0)
