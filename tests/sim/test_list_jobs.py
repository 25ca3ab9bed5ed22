"""ListJobs as AWS serves it: filters, paging, the JobSummary shape, its own quota, and
the many-jobs fleet `bulkjobs simulate --jobs` builds."""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

import botocore.session
import pytest

from bulkjobs.sim import FleetSpec, SimConfig
from bulkjobs.sim._fleet import build_state
from bulkjobs.sim._listing import jobs as list_jobs
from bulkjobs.sim._model import JobStatus
from bulkjobs.sim._options import config_from_args
from tests.sim.conftest import StartSim
from tests.sim.support import FakeClock
from tests.sim.test_cli import parse

NOW = 1_700_000_000.0
DAY = 86_400.0
#: JobSummary's members in botocore's service model: what a summary may carry.
SUMMARY_MEMBERS = set(
    botocore.session.get_session()
    .get_service_model("iot")
    .operation_model("ListJobs")
    .output_shape.members["jobs"]
    .member.members
)


async def every_job(iot: Any, page_size: int = 250, **filters: Any) -> list[dict[str, Any]]:
    """Every JobSummary of a filtered listing, following nextToken to the end."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        request = {**filters, "maxResults": page_size}
        if token is not None:
            request["nextToken"] = token
        answer = await iot.list_jobs(**request)
        found.extend(answer["jobs"])
        token = answer.get("nextToken")
        if token is None:
            return found


class TestShape:
    async def test_summary_members_are_the_models(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """Each summary carries jobArn, jobId, status, targetSelection, the dates
        (as aware datetimes) and thingGroupId when a group is the target; nothing the
        model does not declare."""
        sim = await start_sim(fleet=FleetSpec(things=20, groups=2, jobs=12, seed=4))
        iot = await make_client(sim)
        summaries = await every_job(iot)
        assert len(summaries) == 13  # job-1 and the 12 generated jobs
        for summary in summaries:
            assert set(summary) <= SUMMARY_MEMBERS
            assert summary["jobArn"].endswith(f":job/{summary['jobId']}")
            assert isinstance(summary["createdAt"], dt.datetime)
            assert summary["createdAt"].tzinfo is not None
            assert summary["createdAt"] <= summary["lastUpdatedAt"]
            assert ("completedAt" in summary) == (summary["status"] == "COMPLETED")
        first = summaries[0]
        assert first["jobId"] == "job-1" and "thingGroupId" in first
        assert {s["targetSelection"] for s in summaries} <= {"SNAPSHOT", "CONTINUOUS"}

    async def test_thing_group_id_is_the_targeted_groups(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """Jobs targeting the same group share its thingGroupId; filtering by that id
        finds exactly them; a job aimed at things directly has none."""
        sim = await start_sim(fleet=FleetSpec(things=5, groups=2))
        sim.add_job("on-group", ["thing-000001"], thing_group="fleet-01")
        sim.add_job("on-group-too", ["thing-000002"], thing_group="fleet-01")
        sim.add_job("on-things", ["thing-000003"])
        iot = await make_client(sim)
        by_id = {s["jobId"]: s.get("thingGroupId") for s in await every_job(iot)}
        assert by_id["on-group"] == by_id["on-group-too"] is not None
        assert by_id["on-things"] is None and by_id["job-1"] != by_id["on-group"]
        filtered = await every_job(iot, thingGroupId=by_id["on-group"])
        assert [s["jobId"] for s in filtered] == ["on-group", "on-group-too"]


class TestFilters:
    async def test_each_filter_narrows(self, start_sim: StartSim, make_client: Any) -> None:
        """status, targetSelection, thingGroupName and namespaceId each keep only the
        jobs that match; combined, all must match."""
        sim = await start_sim(fleet=FleetSpec(things=6, groups=2))
        sim.add_job("done", ["thing-000001"], status="SUCCEEDED", thing_group="fleet-01")
        sim.add_job("live", ["thing-000002"], thing_group="fleet-01", target_selection="CONTINUOUS")
        sim.add_job("gg", ["thing-000003"], namespace_id="greengrass")
        iot = await make_client(sim)

        async def ids(**filters: Any) -> list[str]:
            return [s["jobId"] for s in await every_job(iot, **filters)]

        assert await ids(status="COMPLETED") == ["done"]
        assert await ids(status="IN_PROGRESS") == ["job-1", "live", "gg"]
        assert await ids(targetSelection="CONTINUOUS") == ["live"]
        assert await ids(thingGroupName="fleet-01") == ["done", "live"]
        assert await ids(thingGroupName="fleet-01", status="IN_PROGRESS") == ["live"]
        assert await ids(namespaceId="greengrass") == ["gg"]
        assert await ids(status="SCHEDULED") == []

    async def test_continuous_job_does_not_complete(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """A CONTINUOUS job whose executions all ended stays IN_PROGRESS (new members of
        its group would still get it); a SNAPSHOT one completes."""
        sim = await start_sim(fleet=FleetSpec(things=3))
        sim.add_job(
            "cont",
            ["thing-000001"],
            status="SUCCEEDED",
            thing_group="fleet",
            target_selection="CONTINUOUS",
        )
        sim.add_job("snap", ["thing-000001"], status="SUCCEEDED", thing_group="fleet")
        iot = await make_client(sim)
        status = {s["jobId"]: s["status"] for s in await every_job(iot)}
        assert (status["cont"], status["snap"]) == ("IN_PROGRESS", "COMPLETED")

    @pytest.mark.parametrize(
        ("filters", "field"),
        [
            ({"status": "DONE"}, "status"),
            ({"targetSelection": "SOMETIMES"}, "targetSelection"),
            ({"thingGroupName": "bad name"}, "thingGroupName"),
            ({"thingGroupId": "bad_id"}, "thingGroupId"),
            ({"namespaceId": "a b"}, "namespaceId"),
            ({"maxResults": 251}, "maxResults"),
        ],
    )
    async def test_bad_filter_is_invalid_request(
        self, start_sim: StartSim, make_client: Any, filters: dict[str, Any], field: str
    ) -> None:
        """Values outside the model's enums, patterns or range: InvalidRequestException
        naming the member."""
        iot = await make_client(await start_sim())
        with pytest.raises(iot.exceptions.InvalidRequestException) as caught:
            await iot.list_jobs(**filters)
        assert f"at '{field}'" in str(caught.value)

    async def test_unknown_group_is_not_found(self, start_sim: StartSim, make_client: Any) -> None:
        """A thing group that does not exist: ResourceNotFoundException."""
        iot = await make_client(await start_sim())
        with pytest.raises(iot.exceptions.ResourceNotFoundException):
            await iot.list_jobs(thingGroupName="no-such-group")


class TestPaging:
    async def test_pages_cover_every_job_once(self, start_sim: StartSim, make_client: Any) -> None:
        """Pages of 7 over 40 jobs: every job exactly once, in creation order, each page
        at most 7 long; the last page has no nextToken."""
        sim = await start_sim(fleet=FleetSpec(things=10, jobs=39, seed=2))
        iot = await make_client(sim)
        sizes: list[int] = []
        token: str | None = None
        seen: list[str] = []
        while True:
            page = await iot.list_jobs(maxResults=7, **({"nextToken": token} if token else {}))
            sizes.append(len(page["jobs"]))
            seen.extend(s["jobId"] for s in page["jobs"])
            token = page.get("nextToken")
            if token is None:
                break
        assert max(sizes) == 7 and len(seen) == len(set(seen)) == 40
        created = [s["createdAt"] for s in await every_job(iot)]
        assert created[1:] == sorted(created[1:])  # the generated jobs, oldest first

    def test_deleting_while_paging_skips_nothing(self) -> None:
        """Jobs removed after the first page shift nothing: the rest all come next."""
        state = build_state(FleetSpec(things=4, jobs=9, seed=1), now=NOW)
        everything = [job.job_id for job in state.jobs()]
        first = list_jobs(
            state,
            status=None,
            target_selection=None,
            thing_group_name=None,
            thing_group_id=None,
            namespace_id=None,
            max_results=4,
            next_token=None,
        )
        for job in first.items:
            state.remove_job(job.job_id)
        second = list_jobs(
            state,
            status=None,
            target_selection=None,
            thing_group_name=None,
            thing_group_id=None,
            namespace_id=None,
            max_results=250,
            next_token=first.next_token,
        )
        assert [j.job_id for j in first.items + second.items] == everything

    async def test_token_of_another_filter_is_refused(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """A nextToken only continues the listing it came from."""
        sim = await start_sim(fleet=FleetSpec(things=4, jobs=5, seed=1))
        iot = await make_client(sim)
        token = (await iot.list_jobs(maxResults=2))["nextToken"]
        with pytest.raises(iot.exceptions.InvalidRequestException):
            await iot.list_jobs(maxResults=2, nextToken=token, status="COMPLETED")


class TestDeletionInProgress:
    async def test_listed_while_deleting_then_gone(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """A job being deleted is listed DELETION_IN_PROGRESS (and found by that status)
        until its deletion time has passed; then ListJobs no longer lists it."""
        clock = FakeClock(time.time())
        config = SimConfig(quota=None, job_deletion_seconds=60.0, check_signatures=False)
        sim = await start_sim(config, FleetSpec(things=3), wall_clock=clock)
        sim.add_job("old", ["thing-000001"], status="SUCCEEDED")
        iot = await make_client(sim)
        await iot.delete_job(jobId="old")
        clock.advance(59.0)
        deleting = await every_job(iot, status="DELETION_IN_PROGRESS")
        assert [s["jobId"] for s in deleting] == ["old"]
        assert [s["jobId"] for s in await every_job(iot)] == ["job-1", "old"]
        clock.advance(2.0)
        assert [s["jobId"] for s in await every_job(iot)] == ["job-1"]


async def test_own_quota(start_sim: StartSim, make_client: Any) -> None:
    """ListJobs has a bucket of its own at AWS's default 10/s: its 1-second burst of 10
    is admitted, the 11th is throttled, and DescribeJob is still served."""
    sim = await start_sim(SimConfig(), FleetSpec(things=2))
    assert sim.quotas()["ListJobs"] == 10.0
    iot = await make_client(sim)
    for _ in range(10):
        await iot.list_jobs()
    with pytest.raises(iot.exceptions.ThrottlingException):
        await iot.list_jobs()
    await iot.describe_job(jobId="job-1")


class TestManyJobs:
    def test_statuses_targets_and_ages_are_spread(self) -> None:
        """400 generated jobs: each status about its share, both kinds of target, and
        finished jobs' end dates spread evenly, so "older than half the span" keeps
        about half of them."""
        spec = FleetSpec(things=50, groups=3, jobs=400, job_executions=5, max_age_days=180, seed=9)
        state = build_state(spec, now=NOW)
        made = [job for job in state.jobs() if job.job_id.startswith("sim-job-")]
        statuses = Counter(job.status for job in made)
        assert len(made) == 400
        assert 70 <= statuses[JobStatus.IN_PROGRESS] <= 130
        assert 70 <= statuses[JobStatus.CANCELED] <= 130
        assert 150 <= statuses[JobStatus.COMPLETED] <= 250
        by_group = sum(1 for job in made if ":thinggroup/" in job.targets[0])
        assert 150 <= by_group <= 250
        finished = [j for j in made if j.status is not JobStatus.IN_PROGRESS]
        ends = [j.completed_at or j.last_updated_at for j in finished]
        older = sum(1 for end in ends if end < NOW - 90 * DAY)
        assert 0.4 * len(ends) <= older <= 0.6 * len(ends)
        assert all(NOW - 180 * DAY <= j.created_at <= NOW for j in made)

    def test_executions_agree_with_the_job(self) -> None:
        """COMPLETED jobs hold only terminal executions, IN_PROGRESS ones at least one
        QUEUED or IN_PROGRESS, and every job has job_executions of them."""
        state = build_state(FleetSpec(things=30, jobs=60, job_executions=4, seed=3), now=NOW)
        for job in state.jobs()[1:]:
            active = sum(
                1 for e in job.executions.values() if e.status.value in ("QUEUED", "IN_PROGRESS")
            )
            assert len(job.executions) == 4
            if job.status is JobStatus.COMPLETED:
                assert active == 0 and job.completed_at is not None
            if job.status is JobStatus.IN_PROGRESS:
                assert active >= 1

    def test_same_seed_same_jobs_and_the_rest_unchanged(self) -> None:
        """A seed gives the same jobs; adding jobs leaves job-1's executions as they were."""
        a = build_state(FleetSpec(things=20, jobs=10, seed=5, in_progress=0.5), now=NOW)
        b = build_state(FleetSpec(things=20, jobs=10, seed=5, in_progress=0.5), now=NOW)
        plain = build_state(FleetSpec(things=20, seed=5, in_progress=0.5), now=NOW)
        assert [(j.job_id, j.status, j.created_at) for j in a.jobs()] == [
            (j.job_id, j.status, j.created_at) for j in b.jobs()
        ]
        assert {n: e.status for n, e in a.job("job-1").executions.items()} == {
            n: e.status for n, e in plain.job("job-1").executions.items()
        }

    def test_simulate_options(self) -> None:
        """`bulkjobs simulate --jobs N --job-executions M` reaches the fleet."""
        _, fleet = config_from_args(parse("--jobs", "25", "--job-executions", "3"))
        assert (fleet.jobs, fleet.job_executions) == (25, 3)
        with pytest.raises(ValueError):
            FleetSpec(jobs=-1)
        with pytest.raises(ValueError):
            FleetSpec(jobs=2, job_ids=("sim-job-00002",))
