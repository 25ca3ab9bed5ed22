"""One run across accounts: roles assumed per account, failures kept to their account.

Every test talks HTTP to the simulator, whose STS issues session keys that identify
the role's account, as AWS's do, and whose fleets, quotas and faults are per account
and region.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import (
    ExecutionStatus,
    FleetSpec,
    OrgAccount,
    Organization,
    OrgUnit,
    SimConfig,
    Simulator,
    ThreadedSimulator,
)

JOB = "fw-1"
CALLER = "123456789012"
A, B, DENIED = "111111111111", "222222222222", "333333333333"
ROLE = "OrganizationAccountAccessRole"


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    """Three member accounts (one refusing every role), 12 QUEUED devices each."""
    fleet = FleetSpec(things=12, job_ids=(JOB,), in_progress=0.0, terminal=0.0, seed=5)
    config = SimConfig(quota=None, accounts=(A, B, DENIED), denied_accounts=frozenset({DENIED}))
    with ThreadedSimulator(config, fleet) as simulator:
        yield simulator


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"])


def status_in(
    sim: ThreadedSimulator, account: str, region: str = "us-east-1"
) -> dict[str, ExecutionStatus]:
    found = sim.call(lambda s: s.executions(JOB, account=account, region=region))
    return {e.thing_name: e.status for e in found}


def lines(report: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (report / "results.jsonl").read_text().splitlines()]


def summary(report: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((report / "summary.json").read_text())
    return data


def csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    path.write_text("account,thingName\n" + "".join(f"{a},{t}\n" for a, t in rows))
    return path


THINGS = [f"thing-{n:06d}" for n in range(1, 13)]


class TestTargetsCarryAnAccount:
    def test_each_call_lands_in_its_targets_account(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """An account column: A's rows cancel A's executions, B's rows B's, nothing else."""
        source = csv(
            tmp_path / "t.csv", [(A, t) for t in THINGS[:4]] + [(B, t) for t in THINGS[4:6]]
        )
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "--report", str(report), "-q") == 0
        a, b = status_in(sim, A), status_in(sim, B)
        assert [t for t in THINGS if a[t] is ExecutionStatus.CANCELED] == THINGS[:4]
        assert [t for t in THINGS if b[t] is ExecutionStatus.CANCELED] == THINGS[4:6]
        assert all(s is ExecutionStatus.QUEUED for s in status_in(sim, CALLER).values())
        assert {(x["account"], x["region"]) for x in lines(report)} == {
            (A, "us-east-1"),
            (B, "us-east-1"),
        }

    def test_by_destination_counts_each_account(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """summary.json's byDestination: one row per account and region, its outcomes."""
        source = csv(
            tmp_path / "t.csv", [(A, t) for t in THINGS[:4]] + [(B, t) for t in THINGS[:2]]
        )
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "--report", str(report), "-q") == 0
        rows = {(r["account"], r["region"]): r for r in summary(report)["byDestination"]}
        assert rows[(A, "us-east-1")]["outcomes"] == {"canceled": 4}
        assert rows[(B, "us-east-1")]["outcomes"] == {"canceled": 2}
        assert rows[(A, "us-east-1")]["throttles"] == 0
        assert rows[(A, "us-east-1")]["achievedRatePerSecond"] > 0

    def test_the_console_shows_the_destinations(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The summary table is followed by one line per account and region."""
        source = csv(tmp_path / "t.csv", [(A, THINGS[0]), (B, THINGS[1])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "-q") == 0
        shown = capsys.readouterr().out
        assert f"{A}  us-east-1" in shown and f"{B}  us-east-1" in shown

    def test_the_report_command_shows_them_again(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """bulkjobs report DIR prints the per-destination table the run printed."""
        source = csv(tmp_path / "t.csv", [(A, THINGS[0]), (B, THINGS[1])])
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "--report", str(report), "-q") == 0
        capsys.readouterr()
        assert main(["report", str(report)]) == 0
        shown = capsys.readouterr().out
        assert f"{A}  us-east-1" in shown and f"{B}  us-east-1" in shown

    def test_resume_skips_what_each_account_finished(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """The journal key holds the account: the same thing in two accounts is two
        targets, and a resume skips both once finished."""
        source = csv(tmp_path / "t.csv", [(A, THINGS[0]), (B, THINGS[0])])
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "--report", str(report), "-q") == 0
        assert len(lines(report)) == 2
        assert run(sim, *argv, "--role-name", ROLE, "--report", str(report), "--resume", "-q") == 0
        assert summary(report)["skippedAsFinishedInJournal"] == 2


class TestOneAssumePerAccount:
    def test_each_role_is_assumed_once(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """Twelve targets in each of two accounts: one AssumeRole per account."""
        source = csv(tmp_path / "t.csv", [(a, t) for a in (A, B) for t in THINGS])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "-q") == 0
        assert sim.call(lambda s: s.assumed_roles()) == {A: 1, B: 1}

    def test_the_callers_own_account_needs_no_role(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Rows in the caller's account use its own credentials, even with --role-name."""
        source = csv(tmp_path / "t.csv", [(CALLER, THINGS[0]), (A, THINGS[0])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "-q") == 0
        assert sim.call(lambda s: s.assumed_roles()) == {A: 1}
        assert status_in(sim, CALLER)[THINGS[0]] is ExecutionStatus.CANCELED


class TestFailuresStayLocal:
    def test_a_refused_role_fails_only_its_accounts_targets(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """AccessDenied in one account: its targets fail with the code and a message
        naming role and account; the other account's are all cancelled."""
        rows = [(DENIED, t) for t in THINGS[:5]] + [(A, t) for t in THINGS[:5]]
        source = csv(tmp_path / "t.csv", rows)
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "--report", str(report), "-q") == 1
        denied = [x for x in lines(report) if x["account"] == DENIED]
        assert len(denied) == 5
        for line in denied:
            assert line["outcome"] == "error" and line["kind"] == "failed"
            assert line["errorCode"] == "AccessDenied"
            assert f"arn:aws:iam::{DENIED}:role/{ROLE}" in line["message"]
            assert f"in account {DENIED}" in line["message"]
            assert line["attempts"] == 0
        assert all(x["outcome"] == "canceled" for x in lines(report) if x["account"] == A)
        assert sim.call(lambda s: s.refused_roles()) == {DENIED: 1}
        assert all(s is ExecutionStatus.QUEUED for s in status_in(sim, DENIED).values())
        access = {a["account"]: a for a in summary(report)["access"]["accounts"]}
        assert access[DENIED]["status"] == "failed" and access[A]["status"] == "assumed"

    def test_the_refusal_is_said_before_the_run(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """stderr names the account that cannot be reached before any target runs."""
        source = csv(tmp_path / "t.csv", [(DENIED, THINGS[0]), (A, THINGS[0])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "-q") == 1
        assert f"account {DENIED}: cannot assume role" in capsys.readouterr().err

    def test_a_refusal_is_one_clear_line_not_a_traceback(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """In a real process (the SDK's own logging as an operator sees it), a refused
        role is bulkjobs' sentence, without the SDK's traceback."""
        source = csv(tmp_path / "t.csv", [(DENIED, THINGS[0]), (A, THINGS[0])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        where = ["--endpoint-url", sim.endpoint_url, "--region", "us-east-1"]
        done = subprocess.run(
            [sys.executable, "-m", "bulkjobs", *argv, *where, "--role-name", ROLE, "-q"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 1
        assert f"account {DENIED}: cannot assume role" in done.stderr
        assert "Traceback" not in done.stderr

    def test_a_listing_in_a_refused_account_is_reported_not_hidden(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--from-job in an account whose role is refused: nothing is listed or sent
        there, the other accounts are done, and the run does not pass for complete —
        exit 1, a byDestination row per (account, region) with the error code, the same
        code in unreachedListings, and both the run's table and `bulkjobs report` say
        the listing did not run."""
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--from-job", "--role-name", ROLE]
        argv += ["--accounts", f"{A},{DENIED}", "--regions", "us-east-1,eu-west-1"]
        assert run(sim, *argv, "--report", str(report), "-q") == 1
        for region in ("us-east-1", "eu-west-1"):
            assert all(s is ExecutionStatus.CANCELED for s in status_in(sim, A, region).values())
            assert all(s is ExecutionStatus.QUEUED for s in status_in(sim, DENIED, region).values())
        data = summary(report)
        assert data["exitCode"] == 1
        rows = {(r["account"], r["region"]): r for r in data["byDestination"]}
        for region in ("us-east-1", "eu-west-1"):
            denied = rows[(DENIED, region)]
            assert denied["errorCode"] == "AccessDenied"
            assert denied["listingsNotRun"] == 1 and denied["total"] == 0
            assert f"arn:aws:iam::{DENIED}:role/{ROLE}" in denied["message"]
            assert "errorCode" not in rows[(A, region)]
        unreached = data["unreachedListings"]
        assert sorted((u["account"], u["region"], u["errorCode"]) for u in unreached) == [
            (DENIED, "eu-west-1", "AccessDenied"),
            (DENIED, "us-east-1", "AccessDenied"),
        ]
        shown = capsys.readouterr()
        table = [line for line in shown.out.splitlines() if "NOT LISTED: AccessDenied" in line]
        assert len(table) == 2
        assert f"listing of executions of job {JOB} in {DENIED}/us-east-1 not run" in shown.err
        assert main(["report", str(report)]) == 0
        assert capsys.readouterr().out.count("NOT LISTED: AccessDenied") == 2


class TestBaseCredentials:
    def test_no_base_credentials_stop_the_run_before_anything_is_sent(
        self,
        sim: ThreadedSimulator,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """No credentials to start from: exit 1 with the SDK's reason and where to look,
        no role assumed, no IoT call."""
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        argv = ["cancel-job-execution", "--job-id", JOB, "--from-job", "--role-name", ROLE]
        assert run(sim, *argv, "--accounts", f"{A},{B}", "--force", "--yes", "-q") == 1
        err = capsys.readouterr().err
        assert "GetCallerIdentity failed: NoCredentialsError" in err
        assert "check the credentials" in err and "nothing was sent" in err
        assert "Traceback" not in err
        assert sim.call(lambda s: s.statistics()).total_requests == 0
        assert sim.call(lambda s: s.assumed_roles()) == {}

    def test_base_credentials_the_server_refuses_stop_the_run(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Signatures STS refuses (this machine's clock an hour off): the caller's
        identity is unknown, so no account is touched — exit 1, nothing sent."""

        def skew(simulator: Simulator) -> None:
            simulator.reconfigure(clock_skew=3600.0)

        sim.call(skew)
        argv = ["cancel-job", "--job-id", JOB, "--accounts", f"{A},{B}", "--role-name", ROLE]
        assert run(sim, *argv, "--force", "--yes", "-q") == 1
        err = capsys.readouterr().err
        assert "GetCallerIdentity failed" in err and "nothing was sent" in err
        assert sim.call(lambda s: s.statistics()).total_requests == 0
        assert sim.call(lambda s: s.assumed_roles()) == {}
        assert all(s is ExecutionStatus.QUEUED for s in status_in(sim, A).values())


class TestWithoutARole:
    def test_a_foreign_account_is_bad_input(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No role option and a row in another account: exit 2, nothing sent."""
        source = csv(tmp_path / "t.csv", [(CALLER, THINGS[0]), (A, THINGS[1])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "-q") == 2
        err = capsys.readouterr().err
        assert f"account: is not the caller's own account ({CALLER})" in err
        assert A in err and "nothing was sent" in err
        assert sim.call(lambda s: s.statistics()).mutating_requests == 0
        assert sim.call(lambda s: s.assumed_roles()) == {}

    def test_the_callers_own_account_is_fine(self, sim: ThreadedSimulator, tmp_path: Path) -> None:
        """Rows naming the caller's account run with its own credentials."""
        source = csv(tmp_path / "t.csv", [(CALLER, THINGS[0])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "-q") == 0
        assert status_in(sim, CALLER)[THINGS[0]] is ExecutionStatus.CANCELED


class TestBadAccountInput:
    @pytest.mark.parametrize(
        ("cell", "rule"),
        [("12345", "must be 12 digits"), ("1111111111112", "must be 12 digits")],
    )
    def test_a_malformed_account_names_line_and_field(
        self,
        sim: ThreadedSimulator,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        cell: str,
        rule: str,
    ) -> None:
        """A bad account cell: its line, the field and the rule; exit 2, no call."""
        source = csv(tmp_path / "t.csv", [(A, THINGS[0]), (cell, THINGS[1])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "-q") == 2
        err = capsys.readouterr().err
        assert f"{source}:3: account: {rule}" in err
        assert sim.call(lambda s: s.statistics()).total_requests == 0
        assert sim.call(lambda s: s.assumed_roles()) == {}

    def test_a_json_number_is_refused(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """In JSON Lines an account is a string: a number would lose leading zeros."""
        source = tmp_path / "t.jsonl"
        source.write_text(json.dumps({"thingName": THINGS[0], "account": 11111111111}) + "\n")
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        assert run(sim, *argv, "--role-name", ROLE, "-q") == 2
        assert f"{source}:1: account: must be a string" in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("options", "field"),
        [
            (["--role-arn", "arn:aws:iam::111111111111:role/X"], "--role-arn"),
            (["--role-name", "a" * 65], "--role-name"),
            (["--role-name", ROLE, "--duration-seconds", "60"], "--duration-seconds"),
            (["--role-name", ROLE, "--role-session-name", "x"], "--role-session-name"),
            (["--external-id", "abc"], "--external-id"),
            (["--role-name", ROLE, "--role-arn", "arn:aws:iam::{account}:role/X"], "--role-name"),
        ],
    )
    def test_bad_role_options_are_refused(
        self,
        sim: ThreadedSimulator,
        capsys: pytest.CaptureFixture[str],
        options: list[str],
        field: str,
    ) -> None:
        """A role ARN without {account}, bounds broken, options that need a role."""
        argv = ["cancel-job-execution", "--job-id", JOB, "--thing-name", THINGS[0]]
        assert run(sim, *argv, *options, "-q") == 2
        assert f"options: {field}:" in capsys.readouterr().err
        assert sim.call(lambda s: s.statistics()).total_requests == 0


class TestDryRun:
    def test_a_dry_run_assumes_the_roles_and_sends_nothing(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--dry-run proves access (AssumeRole in every account) without a call to IoT."""
        source = csv(tmp_path / "t.csv", [(A, THINGS[0]), (B, THINGS[0]), (DENIED, THINGS[0])])
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        run(sim, *argv, "--role-name", ROLE, "--dry-run", "-q")
        assert sim.call(lambda s: s.assumed_roles()) == {A: 1, B: 1}
        assert sim.call(lambda s: s.refused_roles()) == {DENIED: 1}
        assert sim.call(lambda s: s.statistics()).total_requests == 0


class TestSelection:
    def test_a_listing_runs_in_every_account_and_region(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--from-job with --accounts and --regions: every execution in every destination."""
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--from-job", "--role-name", ROLE]
        argv += ["--accounts", f"{A},{B}", "--regions", "us-east-1,eu-west-1"]
        assert run(sim, *argv, "--report", str(report), "-q") == 0
        for account in (A, B):
            for region in ("us-east-1", "eu-west-1"):
                found = status_in(sim, account, region).values()
                assert all(s is ExecutionStatus.CANCELED for s in found)
        rows = summary(report)["byDestination"]
        assert {(r["account"], r["region"]): r["total"] for r in rows} == {
            (a, r): 12 for a in (A, B) for r in ("us-east-1", "eu-west-1")
        }

    def test_one_job_stopped_in_every_account_of_an_ou(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """cancel-job over an OU (ACTIVE accounts, recursively) and two regions."""
        report = tmp_path / "r"
        argv = ["cancel-job", "--job-id", JOB, "--from-organization", "--ou", "ou-sim0-workloads"]
        argv += ["--ou-recursive", "--regions", "us-east-1,eu-west-1", "--role-name", ROLE]
        argv += ["--exclude-accounts", DENIED, "--expect-accounts", "2"]
        assert run(sim, *argv, "--report", str(report), "-q") == 0
        rows = summary(report)["byDestination"]
        assert sorted((r["account"], r["region"], r["outcomes"]["canceled"]) for r in rows) == [
            (A, "eu-west-1", 1),
            (A, "us-east-1", 1),
            (B, "eu-west-1", 1),
            (B, "us-east-1", 1),
        ]
        assert sim.call(lambda s: s.job(JOB, account=A, region="eu-west-1")).status == "CANCELED"
        assert sim.call(lambda s: s.job(JOB)).status != "CANCELED"

    def test_a_selection_of_another_size_is_refused(
        self, sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--expect-accounts 2 while the organisation has 4: exit 2, nothing sent."""
        argv = ["cancel-job", "--job-id", JOB, "--from-organization", "--role-name", ROLE]
        assert run(sim, *argv, "--expect-accounts", "2", "-q") == 2
        assert "the selection has 4 account(s), not 2" in capsys.readouterr().err
        assert sim.call(lambda s: s.statistics()).total_requests == 0
        assert sim.call(lambda s: s.assumed_roles()) == {}

    def test_an_accounts_file_names_its_bad_line(
        self, sim: ThreadedSimulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "accounts.txt"
        path.write_text(f"# prod\n{A}\n{B[:-1]}\n")
        argv = ["cancel-job", "--job-id", JOB, "--accounts-file", str(path), "--role-name", ROLE]
        assert run(sim, *argv, "-q") == 2
        assert f"{path}:3: account: must be 12 digits" in capsys.readouterr().err


class TestRecursion:
    """--recursive follows a thing group's children, --ou-recursive an OU's units:
    asking for one never widens the other."""

    @pytest.fixture
    def nested(self) -> Iterator[ThreadedSimulator]:
        """A in unit ou-top, B in ou-top's child unit ou-child; 12 devices each."""
        org = Organization(
            management=CALLER,
            units=(
                OrgUnit(id="ou-top0-aaaaaaaa", name="top"),
                OrgUnit(id="ou-top0-bbbbbbbb", name="child", parent="ou-top0-aaaaaaaa"),
            ),
            accounts=(
                OrgAccount(id=CALLER, name="management"),
                OrgAccount(id=A, name="a", parent="ou-top0-aaaaaaaa"),
                OrgAccount(id=B, name="b", parent="ou-top0-bbbbbbbb"),
            ),
        )
        fleet = FleetSpec(things=12, job_ids=(JOB,), in_progress=0.0, terminal=0.0, seed=5)
        with ThreadedSimulator(
            SimConfig(quota=None, accounts=(A, B), organization=org), fleet
        ) as simulator:
            yield simulator

    def cancelled_in(self, sim: ThreadedSimulator, account: str) -> int:
        found = status_in(sim, account).values()
        return sum(1 for s in found if s is ExecutionStatus.CANCELED)

    def test_a_recursive_thing_group_does_not_recurse_into_units(
        self, nested: ThreadedSimulator
    ) -> None:
        """--thing-group … --recursive with --ou: the group's children, the unit's own
        accounts only."""
        argv = ["cancel-job-execution", "--job-id", JOB, "--thing-group", "fleet", "--recursive"]
        argv += ["--from-organization", "--ou", "ou-top0-aaaaaaaa", "--role-name", ROLE]
        assert run(nested, *argv, "--expect-accounts", "1", "-q") == 0
        assert self.cancelled_in(nested, A) == len(THINGS)
        assert self.cancelled_in(nested, B) == 0

    def test_ou_recursive_reaches_the_units_below(self, nested: ThreadedSimulator) -> None:
        """--ou-recursive: the accounts of the child unit too."""
        argv = ["cancel-job-execution", "--job-id", JOB, "--from-job", "--role-name", ROLE]
        argv += ["--from-organization", "--ou", "ou-top0-aaaaaaaa", "--ou-recursive"]
        assert run(nested, *argv, "--expect-accounts", "2", "-q") == 0
        assert self.cancelled_in(nested, A) == self.cancelled_in(nested, B) == len(THINGS)

    @pytest.mark.parametrize(
        ("argv", "field", "rule"),
        [
            (["--ou-recursive", "--from-organization"], "--ou-recursive", "applies with --ou"),
            (
                ["--from-job", "--from-organization", "--ou", "ou-top0-aaaaaaaa", "--recursive"],
                "--recursive",
                "only applies to --thing-group (an organisational unit's: --ou-recursive)",
            ),
        ],
    )
    def test_each_flag_alone_where_it_means_nothing_is_refused(
        self,
        nested: ThreadedSimulator,
        capsys: pytest.CaptureFixture[str],
        argv: list[str],
        field: str,
        rule: str,
    ) -> None:
        """Misplaced: exit 2 naming the flag and what it needs, no call made."""
        common = ["cancel-job-execution", "--job-id", JOB, "--role-name", ROLE]
        assert run(nested, *common, *argv, "-q") == 2
        assert f"options: {field}: {rule}" in capsys.readouterr().err
        assert nested.call(lambda s: s.statistics()).total_requests == 0


class TestLanes:
    def test_every_target_once_across_destinations(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """A file with repeats, spread over 2 accounts × 2 regions, plus rows naming
        their own account: each target ends exactly once, duplicates removed."""
        source = tmp_path / "t.csv"
        rows = [f",{t}" for t in THINGS[:3]] + [f",{THINGS[0]}", f"{B},{THINGS[5]}"]
        source.write_text("account,thingName\n" + "\n".join(rows) + "\n")
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", str(source)]
        argv += ["--accounts", f"{A},{B}", "--regions", "us-east-1,eu-west-1", "--role-name", ROLE]
        assert run(sim, *argv, "--report", str(report), "-q") == 0
        keys = [(x["account"], x["region"], x["thingName"]) for x in lines(report)]
        assert len(keys) == len(set(keys))
        expected = {
            (a, r, t) for a in (A, B) for r in ("us-east-1", "eu-west-1") for t in THINGS[:3]
        }
        # B's own row names no region: it is done in each region of the run.
        expected |= {(B, r, THINGS[5]) for r in ("us-east-1", "eu-west-1")}
        assert set(keys) == expected
        assert summary(report)["duplicatesRemoved"] == 4


class TestAThrottledDestination:
    def test_one_destination_throttled_hard_slows_only_itself(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """A's us-east-1 allows 2 CancelJobExecution a second, the other destinations
        have no quota: A/us-east-1 is throttled and takes its time, while every other
        destination is done in a fraction of it, never throttled — each destination has
        its own rate controller and workers."""
        slow = (A, "us-east-1")
        sim.call(lambda s: s.set_destination_quota(*slow, "CancelJobExecution", 2.0))
        report = tmp_path / "r"
        argv = ["cancel-job-execution", "--job-id", JOB, "--from-job", "--role-name", ROLE]
        argv += ["--accounts", f"{A},{B}", "--regions", "us-east-1,eu-west-1"]
        assert run(sim, *argv, "--report", str(report), "-q") == 0
        rows = {(r["account"], r["region"]): r for r in summary(report)["byDestination"]}
        assert all(r["outcomes"] == {"canceled": len(THINGS)} for r in rows.values())
        others = [r for key, r in rows.items() if key != slow]
        assert len(others) == 3
        assert rows[slow]["throttles"] > 0
        assert all(r["throttles"] == 0 for r in others)
        slowest_other = max(r["activeSeconds"] for r in others)
        assert slowest_other * 2 < rows[slow]["activeSeconds"]


@pytest.fixture
def cancelling_sim() -> Iterator[ThreadedSimulator]:
    """Two member accounts (and one refusing roles) whose CancelJob reaches 30
    executions a second in each destination: about a second for each job."""
    fleet = FleetSpec(things=30, job_ids=(JOB,), in_progress=0.25, seed=12)
    config = SimConfig(
        quota=None,
        accounts=(A, B, DENIED),
        denied_accounts=frozenset({DENIED}),
        cancel_job_rate=30.0,
    )
    with ThreadedSimulator(config, fleet) as simulator:
        yield simulator


def running_in(sim: ThreadedSimulator, account: str, region: str) -> int:
    active = (ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS)
    return sum(1 for s in status_in(sim, account, region).values() if s in active)


def crawl(sim: ThreadedSimulator) -> None:
    """CancelJob reaches one execution a second: far slower than a test waits."""

    def slow(simulator: Simulator) -> None:
        simulator.reconfigure(cancel_job_rate=1.0)

    sim.call(slow)


EVERYWHERE = [(a, r) for a in (A, B) for r in ("us-east-1", "eu-west-1")]


class TestCancelJobFollowedEverywhere:
    def test_wait_follows_each_destination_to_its_end(
        self,
        cancelling_sim: ThreadedSimulator,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """cancel-job --wait over 2 accounts × 2 regions: on return nothing of the job
        runs anywhere; summary.json's serverSideCancel has one entry per account and
        region, and each byDestination row says how its cancel ended."""
        report = tmp_path / "r"
        argv = ["cancel-job", "--job-id", JOB, "--force", "--yes", "--wait", "--role-name", ROLE]
        argv += ["--accounts", f"{A},{B}", "--regions", "us-east-1,eu-west-1"]
        assert run(cancelling_sim, *argv, "--report", str(report)) == 0
        assert all(running_in(cancelling_sim, a, r) == 0 for a, r in EVERYWHERE)
        data = summary(report)
        jobs = data["serverSideCancel"]["jobs"]
        assert sorted((j["account"], j["region"]) for j in jobs) == sorted(EVERYWHERE)
        for entry in jobs:
            assert entry["finished"] is True and entry["secondsToCancel"] > 0
            assert entry["remaining"] == {"QUEUED": 0, "IN_PROGRESS": 0}
            there = status_in(cancelling_sim, entry["account"], entry["region"]).values()
            assert entry["canceled"] == sum(1 for s in there if s is ExecutionStatus.CANCELED)
        for row in data["byDestination"]:
            assert row["serverSideCancel"]["finished"] is True
            assert row["serverSideCancel"]["remaining"] == 0
        err = capsys.readouterr().err
        for account, region in EVERYWHERE:
            assert f"job {JOB} in {account}/{region}: AWS cancelled" in err
        assert main(["report", str(report)]) == 0
        assert capsys.readouterr().out.count("server-side cancel: done") == len(EVERYWHERE)

    def test_a_wait_timeout_says_what_is_left_in_each_destination(
        self, cancelling_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Slower than --wait-timeout: exit 1, and each destination's row says how many
        executions are still to be cancelled there."""
        crawl(cancelling_sim)
        report = tmp_path / "r"
        argv = ["cancel-job", "--job-id", JOB, "--force", "--yes", "--wait", "--role-name", ROLE]
        argv += ["--accounts", f"{A},{B}", "--regions", "us-east-1,eu-west-1"]
        argv += ["--wait-timeout", "1s", "--report", str(report), "-q"]
        assert run(cancelling_sim, *argv) == 1
        rows = {(r["account"], r["region"]): r for r in summary(report)["byDestination"]}
        for account, region in EVERYWHERE:
            cancel = rows[(account, region)]["serverSideCancel"]
            assert cancel["finished"] is False
            assert cancel["remaining"] == running_in(cancelling_sim, account, region) > 0

    def test_without_wait_the_counts_left_are_summed_over_destinations(
        self, cancelling_sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No --wait: one note per job naming the destinations still cancelling."""
        crawl(cancelling_sim)
        argv = ["cancel-job", "--job-id", JOB, "--force", "--yes", "--role-name", ROLE]
        argv += ["--accounts", f"{A},{B}", "--regions", "us-east-1,eu-west-1"]
        assert run(cancelling_sim, *argv) == 0
        err = capsys.readouterr().err
        assert f"AWS cancels the executions of job {JOB} server-side in 4 destinations" in err
        assert "Add --wait" in err

    def test_a_refused_account_is_not_followed_and_fails_the_run(
        self, cancelling_sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """With a refused account in the selection, the others are followed to their
        end; the refused one's CancelJob failed, so nothing there is waited for."""
        report = tmp_path / "r"
        argv = ["cancel-job", "--job-id", JOB, "--force", "--yes", "--wait", "--role-name", ROLE]
        argv += ["--accounts", f"{A},{DENIED}", "--report", str(report), "-q"]
        assert run(cancelling_sim, *argv) == 1
        assert running_in(cancelling_sim, A, "us-east-1") == 0
        assert running_in(cancelling_sim, DENIED, "us-east-1") > 0
        jobs = summary(report)["serverSideCancel"]["jobs"]
        assert [(j["account"], j["finished"]) for j in jobs] == [(A, True)]
