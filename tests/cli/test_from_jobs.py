"""``--from-jobs``: jobs selected over ListJobs by status, group, target selection, ID
and age, for every command — the jobs themselves for cancel-job and delete-job, their
executions for the execution commands — with the selection in the plan first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bulkjobs.cli import main
from bulkjobs.cli._confirm import measure
from bulkjobs.cli._inputs import apply_cli_input
from bulkjobs.cli._options import resolve
from bulkjobs.cli._parser import build_parser
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator, ThreadedSimulator
from tests.cli.test_terminal import spawn

QUICK = SimConfig(quota=None, job_deletion_seconds=0.05, job_deletion_seconds_per_execution=0.0)
S = ExecutionStatus


def seed(sim: Simulator) -> None:
    """Finished jobs old and new, live ones, a continuous one, one in a namespace."""
    sim.add_job("old-done", ["a", "b"], status=S.SUCCEEDED, age_days=200, thing_group="fleet")
    # Canceled without force long ago: its one execution was running and kept running.
    sim.add_job("old-canceled", ["c"], status=S.IN_PROGRESS, age_days=120)
    sim.cancel_job("old-canceled", age_days=120)
    sim.add_job("new-done", ["d"], status=S.SUCCEEDED, age_days=5)
    sim.add_job("old-live", ["e", "f"], status=S.QUEUED, age_days=100, thing_group="fleet")
    sim.add_job(
        "new-live",
        ["g", "h", "i"],
        status=S.QUEUED,
        age_days=1,
        thing_group="fleet",
        target_selection="CONTINUOUS",
    )
    sim.add_job("gg-done", ["j"], status=S.SUCCEEDED, age_days=300, namespace_id="greengrass")


@pytest.fixture
def jobs_sim() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(QUICK, FleetSpec(things=2, job_ids=("seed-job",))) as simulator:
        simulator.call(seed)
        yield simulator


def remaining(sim: ThreadedSimulator) -> set[str]:
    def ids(simulator: Simulator) -> set[str]:
        found = set()
        for job_id in ("old-done", "old-canceled", "new-done", "old-live", "new-live", "gg-done"):
            try:
                simulator.job(job_id)
            except KeyError:
                continue
            found.add(job_id)
        return found

    return sim.call(ids)


def job_statuses(sim: Simulator, region: str | None = None) -> dict[str, str]:
    """Every job's status in ``region``, by ListJobs' order of creation."""
    ids = ["seed-job", "old-done", "old-canceled", "new-done", "old-live", "new-live"]
    ids += [f"sim-job-{n:05d}" for n in range(1, 13)]
    found: dict[str, str] = {}
    for job_id in ids:
        try:
            found[job_id] = str(sim.job(job_id, region=region).status)
        except KeyError:
            continue
    return found


def run(sim: ThreadedSimulator, command: str, *argv: str) -> int:
    return main([command, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1", *argv])


def selected(report: Path) -> list[str]:
    data: dict[str, Any] = json.loads((report / "summary.json").read_text())
    return [job["jobId"] for job in data["plan"].get("selectedJobs", [])]


def requests(sim: ThreadedSimulator) -> int:
    return sim.call(lambda s: s.statistics()).total_requests


class TestNightlyDelete:
    def test_deletes_jobs_finished_more_than_90_days_ago(
        self, jobs_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--job-status COMPLETED,CANCELED --older-than 90d deletes the old finished jobs
        (namespaced ones too: no namespace filter was given) and nothing else."""
        report = tmp_path / "r"
        argv = ["--from-jobs", "--job-status", "COMPLETED,CANCELED", "--older-than", "90d"]
        assert run(jobs_sim, "delete-job", *argv, "--yes", "-q", "--report", str(report)) == 0
        assert remaining(jobs_sim) == {"new-done", "old-live", "new-live"}
        assert sorted(selected(report)) == ["gg-done", "old-canceled", "old-done"]
        results = [json.loads(x) for x in (report / "results.jsonl").read_text().splitlines()]
        assert {r["outcome"] for r in results} == {"deleted"}

    def test_dry_run_lists_each_job_with_its_executions(
        self,
        jobs_sim: ThreadedSimulator,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The dry run's plan names every selected job with its status, date and
        DescribeJob's counts, and deletes nothing."""
        report = tmp_path / "r"
        argv = ["--from-jobs", "--job-status", "COMPLETED", "--older-than", "90d", "--dry-run"]
        argv += ["--job-id-glob", "old-*"]
        assert run(jobs_sim, "delete-job", *argv, "--report", str(report)) == 0
        out = capsys.readouterr().out
        assert "jobs selected (ListJobs): 1 job, 2 executions by DescribeJob" in out
        assert "old-done in us-east-1: COMPLETED, dated" in out
        assert "2 executions (2 SUCCEEDED)" in out
        assert len(remaining(jobs_sim)) == 6
        assert selected(report) == ["old-done"]
        summary = json.loads((report / "summary.json").read_text())
        by_id = {job["jobId"]: job for job in summary["plan"]["selectedJobs"]}
        assert by_id["old-done"]["executions"] == 2
        assert by_id["old-done"]["byStatus"] == {"SUCCEEDED": 2}

    def test_in_progress_selected_job_still_needs_force(self, jobs_sim: ThreadedSimulator) -> None:
        """A selected IN_PROGRESS job is skipped without --force, as for --job-id."""
        argv = ["--from-jobs", "--job-id-prefix", "old-live", "--yes", "-q"]
        assert run(jobs_sim, "delete-job", *argv) == 1
        assert "old-live" in remaining(jobs_sim)


class TestFilters:
    @pytest.mark.parametrize(
        ("argv", "expected"),
        [
            (["--job-id-prefix", "old-"], ["old-done", "old-canceled", "old-live"]),
            (["--job-id-glob", "*-live"], ["old-live", "new-live"]),
            (["--job-id-glob", "[gn]*-done"], ["new-done", "gg-done"]),
            (["--thing-group-name", "fleet"], ["old-done", "old-live", "new-live", "seed-job"]),
            (["--target-selection", "continuous"], ["new-live"]),
            (["--namespace-id", "greengrass"], ["gg-done"]),
            (["--job-status", "IN_PROGRESS"], ["old-live", "new-live", "seed-job"]),
            (["--newer-than", "30d"], ["new-done", "new-live"]),
            # A window: dated between 150 and 90 days ago.
            (["--older-than", "90d", "--newer-than", "150d"], ["old-canceled", "old-live"]),
        ],
    )
    def test_each_filter_narrows_the_selection(
        self, jobs_sim: ThreadedSimulator, tmp_path: Path, argv: list[str], expected: list[str]
    ) -> None:
        report = tmp_path / "r"
        code = run(
            jobs_sim, "delete-job", "--from-jobs", *argv, "--dry-run", "-q", "--report", str(report)
        )
        assert code == 0
        assert sorted(selected(report)) == sorted(expected)


class TestEveryCommand:
    def test_cancel_job_execution_cancels_the_selected_jobs_executions(
        self, jobs_sim: ThreadedSimulator
    ) -> None:
        """For the execution commands a selected job's executions are the targets
        (--status narrowing them): only the live *-live jobs in the group, only QUEUED."""
        argv = ["--from-jobs", "--job-status", "IN_PROGRESS", "--thing-group-name", "fleet"]
        argv += ["--job-id-glob", "*-live"]
        assert run(jobs_sim, "cancel-job-execution", *argv, "--status", "QUEUED", "-q") == 0

        def status(simulator: Simulator) -> dict[str, set[str]]:
            return {
                job: {e.status.value for e in simulator.executions(job)}
                for job in ("old-live", "new-live", "seed-job")
            }

        after = jobs_sim.call(status)
        assert after["old-live"] == after["new-live"] == {"CANCELED"}
        assert after["seed-job"] == {"QUEUED"}

    def test_delete_job_execution(self, jobs_sim: ThreadedSimulator) -> None:
        """delete-job-execution --from-jobs deletes the selected jobs' executions."""
        argv = ["--from-jobs", "--job-id-prefix", "old-done", "--yes", "-q"]
        assert run(jobs_sim, "delete-job-execution", *argv) == 0
        assert jobs_sim.call(lambda s: s.executions("old-done")) == []
        assert len(jobs_sim.call(lambda s: s.executions("new-done"))) == 1

    def test_cancel_job(self, jobs_sim: ThreadedSimulator) -> None:
        """cancel-job --from-jobs cancels every selected job, server-side."""
        argv = ["--from-jobs", "--job-status", "IN_PROGRESS", "--job-id-glob", "*-live"]
        assert run(jobs_sim, "cancel-job", *argv, "-q") == 0
        status = jobs_sim.call(job_statuses)
        assert (status["old-live"], status["new-live"]) == ("CANCELED", "CANCELED")
        assert status["seed-job"] == "IN_PROGRESS"


class TestBadInput:
    @pytest.mark.parametrize(
        ("command", "argv", "option"),
        [
            ("delete-job", ["--from-jobs", "--job-status", "DONE"], "--job-status"),
            (
                "delete-job",
                ["--from-jobs", "--target-selection", "SOMETIMES"],
                "--target-selection",
            ),
            ("delete-job", ["--from-jobs", "--thing-group-name", "a b"], "--thing-group-name"),
            ("delete-job", ["--from-jobs", "--thing-group-id", "a_b"], "--thing-group-id"),
            ("delete-job", ["--from-jobs", "--job-id-prefix", "a/b"], "--job-id-prefix"),
            ("delete-job", ["--from-jobs", "--job-id-glob", "a b*"], "--job-id-glob"),
            ("delete-job", ["--from-jobs", "--older-than", "soon"], "--older-than"),
            ("delete-job", ["--from-jobs", "--newer-than", "0d"], "--newer-than"),
            (
                "delete-job",
                ["--from-jobs", "--older-than", "30d", "--newer-than", "10d"],
                "--newer-than",
            ),
            ("delete-job", ["--from-jobs", "--namespace-id", "a b"], "--namespace-id"),
            ("cancel-job", ["--job-id", "x", "--job-status", "COMPLETED"], "--job-status"),
            ("cancel-job", ["--job-id", "x", "--namespace-id", "ns"], "--namespace-id"),
            ("cancel-job-execution", ["--from-jobs", "--status", "QUEUD"], "--status"),
            (
                "cancel-job-execution",
                ["--from-jobs", "--from-job", "--job-id", "j", "--older-than", "1d"],
                "--older-than",
            ),
        ],
    )
    def test_exit_2_naming_the_option_and_no_call(
        self,
        jobs_sim: ThreadedSimulator,
        capsys: pytest.CaptureFixture[str],
        command: str,
        argv: list[str],
        option: str,
    ) -> None:
        before = requests(jobs_sim)
        assert run(jobs_sim, command, *argv, "--yes") == 2
        err = capsys.readouterr().err
        assert f"{option}:" in err and "nothing was sent" in err
        assert requests(jobs_sim) == before

    def test_a_refused_selection_does_not_also_ask_for_job_ids(
        self, jobs_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The broken filter is the one error: --from-jobs still names the targets."""
        assert run(jobs_sim, "delete-job", "--from-jobs", "--job-status", "DONE") == 2
        assert "--job-id" not in capsys.readouterr().err


class TestSkeleton:
    @pytest.mark.parametrize(
        "command", ["cancel-job", "delete-job", "cancel-job-execution", "delete-job-execution"]
    )
    def test_skeleton_has_the_selection_and_never_narrows(
        self, command: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every command's skeleton carries the selection keys, as placeholders or
        fromJobs false: left as they are, they select nothing and narrow nothing."""
        assert main([command, "--generate-cli-skeleton"]) == 0
        skeleton = json.loads(capsys.readouterr().out)
        assert skeleton["fromJobs"] is False
        for key in (
            "jobStatus",
            "thingGroupName",
            "targetSelection",
            "jobIdPrefix",
            "jobIdGlob",
            "olderThan",
            "newerThan",
            "namespaceId",
        ):
            assert skeleton[key] in ("", [""]), key

    def test_input_json_selects_like_the_flags(
        self, jobs_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        report = tmp_path / "r"
        data = {
            "fromJobs": True,
            "jobStatus": ["COMPLETED", "CANCELED"],
            "olderThan": "90d",
            "jobIdGlob": "old-*",
            "dryRun": True,
        }
        code = run(
            jobs_sim,
            "delete-job",
            "--cli-input-json",
            json.dumps(data),
            "-q",
            "--report",
            str(report),
        )
        assert code == 0
        assert sorted(selected(report)) == ["old-canceled", "old-done"]


class TestConfirmation:
    async def test_the_prompt_lists_the_selected_jobs_and_their_executions(
        self, jobs_sim: ThreadedSimulator
    ) -> None:
        """Before a forced delete of selected jobs, the prompt names each job with
        DescribeJob's counts and how many jobs and executions go."""
        argv = [
            "delete-job",
            "--endpoint-url",
            jobs_sim.endpoint_url,
            "--region",
            "us-east-1",
            "--from-jobs",
            "--job-status",
            "COMPLETED",
            "--older-than",
            "90d",
            "--force",
        ]
        args = build_parser().parse_args(argv)
        apply_cli_input(args)
        radius = await measure(resolve(args), None)
        text = "\n".join(radius.lines())
        assert "2 jobs selected by --from-jobs (ListJobs)" in text
        assert "job old-done: COMPLETED, dated" in text and "2 executions (2 SUCCEEDED)" in text
        assert "job old-canceled" not in text  # CANCELED, not COMPLETED
        assert "to change: 2 jobs; 3 executions deleted with them" in text
        assert radius.answer == "yes"
        assert len(remaining(jobs_sim)) == 6


def test_selection_runs_in_every_destination(tmp_path: Path) -> None:
    """With --regions each (account, region) lists its own jobs: the completed
    generated jobs go in both regions, the live ones stay."""
    config = SimConfig(
        quota=None,
        separate_destinations=True,
        job_deletion_seconds=0.01,
        job_deletion_seconds_per_execution=0.0,
    )
    fleet = FleetSpec(things=10, jobs=12, job_executions=2, seed=4)
    with ThreadedSimulator(config, fleet) as sim:
        before = {r: sim.call(partial(job_statuses, region=r)) for r in ("us-east-1", "eu-west-1")}
        report = tmp_path / "r"
        argv = ["--from-jobs", "--job-status", "COMPLETED", "--regions", "us-east-1,eu-west-1"]
        assert run(sim, "delete-job", *argv, "--yes", "-q", "--report", str(report)) == 0
        summary = json.loads((report / "summary.json").read_text())
        rows = {row["region"]: row["total"] for row in summary["byDestination"]}
        assert set(rows) == {"us-east-1", "eu-west-1"} and all(rows.values())
        assert summary["outcomes"] == {"deleted": sum(rows.values())}
        for region, was in before.items():
            now = sim.call(partial(job_statuses, region=region))
            assert rows[region] == sum(1 for s in was.values() if s == "COMPLETED")
            assert now == {j: s for j, s in was.items() if s != "COMPLETED"}


class TestOnATerminal:
    def test_confirmed_selection_is_deleted(self, jobs_sim: ThreadedSimulator) -> None:
        """On a terminal the prompt lists the selected jobs; "yes" deletes exactly them."""
        child = spawn(jobs_sim, "delete-job", "--from-jobs", "--job-id-glob", "old-d*")
        shown = child.prompt()
        assert "1 job selected by --from-jobs (ListJobs)" in shown
        assert "job old-done: COMPLETED" in shown
        assert "to change: 1 job; 2 executions deleted with them" in shown
        child.send("yes")
        code, _ = child.finish()
        assert code == 0
        assert "old-done" not in remaining(jobs_sim) and len(remaining(jobs_sim)) == 5

    def test_the_run_acts_on_the_jobs_the_prompt_showed(self, jobs_sim: ThreadedSimulator) -> None:
        """A job that comes to match the selection while the prompt waits (created
        then) is not deleted: "yes" confirmed the jobs shown, and only they go."""
        child = spawn(jobs_sim, "delete-job", "--from-jobs", "--job-id-glob", "old-d*")
        assert "job old-done: COMPLETED" in child.prompt()
        jobs_sim.call(lambda s: s.add_job("old-dx", ["x"], status=S.SUCCEEDED, age_days=200))
        child.send("yes")
        code, _ = child.finish()
        assert code == 0
        assert "old-done" not in remaining(jobs_sim)
        assert jobs_sim.call(lambda s: s.job("old-dx")).job_id == "old-dx"

    def test_across_regions_each_is_listed_before_asking(self) -> None:
        """With --regions the prompt lists each region's selection (through the run's
        own calls); "no" sends nothing."""
        config = SimConfig(quota=None, separate_destinations=True)
        fleet = FleetSpec(things=10, jobs=6, job_executions=2, seed=4)
        with ThreadedSimulator(config, fleet) as sim:
            argv = ["delete-job", "--from-jobs", "--job-status", "COMPLETED"]
            child = spawn(sim, *argv, "--regions", "us-east-1,eu-west-1")
            shown = " ".join(child.prompt().split())
            assert "selected by --from-jobs (ListJobs) in 2 reachable destinations" in shown
            assert " in us-east-1: COMPLETED" in shown and " in eu-west-1: COMPLETED" in shown
            child.send("no")
            code, _ = child.finish()
            assert code == 2
            assert sim.statistics().mutating_requests == 0
