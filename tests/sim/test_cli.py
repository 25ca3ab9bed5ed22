"""``python -m bulkjobs.sim`` / ``bulkjobs simulate``: options, refusals, a real run."""

from __future__ import annotations

import argparse
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

import bulkjobs.sim
from bulkjobs.sim import AWS_CANCEL_JOB_RATE, Operation, QuotaChange
from bulkjobs.sim._cli import add_simulate_arguments, main, run_simulate
from bulkjobs.sim._options import config_from_args
from tests.sim.support import NO_RETRIES


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_simulate_arguments(parser)
    return parser.parse_args(argv)


class TestOptions:
    def test_defaults_model_a_plain_account(self) -> None:
        """No options: loopback, 1,000 QUEUED things of job-1, AWS's 10/s quota."""
        args = parse()
        config, fleet = config_from_args(args)
        assert (args.sim_host, args.sim_port) == ("127.0.0.1", 0)
        assert (fleet.things, fleet.job_ids, fleet.in_progress) == (1000, ("job-1",), 0.0)
        assert config.quota == 10.0 and config.throttle_status == 400

    def test_every_knob_reaches_the_config(self) -> None:
        """Each option lands in SimConfig / FleetSpec."""
        config, fleet = config_from_args(
            parse(
                "--things", "50", "--job-id", "a", "--job-id", "b", "--in-progress", "0.2",
                "--terminal", "0.3", "--groups", "4", "--seed", "9", "--quota", "unlimited",
                "--op-quota", "CancelJobExecution=20", "--quota-at", "10:10",
                "--quota-at", "20:40:CancelJobExecution", "--throttle-status", "429",
                "--p503", "0.1", "--p-reset", "0.01", "--p-lost-response", "0.02",
                "--p-slow", "0.03", "--slow-seconds", "5", "--latency-ms", "20",
                "--latency-sigma", "0.5", "--churn", "3", "--cancel-job-rate", "aws",
                "--max-cancelling-jobs", "2", "--clock-skew", "-30", "--no-signature-check",
            )
        )  # fmt: skip
        assert fleet.job_ids == ("a", "b") and fleet.groups == 4 and fleet.seed == 9
        assert config.quota is None
        assert config.quota_for(Operation.CANCEL_JOB_EXECUTION) == 20
        assert config.quota_schedule == (
            QuotaChange(at=10, tps=10),
            QuotaChange(at=20, tps=40, operation="CancelJobExecution"),
        )
        assert config.throttle_status == 429 and config.p503 == 0.1
        assert config.latency is not None and config.latency.median == 0.02
        assert config.cancel_job_rate == AWS_CANCEL_JOB_RATE
        assert (config.churn_rate, config.max_cancelling_jobs, config.seed) == (3, 2, 9)
        assert (config.clock_skew, config.check_signatures) == (-30, False)

    def test_fleet_indexing_options(self) -> None:
        """--attribute, --connected and --thing-index shape what SearchIndex answers."""
        config, fleet = config_from_args(
            parse(
                "--attribute", "hwRev=A1,B2", "--attribute", "site=north",
                "--connected", "0.9", "--thing-index", "building",
            )
        )  # fmt: skip
        assert fleet.attributes == (("hwRev", ("A1", "B2")), ("site", ("north",)))
        assert fleet.connected == 0.9 and config.thing_index == "BUILDING"
        default_config, default_fleet = config_from_args(parse())
        assert default_fleet.attributes == (("hwRev", ("A1", "B2", "C3")),)
        assert default_config.thing_index == "ACTIVE"

    @pytest.mark.parametrize(
        "argv",
        [
            ["--attribute", "hwRev"],
            ["--thing-index", "on"],
            ["--p503", "2"],
            ["--quota", "0"],
            ["--op-quota", "Nope=3"],
            ["--quota-at", "soon"],
            ["--throttle-status", "500"],
        ],
    )
    def test_bad_values_are_usage_errors(self, argv: list[str]) -> None:
        """Out-of-range values stop argparse with exit status 2."""
        with pytest.raises(SystemExit) as excinfo:
            parse(*argv)
        assert excinfo.value.code == 2

    def test_non_loopback_host_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--host 0.0.0.0 without --allow-remote: exit 2 before anything listens."""
        assert run_simulate(parse("--host", "0.0.0.0")) == 2
        assert "loopback" in capsys.readouterr().err

    def test_taken_port_is_a_runtime_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A port already in use: exit 1 with a message, no traceback."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            assert main(["--things", "1", "--port", str(port)]) == 1
        assert "cannot listen" in capsys.readouterr().err

    def test_inconsistent_fleet_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Shares adding up to more than 1 are reported, not served."""
        assert main(["--in-progress", "0.8", "--terminal", "0.8"]) == 2
        assert "must not exceed 1" in capsys.readouterr().err


def test_runs_until_sigterm_and_prints_counters(tmp_path: Path) -> None:
    """The endpoint URL comes first on stdout; SIGTERM ends the run with the counters."""
    package_root = Path(bulkjobs.sim.__file__).parents[2]
    stats_path = tmp_path / "stats.json"
    command = [
        sys.executable, "-m", "bulkjobs.sim", "--things", "5", "--quota", "unlimited",
        "--stats-json", str(stats_path),
    ]  # fmt: skip
    with subprocess.Popen(
        command, cwd=package_root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        try:
            endpoint = process.stdout.readline().strip()
            assert endpoint.startswith("http://127.0.0.1:")
            iot = boto3.session.Session().client(
                "iot", region_name="us-east-1", endpoint_url=endpoint, config=NO_RETRIES
            )
            iot.cancel_job_execution(jobId="job-1", thingName="thing-000003")
            iot.close()
        finally:
            process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert "CancelJobExecution" in out
    stats = json.loads(stats_path.read_text())
    assert stats["operations"]["CancelJobExecution"]["accepted"] == 1


class TestDeletionOptions:
    def test_deletion_timing_and_limit_reach_the_config(self) -> None:
        """`--deletion-seconds`, `--deletion-seconds-per-execution` and
        `--max-deleting-jobs` set the DeleteJob model; without them it is AWS-like."""
        config, _ = config_from_args(
            parse(
                "--deletion-seconds",
                "2",
                "--deletion-seconds-per-execution",
                "0.25",
                "--max-deleting-jobs",
                "3",
            )
        )
        assert (
            config.job_deletion_seconds,
            config.job_deletion_seconds_per_execution,
            config.max_deleting_jobs,
        ) == (2.0, 0.25, 3)
        default, _ = config_from_args(parse())
        assert (
            default.job_deletion_seconds,
            default.job_deletion_seconds_per_execution,
            default.max_deleting_jobs,
        ) == (0.5, 0.01, 10)

    def test_a_negative_deletion_time_is_refused(self, capsys: pytest.CaptureFixture[str]) -> None:
        with pytest.raises(SystemExit) as excinfo:
            parse("--deletion-seconds", "-1")
        assert excinfo.value.code == 2
        assert "must be 0 or more seconds" in capsys.readouterr().err
