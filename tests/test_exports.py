"""The public surface is what we mean it to be: a curated ``__all__``."""

from __future__ import annotations

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
