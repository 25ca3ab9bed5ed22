"""Auto rate mode seeded from Service Quotas: the engine against the simulator, over
real HTTP through aiobotocore, as a run would start against AWS."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from aiobotocore.session import AioSession

from bulkjobs import CancelExecution, Engine, Report, RunConfig, Target, _client
from bulkjobs._iotmodel import aio_session
from bulkjobs.sim import FleetSpec, Latency, SimConfig, Simulator

JOB = "seed-job"


async def cancel(sim: Simulator, things: int, **config: Any) -> Report:
    settings: dict[str, Any] = {"endpoint_url": sim.endpoint_url, "region": "us-east-1"}
    engine = Engine(CancelExecution(), RunConfig(**{**settings, **config}))
    targets = [Target(job_id=JOB, thing_name=e.thing_name) for e in sim.executions(JOB)]
    with anyio.fail_after(60):
        return await engine.run(targets[:things])


def start_of(report: Report, api: str = "CancelJobExecution") -> dict[str, Any]:
    assert report.rate_control is not None
    (start,) = [s for s in report.rate_control["start"] if s["api"] == api]
    return dict(start)


def fleet(things: int = 60) -> FleetSpec:
    return FleetSpec(things=things, job_ids=(JOB,), seed=5)


class TestSeeded:
    async def test_starts_at_the_applied_quota(self) -> None:
        """The applied quota is read (one listing, one GetServiceQuota) and recorded as
        the starting point, with its code and name."""
        config = SimConfig(quota=40.0, quotas={"CancelJobExecution": 150.0})
        async with Simulator(config, fleet()) as sim:
            report = await cancel(sim, 60)
            assert report.outcomes == {"canceled": 60}
            start = start_of(report)
            assert start["source"] == "service-quotas"
            assert start["rate"] == 150.0
            assert start["quotaName"] == "CancelJobExecution throttle limit"
            assert start["quotaCode"].startswith("L-")
            assert sim.statistics().service_quota_requests == 2
            assert report.to_json()["rateControl"]["mode"] == "auto"

    async def test_a_seeded_run_is_not_throttled_into_a_ramp(self) -> None:
        """Seeded at the real quota, 300 cancels at 150/s see at most a few throttles."""
        config = SimConfig(quota=150.0)
        async with Simulator(config, fleet(300)) as sim:
            report = await cancel(sim, 300)
            assert report.outcomes == {"canceled": 300}
            assert start_of(report)["source"] == "service-quotas"
            assert sim.statistics().throttled <= 6


class TestFallback:
    async def test_without_permission_it_starts_at_the_default(self) -> None:
        """AccessDenied: the run starts at the default, silently, and the report says
        why."""
        config = SimConfig(quota=40.0, service_quotas=False)
        async with Simulator(config, fleet()) as sim:
            report = await cancel(sim, 60)
            assert report.outcomes == {"canceled": 60}
            start = start_of(report)
            assert start["source"] == "default" and start["rate"] == 10.0
            assert "AccessDeniedException" in start["note"]
            assert report.kinds == {"done": 60}

    async def test_an_unlisted_quota_starts_at_the_default(self) -> None:
        """No entry for the API (an unlimited one here): the default, with a note."""
        async with Simulator(SimConfig(quota=None), fleet()) as sim:
            report = await cancel(sim, 30)
            start = start_of(report)
            assert start["source"] == "default"
            assert "no CancelJobExecution rate quota listed" in start["note"]

    @pytest.mark.parametrize("config", [{"rate": 50.0}, {"service_quotas": False}])
    async def test_not_asked_when_not_needed(self, config: dict[str, Any]) -> None:
        """A fixed rate, or service_quotas=False, sends no Service Quotas request."""
        async with Simulator(SimConfig(quota=100.0), fleet()) as sim:
            report = await cancel(sim, 30, **config)
            assert sim.statistics().service_quota_requests == 0
            expected = "fixed" if "rate" in config else "default"
            assert start_of(report)["source"] == expected


class TestFirstRequestFirst:
    async def test_the_lookup_waits_for_the_first_answer(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The Service Quotas client is opened only once the run's first call has been
        answered: its creation costs CPU the first request would otherwise wait for."""
        events: list[str] = []

        def session(profile: str | None = None) -> AioSession:
            made = aio_session(profile)
            for name in ("creating-client-class", "response-received"):
                made.register(name, lambda event_name, **_: events.append(event_name))
            return made

        monkeypatch.setattr(_client, "aio_session", session)
        config = SimConfig(
            quota=40.0, quotas={"CancelJobExecution": 150.0}, latency=Latency(median=0.05)
        )
        async with Simulator(config, fleet()) as sim:
            report = await cancel(sim, 20)
        assert start_of(report)["source"] == "service-quotas"
        first_answer = events.index("response-received.iot.CancelJobExecution")
        assert events.index("creating-client-class.service-quotas") > first_answer
