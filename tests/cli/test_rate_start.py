"""summary.json says where --rate auto started, from the real entry point."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import FleetSpec, SimConfig, ThreadedSimulator

JOB = "rate-job"


@pytest.fixture
def limited() -> Iterator[ThreadedSimulator]:
    """A 1,000/s account whose Service Quotas entries say so: 600 cancels take the
    slow start over a second without a throttle, time for the lookup to answer."""
    fleet = FleetSpec(things=600, job_ids=(JOB,), seed=4)
    with ThreadedSimulator(SimConfig(quota=1000.0), fleet) as simulator:
        yield simulator


def cancel(sim: ThreadedSimulator, report: Path, *extra: str) -> dict[str, object]:
    names = [f"thing-{i:06d}" for i in range(1, 601)]
    argv = [
        "cancel-job-execution",
        "--job-id",
        JOB,
        *(a for n in names for a in ("--thing-name", n)),
    ]
    argv += ["--endpoint-url", sim.endpoint_url, "--region", "us-east-1", "-q"]
    assert main([*argv, "--report", str(report), *extra]) == 0
    summary: dict[str, object] = json.loads((report / "summary.json").read_text())
    return summary


class TestRateStartInSummary:
    def test_auto_records_the_applied_quota(
        self, limited: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """--rate auto: the start is Service Quotas' applied value, with its name."""
        summary = cancel(limited, tmp_path / "r")
        control = summary["rateControl"]
        assert isinstance(control, dict) and control["mode"] == "auto"
        (start,) = control["start"]
        assert start["source"] == "service-quotas" and start["rate"] == 1000.0
        assert start["api"] == "CancelJobExecution" and start["region"] == "us-east-1"
        assert start["quotaName"] == "CancelJobExecution throttle limit"

    def test_fixed_records_the_rate_given(self, limited: ThreadedSimulator, tmp_path: Path) -> None:
        """--rate N: the start is the user's rate, and Service Quotas is not asked."""
        summary = cancel(limited, tmp_path / "r", "--rate", "800")
        control = summary["rateControl"]
        assert isinstance(control, dict)
        assert control == {
            "mode": "fixed",
            "start": [
                {
                    "account": None,
                    "region": "us-east-1",
                    "api": "CancelJobExecution",
                    "source": "fixed",
                    "rate": 800.0,
                }
            ],
        }
        stats = limited.call(lambda simulator: simulator.statistics())
        assert stats.service_quota_requests == 0
