"""Proof afterwards: what of the targets is still QUEUED or IN_PROGRESS.

A cancel's summary says which calls AWS accepted; it cannot say what runs now. A
device may have started its execution between a listing and the cancel (a cancel
without force leaves it running), CancelJob goes on server-side after it returns, and
another tool may have queued the job again. :class:`~bulkjobs._models.Verify` reads
each target's status now, through the same rate control, retries and destinations as
any run, and :class:`Verification` adds the results up into what is left running —
the check an operator wants before saying "it is stopped".

An execution is read with DescribeJobExecution (or taken from a listing made by the
verify run itself, which is as fresh); a whole job with DescribeJob, whose counters
count its executions by status. A target that could not be read is *unverified*: it
may be running, so it fails the check as a running one does.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from bulkjobs._calls import Track
from bulkjobs._client import CallFailure
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ConfigurationError, InvalidInputError, ValidationIssue
from bulkjobs._jobstatus import ACTIVE_STATUSES, JobCounts
from bulkjobs._models import (
    RUNNING_STATUSES,
    Outcome,
    OutcomeKind,
    Result,
    Target,
    Verify,
)
from bulkjobs._plan import plural

if TYPE_CHECKING:
    from bulkjobs._accounts import AccountAccess
    from bulkjobs._config import RunConfig
    from bulkjobs._flows import Flows
    from bulkjobs._session import RunSession

__all__ = ["Verification", "report_targets", "verify", "verify_again"]

#: Still-running targets a :class:`Verification` keeps by name (the count is exact).
NAMED_AT_MOST: Final = 1000


async def verify(flows: Flows, track: Track, op: Verify) -> tuple[Outcome, CallFailure | None]:
    """The flow of :class:`Verify` for one target: read it, say whether it runs."""
    target = track.target
    if target.thing_name is None:
        return await _verify_job(flows, track)
    if target.listed_status is not None:
        # Listed by this very run: as current as a describe would be, for no call.
        track.status_before = target.listed_status
        track.message = "status as listed"
        return _by_status(target.listed_status), None
    # A missing execution raises Final(NOT_FOUND), which ends the target not_found.
    execution = await flows.describe(track, execution_number=target.execution_number)
    return _by_status(execution.status), None


async def _verify_job(flows: Flows, track: Track) -> tuple[Outcome, CallFailure | None]:
    job_id = track.target.job_id
    response = await flows.caller.call(track, "DescribeJob", {"jobId": job_id})
    counts = JobCounts.from_describe(job_id, response)
    track.status_before = counts.status or None
    running = {status: counts.counts.get(status, 0) for status in ACTIVE_STATUSES}
    track.running_counts = running
    job = f"job {counts.status}" if counts.status else "job status not given"
    if counts.active:
        track.message = f"{counts.breakdown(ACTIVE_STATUSES)} by DescribeJob's counters ({job})"
        return Outcome.STILL_RUNNING, None
    track.message = f"no execution QUEUED or IN_PROGRESS by DescribeJob's counters ({job})"
    return Outcome.ALREADY_TERMINAL, None


def _by_status(status: str) -> Outcome:
    return Outcome.STILL_RUNNING if status in RUNNING_STATUSES else Outcome.ALREADY_TERMINAL


@dataclass(slots=True)
class Verification:
    """Verify results added up: what is still running, by status and by name.

    Executions count one each (their status); a job target counts its executions by
    DescribeJob's counters. An execution read on its own whose job was also read as a
    whole is one of the executions those counters count: per job and status, the
    larger of the two counts is taken, never their sum. :attr:`passed` only when
    nothing runs and every target was read.
    """

    #: Targets read (jobs and executions alike).
    checked: int = 0
    #: Executions still running, by status (QUEUED, IN_PROGRESS).
    running: Counter[str] = field(default_factory=Counter)
    #: Targets whose status is terminal, and those that are gone (deleted).
    not_running: int = 0
    not_found: int = 0
    #: Targets that could not be read (failed, interrupted): they may be running.
    unverified: int = 0
    #: Still-running targets by name, the first :data:`NAMED_AT_MOST` of them.
    named: list[Result] = field(default_factory=list)
    #: Every still-running target, whether named or not.
    running_targets: int = 0
    #: Executions read, by the status they were in (a job's running counters added).
    statuses: Counter[str] = field(default_factory=Counter)
    #: Why some targets were never reached (a listing cut short, the run stopped):
    #: what they are is unknown, so nothing can be said to be stopped.
    incomplete: str | None = None
    #: The read was stopped by a signal (Ctrl-C, SIGTERM).
    interrupted: bool = False
    #: Per job (destination, job id): its running executions as DescribeJob counted
    #: them, and as read one by one — so that one is never counted in both.
    _jobs: dict[tuple[Destination, str], _JobRunning] = field(default_factory=dict, repr=False)

    def add(self, result: Result) -> None:
        """Count one verify result."""
        self.checked += 1
        outcome = result.outcome
        target = result.target
        job = self._jobs.setdefault((target.destination, target.job_id), _JobRunning())
        if result.running_counts is not None:
            self._count(job.counted(result.running_counts))
        elif result.status_before is not None and outcome.kind is not OutcomeKind.FAILED:
            if outcome is Outcome.STILL_RUNNING:
                self._count(job.read(result.status_before))
            else:
                self.statuses[result.status_before] += 1
        if outcome is Outcome.STILL_RUNNING:
            self.running_targets += 1
            if len(self.named) < NAMED_AT_MOST:
                self.named.append(result)
        elif outcome is Outcome.NOT_FOUND:
            self.not_found += 1
        elif outcome.kind in (OutcomeKind.NOOP, OutcomeKind.DONE):
            self.not_running += 1
        else:
            self.unverified += 1

    def _count(self, added: Counter[str]) -> None:
        self.running.update(added)
        self.statuses.update(added)

    @property
    def still_running(self) -> int:
        """Executions still QUEUED or IN_PROGRESS."""
        return sum(self.running.values())

    @property
    def passed(self) -> bool:
        """Nothing runs, and every target was read."""
        return not (self.running_targets or self.unverified or self.incomplete)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def line(self) -> str:
        """One sentence for the console."""
        if self.passed:
            return (
                f"verify: nothing left running — {plural(self.checked, 'target')} read, none "
                "QUEUED or IN_PROGRESS" + (f" ({self.not_found:,} gone)" if self.not_found else "")
            )
        parts = []
        if self.running_targets:
            by_status = ", ".join(
                f"{self.running[s]:,} {s}" for s in RUNNING_STATUSES if self.running[s]
            )
            parts.append(f"{by_status} still running")
        if self.unverified:
            parts.append(f"{plural(self.unverified, 'target')} could not be read (may be running)")
        if self.incomplete:
            parts.append(f"not every target was reached ({self.incomplete})")
        return f"verify: {'; '.join(parts)} — of {plural(self.checked, 'target')} read"

    def to_json(self) -> dict[str, Any]:
        """The ``verify`` section of summary.json."""
        return {
            "passed": self.passed,
            "checked": self.checked,
            "stillRunning": {s: self.running.get(s, 0) for s in RUNNING_STATUSES},
            "stillRunningTotal": self.still_running,
            "stillRunningTargets": self.running_targets,
            "notRunning": self.not_running,
            "notFound": self.not_found,
            "unverified": self.unverified,
            "incomplete": self.incomplete,
            "byStatus": dict(sorted(self.statuses.items())),
            "named": [_named(r) for r in self.named],
            "namedAtMost": NAMED_AT_MOST,
        }


@dataclass(slots=True)
class _JobRunning:
    """One job's running executions, by DescribeJob's counters and one by one.

    Both count the same executions (the counters count every one of the job's): the
    job's share of the total is the larger of the two, status by status. Each method
    returns what the new count adds to that share.
    """

    by_counters: Counter[str] = field(default_factory=Counter)
    one_by_one: Counter[str] = field(default_factory=Counter)

    def counted(self, counts: Mapping[str, int]) -> Counter[str]:
        before = self.by_counters | self.one_by_one
        self.by_counters |= Counter({s: n for s, n in counts.items() if n})
        return (self.by_counters | self.one_by_one) - before

    def read(self, status: str) -> Counter[str]:
        before = self.by_counters | self.one_by_one
        self.one_by_one[status] += 1
        return (self.by_counters | self.one_by_one) - before


def _named(result: Result) -> dict[str, Any]:
    target = result.target
    entry: dict[str, Any] = {"jobId": target.job_id, "thingName": target.thing_name}
    entry.update(target.destination.to_json())
    entry["status"] = result.status_before
    if result.running_counts is not None:
        entry["runningCounts"] = dict(result.running_counts)
    return entry


def report_targets(directory: str | Path) -> Iterator[Target]:
    """Every target of the run whose report directory is ``directory``, from its
    results.jsonl, as :meth:`Verify.recheck` reads each again. Lines recorded as bad
    input (never sent) are left out.

    Every line is checked before this returns (:class:`InvalidInputError` names the
    first that is not a result line, its number and field), so a run over them starts
    only on a whole file; the targets are then read again as they are taken, in O(1)
    memory. A directory without results.jsonl raises :class:`ConfigurationError`.
    """
    path = Path(directory) / "results.jsonl"
    if not path.is_file():
        raise ConfigurationError(f"{directory}: no results.jsonl (not a report directory?)")
    for _ in _read_targets(path):
        pass
    return _read_targets(path)


def _read_targets(path: Path) -> Iterator[Target]:
    with path.open(encoding="utf-8") as lines:
        for n, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except ValueError as exc:
                raise _bad_line(path, n, "line", f"is not JSON: {exc}") from exc
            try:
                result = Result.from_json(data)
            except InvalidInputError as exc:
                issue = exc.issues[0]
                raise _bad_line(path, n, issue.field, issue.rule, issue.value) from exc
            if (target := Verify.recheck(result)) is not None:
                yield target


def _bad_line(
    path: Path, line: int, field: str, rule: str, value: str | None = None
) -> InvalidInputError:
    issue = ValidationIssue(source=str(path), line=line, field=field, rule=rule, value=value)
    return InvalidInputError([issue])


async def verify_again(
    targets: Iterable[Target],
    config: RunConfig,
    *,
    access: AccountAccess | None = None,
    on_session: Callable[[RunSession], object] | None = None,
) -> Verification:
    """Read ``targets`` again — those of a run that just ended — and add them up.

    The run's limits on time and failures were the run's: the check goes to the end
    (a stop, through the session ``on_session`` is handed, ends it early, and the
    verification then says it is incomplete).
    """
    from bulkjobs._session import RunSession

    settings = replace(config, dry_run=False, deadline=None, abort_failed_percent=None)
    verification = Verification()
    session = RunSession(targets, Verify(), settings, access=access)
    if on_session is not None:
        on_session(session)
    report = await session.run(on_result=verification.add)
    if report.stop_reason is not None:
        verification.incomplete = f"stopped: {report.stop_reason}"
    verification.interrupted = report.stopped_by_signal
    return verification
