"""``bulkjobs demo``: an emergency cancel rehearsed against the built-in simulator.

A fleet where a bad firmware job is half rolled out (some executions QUEUED, some
IN_PROGRESS, devices still moving them), an API quota bulkjobs is not told, a few 503s —
and the exact command an operator would type, run against it. At the end the
simulator's own state is checked: no execution of the job may be left running.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import Counter

__all__ = ["run_demo"]

JOB_ID = "fw-rollout-42"


def run_demo(args: argparse.Namespace) -> int:
    import anyio

    # The simulator checks signatures' shape, not their secret: never send real
    # credentials to it, and need none on a fresh machine.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "AKIADEMODEMODEMODEMO"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "demo-secret-not-a-real-key"
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    return anyio.run(_demo, args)


async def _demo(args: argparse.Namespace) -> int:
    from bulkjobs.cli._inputs import apply_cli_input
    from bulkjobs.cli._options import resolve
    from bulkjobs.cli._output import configure_logging
    from bulkjobs.cli._parser import build_parser
    from bulkjobs.cli._run import execute
    from bulkjobs.sim import ExecutionStatus, FleetSpec, Latency, SimConfig, Simulator

    fleet = FleetSpec(
        things=args.things,
        job_ids=(JOB_ID,),
        in_progress=0.3,
        terminal=0.1,
        groups=4,
        seed=args.seed,
    )
    config = SimConfig(
        quota=args.quota,
        latency=Latency(median=0.02, sigma=0.5, maximum=0.5),
        p503=0.01,
        churn_rate=max(1.0, args.things / 50),
        seed=args.seed,
    )
    report_dir = args.report or tempfile.mkdtemp(prefix="bulkjobs-demo-")
    err = sys.stderr
    async with Simulator(config, fleet) as sim:
        before = Counter(e.status.value for e in sim.executions(JOB_ID))
        print(
            f"simulator: {sim.endpoint_url} — job {JOB_ID} on {args.things:,} devices: "
            + ", ".join(f"{n:,} {s}" for s, n in sorted(before.items()))
            + f"; API quota {args.quota:g}/s (not told to bulkjobs); 1% 503s; devices "
            "keep updating their executions during the run.",
            file=err,
        )
        argv = [
            "cancel-job-execution",
            "--job-id",
            JOB_ID,
            "--from-job",
            "--status",
            "QUEUED,IN_PROGRESS",
            "--force",
            "--yes",
            "--endpoint-url",
            sim.endpoint_url,
            "--region",
            "us-east-1",
            "--report",
            report_dir,
        ]
        print("running: bulkjobs " + " ".join(argv), file=err, flush=True)
        parsed = build_parser().parse_args(argv)
        apply_cli_input(parsed)
        opts = resolve(parsed)
        configure_logging(opts.log_format, verbose=False, quiet=False)
        code = await execute(opts, argv, stdout=sys.stdout, stderr=err)
        running = [
            e
            for e in sim.executions(JOB_ID)
            if e.status in (ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS)
        ]
        stats = sim.statistics()
    after = Counter(e.status.value for e in running)
    print(
        f"server check: {len(running)} executions of {JOB_ID} left QUEUED or IN_PROGRESS"
        + (f" ({dict(after)})" if running else "")
        + f"; the simulator answered {stats.total_requests:,} requests, "
        f"{stats.throttled:,} throttled.",
        file=err,
    )
    print(f"report: {report_dir}/summary.json and results.jsonl", file=err)
    return code
