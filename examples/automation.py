"""bulkjobs from an automation: a Lambda-style handler that cancels a job on some things.

    python examples/automation.py                  # a rehearsal on a local simulator
    python examples/automation.py --p503 0.5       # …on a flaky service: the handler stops early
    python examples/automation.py --event event.json --endpoint-url https://iot.eu-west-1.amazonaws.com

``handler(event, context)`` streams outcomes as targets finish, collects the things it
could not stop, stops the run once failures pass ``maxFailures`` (the rest are reported
as interrupted, none is lost) and returns a summary dict. With a Lambda context it also
stops cleanly 30 s before the invocation's time runs out; with ``reportDir`` (a
directory that outlives the invocation) it keeps the report and the journal there, and
the next invocation with the same event resumes: it skips what the journal finished and
its summary still counts every target once (``finished`` says whether to invoke again).

Event: {"jobId": "fw-2026-11", "thingNames": [...], "force": true, "maxFailures": 10,
"region": "eu-west-1", "maxAttempts": 10, "endpointUrl": null, "reportDir": null}
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import anyio
import structlog
from _rehearsal import endpoint, on_simulator

from bulkjobs import (
    CancelExecution,
    InvalidInputError,
    OutcomeKind,
    Result,
    RunConfig,
    RunSession,
    Target,
    validate,
)
from bulkjobs.sim import FleetSpec, SimConfig

#: The rehearsal: 120 devices, a fifth of them running the job's update right now.
REHEARSAL_FLEET = FleetSpec(things=120, job_ids=("fw-2026-11",), in_progress=0.2, seed=5)


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def describe(result: Result) -> dict[str, Any]:
    return {
        "thingName": result.target.thing_name,
        "outcome": result.outcome.value,
        "errorCode": result.error_code,
    }


async def cancel(
    targets: list[Target],
    operation: CancelExecution,
    config: RunConfig,
    max_failures: int,
    report_dir: str | None = None,
) -> dict[str, Any]:
    # A journal in the report directory means an earlier invocation ran: continue it.
    resume = report_dir is not None and (Path(report_dir) / "journal.jsonl").is_file()
    session = RunSession(targets, operation, config, report=report_dir, resume=resume)
    not_stopped: list[dict[str, Any]] = []
    failures = 0

    def watch(result: Result) -> None:
        nonlocal failures
        kind = result.outcome.kind
        if kind in (OutcomeKind.FAILED, OutcomeKind.SKIPPED):
            not_stopped.append(describe(result))
        if kind is OutcomeKind.FAILED:
            failures += 1
            if failures > max_failures and session.stop_reason is None:
                # Unstarted targets still come through, as interrupted.
                session.stop(f"more than {max_failures} targets failed")

    report = await session.run(on_result=watch)
    return {
        "finished": report.count_kind(OutcomeKind.INTERRUPTED) == 0,
        "resumed": resume,
        "carried": report.carried,
        "ok": report.exit_code == 0,
        "total": report.total,
        "outcomes": report.outcomes,
        "notStopped": not_stopped[:100],
        "notStoppedCount": len(not_stopped),
        "interrupted": report.count_kind(OutcomeKind.INTERRUPTED),
        "stopReason": report.stop_reason,
        "wallTimeSeconds": round(report.wall_time, 3),
    }


def handler(event: Mapping[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    """Cancel ``event["jobId"]`` on ``event["thingNames"]``; return what happened."""
    operation = CancelExecution(force=bool(event.get("force", False)))
    targets = [Target(job_id=event["jobId"], thing_name=name) for name in event["thingNames"]]
    try:
        validate(targets, operation)  # every broken rule at once; nothing sent
    except InvalidInputError as exc:
        return {"ok": False, "error": "invalid input", "issues": [str(i) for i in exc.issues]}
    deadline = None
    if context is not None:  # leave time to return the answer
        deadline = max(1.0, context.get_remaining_time_in_millis() / 1000 - 30)
    config = RunConfig(
        region=event.get("region"),
        endpoint_url=event.get("endpointUrl"),
        max_attempts=int(event.get("maxAttempts", 10)),
        deadline=deadline,
    )
    summary: dict[str, Any] = anyio.run(
        cancel,
        targets,
        operation,
        config,
        int(event.get("maxFailures", 10)),
        event.get("reportDir"),
    )
    return summary


def configure_logging() -> None:
    """bulkjobs logs each target at DEBUG and failures at WARNING through structlog;
    unconfigured, structlog would print them all. Keep warnings, as JSON, on stderr."""
    structlog.configure(
        processors=[structlog.processors.add_log_level, structlog.processors.JSONRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )


def main() -> int:
    configure_logging()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--endpoint-url", help="default: a simulator started here")
    parser.add_argument("--p503", type=float, default=0.0, help="rehearsal: share of 503s")
    parser.add_argument("--event", type=Path, help="the event as JSON; on a simulator: every thing")
    args = parser.parse_args()
    if args.event is None and not on_simulator(args.endpoint_url):
        parser.error("against AWS, give the targets with --event FILE")
    event: dict[str, Any] = {
        "jobId": "fw-2026-11",
        "thingNames": [REHEARSAL_FLEET.thing_name(i) for i in range(1, REHEARSAL_FLEET.things + 1)],
        "force": True,  # also stop the devices already running the update
        "maxFailures": 10,
        "maxAttempts": 2,  # few retries: an automation fails fast and reports
        "region": "us-east-1",
    }
    if args.event is not None:
        event = json.loads(args.event.read_text(encoding="utf-8"))
    rehearsal = SimConfig(quota=100, p503=args.p503, seed=5)
    with endpoint(args.endpoint_url, REHEARSAL_FLEET, rehearsal) as url:
        summary = handler({**event, "endpointUrl": url})
    print(json.dumps(summary, indent=2))
    return 0 if summary["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
