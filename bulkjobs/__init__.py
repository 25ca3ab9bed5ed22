"""bulkjobs: cancel and delete AWS IoT job executions in bulk, losing none.

    import bulkjobs

    report = bulkjobs.run_sync(
        [bulkjobs.Target(job_id="fw-42", thing_name=name) for name in names],
        bulkjobs.CancelExecution(force=True),
        bulkjobs.RunConfig(region="eu-west-1"),
    )
    print(report.outcomes)

For streaming, ``async with Engine(op, config).results(targets) as results``; for
targets from the API, ``from_job(engine.call, job_id, statuses)`` and friends.
"""

from typing import TYPE_CHECKING

from bulkjobs._caller import ApiCaller
from bulkjobs._config import RunConfig
from bulkjobs._destination import Destination
from bulkjobs._exceptions import (
    ApiError,
    BulkJobsError,
    ConfigurationError,
    InvalidInputError,
    RunInterrupted,
    ValidationIssue,
)
from bulkjobs._filters import (
    Deduplicator,
    DedupStatistics,
    FilterStatistics,
    ListingFilter,
    parse_age,
)
from bulkjobs._joblisting import JOB_STATUSES, TARGET_SELECTIONS, ListedJob
from bulkjobs._jobstatus import ACTIVE_STATUSES, JobCounts
from bulkjobs._lazy import lazy_attributes
from bulkjobs._listing import Listed, from_job, from_query, from_thing, from_thing_group
from bulkjobs._models import (
    FRESH,
    CancelExecution,
    CancelJob,
    DeleteExecution,
    DeleteJob,
    InvalidTarget,
    Operation,
    Outcome,
    OutcomeKind,
    Request,
    Result,
    Target,
    Verify,
)
from bulkjobs._plan import Estimate, Plan, SelectedJob, format_duration, plural
from bulkjobs._report import Report, atomic_write_text
from bulkjobs._roles import AssumeRole
from bulkjobs._selectors import (
    FromFile,
    FromJob,
    FromJobs,
    FromQuery,
    FromThing,
    FromThingGroup,
)
from bulkjobs._sources import FileScan, FileSource, iter_file_targets, scan_file

if TYPE_CHECKING:
    from bulkjobs._accounts import AccountAccess, AccountState, OrganizationAccount
    from bulkjobs._api import run, run_sync, validate
    from bulkjobs._client import CallError, Clients
    from bulkjobs._deletejob import DeletionTimes
    from bulkjobs._engine import Engine, EngineStatistics
    from bulkjobs._follow import CancelWatch, ServerSideCancel, follow_cancellations
    from bulkjobs._metrics import MetricsTextfile
    from bulkjobs._rate import RateStatistics, parse_rate
    from bulkjobs._reportfiles import redraw_report
    from bulkjobs._s3 import (
        Encryption,
        LocalStore,
        ReportStore,
        S3Location,
        S3Store,
        download,
        is_s3_url,
        s3_client,
    )
    from bulkjobs._session import RunSession, Source
    from bulkjobs._survey import (
        DestinationJobs,
        JobSelection,
        JobSurvey,
        describe_jobs,
        describe_jobs_in,
        select_jobs,
    )
    from bulkjobs._verify import Verification, report_targets

__version__ = "0.1.0"

# The engine pulls in aiobotocore, botocore and aiohttp (~0.4 s). Loaded on first use,
# so `bulkjobs --help`, input validation and the simulator start without it.
_LAZY = {
    "run": "bulkjobs._api",
    "run_sync": "bulkjobs._api",
    "validate": "bulkjobs._api",
    "Engine": "bulkjobs._engine",
    "EngineStatistics": "bulkjobs._engine",
    "RateStatistics": "bulkjobs._rate",
    "parse_rate": "bulkjobs._rate",
    "MetricsTextfile": "bulkjobs._metrics",
    "redraw_report": "bulkjobs._reportfiles",
    "JobSelection": "bulkjobs._survey",
    "JobSurvey": "bulkjobs._survey",
    "describe_jobs": "bulkjobs._survey",
    "select_jobs": "bulkjobs._survey",
    "describe_jobs_in": "bulkjobs._survey",
    "DestinationJobs": "bulkjobs._survey",
    "RunSession": "bulkjobs._session",
    "DeletionTimes": "bulkjobs._deletejob",
    "AccountAccess": "bulkjobs._accounts",
    "AccountState": "bulkjobs._accounts",
    "OrganizationAccount": "bulkjobs._accounts",
    "Clients": "bulkjobs._client",
    "CallError": "bulkjobs._client",
    "CancelWatch": "bulkjobs._follow",
    "ServerSideCancel": "bulkjobs._follow",
    "follow_cancellations": "bulkjobs._follow",
    **{
        name: "bulkjobs._s3"
        for name in (
            "Encryption",
            "LocalStore",
            "ReportStore",
            "S3Location",
            "S3Store",
            "download",
            "is_s3_url",
            "s3_client",
        )
    },
    "Source": "bulkjobs._session",
    "Verification": "bulkjobs._verify",
    "report_targets": "bulkjobs._verify",
}


__getattr__ = lazy_attributes("bulkjobs", _LAZY)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "ACTIVE_STATUSES",
    "FRESH",
    "JOB_STATUSES",
    "TARGET_SELECTIONS",
    "AccountAccess",
    "AccountState",
    "ApiCaller",
    "ApiError",
    "AssumeRole",
    "BulkJobsError",
    "CallError",
    "CancelExecution",
    "CancelJob",
    "CancelWatch",
    "Clients",
    "ConfigurationError",
    "DedupStatistics",
    "Deduplicator",
    "DeleteExecution",
    "DeleteJob",
    "DeletionTimes",
    "Destination",
    "DestinationJobs",
    "Encryption",
    "Engine",
    "EngineStatistics",
    "Estimate",
    "FileScan",
    "FileSource",
    "FilterStatistics",
    "FromFile",
    "FromJob",
    "FromJobs",
    "FromQuery",
    "FromThing",
    "FromThingGroup",
    "InvalidInputError",
    "InvalidTarget",
    "JobCounts",
    "JobSelection",
    "JobSurvey",
    "Listed",
    "ListedJob",
    "ListingFilter",
    "LocalStore",
    "MetricsTextfile",
    "Operation",
    "OrganizationAccount",
    "Outcome",
    "OutcomeKind",
    "Plan",
    "RateStatistics",
    "Report",
    "ReportStore",
    "Request",
    "Result",
    "RunConfig",
    "RunInterrupted",
    "RunSession",
    "S3Location",
    "S3Store",
    "SelectedJob",
    "ServerSideCancel",
    "Source",
    "Target",
    "ValidationIssue",
    "Verification",
    "Verify",
    "__version__",
    "atomic_write_text",
    "describe_jobs",
    "describe_jobs_in",
    "download",
    "follow_cancellations",
    "format_duration",
    "from_job",
    "from_query",
    "from_thing",
    "from_thing_group",
    "is_s3_url",
    "iter_file_targets",
    "parse_age",
    "parse_rate",
    "plural",
    "redraw_report",
    "report_targets",
    "run",
    "run_sync",
    "s3_client",
    "scan_file",
    "select_jobs",
    "validate",
]
