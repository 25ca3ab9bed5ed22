"""The simulator object: loopback only, snapshots, setup helpers, threads, public surface."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import boto3
import pytest

import bulkjobs.sim
from bulkjobs.sim import (
    ExecutionStatus,
    FleetSpec,
    JobStatus,
    Operation,
    SimConfig,
    Simulator,
    ThreadedSimulator,
    serve,
)
from tests.sim.conftest import StartSim
from tests.sim.support import NO_RETRIES


class TestListeningAddress:
    @pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com", "::"])
    def test_non_loopback_is_refused(self, host: str) -> None:
        """Anything but loopback needs allow_remote: the simulator has no authentication."""
        with pytest.raises(ValueError, match="loopback"):
            Simulator(host=host)

    @pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "localhost", "::1"])
    def test_loopback_is_accepted(self, host: str) -> None:
        """Loopback addresses and 'localhost' are fine."""
        Simulator(host=host)

    async def test_taken_port_fails_cleanly(self, sim: Simulator) -> None:
        """A second simulator on a bound port raises OSError and leaves nothing running."""
        second = Simulator(port=sim.port)
        with pytest.raises(OSError):
            await second.start()
        assert not second.listening
        await second.stop()

    async def test_port_zero_binds_a_free_port(self, sim: Simulator) -> None:
        """The default binds 127.0.0.1 on a free port and reports it in endpoint_url."""
        assert sim.port > 0
        assert sim.endpoint_url == f"http://127.0.0.1:{sim.port}"
        assert sim.listening


class TestSnapshotsAndSetup:
    async def test_snapshots_are_frozen(self, sim: Simulator) -> None:
        """What the simulator hands out cannot change its state."""
        snapshot = sim.execution("job-1", "thing-000001")
        assert snapshot is not None
        with pytest.raises(dataclasses.FrozenInstanceError):
            snapshot.status = ExecutionStatus.CANCELED  # type: ignore[misc]
        stats = sim.statistics()
        with pytest.raises(TypeError):
            stats.operations["X"] = stats.of("DescribeJob")  # type: ignore[index]

    async def test_add_job_creates_things_and_executions(self, sim: Simulator, iot: Any) -> None:
        """add_job is the setup API: a new job over new and existing things."""
        job = sim.add_job("hotfix", ["thing-000001", "new-thing"], description="fix")
        assert job.counts[ExecutionStatus.QUEUED] == 2
        listed = await iot.list_job_executions_for_thing(thingName="new-thing")
        assert [s["jobId"] for s in listed["executionSummaries"]] == ["hotfix"]

    async def test_reset_restores_the_seeded_fleet(self, sim: Simulator, iot: Any) -> None:
        """reset() brings back the fleet and zeroes the counters."""
        await iot.cancel_job(jobId="job-1")
        sim.reset()
        assert sim.job("job-1").status is JobStatus.IN_PROGRESS
        assert sim.statistics().total_requests == 0
        sim.reset(FleetSpec(things=3, job_ids=("other",)))
        assert len(sim.executions("other")) == 3
        with pytest.raises(KeyError):
            sim.job("job-1")

    async def test_executions_filter(self, start_sim: StartSim) -> None:
        """executions() lists a job's executions, optionally of one status."""
        sim = await start_sim(fleet=FleetSpec(things=10, terminal=0.5, seed=5))
        queued = sim.executions("job-1", status=ExecutionStatus.QUEUED)
        assert len(queued) == sim.job("job-1").counts[ExecutionStatus.QUEUED]

    def test_config_is_validated(self) -> None:
        """Impossible knobs fail at construction, not mid-run."""
        for bad in (
            {"p503": 1.5},
            {"quota": 0},
            {"quotas": {"NoSuchOperation": 1.0}},
            {"throttle_status": 500},
            {"cancel_job_rate": 0},
        ):
            with pytest.raises(ValueError):
                SimConfig(**bad)

    def test_per_operation_quotas(self) -> None:
        """quotas overrides the default per operation, by enum or by name."""
        config = SimConfig(quota=10, quotas={Operation.CANCEL_JOB: 2, "DescribeJob": None})
        assert config.quota_for(Operation.CANCEL_JOB) == 2
        assert config.quota_for(Operation.DESCRIBE_JOB) is None
        assert config.quota_for(Operation.DELETE_JOB_EXECUTION) == 10


class TestStatistics:
    async def test_in_flight_peak_sees_concurrency(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """Concurrent slow requests raise the in-flight peak."""
        from bulkjobs.sim import Latency

        sim = await start_sim(SimConfig(quota=None, latency=Latency(median=0.05)))
        iot = await make_client(sim)
        await asyncio.gather(*(iot.describe_job(jobId="job-1") for _ in range(5)))
        stats = sim.statistics()
        assert stats.in_flight_peak == 5 and stats.in_flight == 0
        assert stats.of("DescribeJob").in_flight_peak == 5

    async def test_reset_statistics(self, sim: Simulator, iot: Any) -> None:
        """reset_statistics starts the counters over."""
        await iot.describe_job(jobId="job-1")
        sim.reset_statistics()
        assert sim.statistics().total_requests == 0


async def test_serve_until_stopped() -> None:
    """serve() runs until its stop event is set and returns the final counters."""
    stop, ready = asyncio.Event(), asyncio.Event()
    served: list[Simulator] = []

    def on_ready(simulator: Simulator) -> None:
        served.append(simulator)
        ready.set()

    task = asyncio.create_task(
        serve(SimConfig(quota=None), FleetSpec(things=1), stop=stop, on_ready=on_ready)
    )
    await ready.wait()
    assert served[0].listening
    stop.set()
    stats = await task
    assert stats.total_requests == 0


def test_threaded_simulator_serves_sync_clients() -> None:
    """ThreadedSimulator gives synchronous code a simulator, and calls into it safely."""
    with ThreadedSimulator(SimConfig(quota=None), FleetSpec(things=2)) as threaded:
        iot = boto3.session.Session().client(
            "iot", region_name="us-east-1", endpoint_url=threaded.endpoint_url, config=NO_RETRIES
        )
        iot.cancel_job_execution(jobId="job-1", thingName="thing-000002")
        snapshot = threaded.call(lambda sim: sim.execution("job-1", "thing-000002"))
        assert snapshot is not None and snapshot.status is ExecutionStatus.CANCELED
        assert threaded.statistics().mutating_requests == 1
        iot.close()


def test_public_surface() -> None:
    """bulkjobs.sim exports exactly its documented names."""
    assert sorted(bulkjobs.sim.__all__) == sorted(
        [
            "AWS_CANCEL_JOB_RATE",
            "AWS_DEFAULT_QUOTAS",
            "AWS_DEFAULT_TPS",
            "ERROR_STATUS",
            "MUTATING_OPERATIONS",
            "ErrorCode",
            "ExecutionSnapshot",
            "ExecutionStatus",
            "FleetSpec",
            "JobSnapshot",
            "JobStatus",
            "Latency",
            "Operation",
            "OperationStatistics",
            "OrgAccount",
            "OrgUnit",
            "THING_INDEX",
            "Organization",
            "QuotaChange",
            "SimConfig",
            "SimStatistics",
            "Simulator",
            "ThreadedSimulator",
            "run_simulator",
            "serve",
        ]
    )
    for name in bulkjobs.sim.__all__:
        assert getattr(bulkjobs.sim, name) is not None
