"""Nightly cleanup: delete terminal job executions older than 30 days, across jobs.

    python examples/scheduled_cleanup.py           # a rehearsal on a local simulator
    python examples/scheduled_cleanup.py --job-id fw-2026-09 --job-id fw-2026-10 \\
        --region eu-west-1 --endpoint-url https://iot.eu-west-1.amazonaws.com

Each job is listed once per terminal status (ListJobExecutionsForJob filters by one
status a call), executions last updated before the cutoff are kept, and each is deleted
with its listed executionNumber — no force, so an execution that is not terminal is never
touched. All jobs share one run, so one rate controller paces every call; a job whose
listing fails is logged and the run goes on to the next one (``listing_errors=
"continue"``), so one broken job does not keep the others' old executions.

For one job per run, the CLI does the same; bulkjobs-cleanup.service and crontab beside
this file schedule it:

    bulkjobs delete-job-execution --job-id fw-2026-10 --from-job \\
        --status SUCCEEDED,FAILED,CANCELED,TIMED_OUT,REJECTED,REMOVED --older-than 30d \\
        --yes --log-format json --report DIR

Logs are JSON lines on stderr (for journald or a log shipper): the start, each target
that failed, each job that could not be listed, and a final line with the counts.
Exit code, for the scheduler: 0 every old execution deleted or already gone, 1 some
failed or a job could not be listed, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter, defaultdict
from datetime import UTC, datetime

import anyio
import structlog
from _rehearsal import endpoint, on_simulator

from bulkjobs import (
    DeleteExecution,
    FromJob,
    InvalidInputError,
    ListingFilter,
    Result,
    RunConfig,
    RunSession,
    parse_age,
)
from bulkjobs.sim import FleetSpec, SimConfig

TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "TIMED_OUT", "REJECTED", "REMOVED")

#: The rehearsal: three jobs on 150 devices, most executions over, spread over 180 days.
REHEARSAL_FLEET = FleetSpec(
    things=150,
    job_ids=("fw-2026-09", "fw-2026-10", "fw-2026-11"),
    in_progress=0.1,
    terminal=0.7,
    max_age_days=180,
    seed=3,
)
REHEARSAL_SIM = SimConfig(quota=100, seed=3)

log = structlog.get_logger("cleanup")


def configure_json_logs() -> None:
    """One JSON object per line on stderr, INFO and up (bulkjobs logs failures as WARNING)."""
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--job-id", action="append", dest="job_ids", help="repeatable; on a simulator: 3 jobs"
    )
    parser.add_argument("--older-than", default="30d", help="30d, 12h, or an ISO date")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--endpoint-url", help="default: a simulator started here")
    parser.add_argument("--deadline", type=float, help="stop cleanly after S seconds")
    args = parser.parse_args()
    if args.job_ids is None and not on_simulator(args.endpoint_url):
        parser.error("against AWS, name the jobs to clean up with --job-id")
    return args


async def cleanup(args: argparse.Namespace, cutoff: datetime, endpoint_url: str) -> int:
    jobs = args.job_ids or REHEARSAL_FLEET.job_ids
    config = RunConfig(region=args.region, endpoint_url=endpoint_url, deadline=args.deadline)
    keep = ListingFilter(statuses=TERMINAL, cutoff=cutoff)
    try:
        # Checked before the run (listings page lazily): a malformed job id stops it here.
        session = RunSession(
            [FromJob(job_id=job_id, statuses=TERMINAL) for job_id in jobs],
            DeleteExecution(),
            config,
            listing_filter=keep,
            listing_errors="continue",
        )
    except InvalidInputError as exc:
        log.error("cleanup.invalid_arguments", error=str(exc))
        return 2
    per_job: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def count(result: Result) -> None:
        per_job[result.target.job_id][result.outcome.value] += 1

    log.info("cleanup.started", jobs=jobs, cutoff=cutoff.isoformat(), statuses=TERMINAL)
    report = await session.run(on_result=count)
    unlisted = [spec.job_id for spec, _ in session.failed_listings if isinstance(spec, FromJob)]
    stats = keep.statistics()
    log.info(
        "cleanup.finished",
        # 1 when a job could not be listed: its old executions are still there.
        exit_code=report.exit_code,
        outcomes=report.outcomes,
        jobs={job: dict(counts) for job, counts in per_job.items()},
        unlisted_jobs=unlisted,
        listed=stats.seen,
        too_recent=stats.too_recent,
        stop_reason=report.stop_reason,
        wall_time_s=round(report.wall_time, 2),
        throttles=report.throttles,
    )
    return report.exit_code


def main() -> int:
    configure_json_logs()
    args = parse_args()
    try:
        cutoff = parse_age(args.older_than, now=datetime.now(UTC))
    except InvalidInputError as exc:
        log.error("cleanup.invalid_arguments", error=str(exc))
        return 2
    with endpoint(args.endpoint_url, REHEARSAL_FLEET, REHEARSAL_SIM) as url:
        return anyio.run(cleanup, args, cutoff, url)


if __name__ == "__main__":
    sys.exit(main())
