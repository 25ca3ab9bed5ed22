"""Stress knobs as clients experience them: resets, lost answers, slowness, restarts, quotas."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from bulkjobs.sim import (
    ExecutionStatus,
    Latency,
    Operation,
    QuotaChange,
    SimConfig,
    Simulator,
)
from tests.sim.conftest import StartSim
from tests.sim.support import NO_RETRIES, FakeClock, in_thread

THING = "thing-000001"
#: What botocore raises when the connection dies before an answer (aiohttp / urllib3).
CONNECTION_LOST = (ConnectionClosedError, EndpointConnectionError)


class TestConnectionResets:
    async def test_reset_answers_nothing_and_changes_nothing(
        self, start_sim: StartSim, boto3_client: Callable[..., Any]
    ) -> None:
        """p_reset=1: the client sees a dropped connection; the execution is untouched."""
        sim = await start_sim(SimConfig(quota=None, p_reset=1.0))
        iot = boto3_client(sim)
        with pytest.raises(CONNECTION_LOST):
            await in_thread(iot.cancel_job_execution, jobId="job-1", thingName=THING)
        snapshot = sim.execution("job-1", THING)
        assert snapshot is not None and snapshot.status is ExecutionStatus.QUEUED
        assert sim.statistics().of(Operation.CANCEL_JOB_EXECUTION).resets == 1

    async def test_lost_response_applies_the_change(
        self, start_sim: StartSim, boto3_client: Callable[..., Any]
    ) -> None:
        """p_lost_response=1: the cancel happened although the client got no answer."""
        sim = await start_sim(
            SimConfig(
                quota=None,
                p_lost_response=1.0,
                faulty_operations=frozenset({Operation.CANCEL_JOB_EXECUTION}),
            )
        )
        iot = boto3_client(sim)
        with pytest.raises(CONNECTION_LOST):
            await in_thread(iot.cancel_job_execution, jobId="job-1", thingName=THING)
        described = await in_thread(iot.describe_job_execution, jobId="job-1", thingName=THING)
        assert described["execution"]["status"] == "CANCELED"
        stats = sim.statistics()
        assert stats.of(Operation.CANCEL_JOB_EXECUTION).lost_responses == 1
        assert stats.of(Operation.DESCRIBE_JOB_EXECUTION).accepted == 1

    async def test_aiobotocore_sees_resets_as_connection_errors(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """The async client surfaces a reset as a botocore connection error too."""
        sim = await start_sim(SimConfig(quota=None, p_reset=1.0))
        iot = await make_client(sim)
        with pytest.raises(CONNECTION_LOST):
            await iot.describe_job(jobId="job-1")
        assert sim.statistics().of(Operation.DESCRIBE_JOB).resets >= 1


class TestSlowness:
    async def test_slow_responses_trip_the_read_timeout(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """p_slow=1 delays answers past a 50 ms read timeout."""
        sim = await start_sim(SimConfig(quota=None, p_slow=1.0, slow_seconds=0.3))
        iot = await make_client(sim, NO_RETRIES.merge(Config(read_timeout=0.05)))
        with pytest.raises(ReadTimeoutError):
            await iot.describe_job(jobId="job-1")
        assert sim.statistics().of(Operation.DESCRIBE_JOB).slow == 1

    async def test_latency_delays_each_response(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """A fixed 30 ms latency makes a call take at least that long."""
        sim = await start_sim(SimConfig(quota=None, latency=Latency(median=0.03)))
        iot = await make_client(sim)
        await iot.describe_job(jobId="job-1")  # connection set-up outside the measurement
        started = time.perf_counter()
        await iot.describe_job(jobId="job-1")
        assert time.perf_counter() - started >= 0.028

    def test_lognormal_latency_spreads_around_its_median(self) -> None:
        """Lognormal draws straddle the median and respect the cap."""
        latency = Latency(median=0.01, sigma=0.8, maximum=0.05)
        rng = random.Random(3)
        draws = sorted(latency.sample(rng) for _ in range(2001))
        assert 0.008 < draws[1000] < 0.012
        assert draws[0] < 0.005 and draws[-1] == 0.05


class TestUnavailability:
    async def test_p503_share(self, start_sim: StartSim, make_client: Any) -> None:
        """About p503 of the requests answer 503, and the counters agree with the client."""
        sim = await start_sim(SimConfig(quota=None, p503=0.5, seed=11))
        iot = await make_client(sim)
        failures = 0
        for _ in range(200):
            try:
                await iot.describe_job(jobId="job-1")
            except iot.exceptions.ServiceUnavailableException:
                failures += 1
        assert 60 <= failures <= 140
        stats = sim.statistics().of(Operation.DESCRIBE_JOB)
        assert stats.unavailable == failures
        assert stats.errors == {"ServiceUnavailableException": failures}
        assert stats.accepted == 200 - failures

    async def test_faults_can_spare_some_operations(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """faulty_operations confines 503s to the named operations."""
        sim = await start_sim(
            SimConfig(quota=None, p503=1.0, faulty_operations=frozenset({Operation.CANCEL_JOB}))
        )
        iot = await make_client(sim)
        await iot.describe_job(jobId="job-1")
        with pytest.raises(iot.exceptions.ServiceUnavailableException):
            await iot.cancel_job(jobId="job-1")


class TestRestart:
    async def test_state_survives_a_restart(self, sim: Simulator, iot: Any) -> None:
        """After restart the same port answers and earlier changes are still there."""
        await iot.cancel_job_execution(jobId="job-1", thingName=THING)
        port = sim.port
        await sim.restart()
        assert sim.port == port
        described = await iot.describe_job_execution(jobId="job-1", thingName=THING)
        assert described["execution"]["status"] == "CANCELED"
        assert sim.statistics().restarts == 1

    async def test_down_means_connection_refused(self, sim: Simulator, iot: Any) -> None:
        """Between stop_listening and start_listening clients cannot connect."""
        await sim.stop_listening()
        with pytest.raises(EndpointConnectionError):
            await iot.describe_job(jobId="job-1")
        await sim.start_listening()
        await iot.describe_job(jobId="job-1")


class TestQuotasAtRuntime:
    async def test_schedule_follows_the_simulator_clock(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """'2/s, then 5/s from t=10 s': admissions follow the schedule as the clock moves."""
        clock = FakeClock()
        config = SimConfig(
            quota=2.0,
            quota_schedule=(QuotaChange(at=10, tps=5.0, operation="DescribeJob"),),
        )
        sim = await start_sim(config, clock=clock)
        iot = await make_client(sim)

        async def admitted(calls: int) -> int:
            count = 0
            for _ in range(calls):
                try:
                    await iot.describe_job(jobId="job-1")
                    count += 1
                except iot.exceptions.ThrottlingException:
                    pass
            return count

        assert await admitted(6) == 2
        clock.advance(10)
        assert sim.quotas()["DescribeJob"] == 5.0
        assert await admitted(10) == 2  # the old burst, saved up before the change
        clock.advance(1)
        assert await admitted(10) == 5  # one second at the new rate
        assert sim.statistics().of(Operation.DESCRIBE_JOB).throttled == 4 + 8 + 5

    async def test_set_quota_lifts_throttling(self, start_sim: StartSim, make_client: Any) -> None:
        """set_quota(None, None) makes every operation unlimited at once."""
        sim = await start_sim(SimConfig(quota=1.0))
        iot = await make_client(sim)
        await iot.describe_job(jobId="job-1")
        with pytest.raises(iot.exceptions.ThrottlingException):
            await iot.describe_job(jobId="job-1")
        sim.set_quota(None, None)
        for _ in range(20):
            await iot.describe_job(jobId="job-1")
