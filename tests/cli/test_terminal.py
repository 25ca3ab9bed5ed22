"""The CLI on a real pseudo-terminal, as an operator runs it: the confirmation prompt.

Each test spawns ``python -m bulkjobs`` on a pty (pexpect), so stdin, stderr and
``/dev/tty`` are a terminal exactly as in a shell; the simulator runs in this process
and its own counters say what was sent.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sys
from collections.abc import Iterator

import pexpect
import pytest

from bulkjobs.cli._confirm import TYPE_JOB_ID_ABOVE
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, Simulator, ThreadedSimulator
from tests.cli.conftest import JOB, statuses

RUNNING = {ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS}
PROMPT = re.compile(r"to proceed \(anything else sends nothing\): ")


class Terminal:
    """One bulkjobs process on a pseudo-terminal of its own."""

    def __init__(self, child: pexpect.spawn[str]) -> None:
        self.child = child

    def wait_for(self, pattern: str | re.Pattern[str]) -> str:
        """Everything shown up to and including ``pattern``."""
        self.child.expect(pattern)
        return str(self.child.before) + str(self.child.after)

    def prompt(self) -> str:
        """Wait for the confirmation question; what was shown with it."""
        return self.wait_for(PROMPT)

    def send(self, line: str) -> None:
        self.child.sendline(line)

    def finish(self) -> tuple[int, str]:
        """Wait for the end: the exit status and everything shown since the last wait."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        status = self.child.exitstatus
        assert status is not None, f"killed by signal {self.child.signalstatus}"
        return status, str(self.child.before)


def spawn(sim: ThreadedSimulator, *argv: str) -> Terminal:
    """bulkjobs on a fresh pty, pointed at ``sim``."""
    args = ["-m", "bulkjobs", *argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"]
    return shell(sys.executable, args)


def shell(program: str, args: list[str]) -> Terminal:
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120", "LINES": "40"}
    return Terminal(
        pexpect.spawn(program, args, env=env, encoding="utf-8", timeout=30, dimensions=(40, 120))
    )


def running(sim: ThreadedSimulator, job: str = JOB) -> int:
    return sum(1 for s in statuses(sim, job).values() if s in RUNNING)


@pytest.fixture
def big_sim() -> Iterator[ThreadedSimulator]:
    """250 devices: more than a plain "yes" may confirm."""
    fleet = FleetSpec(things=250, job_ids=(JOB,), in_progress=0.2, terminal=0.1, seed=5)
    with ThreadedSimulator(SimConfig(quota=None), fleet) as simulator:
        yield simulator


EMERGENCY = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--force")


class TestConfirmationPrompt:
    def test_the_prompt_shows_the_blast_radius_by_status(self, sim: ThreadedSimulator) -> None:
        """The prompt names the operation, the region, and the job's counts per status
        as the server has them; the default answer (Enter) sends nothing."""
        before = statuses(sim)
        queued = sum(1 for s in before.values() if s is ExecutionStatus.QUEUED)
        in_progress = sum(1 for s in before.values() if s is ExecutionStatus.IN_PROGRESS)
        child = spawn(sim, *EMERGENCY)
        shown = child.prompt()
        assert "cancel job executions with --force in us-east-1" in shown
        assert f"{queued} QUEUED, {in_progress} IN_PROGRESS" in shown
        assert f"up to {queued + in_progress} executions (QUEUED or IN_PROGRESS)" in shown
        assert 'Type "yes"' in shown
        child.send("")
        code, out = child.finish()
        assert code == 2
        assert "nothing was sent" in out
        assert sim.statistics().mutating_requests == 0
        assert statuses(sim) == before

    def test_no_sends_nothing(self, sim: ThreadedSimulator) -> None:
        """Answering "no": exit 2, no mutating call reached the server."""
        before = statuses(sim)
        child = spawn(sim, *EMERGENCY)
        child.prompt()
        child.send("no")
        code, out = child.finish()
        assert code == 2
        assert "not confirmed" in out
        assert sim.statistics().mutating_requests == 0
        assert statuses(sim) == before

    def test_only_an_explicit_yes_proceeds(self, sim: ThreadedSimulator) -> None:
        """ "y" is not "yes": refused, nothing sent."""
        child = spawn(sim, *EMERGENCY)
        child.prompt()
        child.send("y")
        code, _ = child.finish()
        assert code == 2
        assert sim.statistics().mutating_requests == 0

    def test_yes_runs(self, sim: ThreadedSimulator) -> None:
        """Answering "yes" runs the cancel: nothing of the job is left running."""
        assert running(sim) > 0
        child = spawn(sim, *EMERGENCY)
        child.prompt()
        child.send("yes")
        code, out = child.finish()
        assert code == 0, out
        assert running(sim) == 0
        assert "canceled" in out

    def test_ctrl_c_at_the_prompt_sends_nothing(self, sim: ThreadedSimulator) -> None:
        """Ctrl-C while the question waits: exit 130, nothing sent."""
        before = statuses(sim)
        child = spawn(sim, *EMERGENCY)
        child.prompt()
        child.child.sendintr()
        code, out = child.finish()
        assert code == 130
        assert "nothing was sent" in out
        assert sim.statistics().mutating_requests == 0
        assert statuses(sim) == before

    def test_ctrl_d_at_the_prompt_sends_nothing(self, sim: ThreadedSimulator) -> None:
        """End of input (Ctrl-D) is no answer: exit 2, nothing sent."""
        child = spawn(sim, *EMERGENCY)
        child.prompt()
        child.child.sendeof()
        code, _ = child.finish()
        assert code == 2
        assert sim.statistics().mutating_requests == 0

    def test_the_thing_group_emergency_cancel_asks(self, sim: ThreadedSimulator) -> None:
        """The README's emergency command (thing group, no --yes) asks, and runs on yes."""
        child = spawn(
            sim,
            "cancel-job-execution",
            "--job-id",
            JOB,
            "--thing-group",
            "fleet",
            "--recursive",
            "--force",
            "--status-details",
            "reason=bad-firmware",
        )
        shown = child.prompt()
        assert "thing group fleet and its child groups" in shown
        child.send("yes")
        code, out = child.finish()
        assert code == 0, out
        assert running(sim) == 0


class TestTypingTheJobId:
    def test_a_big_run_needs_the_job_id(self, big_sim: ThreadedSimulator) -> None:
        """Over the threshold, "yes" is not enough: the job id must be typed."""
        child = spawn(big_sim, *EMERGENCY)
        shown = child.prompt()
        assert f'Type the job id "{JOB}"' in shown
        child.send("yes")
        code, _ = child.finish()
        assert code == 2
        assert big_sim.statistics().mutating_requests == 0

    def test_the_job_id_confirms_a_big_run(self, big_sim: ThreadedSimulator) -> None:
        """Typing the job id runs it."""
        child = spawn(big_sim, *EMERGENCY, "-q")
        child.prompt()
        child.send(JOB)
        code, out = child.finish()
        assert code == 0, out
        assert running(big_sim) == 0


class TestOtherForcedCommands:
    def test_cancel_job_force_asks_and_no_sends_nothing(self, sim: ThreadedSimulator) -> None:
        """cancel-job --force shows the executions AWS would cancel; "no" sends nothing."""
        child = spawn(sim, "cancel-job", "--job-id", JOB, "--force", "--reason-code", "BAD_FW")
        expected = f"{running(sim)} executions QUEUED or IN_PROGRESS canceled server-side"
        assert expected in child.prompt()
        child.send("no")
        code, _ = child.finish()
        assert code == 2
        assert sim.statistics().mutating_requests == 0
        assert sim.call(lambda s: s.job(JOB)).status.value == "IN_PROGRESS"

    def test_cancel_job_force_runs_on_yes(self, sim: ThreadedSimulator) -> None:
        """cancel-job --force on "yes": the job is canceled server-side."""
        child = spawn(sim, "cancel-job", "--job-id", JOB, "--force", "-q")
        child.prompt()
        child.send("yes")
        code, out = child.finish()
        assert code == 0, out
        assert sim.call(lambda s: s.job(JOB)).status.value == "CANCELED"

    def test_delete_force_asks_and_no_sends_nothing(self, sim: ThreadedSimulator) -> None:
        """delete-job-execution --force asks; "no" deletes nothing."""
        before = statuses(sim)
        child = spawn(sim, "delete-job-execution", "--job-id", JOB, "--from-job", "--force")
        shown = child.prompt()
        assert "deleted too" in shown
        child.send("no")
        code, _ = child.finish()
        assert code == 2
        assert statuses(sim) == before
        assert sim.statistics().mutating_requests == 0

    def test_a_list_piped_on_stdin_is_confirmed_on_the_terminal(
        self, sim: ThreadedSimulator
    ) -> None:
        """``… | bulkjobs --things-file - --force`` still asks on the terminal."""
        names = sorted(n for n, s in statuses(sim).items() if s in RUNNING)[:3]
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", "-", "--force"]
        bulkjobs = shlex.join(
            [sys.executable, "-m", "bulkjobs", *argv, "--endpoint-url", sim.endpoint_url]
        )
        command = f"printf '%s\\n' {shlex.join(names)} | {bulkjobs}"
        child = shell("/bin/sh", ["-c", command])
        shown = child.prompt()
        assert "given: 3 targets" in shown
        child.send("yes")
        code, out = child.finish()
        assert code == 0, out
        assert all(statuses(sim)[name] is ExecutionStatus.CANCELED for name in names)


ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
COUNT = re.compile(r"(\d[\d,]*)/(~?)(\d[\d,]*|\?)")


def frames(shown: str) -> list[tuple[int, str]]:
    """Every "finished/total" the progress bar drew, in order (ANSI codes removed)."""
    return [(int(m[1].replace(",", "")), m[2] + m[3]) for m in COUNT.finditer(ANSI.sub("", shown))]


@pytest.fixture
def slow_sim() -> Iterator[ThreadedSimulator]:
    """120 QUEUED executions, cancelled at a --rate slow enough to interrupt."""
    with ThreadedSimulator(
        SimConfig(quota=None), FleetSpec(things=120, job_ids=(JOB,), seed=4)
    ) as simulator:
        yield simulator


def run_as_printed(sim: ThreadedSimulator, command: str) -> tuple[int, str]:
    """Run a command bulkjobs printed, word for word (``bulkjobs`` is this venv's)."""
    words = shlex.split(command)
    assert words[0] == "bulkjobs"
    return shell(sys.executable, ["-m", "bulkjobs", *words[1:]]).finish()


class TestProgressOnATerminal:
    def test_the_bar_ends_with_the_true_total(self, sim: ThreadedSimulator, tmp_path) -> None:
        """The bar renders on the terminal and its last frame is the report's total."""
        report = tmp_path / "report"
        child = spawn(sim, *EMERGENCY, "--yes", "--report", str(report))
        code, shown = child.finish()
        assert code == 0, shown
        drawn = frames(shown)
        assert drawn, shown
        summary = json.loads((report / "summary.json").read_text())
        assert drawn[-1] == (summary["total"], str(summary["total"]))

    def test_the_bar_ends_with_the_true_throttle_count(self, tmp_path) -> None:
        """Its last frame counts every throttle the summary does, not those of its last
        poll: a fixed rate four times a 10/s quota is throttled for sure."""
        fleet = FleetSpec(things=40, job_ids=(JOB,), seed=3)
        report = tmp_path / "report"
        with ThreadedSimulator(SimConfig(quota=10.0), fleet) as throttling:
            child = spawn(throttling, *EMERGENCY, "--yes", "--rate", "40", "--report", str(report))
            code, shown = child.finish()
        assert code == 0, shown
        summary = json.loads((report / "summary.json").read_text())
        assert summary["throttles"] > 0
        bar = [line for line in ANSI.sub("", shown).splitlines() if "failed" in line]
        assert f"throttled {summary['throttles']} " in bar[-1], shown

    def test_a_dry_run_draws_no_rate(self, sim: ThreadedSimulator) -> None:
        """A dry run sends no change: neither its bar nor its summary shows a rate."""
        code, shown = spawn(sim, *EMERGENCY, "--dry-run").finish()
        assert code == 0, shown
        text = ANSI.sub("", shown)
        drawn = [ln for ln in re.split(r"[\r\n]", text) if "━" in ln or "wall time" in ln]
        assert frames(text) and any("dry run" in ln for ln in drawn)
        assert not any(re.search(r"\d/s\b", ln) for ln in drawn), drawn

    def test_ctrl_c_mid_run_prints_a_resume_command_that_finishes_the_work(
        self, slow_sim: ThreadedSimulator, tmp_path
    ) -> None:
        """Ctrl-C once the bar shows progress: exit 130, a resume command on screen;
        run as printed, it does the rest and the report accounts for every target."""
        report = tmp_path / "report"
        child = spawn(slow_sim, *EMERGENCY, "--yes", "--rate", "20", "--report", str(report))
        child.wait_for(re.compile(r"(?<![\d,])[1-9]\d/~?\d+"))
        child.child.sendintr()
        code, shown = child.finish()
        assert code == 130, shown
        assert running(slow_sim) > 0
        # The bar's last frame shows how far the run got, not the interrupted as done.
        stopped = json.loads((report / "summary.json").read_text())
        done = stopped["total"] - stopped["outcomes"].get("interrupted", 0)
        assert stopped["outcomes"].get("interrupted", 0) > 0
        assert frames(shown)[-1][0] == done, shown
        printed = re.search(r"To resume[^\n]*:\r?\n\s+(bulkjobs [^\r\n]+)", shown)
        assert printed is not None, shown
        code, shown = run_as_printed(slow_sim, printed[1])
        assert code == 0, shown
        assert running(slow_sim) == 0
        summary = json.loads((report / "summary.json").read_text())
        assert summary["total"] == 120
        assert summary["outcomes"] == {"canceled": 120}


class TestWaitingOnATerminal:
    def test_cancel_job_wait_draws_the_server_side_cancel(self, tmp_path) -> None:
        """cancel-job --force --wait: confirmed with yes, a bar follows AWS's cancel to
        its end, then how long it took; nothing of the job is left running."""
        fleet = FleetSpec(things=60, job_ids=(JOB,), in_progress=0.25, seed=12)
        with ThreadedSimulator(SimConfig(quota=None, cancel_job_rate=30), fleet) as sim:
            child = spawn(sim, "cancel-job", "--job-id", JOB, "--force", "--wait")
            child.prompt()
            child.send("yes")
            code, shown = child.finish()
            assert code == 0, shown
            assert running(sim) == 0
        assert "cancelled server-side" in shown
        drawn = frames(shown)
        assert drawn and drawn[-1][0] == int(drawn[-1][1])
        assert f"job {JOB}: AWS cancelled" in shown


A, B, DENIED = "111111111111", "222222222222", "333333333333"
REGIONS = ("us-east-1", "eu-west-1")
ACROSS = ("--accounts", f"{A},{B},{DENIED}", "--regions", ",".join(REGIONS))
ROLE = ("--role-name", "OrganizationAccountAccessRole")


@pytest.fixture
def accounts_sim() -> Iterator[ThreadedSimulator]:
    """Three member accounts in two regions, one refusing every role; 40 devices
    each, a fifth of them IN_PROGRESS."""
    fleet = FleetSpec(things=40, job_ids=(JOB,), in_progress=0.2, terminal=0.1, seed=8)
    config = SimConfig(quota=None, accounts=(A, B, DENIED), denied_accounts=frozenset({DENIED}))
    with ThreadedSimulator(config, fleet) as simulator:
        yield simulator


def add_job(sim: ThreadedSimulator, job: str, size: int, account: str, region: str) -> None:
    """A QUEUED job of ``size`` devices in one destination."""
    names = [f"dev-{n}" for n in range(size)]

    def add(simulator: Simulator) -> None:
        simulator.add_job(job, names, account=account, region=region)

    sim.call(add)


def running_in(sim: ThreadedSimulator, job: str, account: str, region: str) -> int:
    found = sim.call(lambda s: s.executions(job, account=account, region=region))
    return sum(1 for e in found if e.status in RUNNING)


class TestTheBlastRadiusAcrossAccounts:
    def test_describe_job_counts_each_destination_and_sums_them(
        self, accounts_sim: ThreadedSimulator
    ) -> None:
        """A job of a different size in each destination (none in one): the prompt
        shows each count, says where there is no such job, and the total is their sum;
        the refused account is shown as unreachable and counted in nothing."""
        sizes = {(A, "us-east-1"): 3, (A, "eu-west-1"): 5, (B, "us-east-1"): 7}
        for (account, region), size in [*sizes.items(), ((DENIED, "us-east-1"), 11)]:
            add_job(accounts_sim, "fw-2", size, account, region)
        child = spawn(
            accounts_sim,
            *("cancel-job-execution", "--job-id", "fw-2", "--from-job", "--force"),
            *ACROSS,
            *ROLE,
        )
        shown = re.sub(r"\s+", " ", child.prompt())
        for (account, region), size in sizes.items():
            assert f"{account}/{region}: {size} QUEUED" in shown
        assert f"{B}/eu-west-1: no such job there" in shown
        assert f"account {DENIED}: unreachable (AccessDenied), not counted" in shown
        assert f"{DENIED}/us-east-1:" not in shown
        assert f"up to {sum(sizes.values())} executions (QUEUED or IN_PROGRESS)" in shown
        assert "in 4 reachable destinations" in shown
        child.send("no")
        code, _ = child.finish()
        assert code == 2
        assert accounts_sim.statistics().mutating_requests == 0

    def test_an_unknown_size_across_accounts_is_never_a_plain_yes(
        self, accounts_sim: ThreadedSimulator
    ) -> None:
        """--from-thing without a job: nothing can size it, so the reachable
        destinations are counted out; "yes" sends nothing."""
        child = spawn(
            accounts_sim,
            *("cancel-job-execution", "--from-thing", "thing-000001", "--force"),
            *ACROSS,
            *ROLE,
        )
        shown = child.prompt()
        assert 'Type the number of destinations "4"' in shown
        child.send("yes")
        code, out = child.finish()
        assert code == 2, out
        assert accounts_sim.statistics().mutating_requests == 0

    def test_a_big_run_across_accounts_is_confirmed_by_the_job_id(
        self, accounts_sim: ThreadedSimulator
    ) -> None:
        """Over the threshold in sum (not in any one destination): "yes" is refused;
        the job id runs it in every reachable destination and nowhere else."""
        each = [running_in(accounts_sim, JOB, a, r) for a in (A, B) for r in REGIONS]
        assert max(each) <= TYPE_JOB_ID_ABOVE < sum(each)
        argv = ("cancel-job-execution", "--job-id", JOB, "--from-job", "--force", *ACROSS, *ROLE)
        child = spawn(accounts_sim, *argv)
        assert f'Type the job id "{JOB}"' in child.prompt()
        child.send("yes")
        assert child.finish()[0] == 2
        assert accounts_sim.statistics().mutating_requests == 0
        denied_before = running_in(accounts_sim, JOB, DENIED, "us-east-1")
        child = spawn(accounts_sim, *argv, "-q")
        child.prompt()
        child.send(JOB)
        code, out = child.finish()
        # The refused account's listings are not done: the run says so with exit 1.
        assert code == 1, out
        for account in (A, B):
            for region in REGIONS:
                assert running_in(accounts_sim, JOB, account, region) == 0
        assert running_in(accounts_sim, JOB, DENIED, "us-east-1") == denied_before > 0
