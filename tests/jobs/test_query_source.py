"""FromQuery, the library's fleet-indexing source, against the simulator's SearchIndex."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import anyio
import pytest

from bulkjobs import (
    CancelExecution,
    ConfigurationError,
    FromJobs,
    FromQuery,
    InvalidInputError,
    Outcome,
    RunConfig,
    RunSession,
    run,
)
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator

JOB = "fw-9"


@pytest.fixture(autouse=True)
def _fake_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    yield


def config(sim: Simulator) -> RunConfig:
    return RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=500)


class TestFromQuery:
    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            ({"query": "", "job_id": JOB}, "queryString"),
            ({"query": "  ", "job_id": JOB}, "queryString"),
            ({"query": "*", "job_id": "bad id"}, "jobId"),
            ({"query": "*", "job_id": JOB, "index_name": "no spaces"}, "indexName"),
            ({"query": "*"}, "jobId"),
            ({"query": "*", "job_id": JOB, "jobs": FromJobs()}, "jobId"),
            ({"query": "*", "jobs": FromJobs(execution_statuses=("QUEUED",))}, "executionStatus"),
        ],
    )
    def test_rules_checked_on_construction(self, kwargs: dict[str, Any], field: str) -> None:
        """What can be known without the server is refused at once, naming the field."""
        with pytest.raises(InvalidInputError) as caught:
            FromQuery(**kwargs)
        assert [issue.field for issue in caught.value.issues] == [field]

    async def test_targets_the_matching_things(self) -> None:
        """A run over a query acts on the things it matches, and only them; a match
        without an execution of the job ends not_found."""
        fleet = FleetSpec(things=60, job_ids=(JOB,), seed=3)
        async with Simulator(SimConfig(quota=None), fleet) as sim:
            sim.add_job("other", ["loner"], status="QUEUED")
            sim.set_thing("loner", attributes={"hwRev": "B2"}, connected=False)
            expected = {
                name
                for name in (fleet.thing_name(i) for i in range(1, 61))
                if sim.thing_attributes(name) == ({"hwRev": "B2"}, False)
            }
            query = FromQuery(
                query="attributes.hwRev:B2 AND connectivity.connected:false", job_id=JOB
            )
            with anyio.fail_after(30):
                report = await run([query], CancelExecution(), config(sim))
            assert report.total == len(expected) + 1
            assert report.outcomes[Outcome.NOT_FOUND] == 1
            done = {
                e.thing_name for e in sim.executions(JOB) if e.status is ExecutionStatus.CANCELED
            }
            assert done == expected

    async def test_over_the_jobs_a_selection_finds(self) -> None:
        """With ``jobs``, each found thing is a target of every selected job: here the
        two IN_PROGRESS jobs, not the finished one."""
        fleet = FleetSpec(things=40, job_ids=("fw-a", "fw-b", "done"), seed=8)
        async with Simulator(SimConfig(quota=None), fleet) as sim:
            for i in range(1, 41):
                sim.set_execution_status("done", fleet.thing_name(i), "SUCCEEDED")
            query = FromQuery(query="attributes.hwRev:A1", jobs=FromJobs(statuses=("IN_PROGRESS",)))
            with anyio.fail_after(30):
                report = await run([query], CancelExecution(), config(sim))
            found = {
                fleet.thing_name(i)
                for i in range(1, 41)
                if sim.thing_attributes(fleet.thing_name(i))[0]["hwRev"] == "A1"
            }
            assert report.total == 2 * len(found)
            for job in ("fw-a", "fw-b"):
                canceled = {
                    e.thing_name
                    for e in sim.executions(job)
                    if e.status is ExecutionStatus.CANCELED
                }
                assert canceled == found
            assert sim.statistics().of("SearchIndex").requests == 2

    async def test_an_invalid_query_raises_before_anything_is_sent(self) -> None:
        """InvalidQueryException comes back as bad input with the server's reason."""
        async with Simulator(SimConfig(quota=None), FleetSpec(things=5, job_ids=(JOB,))) as sim:
            session = RunSession(
                [FromQuery(query="thingName:(", job_id=JOB)], CancelExecution(), config(sim)
            )
            with pytest.raises(InvalidInputError) as caught, anyio.fail_after(30):
                await session.run()
            (issue,) = caught.value.issues
            assert issue.field == "queryString" and "InvalidQueryException" in issue.rule
            assert sim.statistics().mutating_requests == 0

    async def test_an_index_that_is_off_is_a_configuration_error(self) -> None:
        """With thing indexing off nothing can be selected: the run does not start."""
        sim_config = SimConfig(quota=None, thing_index="OFF")
        async with Simulator(sim_config, FleetSpec(things=5, job_ids=(JOB,))) as sim:
            sources = [FromQuery(query="*", job_id=JOB)]
            with pytest.raises(ConfigurationError, match="is off"), anyio.fail_after(30):
                await run(sources, CancelExecution(), config(sim))
            assert sim.statistics().mutating_requests == 0
