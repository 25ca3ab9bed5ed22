"""Targets for several regions in one run: a client and a rate controller per region."""

from __future__ import annotations

from bulkjobs import CancelExecution, Engine, Outcome, Result, RunConfig, Target
from bulkjobs._destination import Destination
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator


async def test_each_region_gets_its_own_client_and_limiter() -> None:
    """Half the targets in another region: all cancelled, limiters keyed by region."""
    async with Simulator(SimConfig(quota=None), FleetSpec(things=20, job_ids=("j",))) as sim:
        names = [e.thing_name for e in sim.executions("j")]
        targets = [
            Target(job_id="j", thing_name=n, region="eu-west-1" if i % 2 else None)
            for i, n in enumerate(names)
        ]
        engine = Engine(
            CancelExecution(),
            RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=500),
        )
        results: list[Result] = []
        report = await engine.run(targets, on_result=results.append)

        assert report.count(Outcome.CANCELED) == 20
        assert {e.status for e in sim.executions("j")} == {ExecutionStatus.CANCELED}
        keys = set(engine.rate_statistics())
        east, west = Destination(region="us-east-1"), Destination(region="eu-west-1")
        assert keys == {(east, "CancelJobExecution"), (west, "CancelJobExecution")}
        assert {r.target.region for r in results} == {None, "eu-west-1"}
