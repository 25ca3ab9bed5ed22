"""Stop a bad rollout: cancel, with force, a job's executions on every thing of a group.

    python examples/emergency_cancel.py            # a rehearsal on a local simulator
    python examples/emergency_cancel.py --job-id fw-2026-11 --thing-group canary \\
        --region eu-west-1 --endpoint-url https://iot.eu-west-1.amazonaws.com

The run is the library's: things come from ListThingsInThingGroup (child groups
included); QUEUED and IN_PROGRESS executions are cancelled (``force`` stops the ones
devices are running), terminal ones are left as they are. The report lands in
``--report DIR`` with a journal — the same files the CLI writes — so an interrupted run
resumes with ``--resume`` here, or with the ``bulkjobs`` command printed before it
starts. Afterwards the devices that were not stopped are listed from ``results.jsonl``.

Exit code: the report's — 0 every execution stopped or already over, 1 some not, 2
nothing sent (bad input, a used report directory, or no confirmation).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

from _rehearsal import endpoint, on_simulator

from bulkjobs import (
    BulkJobsError,
    CancelExecution,
    FromThingGroup,
    InvalidInputError,
    RunConfig,
    run_sync,
)
from bulkjobs.sim import FleetSpec, SimConfig

#: The rehearsal: a bad firmware job half rolled out over 150 devices in 4 groups under
#: the root group "fleet", devices still updating their executions, a quota of 100/s.
REHEARSAL_FLEET = FleetSpec(
    things=150, job_ids=("fw-2026-11",), in_progress=0.3, terminal=0.1, groups=4, seed=11
)
REHEARSAL_SIM = SimConfig(quota=100, churn_rate=10, seed=11)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--job-id", help="on a simulator, default: fw-2026-11")
    parser.add_argument("--thing-group", help="child groups included; on a simulator: fleet")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--endpoint-url", help="default: a simulator started here")
    parser.add_argument("--report", help="default: cancel-JOB-YYYYmmddTHHMMSS")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    parser.add_argument("--resume", action="store_true", help="continue the run in --report")
    args = parser.parse_args()
    if on_simulator(args.endpoint_url):
        args.job_id = args.job_id or REHEARSAL_FLEET.job_ids[0]
        args.thing_group = args.thing_group or REHEARSAL_FLEET.root_group
    elif args.job_id is None or args.thing_group is None:
        parser.error("against AWS, name the --job-id and the --thing-group")
    return args


def not_stopped(report: Path) -> list[dict[str, object]]:
    """Targets left running: failed, skipped by a rule, or never reached."""
    with (report / "results.jsonl").open(encoding="utf-8") as lines:
        results = [json.loads(line) for line in lines]
    return [r for r in results if r["kind"] in ("failed", "skipped", "interrupted")]


def confirmed(args: argparse.Namespace) -> bool:
    """Ask at a terminal before force-cancelling a real fleet; refuse without one."""
    if not sys.stdin.isatty():
        return False
    answer = input(f"force-cancel job {args.job_id} on group {args.thing_group}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def main() -> int:
    args = parse_args()
    report = Path(args.report or f"cancel-{args.job_id}-{time.strftime('%Y%m%dT%H%M%S')}")
    with endpoint(args.endpoint_url, REHEARSAL_FLEET, REHEARSAL_SIM) as url:
        argv = [
            "cancel-job-execution",
            "--job-id", args.job_id,
            "--thing-group", args.thing_group, "--recursive",
            "--force",
            "--status-details", "reason=emergency-cancel",
            "--report", str(report),
            "--region", args.region,
            "--endpoint-url", url,
        ]  # fmt: skip
        argv.append("--yes")
        resume = shlex.join(["bulkjobs", *argv, "--resume"])
        print(f"report and journal: {report}/\nif interrupted, resume with:\n  {resume}\n")
        if not (args.yes or args.endpoint_url is None or confirmed(args)):
            print("not confirmed: nothing was sent", file=sys.stderr)
            return 2
        try:
            done = run_sync(
                FromThingGroup(group=args.thing_group, job_id=args.job_id, recursive=True),
                CancelExecution(force=True, status_details={"reason": "emergency-cancel"}),
                RunConfig(region=args.region, endpoint_url=url),
                report=report,
                resume=args.resume,
            )
        except (InvalidInputError, BulkJobsError) as exc:
            print(f"error: {exc}; nothing was sent", file=sys.stderr)
            return 2
        code = done.exit_code

    if (report / "summary.json").exists():
        summary = json.loads((report / "summary.json").read_text(encoding="utf-8"))
        left = not_stopped(report)
        print(f"\n{summary['total']} targets: {summary['outcomes']}; exit code {code}")
        for result in left[:10]:
            print(f"  NOT STOPPED {result['thingName']}: {result['outcome']} {result['message']}")
        if len(left) > 10:
            print(f"  … {len(left) - 10} more in {report}/results.jsonl")
    return code


if __name__ == "__main__":
    sys.exit(main())
