"""bulkjobs: cancel and delete AWS IoT job executions in bulk, losing none.

    import bulkjobs

    report = bulkjobs.run_sync(
        [bulkjobs.Target(job_id="fw-42", thing_name=name) for name in names],
        bulkjobs.CancelExecution(force=True),
        bulkjobs.RunConfig(region="eu-west-1"),
    )
    print(report.outcomes)

For streaming, ``async with Engine(op, config).results(targets) as results``.
"""

from bulkjobs._api import run, run_sync, validate
from bulkjobs._config import RunConfig
from bulkjobs._engine import Engine, EngineStatistics
from bulkjobs._exceptions import (
    ApiError,
    BulkJobsError,
    ConfigurationError,
    CredentialsError,
    InvalidInputError,
    RunInterrupted,
    ValidationIssue,
)
from bulkjobs._models import (
    FRESH,
    CancelExecution,
    CancelJob,
    DeleteExecution,
    InvalidTarget,
    Operation,
    Outcome,
    OutcomeKind,
    Result,
    Target,
)
from bulkjobs._report import Report

__version__ = "0.1.0"

__all__ = [
    "FRESH",
    "ApiError",
    "BulkJobsError",
    "CancelExecution",
    "CancelJob",
    "ConfigurationError",
    "CredentialsError",
    "DeleteExecution",
    "Engine",
    "EngineStatistics",
    "InvalidInputError",
    "InvalidTarget",
    "Operation",
    "Outcome",
    "OutcomeKind",
    "Report",
    "Result",
    "RunConfig",
    "RunInterrupted",
    "Target",
    "ValidationIssue",
    "__version__",
    "run",
    "run_sync",
    "validate",
]
