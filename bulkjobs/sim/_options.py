"""The ``simulate`` options: the command-line names of the SimConfig and FleetSpec knobs,
and how parsed options become a configuration.

Option destinations are prefixed ``sim_`` so the subcommand cannot collide with options
of the main ``bulkjobs`` parser.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bulkjobs.sim._config import AWS_CANCEL_JOB_RATE, FAST_CANCEL_JOB_RATE, Latency, SimConfig
from bulkjobs.sim._fleet import DEFAULT_ATTRIBUTES, FleetSpec
from bulkjobs.sim._model import Operation
from bulkjobs.sim._quota import QuotaChange


def _tps(text: str) -> float | None:
    if text.lower() in ("none", "unlimited"):
        return None
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("a quota must be positive (or 'unlimited')")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value >= 0.0:
        raise argparse.ArgumentTypeError("must be 0 or more seconds")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def _op_quota(text: str) -> tuple[str, float | None]:
    name, _, tps = text.partition("=")
    try:
        return Operation(name).value, _tps(tps)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected OPERATION=TPS, got {text!r}") from exc


def _quota_change(text: str) -> QuotaChange:
    at, _, rest = text.partition(":")
    tps, _, operation = rest.partition(":")
    try:
        return QuotaChange(
            at=float(at),
            tps=_tps(tps),
            operation=Operation(operation).value if operation else None,
        )
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected SECONDS:TPS[:OPERATION], got {text!r}") from exc


def _attribute(text: str) -> tuple[str, tuple[str, ...]]:
    name, eq, values = text.partition("=")
    choices = tuple(v.strip() for v in values.split(",") if v.strip())
    if not eq or not name.strip() or not choices:
        raise argparse.ArgumentTypeError(f"expected NAME=V1,V2,..., got {text!r}")
    return name.strip(), choices


def _cancel_rate(text: str) -> float:
    if text.lower() == "aws":
        return AWS_CANCEL_JOB_RATE
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive (or 'aws')")
    return value


def add_simulate_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options to ``parser`` (the ``simulate`` subcommand's)."""
    net = parser.add_argument_group("listening")
    net.add_argument(
        "--host",
        dest="sim_host",
        default="127.0.0.1",
        metavar="HOST",
        help="address to listen on (default: 127.0.0.1)",
    )
    net.add_argument(
        "--port",
        dest="sim_port",
        type=int,
        default=0,
        metavar="PORT",
        help="port to listen on (default: a free one)",
    )
    net.add_argument(
        "--allow-remote",
        dest="sim_allow_remote",
        action="store_true",
        help="allow a non-loopback --host (the simulator has no authentication)",
    )

    net.add_argument(
        "--no-signature-check",
        dest="sim_check_signatures",
        action="store_false",
        help="also serve unsigned requests (plain HTTP load generators)",
    )

    fleet = parser.add_argument_group("fleet")
    fleet.add_argument(
        "--things",
        dest="sim_things",
        type=int,
        default=1000,
        metavar="N",
        help="things thing-000001..N (default: 1000)",
    )
    fleet.add_argument(
        "--job-id",
        dest="sim_job_ids",
        action="append",
        metavar="JOB",
        help="a job with an execution on every thing (repeatable; default: job-1)",
    )
    fleet.add_argument(
        "--jobs",
        dest="sim_jobs",
        type=int,
        default=0,
        metavar="N",
        help="N more jobs sim-job-00001..N: IN_PROGRESS, COMPLETED or CANCELED (about "
        "1:2:1), targeting a group or things, dated over --max-age-days (for ListJobs)",
    )
    fleet.add_argument(
        "--job-executions",
        dest="sim_job_executions",
        type=int,
        default=20,
        metavar="M",
        help="executions of each --jobs job (default: 20)",
    )
    fleet.add_argument(
        "--in-progress",
        dest="sim_in_progress",
        type=_share,
        default=0.0,
        metavar="F",
        help="share of executions IN_PROGRESS",
    )
    fleet.add_argument(
        "--terminal",
        dest="sim_terminal",
        type=_share,
        default=0.0,
        metavar="F",
        help="share of executions already terminal (rest: QUEUED)",
    )
    fleet.add_argument(
        "--groups",
        dest="sim_groups",
        type=int,
        default=0,
        metavar="K",
        help="child thing groups fleet-01..K under the root group 'fleet'",
    )
    fleet.add_argument(
        "--max-age-days",
        dest="sim_max_age_days",
        type=float,
        default=60.0,
        metavar="DAYS",
        help="timestamps spread over this many past days",
    )
    fleet.add_argument(
        "--max-execution-number",
        dest="sim_max_execution_number",
        type=int,
        default=1,
        metavar="N",
        help="execution numbers drawn from 1..N",
    )
    fleet.add_argument(
        "--attribute",
        dest="sim_attributes",
        action="append",
        type=_attribute,
        metavar="NAME=V1,V2,...",
        help="an attribute every thing gets, one of the values each (repeatable; "
        "default: hwRev=A1,B2,C3)",
    )
    fleet.add_argument(
        "--connected",
        dest="sim_connected",
        type=_share,
        default=0.5,
        metavar="F",
        help="share of things fleet indexing sees connected (default 0.5)",
    )
    fleet.add_argument(
        "--thing-index",
        dest="sim_thing_index",
        choices=["active", "building", "off"],
        default="active",
        help="state of fleet indexing's AWS_Things index: SearchIndex answers from it, "
        "IndexNotReadyException (building) or ResourceNotFoundException (off)",
    )
    fleet.add_argument(
        "--seed",
        dest="sim_seed",
        type=int,
        default=0,
        metavar="S",
        help="seed of the fleet and of the fault draws",
    )

    quota = parser.add_argument_group("quotas")
    quota.add_argument(
        "--quota",
        dest="sim_quota",
        type=_tps,
        default=10.0,
        metavar="TPS",
        help="requests/s per operation, or 'unlimited' (default: 10, as AWS)",
    )
    quota.add_argument(
        "--op-quota",
        dest="sim_op_quotas",
        type=_op_quota,
        action="append",
        default=[],
        metavar="OPERATION=TPS",
        help="one operation's quota (repeatable)",
    )
    quota.add_argument(
        "--quota-at",
        dest="sim_quota_schedule",
        type=_quota_change,
        action="append",
        default=[],
        metavar="SECONDS:TPS[:OPERATION]",
        help="change a quota at a time after start, e.g. 10:10 then 20:40",
    )
    quota.add_argument(
        "--burst-seconds",
        dest="sim_burst_seconds",
        type=float,
        default=1.0,
        metavar="S",
        help="burst allowance in seconds of quota (default: 1)",
    )
    quota.add_argument(
        "--no-service-quotas",
        dest="sim_service_quotas",
        action="store_false",
        help="answer Service Quotas requests AccessDeniedException, as for a caller "
        "without permission (default: list each limited operation's quota)",
    )
    quota.add_argument(
        "--throttle-status",
        dest="sim_throttle_status",
        type=int,
        choices=(400, 429),
        default=400,
        help="HTTP status of ThrottlingException (400 in the IoT model)",
    )

    faults = parser.add_argument_group("faults (shares of requests)")
    faults.add_argument(
        "--p503",
        dest="sim_p503",
        type=_share,
        default=0.0,
        metavar="F",
        help="answer ServiceUnavailableException (503)",
    )
    faults.add_argument(
        "--p-reset",
        dest="sim_p_reset",
        type=_share,
        default=0.0,
        metavar="F",
        help="reset the connection before doing anything",
    )
    faults.add_argument(
        "--p-lost-response",
        dest="sim_p_lost_response",
        type=_share,
        default=0.0,
        metavar="F",
        help="apply the request, then reset instead of answering",
    )
    faults.add_argument(
        "--p-slow",
        dest="sim_p_slow",
        type=_share,
        default=0.0,
        metavar="F",
        help="answer --slow-seconds late (to trip client read timeouts)",
    )
    faults.add_argument(
        "--slow-seconds",
        dest="sim_slow_seconds",
        type=float,
        default=30.0,
        metavar="S",
        help="delay of a slow answer (default: 30)",
    )
    faults.add_argument(
        "--latency-ms",
        dest="sim_latency_ms",
        type=float,
        default=0.0,
        metavar="MS",
        help="median service time added to every answer",
    )
    faults.add_argument(
        "--latency-sigma",
        dest="sim_latency_sigma",
        type=float,
        default=0.0,
        metavar="SIGMA",
        help="lognormal spread around the median (0: fixed)",
    )

    faults.add_argument(
        "--clock-skew",
        dest="sim_clock_skew",
        type=float,
        default=0.0,
        metavar="S",
        help="server clock offset; beyond ±300 s every call fails InvalidSignatureException",
    )

    devices = parser.add_argument_group("devices and CancelJob")
    devices.add_argument(
        "--churn",
        dest="sim_churn",
        type=float,
        default=0.0,
        metavar="RATE",
        help="device updates/s (QUEUED→IN_PROGRESS→SUCCEEDED/FAILED)",
    )
    devices.add_argument(
        "--cancel-job-rate",
        dest="sim_cancel_job_rate",
        type=_cancel_rate,
        default=FAST_CANCEL_JOB_RATE,
        metavar="RATE",
        help="executions/s CancelJob reaches; 'aws' for ~1,000 a minute",
    )
    devices.add_argument(
        "--max-cancelling-jobs",
        dest="sim_max_cancelling_jobs",
        type=int,
        default=None,
        metavar="N",
        help="jobs cancelling at once before LimitExceededException",
    )
    devices.add_argument(
        "--deletion-seconds",
        dest="sim_deletion_seconds",
        type=_seconds,
        default=0.5,
        metavar="S",
        help="DeleteJob: the base time a deletion takes, the job DELETION_IN_PROGRESS "
        "meanwhile (default: 0.5)",
    )
    devices.add_argument(
        "--deletion-seconds-per-execution",
        dest="sim_deletion_seconds_per_execution",
        type=_seconds,
        default=0.01,
        metavar="S",
        help="DeleteJob: seconds a deletion takes per execution of the job (default: 0.01)",
    )
    devices.add_argument(
        "--max-deleting-jobs",
        dest="sim_max_deleting_jobs",
        type=int,
        default=10,
        metavar="N",
        help="jobs DELETION_IN_PROGRESS at once per account and region before DeleteJob "
        "answers LimitExceededException (default: 10, as AWS)",
    )
    accounts = parser.add_argument_group("accounts (STS, Organizations)")
    accounts.add_argument(
        "--accounts",
        dest="sim_accounts",
        type=_account_count,
        default=0,
        metavar="N",
        help="N member accounts besides the caller's (111111111111, 222222222222, …), "
        "each with its own fleet, quotas and faults per region, in one organisational "
        "unit (ou-sim0-workloads) of the caller's organisation",
    )
    accounts.add_argument(
        "--account-ids",
        dest="sim_account_ids",
        type=_account_list,
        default=None,
        metavar="A,B",
        help="the member accounts by ID instead of --accounts N",
    )
    accounts.add_argument(
        "--caller-account",
        dest="sim_caller_account",
        type=_account,
        default="123456789012",
        metavar="ID",
        help="the account of any key the simulator did not issue (default 123456789012)",
    )
    accounts.add_argument(
        "--regions",
        dest="sim_regions",
        default=None,
        metavar="R1,R2",
        help="regions to announce; the first is the home region (every region a client "
        "signs for is served, each with fleets of its own when there are accounts)",
    )
    accounts.add_argument(
        "--role-name",
        dest="sim_role_names",
        action="append",
        default=None,
        metavar="NAME",
        help="a role STS lets the caller assume in every account (repeatable; default "
        "OrganizationAccountAccessRole)",
    )
    accounts.add_argument(
        "--deny-account",
        dest="sim_denied_accounts",
        action="append",
        type=_account,
        default=None,
        metavar="ID",
        help="an account whose roles AssumeRole refuses with AccessDenied (repeatable)",
    )
    accounts.add_argument(
        "--external-id",
        dest="sim_external_id",
        default=None,
        metavar="ID",
        help="AssumeRole requires this ExternalId",
    )
    accounts.add_argument(
        "--session-seconds",
        dest="sim_session_seconds",
        type=float,
        default=None,
        metavar="S",
        help="role sessions last at most S seconds (short: clients must renew them)",
    )
    parser.add_argument(
        "--stats-json",
        dest="sim_stats_json",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the final counters to PATH as JSON",
    )


def _account(text: str) -> str:
    if not (len(text) == 12 and text.isdigit()):
        raise argparse.ArgumentTypeError(f"an account ID is 12 digits, got {text!r}")
    return text


def _account_list(text: str) -> tuple[str, ...]:
    return tuple(_account(part.strip()) for part in text.split(",") if part.strip())


def _account_count(text: str) -> int:
    value = int(text)
    if not 0 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be within 0..1000")
    return value


def member_accounts(count: int) -> tuple[str, ...]:
    """``count`` member account IDs: 111111111111 … 999999999999, then 200000000010 …"""
    return tuple(str(n) * 12 if n < 10 else str(200_000_000_000 + n) for n in range(1, count + 1))


def config_from_args(args: argparse.Namespace) -> tuple[SimConfig, FleetSpec]:
    """The simulator configuration and fleet the parsed options describe."""
    accounts = args.sim_account_ids or member_accounts(args.sim_accounts)
    regions = [r.strip() for r in (args.sim_regions or "").split(",") if r.strip()]
    latency = None
    if args.sim_latency_ms > 0:
        latency = Latency(median=args.sim_latency_ms / 1000.0, sigma=args.sim_latency_sigma)
    config = SimConfig(
        quota=args.sim_quota,
        quotas=dict(args.sim_op_quotas),
        burst_seconds=args.sim_burst_seconds,
        quota_schedule=tuple(args.sim_quota_schedule),
        throttle_status=args.sim_throttle_status,
        service_quotas=args.sim_service_quotas,
        p503=args.sim_p503,
        p_reset=args.sim_p_reset,
        p_lost_response=args.sim_p_lost_response,
        p_slow=args.sim_p_slow,
        slow_seconds=args.sim_slow_seconds,
        latency=latency,
        churn_rate=args.sim_churn,
        cancel_job_rate=args.sim_cancel_job_rate,
        max_cancelling_jobs=args.sim_max_cancelling_jobs,
        max_deleting_jobs=args.sim_max_deleting_jobs,
        job_deletion_seconds=args.sim_deletion_seconds,
        job_deletion_seconds_per_execution=args.sim_deletion_seconds_per_execution,
        check_signatures=args.sim_check_signatures,
        clock_skew=args.sim_clock_skew,
        seed=args.sim_seed,
        account_id=args.sim_caller_account,
        region=regions[0] if regions else "us-east-1",
        accounts=tuple(a for a in accounts if a != args.sim_caller_account),
        roles=frozenset(args.sim_role_names or ("OrganizationAccountAccessRole",)),
        denied_accounts=frozenset(args.sim_denied_accounts or ()),
        role_external_id=args.sim_external_id,
        session_seconds=args.sim_session_seconds,
        separate_destinations=len(regions) > 1,
        thing_index=args.sim_thing_index.upper(),
    )
    fleet = FleetSpec(
        things=args.sim_things,
        job_ids=tuple(args.sim_job_ids or ("job-1",)),
        in_progress=args.sim_in_progress,
        terminal=args.sim_terminal,
        groups=args.sim_groups,
        max_age_days=args.sim_max_age_days,
        max_execution_number=args.sim_max_execution_number,
        attributes=tuple(args.sim_attributes) if args.sim_attributes else DEFAULT_ATTRIBUTES,
        connected=args.sim_connected,
        seed=args.sim_seed,
        jobs=args.sim_jobs,
        job_executions=args.sim_job_executions,
    )
    return config, fleet
