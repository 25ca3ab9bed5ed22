"""``--query``: the things fleet indexing finds, their executions of --job-id.

Every test runs the real ``main(argv)`` against the simulator, whose SearchIndex parses
the query itself; the query is checked with the index before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bulkjobs.cli import main
from bulkjobs.cli._inputs import skeleton
from bulkjobs.sim import ExecutionStatus, FleetSpec, Operation, SimConfig, ThreadedSimulator
from tests.cli.test_terminal import spawn

JOB = "fw-1"
A, B = "111111111111", "222222222222"
ROLE = "OrganizationAccountAccessRole"
QUERY = "attributes.hwRev:B2 AND connectivity.connected:false"


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    """250 QUEUED devices over three hardware revisions, half of them connected."""
    fleet = FleetSpec(things=250, job_ids=(JOB,), seed=11)
    with ThreadedSimulator(SimConfig(quota=None), fleet) as simulator:
        yield simulator


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"])


def cancel(sim: ThreadedSimulator, *argv: str) -> int:
    return run(sim, "cancel-job-execution", "--job-id", JOB, *argv)


def matching(sim: ThreadedSimulator, *, account: str | None = None) -> list[str]:
    """The things with hwRev B2 that are not connected, read from the simulator."""

    def read(simulator: Any) -> list[str]:
        found = []
        for i in range(1, simulator.fleet.things + 1):
            name = simulator.fleet.thing_name(i)
            attributes, connected = simulator.thing_attributes(name, account=account)
            if attributes.get("hwRev") == "B2" and not connected:
                found.append(name)
        return found

    return list(sim.call(read))


def canceled(sim: ThreadedSimulator, *, account: str | None = None, job: str = JOB) -> list[str]:
    found = sim.call(lambda s: s.executions(job, account=account))
    return sorted(e.thing_name for e in found if e.status is ExecutionStatus.CANCELED)


def lines(report: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (report / "results.jsonl").read_text().splitlines()]


def searches(sim: ThreadedSimulator) -> int:
    return int(sim.call(lambda s: s.statistics()).of(Operation.SEARCH_INDEX).requests)


def mutating(sim: ThreadedSimulator) -> int:
    return int(sim.call(lambda s: s.statistics()).mutating_requests)


class TestSelection:
    def test_cancels_exactly_the_things_the_query_finds(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """The matching things' executions are cancelled, every other one left alone,
        and the report has one line per matching thing."""
        expected = matching(sim)
        assert 10 < len(expected) < 250
        report = tmp_path / "r"
        assert cancel(sim, "--query", QUERY, "--report", str(report), "-q") == 0
        assert canceled(sim) == expected
        assert sorted(line["thingName"] for line in lines(report)) == expected
        summary = json.loads((report / "summary.json").read_text())
        assert summary["queries"][0]["queryString"] == QUERY
        assert summary["queries"][0]["indexName"] == "AWS_Things"

    def test_pages_of_one_hundred(self, sim: ThreadedSimulator) -> None:
        """A query matching all 250 things takes three pages of at most 100, plus the
        one-thing check before the run."""
        assert cancel(sim, "--query", "thingName:thing-*", "-q") == 0
        assert len(canceled(sim)) == 250
        assert searches(sim) == 1 + 3

    def test_delete_job_execution_too(self, sim: ThreadedSimulator) -> None:
        """delete-job-execution takes --query the same way (here: QUEUED needs --force)."""
        expected = matching(sim)
        code = run(
            sim, "delete-job-execution", "--job-id", JOB, "--query", QUERY, "--force", "--yes", "-q"
        )
        assert code == 0
        left = {e.thing_name for e in sim.call(lambda s: s.executions(JOB))}
        assert left.isdisjoint(expected) and len(left) == 250 - len(expected)

    def test_cli_input_json(self, sim: ThreadedSimulator) -> None:
        """queryString and indexName are --cli-input-json keys, as SearchIndex names them."""
        document = json.dumps({"jobId": JOB, "queryString": QUERY, "indexName": "AWS_Things"})
        assert run(sim, "cancel-job-execution", "--cli-input-json", document, "-q") == 0
        assert canceled(sim) == matching(sim)

    @pytest.mark.parametrize("command", ["cancel-job-execution", "delete-job-execution"])
    def test_skeleton_has_the_keys(self, command: str) -> None:
        """--generate-cli-skeleton offers queryString and indexName as placeholders."""
        document = json.loads(skeleton(command, "input"))
        assert document["queryString"] == "" and document["indexName"] == ""

    def test_dry_run_names_the_query(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The plan says which query selected its targets, and nothing is sent."""
        assert cancel(sim, "--query", QUERY, "--dry-run") == 0
        out = capsys.readouterr().out
        assert f"Plan: {len(matching(sim))} targets" in out
        assert QUERY in out and "AWS_Things" in out
        assert mutating(sim) == 0


class TestRefusedBeforeAnythingIsSent:
    def test_an_invalid_query_is_bad_input(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The server's InvalidQueryException message, exit 2, no mutating call."""
        assert cancel(sim, "--query", "hwRev:B2", "--thing-name", "thing-000001") == 2
        err = capsys.readouterr().err
        assert "InvalidQueryException" in err and "hwRev" in err
        assert mutating(sim) == 0 and searches(sim) == 1

    @pytest.mark.parametrize(
        ("index", "said"),
        [("OFF", "is off"), ("BUILDING", "is not ready")],
    )
    def test_an_index_that_cannot_be_searched(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str], index: str, said: str
    ) -> None:
        """Thing indexing off (or still building): one clear sentence, exit 2, nothing sent."""
        sim.call(lambda s: s.reconfigure(thing_index=index))
        assert cancel(sim, "--query", QUERY, "--yes", "--force") == 2
        err = capsys.readouterr().err
        assert said in err and "update-indexing-configuration" in err
        assert "Traceback" not in err
        assert mutating(sim) == 0

    @pytest.mark.parametrize(
        ("argv", "field"),
        [
            (["cancel-job-execution", "--query", QUERY], "--job-id"),
            (["cancel-job-execution", "--job-id", JOB, "--query", "   "], "--query"),
            (["cancel-job-execution", "--job-id", JOB, "--query", QUERY, "--index-name", "a b"],
             "--index-name"),
            (["cancel-job-execution", "--job-id", JOB, "--from-job", "--index-name", "X"],
             "--index-name"),
            (["cancel-job-execution", "--job-id", JOB, "--query", QUERY, "--status", "QUEUED"],
             "--status"),
        ],
    )  # fmt: skip
    def test_bad_options(
        self,
        sim: ThreadedSimulator,
        capsys: pytest.CaptureFixture[str],
        argv: list[str],
        field: str,
    ) -> None:
        """Options that cannot work are refused, naming the option, with no call at all."""
        assert run(sim, *argv) == 2
        assert field in capsys.readouterr().err
        assert sim.call(lambda s: s.statistics()).total_requests == 0


@pytest.fixture
def accounts_sim() -> Iterator[ThreadedSimulator]:
    """Two member accounts with 12 QUEUED devices each, none matching hwRev Z9 yet."""
    fleet = FleetSpec(things=12, job_ids=(JOB,), seed=5)
    with ThreadedSimulator(SimConfig(quota=None, accounts=(A, B)), fleet) as simulator:
        yield simulator


class TestPerDestination:
    def test_each_account_answers_for_its_own_things(
        self, accounts_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """The query runs in each account: what it finds there is cancelled there."""
        sim = accounts_sim

        def mark(simulator: Any) -> None:
            simulator.set_thing("thing-000001", attributes={"hwRev": "Z9"}, account=A)
            simulator.set_thing("thing-000002", attributes={"hwRev": "Z9"}, account=B)
            simulator.set_thing("thing-000003", attributes={"hwRev": "Z9"}, account=B)

        sim.call(mark)
        argv = ["--query", "attributes.hwRev:Z9", "--role-name", ROLE, "--accounts", f"{A},{B}"]
        assert cancel(sim, *argv, "--report", str(tmp_path / "r"), "-q") == 0
        assert canceled(sim, account=A) == ["thing-000001"]
        assert canceled(sim, account=B) == ["thing-000002", "thing-000003"]

    def test_an_index_off_in_one_account_stops_the_run(
        self, accounts_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Each destination's index is asked before the run: one that is off stops it
        everywhere, naming the account, before any mutating call."""
        sim = accounts_sim
        sim.call(lambda s: s.reconfigure_destination(B, "us-east-1", thing_index="OFF"))
        argv = ["--query", "*", "--role-name", ROLE, "--accounts", f"{A},{B}"]
        assert cancel(sim, *argv, "-q") == 2
        assert B in capsys.readouterr().err
        assert mutating(sim) == 0


@pytest.fixture
def rollouts_sim() -> Iterator[ThreadedSimulator]:
    """Three jobs on the same 90 QUEUED devices: two rollouts in flight, one finished."""
    fleet = FleetSpec(things=90, job_ids=("fw-a", "fw-b", "fw-old"), seed=4)
    with ThreadedSimulator(SimConfig(quota=None), fleet) as simulator:

        def finish_old(sim: Any) -> None:
            for i in range(1, 91):
                name = sim.fleet.thing_name(i)
                sim.set_execution_status("fw-old", name, ExecutionStatus.SUCCEEDED)

        simulator.call(finish_old)
        yield simulator


class TestWithFromJobs:
    def test_every_rollout_in_flight_on_the_found_things(
        self, rollouts_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--query with --from-jobs: each IN_PROGRESS job's executions on the things the
        query finds are cancelled; the finished job and the other things are untouched."""
        sim = rollouts_sim
        expected = matching(sim)
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--query", QUERY, "--from-jobs", "--job-status"]
        assert run(sim, *argv, "IN_PROGRESS", "--report", str(report), "-q") == 0
        for job in ("fw-a", "fw-b"):
            assert canceled(sim, job=job) == expected
        old = sim.call(lambda s: s.executions("fw-old"))
        assert all(e.status is ExecutionStatus.SUCCEEDED for e in old)
        assert sorted((x["jobId"], x["thingName"]) for x in lines(report)) == sorted(
            (job, name) for job in ("fw-a", "fw-b") for name in expected
        )
        # One check, then the index paged once for both jobs.
        assert searches(sim) == 2

    def test_the_plan_lists_the_selected_jobs(
        self, rollouts_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A dry run names the query and the jobs the selection found."""
        sim = rollouts_sim
        argv = ["cancel-job-execution", "--query", QUERY, "--from-jobs", "--job-status"]
        assert run(sim, *argv, "IN_PROGRESS", "--dry-run") == 0
        out = capsys.readouterr().out
        assert "each job --from-jobs selects" in out
        assert "fw-a" in out and "fw-b" in out
        assert mutating(sim) == 0

    def test_the_prompt_bounds_the_run_and_asks_for_the_number_of_jobs(
        self, rollouts_sim: ThreadedSimulator
    ) -> None:
        """Forced, on a terminal: the prompt bounds the run by the selected jobs'
        executions (the query finds fewer), asks for the number of jobs rather than a
        plain "yes", and that answer runs exactly the matching executions."""
        sim = rollouts_sim
        expected = matching(sim)
        argv = ["--query", QUERY, "--from-jobs", "--job-status", "IN_PROGRESS", "--force"]
        child = spawn(sim, "cancel-job-execution", *argv)
        shown = child.prompt()
        assert "2 jobs selected by --from-jobs (ListJobs)" in shown
        assert "to change: up to 180 executions (QUEUED or IN_PROGRESS)" in shown
        assert 'Type the number of jobs "2"' in shown
        assert mutating(sim) == 0
        child.send("2")
        code, _ = child.finish()
        assert code == 0
        assert 0 < len(expected) < 90
        for job in ("fw-a", "fw-b"):
            assert canceled(sim, job=job) == expected

    @pytest.mark.parametrize(
        ("extra", "field"),
        [
            (["--job-id", "fw-a"], "--query"),
            (["--status", "QUEUED"], "--status"),
        ],
    )
    def test_ambiguous_combinations_are_refused(
        self,
        rollouts_sim: ThreadedSimulator,
        capsys: pytest.CaptureFixture[str],
        extra: list[str],
        field: str,
    ) -> None:
        """A job from both --job-id and --from-jobs, or an execution status the index
        cannot know: exit 2 naming the option, nothing sent."""
        sim = rollouts_sim
        argv = ["cancel-job-execution", "--query", QUERY, "--from-jobs", *extra]
        assert run(sim, *argv) == 2
        assert field in capsys.readouterr().err
        assert sim.call(lambda s: s.statistics()).total_requests == 0
