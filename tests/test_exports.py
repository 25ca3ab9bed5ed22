"""The public surface is what we mean it to be: a curated ``__all__``."""

from __future__ import annotations

import pytest

import bulkjobs

EXPECTED = {
    # running
    "Engine",
    "EngineStatistics",
    "RunConfig",
    "run",
    "run_sync",
    "describe_jobs",
    "describe_jobs_in",
    "DestinationJobs",
    "JobSurvey",
    "select_jobs",
    "JobSelection",
    "SelectedJob",
    "JobCounts",
    "ACTIVE_STATUSES",
    "JOB_STATUSES",
    "TARGET_SELECTIONS",
    "parse_rate",
    "redraw_report",
    "MetricsTextfile",
    # following a server-side CancelJob (cancel-job --wait)
    "Clients",
    "CallError",
    "CancelWatch",
    "ServerSideCancel",
    "follow_cancellations",
    "format_duration",
    "plural",
    "atomic_write_text",
    # S3: manifests in, report directories out
    "Encryption",
    "LocalStore",
    "ReportStore",
    "S3Location",
    "S3Store",
    "download",
    "is_s3_url",
    "s3_client",
    "RunSession",
    "Source",
    "validate",
    # what to do and to what
    "CancelExecution",
    "CancelJob",
    "DeleteExecution",
    "DeleteJob",
    "DeletionTimes",
    "Verify",
    "Verification",
    "report_targets",
    "Operation",
    "FRESH",
    "Target",
    "InvalidTarget",
    "Destination",
    "Request",
    # sources and filters
    "FromFile",
    "FromJob",
    "FromJobs",
    "FromQuery",
    "FromThing",
    "FromThingGroup",
    "Plan",
    "Estimate",
    "from_job",
    "ApiCaller",
    "from_query",
    "from_thing",
    "from_thing_group",
    "Listed",
    "ListedJob",
    "ListingFilter",
    "parse_age",
    "Deduplicator",
    "scan_file",
    "iter_file_targets",
    "FileSource",
    "FileScan",
    # statistics snapshots that public methods return
    "DedupStatistics",
    "FilterStatistics",
    "RateStatistics",
    # results
    "Outcome",
    "OutcomeKind",
    "Result",
    "Report",
    # errors
    "BulkJobsError",
    "AccountAccess",
    "AccountState",
    "ApiError",
    "AssumeRole",
    "OrganizationAccount",
    "ConfigurationError",
    "InvalidInputError",
    "RunInterrupted",
    "ValidationIssue",
    "__version__",
}


def test_all_is_exactly_the_public_api() -> None:
    """Nothing leaks into __all__, nothing public is missing from it."""
    assert set(bulkjobs.__all__) == EXPECTED


def test_every_export_exists() -> None:
    """Each name in __all__ resolves on the package."""
    for name in bulkjobs.__all__:
        assert hasattr(bulkjobs, name), name


def test_exports_come_from_private_modules() -> None:
    """Implementation lives in _modules; the package only re-exports."""
    for name in bulkjobs.__all__:
        module = getattr(getattr(bulkjobs, name), "__module__", "bulkjobs._")
        assert module.startswith(("bulkjobs._", "builtins", "types")), (name, module)


def test_errors_share_one_root() -> None:
    """Every exception bulkjobs raises is a BulkJobsError."""
    for name in ("ApiError", "ConfigurationError", "InvalidInputError"):
        assert issubclass(getattr(bulkjobs, name), bulkjobs.BulkJobsError)


def test_import_is_light() -> None:
    """`import bulkjobs` (and the CLI's parser) load no AWS SDK: help and validation
    errors come back at once; the engine loads on first use."""
    import subprocess
    import sys

    code = (
        "import sys, bulkjobs, bulkjobs.cli._parser as p; p.build_parser(); "
        "heavy = [m for m in ('aiobotocore', 'botocore', 'aiohttp') if m in sys.modules]; "
        "assert not heavy, heavy; bulkjobs.Engine; assert 'aiobotocore' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


#: Parts of bulkjobs a plain cancel (``--yes --quiet``, no report, no S3) has no use for:
#: loading them would only delay its first request.
NOT_FOR_A_PLAIN_CANCEL = (
    "bulkjobs.sim",
    "bulkjobs.cli._confirm",
    "bulkjobs.cli._shorthand",
    "bulkjobs._html",
    "bulkjobs._svg",
)

_RUN_AND_LIST_MODULES = (
    "import json, sys; from bulkjobs.cli import main; code = main(sys.argv[1:]); "
    "print(json.dumps([code, sorted(sys.modules)]))"
)


@pytest.mark.parametrize("asked", [["--yes"], []], ids=["yes", "not-forced"])
def test_a_cancel_loads_neither_the_simulator_nor_what_it_does_not_use(
    asked: list[str],
) -> None:
    """A real cancel, in a process of its own, cancels its target without importing
    the simulator (its ``simulate`` options included), the confirmation, the shorthand
    parser or the report page's renderer: with ``--yes``, and without it when nothing
    forced is asked for (so there is nothing to confirm)."""
    import json
    import subprocess
    import sys

    from bulkjobs.sim import ExecutionStatus, FleetSpec, SimConfig, ThreadedSimulator

    fleet = FleetSpec(things=3, job_ids=("fw-1",))
    with ThreadedSimulator(SimConfig(quota=None), fleet) as sim:
        argv = ["cancel-job-execution", "--job-id", "fw-1", "--thing-name", "thing-000002"]
        argv += [*asked, "--quiet", "--region", "us-east-1", "--endpoint-url", sim.endpoint_url]
        proc = subprocess.run(
            [sys.executable, "-c", _RUN_AND_LIST_MODULES, *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        execution = sim.call(lambda s: s.execution("fw-1", "thing-000002"))
    code, modules = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0 and execution is not None
    assert execution.status is ExecutionStatus.CANCELED
    loaded = [m for m in modules if m.startswith(NOT_FOR_A_PLAIN_CANCEL)]
    assert loaded == []
    assert "aiobotocore" in modules  # it did talk to the server through the SDK


def test_the_simulate_command_still_has_all_its_options() -> None:
    """``simulate``'s options are added when its parser is first used; parsing, help and
    tools walking the parser all see them."""
    import argparse

    from bulkjobs.cli._parser import build_parser

    def simulate_parser() -> argparse.ArgumentParser:
        [commands] = [a for a in build_parser()._actions if a.dest == "command"]
        sub: argparse.ArgumentParser = commands.choices["simulate"]  # type: ignore[index]
        return sub

    args = build_parser().parse_args(["simulate", "--port", "5", "--quota", "unlimited"])
    assert (args.sim_port, args.sim_quota, args.sim_things) == (5, None, 1000)
    assert "--p503" in simulate_parser().format_help()
    # As shell completion and the CLI reference walk it, from a parser not yet used.
    assert "--p503" in {o for a in simulate_parser()._actions for o in a.option_strings}
