"""bulkjobs.sim: a local AWS IoT Jobs control plane to rehearse against and test with.

It speaks the IoT REST-JSON wire protocol, so an unmodified boto3 or aiobotocore client
pointed at ``endpoint_url`` works, and it enforces the API's rules itself (patterns,
state transitions, versions), independently of the client code it tests. On top it
models what a real account does to a bulk run: per-API quotas and throttling, 503s,
latency, connection resets, lost responses, restarts, and devices moving their
executions while the run goes on.

    from bulkjobs.sim import FleetSpec, SimConfig, Simulator

    async with Simulator(SimConfig(quota=10), FleetSpec(things=40_000)) as sim:
        ...  # point a client at sim.endpoint_url; read sim.statistics()

From a shell: ``python -m bulkjobs.sim --things 40000 --job-id fw-42`` (or
``bulkjobs simulate ...``) prints the endpoint URL as its first line.
"""

from typing import TYPE_CHECKING

from bulkjobs._lazy import lazy_attributes
from bulkjobs.sim._config import (
    AWS_CANCEL_JOB_RATE,
    AWS_DEFAULT_QUOTAS,
    AWS_DEFAULT_TPS,
    THING_INDEX,
    Latency,
    SimConfig,
)
from bulkjobs.sim._errors import ERROR_STATUS, ErrorCode
from bulkjobs.sim._fleet import FleetSpec
from bulkjobs.sim._model import (
    MUTATING_OPERATIONS,
    ExecutionSnapshot,
    ExecutionStatus,
    JobSnapshot,
    JobStatus,
    Operation,
)
from bulkjobs.sim._organizations import OrgAccount, Organization, OrgUnit
from bulkjobs.sim._quota import QuotaChange
from bulkjobs.sim._stats import OperationStatistics, SimStatistics

if TYPE_CHECKING:
    from bulkjobs.sim._serve import run_simulator, serve
    from bulkjobs.sim._simulator import Simulator
    from bulkjobs.sim._thread import ThreadedSimulator

# The server side (aiohttp.web) loads on first use, so the CLI can describe
# `bulkjobs simulate`'s options without it.
_LAZY = {
    "run_simulator": "bulkjobs.sim._serve",
    "serve": "bulkjobs.sim._serve",
    "Simulator": "bulkjobs.sim._simulator",
    "ThreadedSimulator": "bulkjobs.sim._thread",
}


__getattr__ = lazy_attributes("bulkjobs.sim", _LAZY)


__all__ = [
    "AWS_CANCEL_JOB_RATE",
    "AWS_DEFAULT_QUOTAS",
    "AWS_DEFAULT_TPS",
    "ERROR_STATUS",
    "MUTATING_OPERATIONS",
    "THING_INDEX",
    "ErrorCode",
    "ExecutionSnapshot",
    "ExecutionStatus",
    "FleetSpec",
    "JobSnapshot",
    "JobStatus",
    "Latency",
    "Operation",
    "OperationStatistics",
    "OrgAccount",
    "OrgUnit",
    "Organization",
    "QuotaChange",
    "SimConfig",
    "SimStatistics",
    "Simulator",
    "ThreadedSimulator",
    "run_simulator",
    "serve",
]
