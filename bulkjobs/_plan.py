"""What a run would do, counted without calling anything: the ``--dry-run`` plan.

:class:`Plan` is a pure aggregator: targets go in one at a time as the source streams
them, counts come out. It holds one counter per distinct job, status and region — never
the targets — so a million targets cost what a thousand do.

The duration estimate is the quota arithmetic the engine lives by: limiters are keyed
by (region, API) and regions run concurrently, so

    duration ≈ max over regions (targets in the region) ÷ rate

A run also pays for lookups where it needs them (DescribeJobExecution for a delete
without an executionNumber, or ``expectedVersion=fresh``), but those have their own
quota and overlap with the main calls, so they do not lengthen the estimate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from bulkjobs._batch import TargetBatch
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ConfigurationError
from bulkjobs._joblisting import ListedJob
from bulkjobs._jobstatus import JobCounts
from bulkjobs._models import TERMINAL_STATUSES, InvalidTarget, Operation, Target

__all__ = ["Estimate", "Plan", "SelectedJob", "covers_whole_job", "format_duration", "plural"]

#: Shown per breakdown before "… and N more", so a plan stays readable for many jobs.
_SHOWN: Final = 10
#: Selected jobs the console plan lists one per line (summary.json has them all).
_SHOWN_JOBS: Final = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectedJob:
    """A job a :class:`~bulkjobs.FromJobs` selection found, for the plan."""

    job: ListedJob
    #: DescribeJob's counters (a dry run asks), None when not asked or the job is gone.
    counts: JobCounts | None

    def to_json(self) -> dict[str, object]:
        job = self.job
        data: dict[str, object] = {
            "jobId": job.job_id,
            "status": job.status,
            "where": "default" if job.destination is None else job.destination.label,
            "date": None if job.date is None else job.date.isoformat(),
        }
        if self.counts is not None:
            data["executions"] = self.counts.of(None)
            data["byStatus"] = {s: n for s, n in self.counts.counts.items() if n}
        return data

    def line(self, now: datetime) -> str:
        job = self.job
        where = "" if job.destination is None else f" in {job.destination.label}"
        when = ""
        if job.date is not None:
            days = (now - job.date).total_seconds() / 86_400
            when = f", dated {job.date:%Y-%m-%d} ({days:,.0f} d ago)"
        counted = (
            "executions not counted"
            if self.counts is None
            else f"{plural(self.counts.of(None), 'execution')} ({self.counts.breakdown()})"
        )
        return f"    {job.job_id}{where}: {job.status}{when}; {counted}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """How long the calls take at ``rate``, and the arithmetic behind it."""

    rate: float
    #: The region that sets the duration (the one with most targets), None if no targets.
    region: str | None
    calls: int
    seconds: float

    @property
    def formula(self) -> str:
        where = f" in {self.region}" if self.region is not None else ""
        start = f"{plural(self.calls, 'call')}{where} ÷ {self.rate:g}/s = "
        if self.seconds < 60:
            # Seconds are already the readable unit: "= 15 s ≈ 15.0 s" says it twice.
            return start + format_duration(self.seconds)
        return start + f"{self.seconds:,.0f} s ≈ {format_duration(self.seconds)}"


class Plan:
    """Counts of the targets a run would act on, per job, status and region."""

    def __init__(self, operation: Operation | None = None) -> None:
        self.total = 0
        self.invalid = 0
        self._jobs: Counter[str] = Counter()
        self._statuses: Counter[str] = Counter()
        self._regions: Counter[str] = Counter()
        self._destinations: Counter[Destination] = Counter()
        #: Targets the operation settles from their listed status, without a call.
        self._no_call: Counter[str] = Counter()
        self._settles = operation is not None and operation.settles_listed_terminal
        #: Jobs listed by job selections (FromJobs), in the order found.
        self.selected_jobs: list[SelectedJob] = []

    def add_job(self, job: ListedJob, counts: JobCounts | None = None) -> None:
        """Record a job a selection found, with DescribeJob's counters if known."""
        self.selected_jobs.append(SelectedJob(job=job, counts=counts))

    def add(self, item: Target | InvalidTarget, *, status: str | None = None) -> None:
        """Count one target; ``status`` when a listing reported it. Invalid targets are
        counted apart: they end as ``invalid_request`` without a call."""
        if isinstance(item, InvalidTarget):
            self.invalid += 1
            return
        self.total += 1
        self._jobs[item.job_id] += 1
        self._regions[item.destination.label] += 1
        self._destinations[item.destination] += 1
        if status is not None:
            self._statuses[status] += 1
            if self._settles and status in TERMINAL_STATUSES:
                self._no_call[item.destination.label] += 1

    def add_batch(self, batch: TargetBatch) -> None:
        """Count a batch's targets, as :meth:`add` counts each (none was listed)."""
        count = len(batch)
        if count:
            self.total += count
            self._jobs[batch.job_id] += count
            self._regions[batch.destination.label] += count
            self._destinations[batch.destination] += count

    @property
    def by_job(self) -> dict[str, int]:
        return dict(self._jobs.most_common())

    @property
    def by_region(self) -> dict[str, int]:
        """Targets per region; ``"default"`` for those that go to the run's region."""
        return dict(self._regions.most_common())

    @property
    def by_destination(self) -> list[dict[str, object]]:
        """Targets per destination, account and region apart (None: the run's default,
        or the caller's own account), most first."""
        return [
            {**where.to_json(), "targets": count}
            for where, count in self._destinations.most_common()
        ]

    @property
    def by_status(self) -> dict[str, int]:
        """Targets per execution status, for those a listing reported a status for."""
        return dict(self._statuses.most_common())

    @property
    def status_unknown(self) -> int:
        return self.total - sum(self._statuses.values())

    @property
    def no_call(self) -> int:
        """Targets listed terminal, which the operation settles without a call."""
        return sum(self._no_call.values())

    def estimate(self, *, rate: float) -> Estimate:
        """Duration at ``rate`` calls per second per region (see the module docstring)."""
        if not rate > 0:
            raise ConfigurationError("rate must be positive")
        calls_by_region = self._regions - self._no_call
        if not calls_by_region:
            return Estimate(rate=rate, region=None, calls=0, seconds=0.0)
        region, calls = calls_by_region.most_common(1)[0]
        shown = region if len(self._regions) > 1 else None
        return Estimate(rate=rate, region=shown, calls=calls, seconds=calls / rate)

    def to_json(self, *, rate: float) -> dict[str, object]:
        """The plan for ``summary.json``."""
        estimate = self.estimate(rate=rate)
        selected: dict[str, object] = {}
        if self.selected_jobs:
            selected["selectedJobs"] = [job.to_json() for job in self.selected_jobs]
        return {
            **selected,
            "targets": self.total,
            "invalid": self.invalid,
            "byJob": self.by_job,
            # By label ("eu-west-1", "111122223333/eu-west-1"), kept for readers of
            # earlier summaries; byDestination has the account and region apart.
            "byRegion": self.by_region,
            "byDestination": self.by_destination,
            "byStatus": self.by_status,
            "statusUnknown": self.status_unknown,
            "listedTerminalNoCall": self.no_call,
            "rate": rate,
            "estimatedSeconds": round(estimate.seconds, 3),
            "estimate": estimate.formula,
        }

    def render(self, *, rate: float, basis: str | None = None) -> str:
        """The plan as the console shows it; ``basis`` says where ``rate`` comes from."""
        lines = [f"Plan: {plural(self.total, 'target')}"]
        if self.invalid:
            lines[0] += f" and {self.invalid:,} invalid (reported, never sent)"
        if self.selected_jobs:
            jobs = self.selected_jobs
            counted = [j.counts for j in jobs if j.counts is not None]
            executions = sum(c.of(None) for c in counted)
            lines.append(
                f"  jobs selected (ListJobs): {plural(len(jobs), 'job')}"
                + (f", {plural(executions, 'execution')} by DescribeJob" if counted else "")
            )
            now = datetime.now(UTC)
            lines.extend(job.line(now) for job in jobs[:_SHOWN_JOBS])
            if len(jobs) > _SHOWN_JOBS:
                lines.append(f"    … and {len(jobs) - _SHOWN_JOBS:,} more (all in summary.json)")
        lines.append("  by job:    " + _breakdown(self._jobs))
        if any("/" in where for where in self._regions):
            lines.append("  by account/region: " + _breakdown(self._regions))
        else:
            lines.append("  by region: " + _breakdown(self._regions))
        if self._statuses:
            statuses = _breakdown(self._statuses)
            if self.status_unknown:
                statuses += f", status not listed: {self.status_unknown:,}"
            lines.append("  by status: " + statuses)
        estimate = self.estimate(rate=rate)
        lines.append("  estimate:  " + estimate.formula + (f" at {basis}" if basis else ""))
        if self.no_call:
            lines.append(
                f"             ({plural(self.no_call, 'target')} listed terminal: "
                "no call needed, none counted)"
            )
        if len(self._regions) > 1:
            lines.append(
                "             (each account and region has its own quota and runs in "
                "parallel: the busiest one sets the time)"
            )
        return "\n".join(lines)


def _breakdown(counts: Counter[str]) -> str:
    if not counts:
        return "none"
    parts = [f"{key}: {count:,}" for key, count in counts.most_common(_SHOWN)]
    if len(counts) > _SHOWN:
        parts.append(f"… and {len(counts) - _SHOWN:,} more")
    return ", ".join(parts)


def covers_whole_job(
    operation: Operation, statuses: Collection[str] | None, *, age_filtered: bool = False
) -> bool:
    """Whether acting on a job's listed executions one by one amounts to the
    operation's :attr:`whole_job_alternative` (cancel-job for CancelJobExecution).

    True for CancelJobExecution over a whole-job listing whose statuses include every
    status the cancel can act on (QUEUED, and IN_PROGRESS with force) and that no age
    filter narrows: then ``cancel-job`` does the same server-side in one call (AWS
    documents about 1,000 devices a minute) — though it also stops the job for
    devices added later, which is why this is advice and not a rewrite.
    """
    if operation.whole_job_alternative is None or age_filtered:
        return False
    return statuses is None or set(operation.acted_statuses) <= set(statuses)


def plural(count: int, noun: str) -> str:
    """``1 target``, ``2 targets``, ``1,266 targets``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def format_duration(seconds: float) -> str:
    """``4.2 s``, ``6 min 40 s``, ``1 h 6 min``, ``2 d 3 h``: two units at most."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    units = (("d", 86_400), ("h", 3_600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        amount, whole = divmod(whole, size)
        if amount or parts:
            parts.append(f"{amount} {name}")
        if len(parts) == 2:
            break
    if parts[-1].startswith("0 "):
        parts.pop()
    return " ".join(parts)
