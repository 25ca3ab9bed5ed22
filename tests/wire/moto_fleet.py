"""Seeding moto's IoT backend over its own API (and its in-process state where moto
has no API: there is no iot-jobs-data, so execution states are set on the backend)."""

from __future__ import annotations

from typing import Any

import boto3


def iot_client(endpoint: str) -> Any:
    return boto3.client("iot", endpoint_url=endpoint, region_name="us-east-1")


def create_fleet(endpoint: str, job_id: str, count: int, prefix: str = "thing") -> list[str]:
    """``count`` things and one job targeting all of them; returns the thing names."""
    client = iot_client(endpoint)
    names = [f"{prefix}-{i:05d}" for i in range(count)]
    arns = [client.create_thing(thingName=name)["thingArn"] for name in names]
    client.create_job(jobId=job_id, targets=arns, document="{}")
    return names


def set_status(job_id: str, thing_name: str, status: str) -> None:
    """Move an execution the way a device would (moto lacks iot-jobs-data)."""
    from moto.backends import get_backend

    backend = get_backend("iot")["123456789012"]["us-east-1"]
    backend.job_executions[(job_id, thing_name)].status = status


def statuses(endpoint: str, job_id: str) -> dict[str, str]:
    """thing name → execution status, read back through the API."""
    client = iot_client(endpoint)
    found: dict[str, str] = {}
    for page in client.get_paginator("list_job_executions_for_job").paginate(jobId=job_id):
        for summary in page["executionSummaries"]:
            name = summary["thingArn"].rsplit("/", 1)[-1]
            found[name] = summary["jobExecutionSummary"]["status"]
    return found
