"""The one-call entry points: ``run`` / ``run_sync`` validate lists, then run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog

import bulkjobs
from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    with ThreadedSimulator(SimConfig(quota=None), FleetSpec(things=12, job_ids=("j",))) as s:
        yield s


def config(sim: ThreadedSimulator) -> bulkjobs.RunConfig:
    return bulkjobs.RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=500)


def test_run_sync_cancels_and_reports(sim: ThreadedSimulator) -> None:
    """run_sync: a script's one call; every target reported, the server agrees."""
    names = [e.thing_name for e in sim.call(lambda s: s.executions("j"))]
    seen: list[bulkjobs.Result] = []
    report = bulkjobs.run_sync(
        [bulkjobs.Target(job_id="j", thing_name=n) for n in names],
        bulkjobs.CancelExecution(),
        config(sim),
        on_result=seen.append,
    )
    assert report.total == len(seen) == 12
    assert report.count(bulkjobs.Outcome.CANCELED) == 12
    statuses = {e.status for e in sim.call(lambda s: s.executions("j"))}
    assert statuses == {ExecutionStatus.CANCELED}


def test_a_list_with_an_invalid_target_sends_nothing(sim: ThreadedSimulator) -> None:
    """A list is validated first: one bad name and not a single request goes out."""
    targets = [
        bulkjobs.Target(job_id="j", thing_name="thing-000001"),
        bulkjobs.Target(job_id="j", thing_name="not a valid name"),
    ]
    with pytest.raises(bulkjobs.InvalidInputError) as caught:
        bulkjobs.run_sync(targets, bulkjobs.CancelExecution(), config(sim))
    assert "targets:2: thingName: must match" in str(caught.value)
    assert sim.statistics().total_requests == 0


def test_bad_operation_options_send_nothing(sim: ThreadedSimulator) -> None:
    """Options are checked too, for iterators as well as lists."""
    details = {f"k{i}": "v" for i in range(11)}
    with pytest.raises(bulkjobs.InvalidInputError, match="at most 10"):
        bulkjobs.run_sync(
            iter([bulkjobs.Target(job_id="j", thing_name="thing-000001")]),
            bulkjobs.CancelExecution(status_details=details),
            config(sim),
        )
    assert sim.statistics().total_requests == 0


def test_unconfigured_structlog_prints_nothing(
    sim: ThreadedSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    """As the README says: until the application configures structlog, a run prints
    nothing — not a line per device, failures included."""
    structlog.reset_defaults()
    names = [e.thing_name for e in sim.call(lambda s: s.executions("j"))]
    in_progress = names[0]
    sim.call(lambda s: s.set_execution_status("j", in_progress, ExecutionStatus.IN_PROGRESS))
    report = bulkjobs.run_sync(
        [bulkjobs.Target(job_id="j", thing_name=n) for n in names],
        bulkjobs.CancelExecution(),
        config(sim),
    )
    assert report.count(bulkjobs.Outcome.IN_PROGRESS_NEEDS_FORCE) == 1  # a WARNING event
    assert capsys.readouterr() == ("", "")


def test_unconfigured_structlog_prints_nothing_of_the_runs_own_events(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Nor the run's own events: a listing that fails (an error event), Service Quotas
    refused (a debug event) — the report says them, stdout stays the caller's."""
    structlog.reset_defaults()
    fleet = FleetSpec(things=3, job_ids=("j",))
    with ThreadedSimulator(SimConfig(quota=None, service_quotas=False), fleet) as sim:
        report = bulkjobs.run_sync(
            bulkjobs.FromJob(job_id="no-such-job"), bulkjobs.CancelExecution(), config(sim)
        )
    assert report.stop_reason is not None and "listing" in report.stop_reason
    assert capsys.readouterr() == ("", "")


def test_every_module_logs_through_the_quiet_loggers() -> None:
    """The promise above holds for modules yet to be written: only bulkjobs._log (and
    the engine, which checks per event) may hold a structlog logger of its own."""
    root = Path(bulkjobs.__file__).parent
    holders = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "structlog.get_logger(" in path.read_text()
    }
    assert holders <= {"_log.py", "_engine.py"}
