"""``bulkjobs demo``: an emergency cancel rehearsed against the built-in simulator.

A fleet where a bad firmware job is half rolled out (some executions QUEUED, some
IN_PROGRESS, devices still moving them), an API quota bulkjobs is not told, a few 503s —
and the exact command an operator would type, run against it. The simulator runs in a
process of its own, as AWS would be: sharing this one's event loop and core would
measure the simulator, not bulkjobs. At the end the server is asked, through the API,
whether any execution of the job is still running.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bulkjobs import Verification

__all__ = ["run_demo"]

JOB_ID = "fw-rollout-42"
_RUNNING = ("QUEUED", "IN_PROGRESS")


def run_demo(args: argparse.Namespace) -> int:
    import anyio

    # The simulator checks a signature's shape, not its secret: never send real
    # credentials to it, and need none on a fresh machine.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "AKIADEMODEMODEMODEMO"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "demo-secret-not-a-real-key"
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    simulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bulkjobs.sim",
            "--things",
            str(args.things),
            "--job-id",
            JOB_ID,
            "--in-progress",
            "0.3",
            "--terminal",
            "0.1",
            "--quota",
            f"{args.quota:g}",
            "--latency-ms",
            "20",
            "--latency-sigma",
            "0.5",
            "--p503",
            "0.01",
            "--churn",
            f"{max(1.0, args.things / 50):g}",
            "--seed",
            str(args.seed),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert simulator.stdout is not None
        endpoint = simulator.stdout.readline().strip()
        if not endpoint.startswith("http://127.0.0.1:"):
            print("bulkjobs demo: the simulator did not start", file=sys.stderr)
            return 1
        return anyio.run(_demo, args, endpoint)
    finally:
        simulator.terminate()
        try:
            simulator.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            simulator.kill()


async def _check(endpoint: str) -> Verification:
    """The demo job's executions read as ``bulkjobs verify --job-id JOB --from-job``
    reads them: listed through the API, through the same retries (the simulator's 503s
    included), each status counted and every one still running named."""
    from bulkjobs import FromJob, RunConfig, RunSession, Verify

    config = RunConfig(region="us-east-1", endpoint_url=endpoint)
    report = await RunSession(FromJob(job_id=JOB_ID), Verify(), config).run()
    assert report.verification is not None  # a Verify run always adds it up
    return report.verification


async def _demo(args: argparse.Namespace, endpoint: str) -> int:
    err = sys.stderr
    before = (await _check(endpoint)).statuses
    print(
        f"simulator: {endpoint} — job {JOB_ID} on {args.things:,} devices: "
        + ", ".join(f"{n:,} {s}" for s, n in sorted(before.items()))
        + f"; API quota {args.quota:g}/s (not told to bulkjobs); 1% 503s; devices keep "
        "updating their executions during the run.",
        file=err,
    )
    if args.report:
        return await _rehearse(args, endpoint, args.report, kept=True)
    # A temporary report, removed with the demo: a demo run leaves nothing behind.
    with tempfile.TemporaryDirectory(prefix="bulkjobs-demo-") as report_dir:
        return await _rehearse(args, endpoint, report_dir, kept=False)


async def _rehearse(args: argparse.Namespace, endpoint: str, report_dir: str, *, kept: bool) -> int:
    from bulkjobs.cli._inputs import apply_cli_input
    from bulkjobs.cli._options import resolve
    from bulkjobs.cli._output import configure_logging
    from bulkjobs.cli._parser import build_parser
    from bulkjobs.cli._run import execute

    err = sys.stderr
    argv = [
        "cancel-job-execution",
        "--job-id",
        JOB_ID,
        "--from-job",
        "--status",
        ",".join(_RUNNING),
        "--force",
        "--yes",
        "--endpoint-url",
        endpoint,
        "--region",
        "us-east-1",
        "--report",
        report_dir,
    ]
    print("running: bulkjobs " + " ".join(argv), file=err, flush=True)
    parsed: Any = build_parser().parse_args(argv)
    apply_cli_input(parsed)
    opts = resolve(parsed)
    configure_logging(opts.log_format, verbose=False, quiet=False)
    code = await execute(opts, argv, stdout=sys.stdout, stderr=err)
    # The check `bulkjobs verify` makes, asked of the server after the run.
    after = await _check(endpoint)
    left = {s: n for s, n in after.running.items() if n}
    print(
        f"server check: {after.still_running} executions of {JOB_ID} left QUEUED or "
        f"IN_PROGRESS{f' {left}' if left else ''}; now "
        + ", ".join(f"{n:,} {s}" for s, n in sorted(after.statuses.items()))
        + f" (read as `bulkjobs verify --job-id {JOB_ID} --from-job` reads them)",
        file=err,
    )
    if kept:
        print(
            f"report: {report_dir}/report.html (open it in a browser), summary.json, results.jsonl",
            file=err,
        )
    else:
        print(
            "report: written to a temporary directory and removed with it; "
            "`bulkjobs demo --report DIR` keeps report.html, summary.json and results.jsonl",
            file=err,
        )
    return code
