"""Proof afterwards: ``bulkjobs verify`` and ``--verify`` read what is still running.

Every test runs the real entry point against the simulator over HTTP, and compares
what verify reports with what the server holds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator
from tests.cli.conftest import JOB, statuses

RUNNING = {ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS}


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"])


def summary(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "summary.json").read_text())
    return data


def lines(report: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (report / "results.jsonl").read_text().splitlines()]


def hardware(sim: ThreadedSimulator, revision: str) -> set[str]:
    """The things whose hwRev attribute is ``revision``, as the simulator holds them."""

    def read(simulator: Any) -> set[str]:
        names = (simulator.fleet.thing_name(i) for i in range(1, simulator.fleet.things + 1))
        return {n for n in names if simulator.thing_attributes(n)[0].get("hwRev") == revision}

    found: set[str] = sim.call(read)
    return found


def running_on_server(sim: ThreadedSimulator, job: str = JOB) -> dict[str, str]:
    return {name: s.value for name, s in statuses(sim, job).items() if s in RUNNING}


@pytest.fixture
def crawling_sim() -> Iterator[ThreadedSimulator]:
    """CancelJob reaches two executions a second: the job's cancel takes half a minute."""
    fleet = FleetSpec(things=60, job_ids=(JOB,), in_progress=0.25, seed=12)
    with ThreadedSimulator(SimConfig(quota=None, cancel_job_rate=2.0), fleet) as simulator:
        yield simulator


@pytest.fixture
def pacing_sim() -> Iterator[ThreadedSimulator]:
    """CancelJob reaches 60 executions a second: about a second for the job."""
    fleet = FleetSpec(things=60, job_ids=(JOB,), in_progress=0.25, seed=12)
    with ThreadedSimulator(SimConfig(quota=None, cancel_job_rate=60.0), fleet) as simulator:
        yield simulator


class TestVerifyCommand:
    def test_names_what_a_cancel_without_force_left_in_progress(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A cancel without --force leaves the IN_PROGRESS executions running; verify
        --report-dir of that run exits 1 and names exactly those, on the console, in
        summary.json's verify section and in its results.jsonl."""
        cancel, check = tmp_path / "cancel", tmp_path / "check"
        assert (
            run(
                sim,
                "cancel-job-execution",
                "--job-id",
                JOB,
                "--from-job",
                "--report",
                str(cancel),
                "-q",
            )
            == 1
        )
        left = running_on_server(sim)
        assert left and set(left.values()) == {"IN_PROGRESS"}
        capsys.readouterr()
        assert run(sim, "verify", "--report-dir", str(cancel), "--report", str(check), "-q") == 1
        out = capsys.readouterr().out
        assert all(name in out for name in left)
        assert f"{len(left)} IN_PROGRESS still running" in out
        section = summary(check)["verify"]
        assert section["passed"] is False
        assert section["stillRunning"] == {"QUEUED": 0, "IN_PROGRESS": len(left)}
        assert {n["thingName"]: n["status"] for n in section["named"]} == left
        assert section["checked"] == len(lines(cancel))
        running = {x["thingName"] for x in lines(check) if x["outcome"] == "still_running"}
        assert running == set(left)
        assert summary(check)["operation"] == "verify"

    def test_reads_are_all_it_sends(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """verify changes nothing: no mutating request reaches the server, and no
        confirmation is needed for it."""
        before = statuses(sim)
        assert run(sim, "verify", "--job-id", JOB, "--from-job", "-q") == 1
        assert statuses(sim) == before
        assert sim.statistics().mutating_requests == 0

    def test_a_listing_is_read_as_listed(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--from-job: each execution's status comes from the listing itself — one
        ListJobExecutionsForJob page for the whole job, no DescribeJobExecution."""
        report = tmp_path / "v"
        assert run(sim, "verify", "--job-id", JOB, "--from-job", "--report", str(report)) == 1
        section = summary(report)["verify"]
        on_server = statuses(sim)
        assert section["checked"] == len(on_server)
        expected: dict[str, int] = {}
        for status in on_server.values():
            expected[status.value] = expected.get(status.value, 0) + 1
        assert section["byStatus"] == dict(sorted(expected.items()))
        assert sim.statistics().of("DescribeJobExecution").requests == 0

    def test_a_job_alone_is_read_from_describe_jobs_counters(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--job-id alone: one DescribeJob; its QUEUED and IN_PROGRESS counts are the
        server's."""
        report = tmp_path / "v"
        assert run(sim, "verify", "--job-id", JOB, "--report", str(report), "-q") == 1
        left = list(running_on_server(sim).values())
        section = summary(report)["verify"]
        assert section["stillRunning"] == {
            "QUEUED": left.count("QUEUED"),
            "IN_PROGRESS": left.count("IN_PROGRESS"),
        }
        (line,) = lines(report)
        assert line["outcome"] == "still_running" and line["thingName"] is None
        assert sim.statistics().of("DescribeJob").requests == 1

    def test_nothing_running_exits_0(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """After a forced cancel of every execution, verify of the same selection
        exits 0 and says nothing is left."""
        assert (
            run(
                sim, "cancel-job-execution", "--job-id", JOB, "--from-job", "--force", "--yes", "-q"
            )
            == 0
        )
        report = tmp_path / "v"
        assert run(sim, "verify", "--job-id", JOB, "--from-job", "--report", str(report), "-q") == 0
        section = summary(report)["verify"]
        assert section["passed"] is True and section["stillRunningTotal"] == 0
        assert summary(report)["exitCode"] == 0

    def test_json_logs_end_in_one_verify_line(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--log-format json: stdout's last line is the verify section as JSON, for a
        scheduler to read (the names cut to the console's share)."""
        assert run(sim, "verify", "--job-id", JOB, "--from-job", "--log-format", "json") == 1
        last = json.loads(capsys.readouterr().out.splitlines()[-1])
        assert last["event"] == "verify" and last["passed"] is False
        left = running_on_server(sim)
        assert last["stillRunningTargets"] == len(left)
        assert {n["thingName"] for n in last["named"]} <= set(left)

    def test_a_fleet_index_query_selects_what_is_read(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--job-id J --query Q: the executions of J on the things the index finds,
        before a forced cancel of them (still running: 1) and after (0)."""
        query = ("--job-id", JOB, "--query", "attributes.hwRev:B2", "-q")
        b2 = hardware(sim, "B2")
        assert b2 and running_on_server(sim).keys() & b2
        assert run(sim, "verify", *query) == 1
        assert run(sim, "cancel-job-execution", *query, "--force", "--yes") == 0
        assert run(sim, "verify", *query, "--report", str(tmp_path / "v")) == 0
        section = summary(tmp_path / "v")["verify"]
        assert section["checked"] == len(b2) and section["passed"] is True
        assert running_on_server(sim).keys().isdisjoint(b2)

    def test_jobs_selected_over_list_jobs(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """--from-jobs: the executions of every job ListJobs selects are read."""
        report = tmp_path / "v"
        argv = ("verify", "--from-jobs", "--job-status", "IN_PROGRESS", "--report", str(report))
        assert run(sim, *argv, "-q") == 1
        section = summary(report)["verify"]
        assert section["checked"] == len(statuses(sim))
        assert section["stillRunningTotal"] == len(running_on_server(sim))


class TestVerifyFlag:
    def test_after_a_forced_cancel_it_exits_0(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--verify after --force: every target read again, nothing left, exit 0, and
        the run's summary.json carries the verify section."""
        report = tmp_path / "r"
        argv = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--force", "--yes")
        assert run(sim, *argv, "--verify", "--report", str(report), "-q") == 0
        assert running_on_server(sim) == {}
        data = summary(report)
        assert data["exitCode"] == 0
        assert data["verify"]["passed"] is True
        assert data["verify"]["checked"] == data["total"] == len(statuses(sim))
        assert "verify: nothing left running" in capsys.readouterr().out

    def test_without_force_it_counts_what_is_left_and_exits_1(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--verify without --force: the IN_PROGRESS ones it left are counted and named,
        and the note says --force stops them."""
        report = tmp_path / "r"
        argv = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--verify")
        assert run(sim, *argv, "--report", str(report), "-q") == 1
        left = running_on_server(sim)
        section = summary(report)["verify"]
        assert section["stillRunning"]["IN_PROGRESS"] == len(left) > 0
        assert {n["thingName"] for n in section["named"]} == set(left)
        assert "--force stops them" in capsys.readouterr().out

    def test_without_a_report_directory_the_targets_are_kept_in_memory(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No --report: --verify still reads every target the run had."""
        names = list(statuses(sim))[:5]
        argv = ["cancel-job-execution", "--job-id", JOB, "--force", "--yes", "--verify", "-q"]
        for name in names:
            argv += ["--thing-name", name]
        assert run(sim, *argv) == 0
        assert "nothing left running — 5 targets read" in capsys.readouterr().out

    def test_delete_execution_verified_as_gone(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """delete-job-execution --verify: each deleted execution is looked up by the
        number deleted and found gone (not_found)."""
        report = tmp_path / "r"
        argv = ("delete-job-execution", "--job-id", JOB, "--from-job", "--force", "--yes")
        assert run(sim, *argv, "--verify", "--report", str(report), "-q") == 0
        section = summary(report)["verify"]
        assert section["notFound"] == section["checked"] == summary(report)["total"]


class TestCancelJobVerify:
    def test_with_wait_and_force_nothing_is_left(
        self, pacing_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """cancel-job --force --wait --verify: read once AWS is done: exit 0."""
        report = tmp_path / "r"
        argv = ("cancel-job", "--job-id", JOB, "--force", "--yes", "--wait", "--verify")
        assert run(pacing_sim, *argv, "--report", str(report), "-q") == 0
        section = summary(report)["verify"]
        assert section["passed"] is True and section["checked"] == 1
        assert running_on_server(pacing_sim) == {}

    def test_without_wait_the_cancel_still_going_on_fails_it(
        self, crawling_sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Without --wait, what AWS has not reached yet is still running: exit 1, the
        counts in summary.json, and a note to add --wait."""
        report = tmp_path / "r"
        argv = ("cancel-job", "--job-id", JOB, "--force", "--yes", "--verify")
        assert run(crawling_sim, *argv, "--report", str(report), "-q") == 1
        section = summary(report)["verify"]
        assert section["stillRunningTotal"] > 0
        assert summary(report)["exitCode"] == 1
        assert "Add --wait so that --verify reads them" in capsys.readouterr().out


class TestDeleteJobVerify:
    def test_a_deleted_job_is_verified_gone(self, tmp_path: Path) -> None:
        """delete-job --verify: the deleted job is not found: exit 0."""
        quick = SimConfig(
            quota=None, job_deletion_seconds=0.05, job_deletion_seconds_per_execution=0.0
        )
        with ThreadedSimulator(quick) as simulator:
            simulator.call(lambda s: s.add_job("old", ["a", "b"], status=ExecutionStatus.SUCCEEDED))
            report = tmp_path / "r"
            argv = ("delete-job", "--job-id", "old", "--yes", "--verify", "--report", str(report))
            assert run(simulator, *argv, "-q") == 0
        section = summary(report)["verify"]
        assert section["notFound"] == 1 and section["passed"] is True


def _report_dir(tmp_path: Path, content: str) -> str:
    directory = tmp_path / "old"
    directory.mkdir()
    (directory / "results.jsonl").write_text(content)
    return str(directory)


def _used_report(tmp_path: Path) -> str:
    directory = tmp_path / "used"
    directory.mkdir()
    (directory / "summary.json").write_text("{}")
    return str(directory)


BAD = [
    ("nothing-selected", lambda t: ["verify"], "targets"),
    ("report-dir-missing", lambda t: ["verify", "--report-dir", str(t / "none")], "--report-dir"),
    (
        "report-dir-with-more",
        lambda t: ["verify", "--report-dir", _report_dir(t, ""), "--job-id", JOB],
        "--report-dir",
    ),
    (
        "report-dir-bad-line",
        lambda t: ["verify", "--report-dir", _report_dir(t, '{"jobId": "j"}\nnot json\n')],
        "results.jsonl:1: operation: is missing",
    ),
    (
        "two-jobs-with-things",
        lambda t: ["verify", "--job-id", "a", "--job-id", "b", "--thing-name", "t"],
        "--job-id",
    ),
    ("job-id-pattern", lambda t: ["verify", "--job-id", "bad job!"], "--job-id #1"),
    (
        "report-into-a-used-directory",
        lambda t: ["verify", "--job-id", JOB, "--report", _used_report(t)],
        "a directory of its own",
    ),
    (
        "status-without-listing",
        lambda t: ["verify", "--job-id", JOB, "--status", "QUEUED"],
        "--status",
    ),
    (
        "verify-with-dry-run",
        lambda t: ["cancel-job-execution", "--job-id", JOB, "--from-job", "--verify", "--dry-run"],
        "--verify",
    ),
]


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_exits_2_with_no_call(
    build: Any,
    expected: str,
    sim: ThreadedSimulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 2, the problem named on stderr, zero requests at the server."""
    assert run(sim, *build(tmp_path)) == 2
    err = capsys.readouterr().err
    assert expected in err, err
    assert err.startswith("bulkjobs: error: ")
    assert sim.statistics().total_requests == 0


def statuses_in(sim: ThreadedSimulator, account: str, region: str) -> dict[str, ExecutionStatus]:
    def read(simulator: Any) -> dict[str, ExecutionStatus]:
        found = simulator.executions(JOB, account=account, region=region)
        return {e.thing_name: e.status for e in found}

    result: dict[str, ExecutionStatus] = sim.call(read)
    return result


class TestAcrossDestinations:
    A, B = "111111111111", "222222222222"
    ROLE = "OrganizationAccountAccessRole"
    REGIONS = ("us-east-1", "eu-west-1")

    @pytest.fixture
    def fleets(self) -> Iterator[ThreadedSimulator]:
        """Two member accounts × two regions, a quarter of each fleet IN_PROGRESS."""
        fleet = FleetSpec(things=12, job_ids=(JOB,), in_progress=0.25, terminal=0.0, seed=5)
        with ThreadedSimulator(SimConfig(quota=None, accounts=(self.A, self.B)), fleet) as sim:
            yield sim

    def test_each_destination_is_read_where_it_is(
        self, fleets: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--verify after a cancel without --force over 2 accounts × 2 regions: what is
        left IN_PROGRESS is found in each (account, region), as the server holds it."""
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--from-job", "--verify"]
        argv += ["--role-name", self.ROLE, "--accounts", f"{self.A},{self.B}"]
        argv += ["--regions", ",".join(self.REGIONS), "--report", str(report), "-q"]
        assert run(fleets, *argv) == 1
        left: set[tuple[str, str, str]] = set()
        for account in (self.A, self.B):
            for region in self.REGIONS:
                left |= {
                    (account, region, name)
                    for name, status in statuses_in(fleets, account, region).items()
                    if status in RUNNING
                }
        section = summary(report)["verify"]
        assert section["checked"] == 12 * 4
        named = {(n["account"], n["region"], n["thingName"]) for n in section["named"]}
        assert named == left and len({(a, r) for a, r, _ in left}) == 4


class TestStopEveryRolloutOnAHardwareRevision:
    @pytest.fixture
    def rollouts(self) -> Iterator[ThreadedSimulator]:
        """Two rollouts in flight on the same 60 devices, of three hardware revisions."""
        fleet = FleetSpec(things=60, job_ids=("fw-a", "fw-b"), in_progress=0.25, seed=8)
        with ThreadedSimulator(SimConfig(quota=None), fleet) as simulator:
            yield simulator

    def test_query_and_from_jobs_with_verify(
        self, rollouts: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--from-jobs --query --force --verify: every job's executions on the B2 devices
        are stopped, no other device's, and the verify proves it (exit 0)."""
        b2 = hardware(rollouts, "B2")
        others = {f"thing-{n:06d}" for n in range(1, 61)} - b2
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--from-jobs", "--job-status", "IN_PROGRESS"]
        argv += ["--query", "attributes.hwRev:B2", "--force", "--yes", "--verify"]
        assert run(rollouts, *argv, "--report", str(report), "-q") == 0
        for job in ("fw-a", "fw-b"):
            left = running_on_server(rollouts, job)
            assert left.keys().isdisjoint(b2)
            assert set(left) == others - {
                n for n, s in statuses(rollouts, job).items() if s not in RUNNING
            }
        section = summary(report)["verify"]
        assert section["passed"] is True
        assert section["checked"] == summary(report)["total"] == 2 * len(b2)
