"""A Lambda-style handler that works from S3: a manifest in, a resumable report out.

    python examples/lambda_s3.py [PAGE.html]   # a rehearsal on loopback: moto's S3 and the
                                               # simulator; saves the run's report.html

``handler(event, context)`` cancels the job executions an S3 manifest lists (a CSV with
a ``thingName`` column, optionally ``jobId`` and ``region``; or, with ``"inputFormat":
"csv-noheader"``, rows of ``thingName,jobId`` without a header, as S3 Batch Operations
keeps its manifests), writing the report as S3 objects. It stops cleanly
``marginSeconds`` before the invocation's time runs out, and says whether it is done:
a Step Functions loop (or an EventBridge retry) invokes it again with the same event,
and the next invocation resumes from the journal in S3 — the report under the prefix,
``report.html`` included, then shows the whole run, every invocation of it.

It is one ``bulkjobs.run_sync`` call: the library reads the manifest from S3, keeps the
journal there in segments as the run goes and resumes from it, as ``bulkjobs
cancel-job-execution --things-file s3://… --report s3://… --resume`` does.

Event: {"manifest": "s3://bucket/manifest.csv", "report": "s3://bucket/runs/fw-2026-11/",
"inputFormat": "auto", "jobId": "fw-2026-11", "force": true, "region": "eu-west-1",
"rate": "auto", "marginSeconds": 30, "sse": "aws:kms", "kmsKeyId": null, "endpointUrl": null}
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, Protocol

import bulkjobs


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def settings(event: Mapping[str, Any], seconds_left: float) -> bulkjobs.RunConfig:
    """The run's settings for ``event`` with ``seconds_left`` in this invocation: it
    stops cleanly ``marginSeconds`` before the time runs out."""
    margin = float(event.get("marginSeconds", 30))
    return bulkjobs.RunConfig(
        region=event.get("region"),
        endpoint_url=event.get("endpointUrl"),
        rate=bulkjobs.parse_rate(str(event.get("rate", "auto"))),
        deadline=max(1.0, seconds_left - margin),
    )


def handler(event: Mapping[str, Any], context: LambdaContext | None) -> dict[str, Any]:
    """Run one invocation's share of the work; ``done`` False means: invoke me again."""
    seconds = 900.0 if context is None else context.get_remaining_time_in_millis() / 1000
    try:
        report = bulkjobs.run_sync(
            bulkjobs.FromFile(
                path=str(event["manifest"]),
                job_id=event.get("jobId"),
                input_format=str(event.get("inputFormat", "auto")),
            ),
            bulkjobs.CancelExecution(force=bool(event.get("force"))),
            settings(event, seconds),
            report=str(event["report"]),
            # The first invocation finds no journal; every later one carries on from it.
            resume=True,
            encryption=bulkjobs.Encryption(sse=event.get("sse"), kms_key_id=event.get("kmsKeyId")),
        )
    except bulkjobs.BulkJobsError as exc:  # bad input or settings: nothing was sent
        return {"done": True, "exitCode": 2, "error": str(exc)}
    unfinished = report.count_kind(bulkjobs.OutcomeKind.INTERRUPTED)
    return {
        "done": unfinished == 0,
        "exitCode": report.exit_code,
        "total": report.total,
        "outcomes": report.outcomes,
        "unfinished": unfinished,
        "report": str(event["report"]),
    }


class _Context:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def get_remaining_time_in_millis(self) -> int:
        return int(self.seconds * 1000)


def rehearse(things: int = 2000, page: str | None = None) -> int:
    """Two invocations against moto's S3 and the simulator: the first runs out of time."""
    import boto3
    from moto.server import ThreadedMotoServer

    from bulkjobs.sim import FleetSpec, SimConfig, ThreadedSimulator

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "AKIAREHEARSAL0000000")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "rehearsal-not-a-secret")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    fleet = FleetSpec(things=things, job_ids=("fw-2026-11",), in_progress=0.2, seed=4)
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    s3.start()
    try:
        host, port = s3.get_host_and_port()
        os.environ["AWS_ENDPOINT_URL_S3"] = f"http://{host}:{port}"
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="fleet-ops")
        # As S3 Batch Operations keeps a manifest: thingName,jobId rows, no header.
        rows = [f"thing-{n:06d},fw-2026-11" for n in range(1, things + 1)]
        client.put_object(Bucket="fleet-ops", Key="manifests/fw.csv", Body="\n".join(rows))
        with ThreadedSimulator(SimConfig(quota=500, seed=4), fleet) as sim:
            event = {
                "manifest": "s3://fleet-ops/manifests/fw.csv",
                "report": "s3://fleet-ops/runs/fw-2026-11/",
                "inputFormat": "csv-noheader",
                "force": True,
                "region": "us-east-1",
                "rate": "400",
                "marginSeconds": 0.5,
                "endpointUrl": sim.endpoint_url,
            }
            # A short first invocation, as a Lambda near its timeout would be.
            first = handler(event, _Context(3.0))
            print(json.dumps({"invocation": 1, **first}))
            second = handler(event, _Context(120))
            print(json.dumps({"invocation": 2, **second}))
        if page is not None:
            html = client.get_object(Bucket="fleet-ops", Key="runs/fw-2026-11/report.html")
            with open(page, "wb") as out:
                out.write(html["Body"].read())
        return 0 if second["done"] and not first["done"] else 1
    finally:
        s3.stop()


if __name__ == "__main__":
    sys.exit(rehearse(page=sys.argv[1] if len(sys.argv) > 1 else None))
