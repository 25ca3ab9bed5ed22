"""``bulkjobs delete-job``: whole jobs deleted within AWS's 10-deletions limit, each
result with how long its deletion took; an IN_PROGRESS job without --force is skipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator, ThreadedSimulator

QUICK = SimConfig(quota=None, job_deletion_seconds=0.05, job_deletion_seconds_per_execution=0.0)


@pytest.fixture
def jobs_sim() -> Iterator[ThreadedSimulator]:
    """Two finished jobs and one still rolling out."""
    with ThreadedSimulator(QUICK) as simulator:

        def seed(sim: object) -> None:
            sim.add_job("old-1", ["a", "b"], status=ExecutionStatus.SUCCEEDED)  # type: ignore[attr-defined]
            sim.add_job("old-2", ["c"], status=ExecutionStatus.CANCELED)  # type: ignore[attr-defined]
            sim.add_job("live", ["d"], status=ExecutionStatus.QUEUED)  # type: ignore[attr-defined]

        simulator.call(seed)
        yield simulator


def exists(sim: ThreadedSimulator, job_id: str) -> bool:
    def find(simulator: object) -> bool:
        try:
            simulator.job(job_id)  # type: ignore[attr-defined]
        except KeyError:
            return False
        return True

    return bool(sim.call(find))


def delete_job(sim: ThreadedSimulator, *argv: str) -> int:
    common = ["delete-job", "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"]
    return main([*common, *argv])


class TestDeleteJob:
    def test_deletes_finished_jobs_and_skips_a_live_one(
        self, jobs_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Finished jobs are deleted with their deletion time recorded; the IN_PROGRESS
        one is skipped as needing --force, so the exit code is 1."""
        report = tmp_path / "r"
        ids = ["--job-id", "old-1", "--job-id", "old-2", "--job-id", "live"]
        assert delete_job(jobs_sim, *ids, "--yes", "--report", str(report)) == 1
        lines = [json.loads(x) for x in (report / "results.jsonl").read_text().splitlines()]
        by_job = {line["jobId"]: line for line in lines}
        assert by_job["old-1"]["outcome"] == "deleted"
        assert by_job["old-1"]["deletionSeconds"] > 0
        assert by_job["live"]["outcome"] == "in_progress_needs_force"
        assert not exists(jobs_sim, "old-1") and not exists(jobs_sim, "old-2")
        assert exists(jobs_sim, "live")

    def test_force_deletes_a_live_job(self, jobs_sim: ThreadedSimulator) -> None:
        """With --force the IN_PROGRESS job is deleted too."""
        assert delete_job(jobs_sim, "--job-id", "live", "--force", "--yes", "--quiet") == 0
        assert not exists(jobs_sim, "live")

    def test_unconfirmed_sends_nothing(
        self, jobs_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Deleting jobs asks first: with no terminal to ask on and no --yes, exit 2."""
        assert delete_job(jobs_sim, "--job-id", "old-1") == 2
        assert exists(jobs_sim, "old-1")

    @pytest.mark.parametrize(
        ("argv", "field"),
        [
            (["--job-id", "bad id"], "--job-id"),
            (["--job-id", "ok", "--namespace-id", "no/slash"], "namespaceId"),
            ([], "--job-id"),
        ],
    )
    def test_bad_input_names_the_field(
        self,
        jobs_sim: ThreadedSimulator,
        capsys: pytest.CaptureFixture[str],
        argv: list[str],
        field: str,
    ) -> None:
        """Bad input is exit 2, names the field, and sends nothing."""
        before = jobs_sim.call(lambda s: s.requests_received)
        assert delete_job(jobs_sim, *argv, "--yes") == 2
        assert field in capsys.readouterr().err
        assert jobs_sim.call(lambda s: s.requests_received) == before

    def test_skeleton_and_input_json(
        self, jobs_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """--generate-cli-skeleton names delete-job's parameters; --cli-input-json runs them."""
        assert main(["delete-job", "--generate-cli-skeleton"]) == 0
        skeleton = json.loads(capsys.readouterr().out)
        assert {"jobIds", "force", "namespaceId"} <= set(skeleton)
        spec = json.dumps({"jobIds": ["old-1"], "force": False})
        assert delete_job(jobs_sim, "--cli-input-json", spec, "--yes", "--quiet") == 0
        assert not exists(jobs_sim, "old-1")


class TestAcrossAccounts:
    def test_from_jobs_over_accounts_and_regions_deletes_within_each_limit(
        self, tmp_path: Path
    ) -> None:
        """delete-job --from-jobs over 2 accounts x 2 regions: each destination's 12
        finished jobs deleted, 10 at most at once in each and no limit met, all four at
        the same time; the summary counts 12 per destination."""
        a, b, regions = "111111111111", "222222222222", ("us-east-1", "eu-west-1")
        destinations = [(account, region) for account in (a, b) for region in regions]
        jobs = [f"old-{n:02d}" for n in range(12)]
        config = SimConfig(
            quota=None,
            accounts=(a, b),
            # A deletion outlasts the time a loaded machine takes to send ten DeleteJob
            # calls in each destination (0.2 s did not, once: a peak of 9).
            job_deletion_seconds=1.0,
            job_deletion_seconds_per_execution=0.0,
        )
        fleet = FleetSpec(things=2, job_ids=("live",), in_progress=0.0, terminal=0.0)

        def seed(sim: Simulator) -> None:
            for account, region in destinations:
                for job in jobs:
                    sim.add_job(
                        job, [f"{job}-t"], status="SUCCEEDED", account=account, region=region
                    )

        def statistics(sim: Simulator) -> list[tuple[int, int, int]]:
            found = [sim.deletion_statistics(account=x, region=r) for x, r in destinations]
            return [(s.peak_in_progress, s.limit_refusals, s.finished) for s in found]

        report = tmp_path / "r"
        with ThreadedSimulator(config, fleet) as sim:
            sim.call(seed)
            argv = ["--from-jobs", "--job-status", "COMPLETED,CANCELED", "--yes", "-q"]
            argv += ["--accounts", f"{a},{b}", "--regions", ",".join(regions)]
            argv += ["--role-name", "OrganizationAccountAccessRole", "--report", str(report)]
            assert delete_job(sim, *argv) == 0
            assert sim.call(statistics) == [(10, 0, 12)] * 4
            assert sim.call(lambda s: s.deletion_totals()).peak_in_progress == 40
        data = json.loads((report / "summary.json").read_text())
        assert data["outcomes"] == {"deleted": 48}
        rows = {(r["account"], r["region"]): r["total"] for r in data["byDestination"]}
        assert rows == dict.fromkeys(destinations, 12)
