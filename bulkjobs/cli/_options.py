"""From parsed arguments to a validated run: every rule checked before anything is sent."""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final

from bulkjobs import (
    CancelExecution,
    CancelJob,
    DeleteExecution,
    DeleteJob,
    FromJob,
    FromJobs,
    FromQuery,
    FromThing,
    FromThingGroup,
    InvalidInputError,
    Operation,
    RunConfig,
    S3Location,
    Target,
    ValidationIssue,
    Verify,
    is_s3_url,
    parse_age,
    parse_rate,
    validate,
)
from bulkjobs.cli._accountopts import AccountOptions, resolve_accounts
from bulkjobs.cli._parser import DEFAULTS

__all__ = ["Options", "parse_duration", "resolve"]

#: Options some commands do not have (verify changes nothing: no journal to resume, no
#: abort threshold, no dry run).
_NOT_ON_EVERY_COMMAND = (
    "abort_if_failed_percent",
    "journal",
    "deadline",
    "report_dir",
)

_DURATION = re.compile(r"(?:(\d+(?:\.\d+)?)([smhd]))+?")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Everything a run needs, validated."""

    command: str
    operation: Operation
    config: RunConfig
    job_id: str | None
    job_ids: tuple[str, ...]
    thing_names: tuple[str, ...]
    things_file: str | None
    input_format: str
    from_job: bool
    thing_group: str | None
    recursive: bool
    from_things: tuple[str, ...]
    statuses: tuple[str, ...] | None
    older_than: str | None
    skip_invalid: bool
    execution_number: int | None
    yes: bool
    report_dir: Path | None
    journal: Path | None
    #: ``s3://bucket/prefix/`` when the report lives in S3 (the run stages it locally).
    report_url: str | None
    sse: str | None
    kms_key_id: str | None
    resume: bool
    metrics_textfile: Path | None
    log_format: str
    quiet: bool
    verbose: bool
    #: cancel-job --wait: follow the server-side cancel for at most ``wait_timeout`` s.
    wait: bool = False
    wait_timeout: float = 3600.0
    #: Accounts and regions the run covers, and the role that reaches them.
    accounts: AccountOptions = field(default_factory=AccountOptions)
    #: --verify: after the run, read every target again for what is still running.
    verify: bool = False
    #: verify --report-dir: the earlier run whose targets are read again.
    verify_report: Path | None = None
    #: --from-jobs: the job selection (placed in each destination by the run).
    from_jobs: FromJobs | None = None
    #: --query: the things fleet indexing finds in ``index_name``.
    query: str | None = None
    index_name: str = "AWS_Things"

    @property
    def jobs_alone(self) -> bool:
        """verify of whole jobs (DescribeJob's counters): job ids and no other selection."""
        return (
            isinstance(self.operation, Verify)
            and bool(self.job_ids)
            and self.verify_report is None
            and self.from_jobs is None
            and not (self.thing_names or self.things_file or self.has_listing)
        )

    @property
    def asks(self) -> bool:
        """Forced runs ask, unless ``--yes`` or ``--dry-run`` (which sends nothing)."""
        return self.operation.destructive and not self.yes and not self.config.dry_run

    @property
    def has_listing(self) -> bool:
        return (
            self.from_job
            or self.thing_group is not None
            or bool(self.from_things)
            or self.from_jobs is not None
            or self.query is not None
        )


def parse_duration(text: str) -> float:
    """``90s``, ``15m``, ``1h30m``, ``2d`` or plain seconds → seconds."""
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if value > 0:
            return value
        raise ValueError("must be positive")
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or total <= 0:
        raise ValueError("must be a duration like 90s, 15m, 1h30m or 2d")
    return total


def _status_details(text: str) -> dict[str, Any]:
    """A JSON object, or the AWS CLI's shorthand (``k=v,k2="a,b"``), as the AWS CLI
    tells them apart: JSON when the value starts with ``{``."""
    if text.lstrip().startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("must be a JSON object")
        return data
    # The shorthand grammar's patterns compile only for runs that give --status-details.
    from bulkjobs.cli._shorthand import parse_string_map

    return dict(parse_string_map(text))


Bad = Callable[[str, str, object], None]


def _cancel_execution(args: argparse.Namespace, bad: Bad) -> Operation:
    expected: int | str | None = None
    if args.expected_version is not None:
        if args.expected_version == "fresh":
            expected = "fresh"
        else:
            try:
                expected = int(args.expected_version)
            except ValueError:
                bad("--expected-version", "must be an integer or 'fresh'", args.expected_version)
    details: dict[str, Any] | None = None
    for text in args.status_details or ():
        # Repeats are merged; a key given two different values is refused.
        try:
            part = _status_details(text)
        except ValueError as exc:
            bad(
                "--status-details",
                f'k=v,k2="a,b" (AWS CLI shorthand) or a JSON object: {exc}',
                text,
            )
            continue
        details = details or {}
        for key, value in part.items():
            if key in details and details[key] != value:
                bad("--status-details", f"key {key!r} given twice with different values", None)
            details[key] = value
    return CancelExecution(
        force=args.force,
        expected_version=expected,  # type: ignore[arg-type]
        status_details=details,
    )


def _delete_execution(args: argparse.Namespace, bad: Bad) -> Operation:
    return DeleteExecution(force=args.force, namespace_id=args.namespace_id)


def _delete_job(args: argparse.Namespace, bad: Bad) -> Operation:
    return DeleteJob(force=args.force, namespace_id=args.namespace_id)


def _cancel_job(args: argparse.Namespace, bad: Bad) -> Operation:
    return CancelJob(force=args.force, reason_code=args.reason_code, comment=args.comment)


def _verify(args: argparse.Namespace, bad: Bad) -> Operation:
    return Verify()


#: The operation each command runs, built from its arguments.
_OPERATIONS: Final[Mapping[str, Callable[[argparse.Namespace, Bad], Operation]]] = {
    "cancel-job-execution": _cancel_execution,
    "delete-job-execution": _delete_execution,
    "delete-job": _delete_job,
    "cancel-job": _cancel_job,
    "verify": _verify,
}


def resolve(args: argparse.Namespace) -> Options:
    """Validate ``args`` (already merged with --cli-input-json) into :class:`Options`."""
    for absent in _NOT_ON_EVERY_COMMAND:
        # verify has no journal, abort threshold or dry run: read as not given.
        if not hasattr(args, absent):
            setattr(args, absent, None)
    for key, value in DEFAULTS.items():
        if getattr(args, key, None) is None:
            setattr(args, key, value)
    issues: list[ValidationIssue] = []

    def bad(field: str, rule: str, value: object = None) -> None:
        shown = None if value is None else str(value)
        issues.append(
            ValidationIssue(source="options", line=None, field=field, rule=rule, value=shown)
        )

    def checked(field: str, check: Callable[[], object]) -> None:
        # The library's own rules, under the option's name.
        try:
            check()
        except InvalidInputError as exc:
            for issue in exc.issues:
                bad(field, issue.rule, issue.value)

    operation = _OPERATIONS[args.command](args, bad)
    execution_number: int | None = None
    if getattr(args, "execution_number", None) is not None:
        try:
            execution_number = int(args.execution_number)
        except ValueError:
            bad("--execution-number", "must be an integer", args.execution_number)
    try:
        validate([], operation)
    except InvalidInputError as exc:
        issues.extend(exc.issues)

    rate: float | None = None
    try:
        rate = parse_rate(str(args.rate))
    except InvalidInputError:
        bad("--rate", "must be 'auto' or a positive number of requests per second", args.rate)
    if args.concurrency < 1:
        bad("--concurrency", "must be at least 1", args.concurrency)
    if args.max_attempts < 1:
        bad("--max-attempts", "must be at least 1", args.max_attempts)
    deadline = None
    if args.deadline is not None:
        try:
            deadline = parse_duration(str(args.deadline))
        except ValueError as exc:
            bad("--deadline", str(exc), args.deadline)
    percent = args.abort_if_failed_percent
    if percent is not None and not 0 <= percent <= 100:
        bad("--abort-if-failed-percent", "must be within 0..100", percent)
    if args.abort_min_executed < 0:
        bad("--abort-min-executed", "must be ≥ 0", args.abort_min_executed)
    if args.grace_period < 0:
        bad("--grace-period", "must be ≥ 0", args.grace_period)
    if args.endpoint_url is not None and not re.match(r"https?://", args.endpoint_url):
        bad("--endpoint-url", "must start with http:// or https://", args.endpoint_url)

    # Targets.
    job_id = getattr(args, "job_id", None)
    job_ids: tuple[str, ...] = tuple(getattr(args, "job_ids", None) or ())
    thing_names = tuple(getattr(args, "thing_names", None) or ())
    from_things = tuple(getattr(args, "from_things", None) or ())
    things_file = getattr(args, "things_file", None)
    from_job = bool(getattr(args, "from_job", False))
    thing_group = getattr(args, "thing_group", None)
    query = getattr(args, "query", None)
    index_name = getattr(args, "index_name", None)
    statuses: tuple[str, ...] | None = None
    from_jobs = _job_selection(args, operation, bad)
    # A --from-jobs refused for its filters has said why; it still names the targets.
    selecting = from_jobs is not None or bool(getattr(args, "from_jobs", False))
    verify_report: Path | None = None
    # verify takes jobs alone (DescribeJob's counters) or several with --from-job.
    jobs_alone = by_thing = False
    if isinstance(operation, Verify):
        by_thing = bool(thing_names or things_file or thing_group or from_things or query)
        for n, jid in enumerate(job_ids, start=1):
            checked(f"--job-id #{n}", partial(validate, [Target(job_id=jid)], CancelJob()))
        if len(job_ids) == 1:
            job_id = job_ids[0]
        elif len(job_ids) > 1 and by_thing:
            bad(
                "--job-id",
                "one job with --thing-name, --things-file, --thing-group, --from-thing and "
                "--query (several jobs alone or with --from-job)",
            )
        jobs_alone = bool(job_ids) and not (by_thing or from_job or selecting)
        if getattr(args, "report_dir", None) is not None:
            verify_report = Path(args.report_dir)
            if not (verify_report / "results.jsonl").is_file():
                why = "has no results.jsonl (not a --report directory)"
                bad("--report-dir", why, verify_report)
            if job_ids or by_thing or from_job or selecting:
                bad(
                    "--report-dir",
                    "re-checks the targets of that run alone: verify other selections "
                    "in a verify of their own",
                )
    if operation.whole_job:
        if not job_ids and not selecting:
            bad("--job-id", "at least one is required (or select jobs with --from-jobs)")
        for n, jid in enumerate(job_ids, start=1):
            checked(f"--job-id #{n}", partial(validate, [Target(job_id=jid)], CancelJob()))
    else:
        if job_id is not None and not job_ids:
            checked("--job-id", lambda: validate([Target(job_id=job_id)], CancelJob()))
        if isinstance(operation, Verify):
            if not (jobs_alone or verify_report or by_thing or from_job or selecting):
                bad(
                    "targets",
                    "give --job-id, --report-dir, --thing-name, --things-file, --from-job, "
                    "--thing-group, --from-thing, --query or --from-jobs",
                )
        elif not (
            thing_names
            or things_file
            or from_job
            or thing_group
            or from_things
            or query
            or selecting
        ):
            bad(
                "targets",
                "give --thing-name, --things-file, --from-job, --thing-group, --from-thing, "
                "--query or --from-jobs",
            )
        if (thing_names or from_job or thing_group) and job_id is None:
            bad("--job-id", "is required with --thing-name, --from-job and --thing-group")
        if query is not None and job_id is None and not selecting:
            bad(
                "--job-id",
                "is required with --query (or --from-jobs: the executions of every job it selects)",
            )
        if query is not None and job_id is not None and selecting:
            bad("--query", "takes its job from --job-id or its jobs from --from-jobs, not both")
        if query is not None and selecting and args.status is not None:
            bad(
                "--status",
                "does not apply with --query: fleet indexing lists things, not executions "
                "with a status",
            )
        if query is not None:
            try:
                FromQuery(query=query, job_id="j", index_name=index_name or "AWS_Things")
            except InvalidInputError as exc:
                for issue in exc.issues:
                    where = "--index-name" if issue.field == "indexName" else "--query"
                    bad(where, issue.rule, issue.value)
        elif index_name is not None:
            bad("--index-name", "applies with --query")
        named = [
            Target(job_id=job_id or "-", thing_name=name, execution_number=execution_number)
            for name in thing_names
        ]
        try:
            validate(named, operation, source="--thing-name")
        except InvalidInputError as exc:
            # The operation's issues are listed once, above; the job ID's under --job-id.
            issues.extend(
                i for i in exc.issues if i.source == "--thing-name" and i.field != "jobId"
            )
        if thing_group is not None:
            checked("--thing-group", lambda: FromThingGroup(group=thing_group, job_id="j"))
        for n, name in enumerate(from_things, start=1):
            checked(f"--from-thing #{n}", partial(FromThing, thing_name=name))
        if args.recursive and thing_group is None:
            bad(
                "--recursive",
                "only applies to --thing-group (an organisational unit's: --ou-recursive)",
            )
        if args.status is not None:
            statuses = tuple(s.strip().upper() for s in str(args.status).split(",") if s.strip())
            if not statuses:
                bad("--status", "needs at least one status", args.status)
            else:
                checked("--status", partial(FromJob, job_id="j", statuses=statuses))
            if not (from_job or from_things or selecting):
                bad(
                    "--status",
                    "applies to listing sources (--from-job, --from-thing, --from-jobs)",
                )
        if args.older_than is not None and not selecting:
            try:
                parse_age(str(args.older_than), now=datetime.now(UTC))
            except InvalidInputError as exc:
                bad("--older-than", exc.issues[0].rule, args.older_than)
            if not (from_job or from_things):
                bad(
                    "--older-than",
                    "applies to listing sources (--from-job, --from-thing, --from-jobs)",
                )
        if args.older_than is not None and selecting and (from_job or from_things):
            bad(
                "--older-than",
                "with --from-jobs it selects jobs by their date; combined with --from-job or "
                "--from-thing it would be ambiguous: run them separately",
            )
        if execution_number is not None:
            others = [
                name
                for name, given in (
                    ("--things-file", things_file is not None),
                    ("--from-job", from_job),
                    ("--thing-group", thing_group is not None),
                    ("--from-thing", bool(from_things)),
                    ("--query", query is not None),
                    ("--from-jobs", selecting),
                )
                if given
            ]
            if others:
                bad(
                    "--execution-number",
                    f"applies to --thing-name targets only, not to {', '.join(others)}: "
                    "a file gives each row's number in an executionNumber column, and a "
                    "listing acts on the execution it lists",
                )
        if is_s3_url(things_file):
            if (rule := S3Location.problem(str(things_file))) is not None:
                bad("--things-file", rule, things_file)
        elif things_file is not None and things_file != "-" and not os.path.isfile(things_file):
            reason = "no such file" if not os.path.exists(things_file) else "not a regular file"
            bad("--things-file", reason, things_file)

    report_dir = None
    report_url = None
    if is_s3_url(args.report):
        report_url = datetime.now().strftime(args.report) if "%" in args.report else args.report
        if (rule := S3Location.problem(report_url, prefix=True)) is not None:
            bad("--report", rule, args.report)
        else:
            report_url = str(S3Location.parse(report_url, prefix=True))
        if args.journal:
            bad("--journal", "cannot be combined with an s3:// --report (the journal goes there)")
    elif args.report:
        # strftime codes give each scheduled run a directory of its own:
        # --report /var/log/bulkjobs/%Y-%m-%dT%H%M
        report_dir = Path(
            datetime.now().strftime(args.report) if "%" in args.report else args.report
        )
    journal = Path(args.journal) if args.journal else None
    if journal is None and report_dir is not None:
        journal = report_dir / "journal.jsonl"
    if report_dir is not None:
        problem = _unwritable(report_dir)
        if problem:
            bad("--report", problem, report_dir)
        elif isinstance(operation, Verify) and (report_dir / "summary.json").exists():
            # A read has nothing to resume: each verify writes a report of its own.
            bad(
                "--report",
                "already holds a run's report: give verify a directory of its own (strftime "
                "codes make one per run, e.g. verify-%Y%m%dT%H%M%S)",
                report_dir,
            )
    if journal is not None and args.journal:
        problem = _unwritable(journal.parent)
        if problem:
            bad("--journal", problem, journal)
    metrics_textfile = None
    if getattr(args, "metrics_textfile", None):
        metrics_textfile = Path(args.metrics_textfile)
        if metrics_textfile.suffix != ".prom":
            bad(
                "--metrics-textfile",
                "must end in .prom (node_exporter's textfile collector reads only those)",
                metrics_textfile,
            )
        elif problem := _unwritable(metrics_textfile.parent):
            bad("--metrics-textfile", problem, metrics_textfile)
    sse = getattr(args, "sse", None)
    kms_key_id = getattr(args, "kms_key_id", None)
    if (sse or kms_key_id) and report_url is None:
        bad("--sse", "applies to an s3:// --report")
    if kms_key_id and sse != "aws:kms":
        bad("--kms-key-id", "needs --sse aws:kms")
    if args.resume and journal is None and report_url is None:
        bad("--resume", "needs --journal PATH or --report DIR (where the journal is)")
    if args.dry_run and args.resume:
        bad("--resume", "cannot be combined with --dry-run")
    wait = bool(getattr(args, "wait", False))
    wait_timeout = 3600.0
    if getattr(args, "wait_timeout", None) is not None:
        try:
            wait_timeout = parse_duration(str(args.wait_timeout))
        except ValueError as exc:
            bad("--wait-timeout", str(exc), args.wait_timeout)
        if not wait:
            bad("--wait-timeout", "applies with --wait")
    if wait and args.dry_run:
        bad("--wait", "cannot be combined with --dry-run (nothing would be cancelled)")
    verify = bool(args.verify)
    if verify and args.dry_run:
        bad(
            "--verify",
            "cannot be combined with --dry-run (nothing is sent; `bulkjobs verify` reads "
            "the same targets)",
        )
    if args.quiet and args.verbose:
        bad("--quiet", "cannot be combined with --verbose")
    accounts = resolve_accounts(args, issues)

    if issues:
        raise InvalidInputError(issues)
    config = RunConfig(
        region=args.region,
        profile=args.profile,
        role=accounts.role,
        endpoint_url=args.endpoint_url,
        rate=rate,
        concurrency=args.concurrency,
        max_attempts=args.max_attempts,
        dry_run=args.dry_run,
        abort_failed_percent=percent,
        abort_min_executed=args.abort_min_executed,
        deadline=deadline,
        grace_period=args.grace_period,
    )
    return Options(
        command=args.command,
        operation=operation,
        config=config,
        job_id=job_id,
        job_ids=job_ids,
        thing_names=thing_names,
        things_file=things_file,
        input_format=getattr(args, "input_format", "auto") or "auto",
        from_job=from_job,
        thing_group=thing_group,
        recursive=bool(args.recursive),
        from_things=from_things,
        statuses=statuses,
        older_than=getattr(args, "older_than", None),
        skip_invalid=bool(getattr(args, "skip_invalid", False)),
        execution_number=execution_number,
        yes=bool(args.yes),
        report_dir=report_dir,
        journal=journal,
        report_url=report_url,
        sse=sse,
        kms_key_id=kms_key_id,
        resume=bool(args.resume),
        metrics_textfile=metrics_textfile,
        log_format=args.log_format,
        quiet=bool(args.quiet),
        verbose=bool(args.verbose),
        wait=wait,
        wait_timeout=wait_timeout,
        accounts=accounts,
        verify=verify,
        verify_report=verify_report,
        from_jobs=from_jobs,
        query=query,
        index_name=index_name or "AWS_Things",
    )


#: The library's field names for --from-jobs, as the options call them.
_SELECTION_OPTIONS: Final = {
    "jobStatus": "--job-status",
    "targetSelection": "--target-selection",
    "thingGroupName": "--thing-group-name",
    "thingGroupId": "--thing-group-id",
    "namespaceId": "--namespace-id",
    "jobIdPrefix": "--job-id-prefix",
    "jobIdGlob": "--job-id-glob",
    "olderThan": "--older-than",
    "newerThan": "--newer-than",
    "executionStatus": "--status",
    "status": "--status",
}


def _job_selection(
    args: argparse.Namespace, operation: Operation, bad: Callable[..., None]
) -> FromJobs | None:
    """--from-jobs and its filters as a :class:`FromJobs`; None without --from-jobs (and
    then none of its filters may be given)."""
    text: dict[str, str | None] = {
        "--job-status": getattr(args, "job_status", None),
        "--thing-group-name": getattr(args, "thing_group_name", None),
        "--thing-group-id": getattr(args, "thing_group_id", None),
        "--target-selection": getattr(args, "target_selection", None),
        "--job-id-prefix": getattr(args, "job_id_prefix", None),
        "--job-id-glob": getattr(args, "job_id_glob", None),
        "--newer-than": getattr(args, "newer_than", None),
    }
    # cancel-job(-execution) has --namespace-id only as a selection filter; the delete
    # commands send theirs with each call and select by it too.
    namespace = getattr(args, "namespace_id", None)
    if operation.name in ("cancel-job", "cancel-job-execution"):
        text["--namespace-id"] = namespace
    if operation.whole_job:
        text["--older-than"] = getattr(args, "older_than", None)
    if not getattr(args, "from_jobs", False):
        for option, value in text.items():
            if value is not None:
                bad(option, "applies with --from-jobs", value)
        return None
    now = datetime.now(UTC)
    ages: dict[str, datetime | None] = {}
    for option, value in (
        ("--older-than", getattr(args, "older_than", None)),
        ("--newer-than", text["--newer-than"]),
    ):
        ages[option] = None
        if value is not None:
            try:
                ages[option] = parse_age(str(value), now=now)
            except InvalidInputError as exc:
                bad(option, exc.issues[0].rule, value)
    statuses = None
    if text["--job-status"] is not None:
        statuses = tuple(
            s.strip().upper() for s in str(text["--job-status"]).split(",") if s.strip()
        )
        if not statuses:
            bad("--job-status", "needs at least one status", text["--job-status"])
            return None
    selection = text["--target-selection"]
    execution_statuses = None
    if not operation.whole_job and getattr(args, "status", None) is not None:
        execution_statuses = (
            tuple(s.strip().upper() for s in str(args.status).split(",") if s.strip()) or None
        )
    try:
        return FromJobs(
            statuses=statuses,
            target_selection=None if selection is None else selection.strip().upper(),
            thing_group_name=text["--thing-group-name"],
            thing_group_id=text["--thing-group-id"],
            namespace_id=namespace,
            job_id_prefix=text["--job-id-prefix"],
            job_id_glob=text["--job-id-glob"],
            older_than=ages["--older-than"],
            newer_than=ages["--newer-than"],
            execution_statuses=execution_statuses,
        )
    except InvalidInputError as exc:
        issues = [i for i in exc.issues if i.field != "executionStatus"]
        if not issues:
            # A bad --status alone: resolve() reports it, under its own name.
            return _job_selection_without_statuses(args, operation, bad)
        for issue in issues:
            bad(_SELECTION_OPTIONS.get(issue.field, "--from-jobs"), issue.rule, issue.value)
        return None


def _job_selection_without_statuses(
    args: argparse.Namespace, operation: Operation, bad: Callable[..., None]
) -> FromJobs | None:
    copy = argparse.Namespace(**vars(args))
    copy.status = None
    return _job_selection(copy, operation, bad)


def _unwritable(directory: Path) -> str | None:
    """Why ``directory`` cannot take our files, or None — without creating anything
    (bad input must leave no trace): the nearest existing ancestor decides."""
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"{existing} is not writable"
    return None
