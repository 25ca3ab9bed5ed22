"""Records that cross the public surface: operations, targets, outcomes, results.

All are frozen, keyword-only dataclasses so they can be shared between tasks, hashed,
and logged without a copy.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, TypeAlias

from bulkjobs._destination import DEFAULT, Destination
from bulkjobs._exceptions import ConfigurationError, InvalidInputError, ValidationIssue
from bulkjobs._jobstatus import ACTIVE_STATUSES, JobCounts

__all__ = [
    "FRESH",
    "RUNNING_STATUSES",
    "TERMINAL_STATUSES",
    "CancelExecution",
    "CancelJob",
    "DeleteExecution",
    "DeleteJob",
    "InvalidTarget",
    "Operation",
    "Outcome",
    "OutcomeKind",
    "Request",
    "Result",
    "Target",
    "Verify",
    "settled_by_listing",
    "target_digest",
    "widen_span",
]

#: ``expected_version=FRESH`` asks DescribeJobExecution for the current version first.
FRESH: Final = "fresh"

EXECUTION_STATUSES: Final = (
    "QUEUED",
    "IN_PROGRESS",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "REJECTED",
    "REMOVED",
    "CANCELED",
)
TERMINAL_STATUSES: Final = frozenset(EXECUTION_STATUSES[2:])
#: Statuses in which an execution still runs on its device, or is about to.
RUNNING_STATUSES: Final = EXECUTION_STATUSES[:2]
#: Every status in DescribeJob's order, and the terminal ones in that order.
_EVERY: Final = JobCounts.STATUSES
_TERMINAL: Final = tuple(s for s in _EVERY if s not in ACTIVE_STATUSES)


def _forced(text: str, force: bool) -> str:
    return text + " with --force" if force else text


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelExecution:
    """CancelJobExecution on every target (``aws iot cancel-job-execution``)."""

    force: bool = False
    #: A version sent with every target, ``FRESH`` to describe first, or None to send
    #: none (a per-target ``Target.expected_version`` always wins).
    expected_version: int | Literal["fresh"] | None = None
    status_details: Mapping[str, str] | None = None

    name: Literal["cancel-job-execution"] = field(default="cancel-job-execution", init=False)
    api: Literal["CancelJobExecution"] = field(default="CancelJobExecution", init=False)
    #: Acts on one execution per target, not on the target's whole job.
    whole_job: ClassVar[bool] = False
    cancels_server_side: ClassVar[bool] = False
    #: What becomes of an execution acted on, in a sentence: "3 executions canceled".
    past: ClassVar[str] = "canceled"
    #: The whole-job operation that does the same to every execution of a job in one
    #: call (advised when a run lists a whole job), or None.
    whole_job_alternative: ClassVar[str | None] = "cancel-job"
    #: A target a listing showed terminal needs no call: terminal is final for an
    #: execution number, so nothing a cancel could change.
    settles_listed_terminal: ClassVar[bool] = True

    @property
    def acted_statuses(self) -> tuple[str, ...]:
        """Execution statuses this changes: QUEUED, and IN_PROGRESS with force."""
        return ACTIVE_STATUSES if self.force else ("QUEUED",)

    @property
    def destructive(self) -> bool:
        """Whether a run is confirmed before it starts: a forced cancel stops
        executions devices are running."""
        return self.force

    @property
    def action(self) -> str:
        """What the run does, for "About to …" and "refusing to …"."""
        return _forced("cancel job executions", self.force)

    @property
    def consequence(self) -> str:
        """What the operator should know before saying yes."""
        if not self.force:
            return "QUEUED executions are canceled before their devices start them."
        return (
            "IN_PROGRESS executions are stopped on their devices (a device may not notice "
            "until it next reads its jobs)."
        )

    def request(self, target: Target) -> Request:
        """The CancelJobExecution call for ``target`` as far as it is known before any
        call: a ``fresh`` expectedVersion is only known after DescribeJobExecution."""
        params: dict[str, Any] = {
            "jobId": target.job_id,
            "thingName": target.thing_name,
            "force": self.force,
        }
        expected = target.expected_version
        if expected is None and isinstance(self.expected_version, int):
            expected = self.expected_version
        pending: tuple[str, ...] = ()
        if expected is not None:
            params["expectedVersion"] = expected
        elif self.expected_version == FRESH:
            pending = ("expectedVersion",)
        if self.status_details:
            params["statusDetails"] = dict(self.status_details)
        return Request(api=self.api, params=params, resolved_at_run=pending)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteExecution:
    """DeleteJobExecution on every target (``aws iot delete-job-execution``).

    A target without ``execution_number`` has it resolved with DescribeJobExecution.
    """

    force: bool = False
    namespace_id: str | None = None

    name: Literal["delete-job-execution"] = field(default="delete-job-execution", init=False)
    api: Literal["DeleteJobExecution"] = field(default="DeleteJobExecution", init=False)
    whole_job: ClassVar[bool] = False
    cancels_server_side: ClassVar[bool] = False
    past: ClassVar[str] = "deleted"
    whole_job_alternative: ClassVar[str | None] = None
    settles_listed_terminal: ClassVar[bool] = False

    @property
    def acted_statuses(self) -> tuple[str, ...]:
        """Terminal executions; every status with force."""
        return _EVERY if self.force else _TERMINAL

    @property
    def destructive(self) -> bool:
        """A forced delete erases running executions with their history."""
        return self.force

    @property
    def action(self) -> str:
        return _forced("delete job executions", self.force)

    @property
    def consequence(self) -> str:
        if not self.force:
            return "Finished executions are deleted with their history."
        return "QUEUED and IN_PROGRESS executions are deleted too, with their history."

    def request(self, target: Target, execution_number: int | None = None) -> Request:
        """The DeleteJobExecution call for ``target``; without a number (the target's,
        or ``execution_number`` once resolved) it is left to DescribeJobExecution."""
        number = target.execution_number if execution_number is None else execution_number
        params: dict[str, Any] = {
            "jobId": target.job_id,
            "thingName": target.thing_name,
            "executionNumber": number,
            "force": self.force,
        }
        if self.namespace_id is not None:
            params["namespaceId"] = self.namespace_id
        pending = ("executionNumber",) if number is None else ()
        return Request(api=self.api, params=params, resolved_at_run=pending)


@dataclass(frozen=True, slots=True, kw_only=True)
class CancelJob:
    """CancelJob on every target's job (``aws iot cancel-job``); things are ignored."""

    force: bool = False
    reason_code: str | None = None
    comment: str | None = None

    name: Literal["cancel-job"] = field(default="cancel-job", init=False)
    api: Literal["CancelJob"] = field(default="CancelJob", init=False)
    #: One call per job: targets name jobs, and their things are ignored.
    whole_job: ClassVar[bool] = True
    #: AWS goes on after the call: CancelJob cancels the executions server-side.
    cancels_server_side: ClassVar[bool] = True
    past: ClassVar[str] = "canceled"
    whole_job_alternative: ClassVar[str | None] = None
    settles_listed_terminal: ClassVar[bool] = False

    @property
    def acted_statuses(self) -> tuple[str, ...]:
        """The executions AWS cancels: QUEUED, and IN_PROGRESS with force."""
        return ACTIVE_STATUSES if self.force else ("QUEUED",)

    @property
    def destructive(self) -> bool:
        """A forced CancelJob stops executions devices are running."""
        return self.force

    @property
    def action(self) -> str:
        return _forced("cancel whole jobs", self.force)

    @property
    def consequence(self) -> str:
        running = "QUEUED and IN_PROGRESS executions" if self.force else "QUEUED executions"
        return (
            "Each job stops for good, for devices added later too; AWS cancels its "
            f"{running} server-side."
        )

    def request(self, target: Target) -> Request:
        """The CancelJob call for ``target``'s job."""
        params: dict[str, Any] = {"jobId": target.job_id, "force": self.force}
        if self.reason_code is not None:
            params["reasonCode"] = self.reason_code
        if self.comment is not None:
            params["comment"] = self.comment
        return Request(api=self.api, params=params)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteJob:
    """DeleteJob on every target's job (``aws iot delete-job``); things are ignored.

    AWS lets at most ``max_deleting`` jobs be ``DELETION_IN_PROGRESS`` per account and
    region; the run keeps that many deletions going per destination and follows each
    with DescribeJob every ``poll_interval`` seconds (growing to ``max_poll_interval``)
    until the job is gone, which frees its slot.
    """

    force: bool = False
    namespace_id: str | None = None
    max_deleting: int = 10
    poll_interval: float = 1.0
    max_poll_interval: float = 10.0

    name: Literal["delete-job"] = field(default="delete-job", init=False)
    api: Literal["DeleteJob"] = field(default="DeleteJob", init=False)
    whole_job: ClassVar[bool] = True
    cancels_server_side: ClassVar[bool] = False
    past: ClassVar[str] = "deleted"
    whole_job_alternative: ClassVar[str | None] = None
    settles_listed_terminal: ClassVar[bool] = False

    @property
    def acted_statuses(self) -> tuple[str, ...]:
        """A deleted job takes every execution with it."""
        return _EVERY

    @property
    def destructive(self) -> bool:
        """Deleting a job erases it and its history for good, with or without force."""
        return True

    @property
    def action(self) -> str:
        return _forced("delete whole jobs", self.force)

    @property
    def consequence(self) -> str:
        return "Each job and all its executions are erased for good" + (
            ", IN_PROGRESS jobs too." if self.force else "; IN_PROGRESS jobs are skipped."
        )

    def request(self, target: Target) -> Request:
        """The DeleteJob call for ``target``'s job."""
        params: dict[str, Any] = {"jobId": target.job_id, "force": self.force}
        if self.namespace_id is not None:
            params["namespaceId"] = self.namespace_id
        return Request(api=self.api, params=params)


@dataclass(frozen=True, slots=True, kw_only=True)
class Verify:
    """Read what is still running; change nothing.

    An execution target is read with DescribeJobExecution (a target a listing of this
    run found carries its status already, and needs no call); a job target (no thing)
    with DescribeJob, whose counters say how many of its executions are still QUEUED
    or IN_PROGRESS. ``still_running`` is the outcome of each that is; a terminal one
    is ``already_terminal``, and one that is gone (deleted) ``not_found``.
    """

    name: Literal["verify"] = field(default="verify", init=False)
    api: Literal["DescribeJobExecution"] = field(default="DescribeJobExecution", init=False)
    whole_job: ClassVar[bool] = False
    cancels_server_side: ClassVar[bool] = False
    #: A read forces nothing; present so that every operation answers ``force``.
    force: ClassVar[bool] = False
    #: A target a listing of this run showed terminal is not running: no call needed.
    settles_listed_terminal: ClassVar[bool] = True
    past: ClassVar[str] = "read"
    whole_job_alternative: ClassVar[str | None] = None

    @property
    def acted_statuses(self) -> tuple[str, ...]:
        """None: a read changes no execution."""
        return ()

    @property
    def destructive(self) -> bool:
        """Never: nothing is asked before a read."""
        return False

    @property
    def action(self) -> str:
        return "read what is still running"

    @property
    def consequence(self) -> str:
        return "Nothing is changed: each target's status is read."

    @staticmethod
    def recheck(result: Result) -> Target | None:
        """The target a verify reads to see what ``result`` left running: the target
        as it was given, with no listed status (it is read again) and, after a delete,
        the execution number the delete acted on. None for a line of bad input, which
        was never sent."""
        if result.error_code == "InvalidInput":
            return None
        target = result.target
        number = target.execution_number
        if result.operation == "delete-job-execution" and result.execution_number is not None:
            number = result.execution_number
        if target.listed_status is None and number == target.execution_number:
            return target
        return Target(
            job_id=target.job_id,
            thing_name=target.thing_name,
            execution_number=number,
            expected_version=target.expected_version,
            destination=target.destination,
        )

    def request(self, target: Target) -> Request:
        """The read for ``target``: DescribeJob for a job, DescribeJobExecution else."""
        if target.thing_name is None:
            return Request(api="DescribeJob", params={"jobId": target.job_id})
        params: dict[str, Any] = {"jobId": target.job_id, "thingName": target.thing_name}
        if target.execution_number is not None:
            params["executionNumber"] = target.execution_number
        return Request(api=self.api, params=params)


Operation: TypeAlias = CancelExecution | DeleteExecution | CancelJob | DeleteJob | Verify


def settled_by_listing(operation: Operation, target: Target) -> str | None:
    """Why ``target`` needs no call for ``operation``, or None when it needs one: a
    listing showed its execution terminal, and the operation cannot change that."""
    status = target.listed_status
    if operation.settles_listed_terminal and status in TERMINAL_STATUSES:
        return f"listed as {status}: no call needed"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """One mutating call as it would be sent: what a dry run shows for each target."""

    api: str
    params: Mapping[str, Any]
    #: Parameters the run learns from DescribeJobExecution first (absent or None here).
    resolved_at_run: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "api": self.api,
            "params": dict(self.params),
            "resolvedAtRun": list(self.resolved_at_run),
        }


@dataclass(frozen=True, slots=True, kw_only=True, init=False)
class Target:
    """One thing to act on. ``thing_name`` is None only for CancelJob targets.

    ``destination`` says where its calls go (the run's default when unset);
    ``region="eu-west-1"`` and ``account="111122223333"`` are shorthand for
    ``destination=Destination(account=..., region=...)``.
    """

    job_id: str
    thing_name: str | None
    execution_number: int | None
    expected_version: int | None
    destination: Destination
    #: The execution's status as a listing reported it (None: not listed). A terminal
    #: status never changes for the same execution number, so a cancel of such a target
    #: ends ``already_terminal`` without a call. Not part of the target's identity.
    listed_status: str | None = field(default=None, compare=False)

    def __init__(
        self,
        *,
        job_id: str,
        thing_name: str | None = None,
        execution_number: int | None = None,
        expected_version: int | None = None,
        destination: Destination | None = None,
        region: str | None = None,
        account: str | None = None,
        listed_status: str | None = None,
    ) -> None:
        if destination is None:
            if region is None and account is None:
                destination = DEFAULT
            else:
                destination = Destination(account=account, region=region)
        elif (region is not None and region != destination.region) or (
            account is not None and account != destination.account
        ):
            given = Destination(account=account, region=region)
            raise ConfigurationError(
                f"{given.label!r} contradicts destination {destination.label!r}"
            )
        set_field = object.__setattr__
        set_field(self, "job_id", job_id)
        set_field(self, "thing_name", thing_name)
        set_field(self, "execution_number", execution_number)
        set_field(self, "expected_version", expected_version)
        set_field(self, "destination", destination)
        set_field(self, "listed_status", listed_status)

    @property
    def region(self) -> str | None:
        """The destination's region (None: the run's default)."""
        return self.destination.region

    @property
    def account(self) -> str | None:
        """The destination's account (None: the caller's own)."""
        return self.destination.account

    @property
    def key(self) -> tuple[object, ...]:
        """Identity used for de-duplication, the journal and resume."""
        return (*self.destination.key, self.job_id, self.thing_name, self.execution_number)

    def describe(self) -> str:
        """Human label, e.g. ``job-1/thing-7#3``."""
        text = self.job_id if self.thing_name is None else f"{self.job_id}/{self.thing_name}"
        if self.execution_number is not None:
            text += f"#{self.execution_number}"
        if not self.destination.is_default:
            text = f"{self.destination.label}:{text}"
        return text


def target_digest(target: Target) -> bytes:
    """16-byte identity of a target's key, for de-duplication and resume: a million
    cost ~100 MB in a set instead of gigabytes of key tuples. ``repr`` of the key is
    unambiguous (strings quoted, None bare)."""
    return hashlib.blake2b(repr(target.key).encode(), digest_size=16).digest()


#: One encoder for every line: ``json.dumps`` with any option builds a new one per call.
_COMPACT: Final = json.JSONEncoder(separators=(",", ":"))


class OutcomeKind(enum.StrEnum):
    """The family an outcome belongs to; decides the exit code."""

    DONE = "done"
    NOOP = "noop"
    SKIPPED = "skipped"
    FAILED = "failed"
    INTERRUPTED = "interrupted"
    DRY_RUN = "dry_run"
    #: A verify found it still QUEUED or IN_PROGRESS.
    RUNNING = "running"


class Outcome(enum.StrEnum):
    """How one target ended. Every target ends in exactly one."""

    CANCELED = "canceled"
    DELETED = "deleted"
    ALREADY_TERMINAL = "already_terminal"
    NOT_FOUND = "not_found"
    IN_PROGRESS_NEEDS_FORCE = "in_progress_needs_force"
    NOT_TERMINAL_NEEDS_FORCE = "not_terminal_needs_force"
    VERSION_CONFLICT = "version_conflict"
    INVALID_REQUEST = "invalid_request"
    RETRIES_EXHAUSTED = "retries_exhausted"
    CONFLICT_EXHAUSTED = "conflict_exhausted"
    ERROR = "error"
    INTERRUPTED = "interrupted"
    DRY_RUN = "dry_run"
    STILL_RUNNING = "still_running"

    @property
    def kind(self) -> OutcomeKind:
        return _KINDS[self]


_KINDS: Final = {
    Outcome.CANCELED: OutcomeKind.DONE,
    Outcome.DELETED: OutcomeKind.DONE,
    Outcome.ALREADY_TERMINAL: OutcomeKind.NOOP,
    Outcome.NOT_FOUND: OutcomeKind.NOOP,
    Outcome.IN_PROGRESS_NEEDS_FORCE: OutcomeKind.SKIPPED,
    Outcome.NOT_TERMINAL_NEEDS_FORCE: OutcomeKind.SKIPPED,
    # The user's expectedVersion is an optimistic lock: it held, by design.
    Outcome.VERSION_CONFLICT: OutcomeKind.SKIPPED,
    Outcome.INVALID_REQUEST: OutcomeKind.FAILED,
    Outcome.RETRIES_EXHAUSTED: OutcomeKind.FAILED,
    Outcome.CONFLICT_EXHAUSTED: OutcomeKind.FAILED,
    Outcome.ERROR: OutcomeKind.FAILED,
    Outcome.INTERRUPTED: OutcomeKind.INTERRUPTED,
    Outcome.DRY_RUN: OutcomeKind.DRY_RUN,
    Outcome.STILL_RUNNING: OutcomeKind.RUNNING,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """The recorded end of one target."""

    target: Target
    operation: str
    outcome: Outcome
    attempts: int = 0
    throttles: int = 0
    error_code: str | None = None
    http_status: int | None = None
    message: str | None = None
    #: Execution status seen before acting (from DescribeJobExecution), when known.
    status_before: str | None = None
    version_before: int | None = None
    #: executionNumber acted on (resolved when the target did not carry it).
    execution_number: int | None = None
    #: Wall-clock times (epoch seconds) of the first attempt and the end.
    started_at: float | None = None
    finished_at: float | None = None
    #: Seconds spent in the successful or final call, None when no call was made.
    latency: float | None = None
    #: False for a ``done`` outcome that rests on evidence that cannot rule out another
    #: actor (the answer to this run's call was lost); ``message`` says why.
    confirmed: bool = True
    #: expectedVersion sent with the last mutating call (None: none was sent).
    expected_version: int | None = None
    #: versionNumber a describe found after the call was refused or its answer lost.
    version_found: int | None = None
    #: The call a dry run would have made (None for every other outcome).
    request: Request | None = None
    #: delete-job: seconds from DeleteJob's acceptance to the job being gone (None when
    #: not followed to the end).
    deletion_seconds: float | None = None
    #: verify of a job: its executions still QUEUED and IN_PROGRESS, by DescribeJob's
    #: counters (None for an execution, whose status is ``status_before``).
    running_counts: Mapping[str, int] | None = None

    def to_json(self) -> dict[str, object]:
        """One line of results.jsonl."""
        t = self.target
        line: dict[str, object] = {
            "jobId": t.job_id,
            "thingName": t.thing_name,
            "executionNumber": self.execution_number
            if self.execution_number is not None
            else t.execution_number,
            "targetExecutionNumber": t.execution_number,
        }
        line.update(t.destination.to_json())
        line.update(
            {
                "operation": self.operation,
                "outcome": self.outcome.value,
                "kind": self.outcome.kind.value,
                "attempts": self.attempts,
                "throttles": self.throttles,
                "errorCode": self.error_code,
                "httpStatus": self.http_status,
                "message": self.message,
                "statusBefore": self.status_before,
                "expectedVersion": self.expected_version,
                "targetExpectedVersion": t.expected_version,
                "versionBefore": self.version_before,
                "versionFound": self.version_found,
                "confirmed": self.confirmed if self.outcome.kind is OutcomeKind.DONE else None,
                "startedAt": self.started_at,
                "finishedAt": self.finished_at,
                "latencyMs": None if self.latency is None else round(self.latency * 1000, 3),
            }
        )
        if self.request is not None:
            line["request"] = self.request.to_json()
        if self.deletion_seconds is not None:
            line["deletionSeconds"] = round(self.deletion_seconds, 3)
        if self.running_counts is not None:
            line["runningCounts"] = dict(self.running_counts)
        return line

    def to_line(self) -> str:
        """:meth:`to_json` as one compact JSON line (results.jsonl and the journal)."""
        return _COMPACT.encode(self.to_json()) + "\n"

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Result:
        """Inverse of :meth:`to_json` (used by the journal on resume).

        A mapping that is no result line (a field missing or of the wrong kind) raises
        :class:`InvalidInputError` naming the field.
        """
        reading = "line"

        def field_of(name: str) -> object:
            nonlocal reading
            reading = name
            return data.get(name)

        def opt_int(name: str) -> int | None:
            value = field_of(name)
            return None if value is None else int(str(value))

        def opt_float(name: str) -> float | None:
            value = field_of(name)
            return None if value is None else float(str(value))

        def opt_str(name: str) -> str | None:
            value = field_of(name)
            return None if value is None else str(value)

        def required(name: str) -> str:
            value = field_of(name)
            if value is None:
                raise KeyError(name)
            return str(value)

        try:
            if not isinstance(data, Mapping):
                raise TypeError("not a JSON object")
            latency_ms = opt_float("latencyMs")
            target = Target(
                job_id=required("jobId"),
                thing_name=opt_str("thingName"),
                execution_number=opt_int("targetExecutionNumber"),
                expected_version=opt_int(
                    "targetExpectedVersion"
                    if "targetExpectedVersion" in data
                    else "expectedVersion"
                ),
                destination=Destination.from_json(data),
            )
            operation = required("operation")
            outcome = Outcome(required("outcome"))
            return cls(
                target=target,
                operation=operation,
                outcome=outcome,
                attempts=opt_int("attempts") or 0,
                throttles=opt_int("throttles") or 0,
                error_code=opt_str("errorCode"),
                http_status=opt_int("httpStatus"),
                message=opt_str("message"),
                status_before=opt_str("statusBefore"),
                version_before=opt_int("versionBefore"),
                execution_number=opt_int("executionNumber"),
                started_at=opt_float("startedAt"),
                finished_at=opt_float("finishedAt"),
                latency=None if latency_ms is None else latency_ms / 1000,
                confirmed=field_of("confirmed") is not False,
                expected_version=opt_int("expectedVersion"),
                version_found=opt_int("versionFound"),
                deletion_seconds=opt_float("deletionSeconds"),
                running_counts=_counts(field_of("runningCounts")),
            )
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            missing = isinstance(exc, KeyError)
            rule = "is missing" if missing else "is not what a result line holds"
            value = None if missing or not isinstance(data, Mapping) else data.get(reading)
            issue = ValidationIssue(
                source="result",
                line=None,
                field=reading,
                rule=rule,
                value=None if value is None else str(value),
            )
            raise InvalidInputError([issue]) from exc


def _counts(value: object) -> dict[str, int] | None:
    if not isinstance(value, Mapping):
        return None
    return {str(k): int(str(v)) for k, v in value.items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidTarget:
    """An input line that broke a rule, kept (with ``--skip-invalid``) so the report
    still accounts for it as ``invalid_request`` without any call being made."""

    target: Target
    reason: str


def widen_span(
    first: float | None, last: float | None, result: Result
) -> tuple[float | None, float | None]:
    """``(first, last)`` widened to take in when ``result`` started and finished: the
    span of work a breakdown's rate is measured over."""
    if result.started_at is not None and (first is None or result.started_at < first):
        first = result.started_at
    if result.finished_at is not None and (last is None or result.finished_at > last):
        last = result.finished_at
    return first, last
