"""What a run acts on, described before anything is read: a file, or a listing.

Each is a frozen value, validated on construction (a bad job ID fails before the run
starts, with every broken rule at once), that a :class:`~bulkjobs._session.RunSession`
opens when the run begins: a file is scanned (validated line by line, then streamed),
a listing pages through the API with the run's own rate control and retries.

    RunSession([FromJob(job_id="fw-42", statuses=("QUEUED",)),
                FromFile(path="extra-things.txt", job_id="fw-42")], CancelExecution(), config)
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import get_args

from bulkjobs._caller import ApiCaller
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ApiError, InvalidInputError, ValidationIssue
from bulkjobs._fileformats import InputFormat
from bulkjobs._joblisting import JobRules, ListedJob, filter_issues, list_jobs
from bulkjobs._jobstatus import JobCounts
from bulkjobs._listing import (
    THING_INDEX,
    Listed,
    from_job,
    from_query,
    from_thing,
    from_thing_group,
    query_issues,
)
from bulkjobs._models import Operation, Target
from bulkjobs._sources import FileSource, scan_file
from bulkjobs._validation import JOB_ID, THING_GROUP_NAME, THING_NAME, check_status

__all__ = ["FromFile", "FromJob", "FromJobs", "FromQuery", "FromThing", "FromThingGroup"]

#: Told of each selected job (with DescribeJob's counts when asked for) before any of
#: the selection's targets is handed out.
JobCallback = Callable[[ListedJob, JobCounts | None], object]


def _statuses(value: Sequence[str] | None) -> tuple[str, ...] | None:
    if value is None or isinstance(value, str):
        # A bare string is refused below rather than read as six one-letter statuses.
        return value  # type: ignore[return-value]
    return tuple(value)


def _raise_if_broken(checks: Sequence[tuple[str, str | None, str]]) -> None:
    issues = [
        ValidationIssue(source="options", line=None, field=field, rule=rule, value=value)
        for field, rule, value in checks
        if rule is not None
    ]
    if issues:
        raise InvalidInputError(issues)


def _status_checks(statuses: tuple[str, ...] | None) -> list[tuple[str, str | None, str]]:
    if statuses is None:
        return []
    if isinstance(statuses, str):
        return [("status", "must be a sequence of statuses, not a string", statuses)]
    if not statuses:
        return [("status", "at least one status when statuses are given", "")]
    return [("status", check_status(status), status) for status in statuses]


@dataclass(frozen=True, slots=True, kw_only=True)
class FromJob:
    """Every execution of ``job_id`` (ListJobExecutionsForJob), or those in ``statuses``."""

    job_id: str
    statuses: Sequence[str] | None = None
    destination: Destination | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", _statuses(self.statuses))
        _raise_if_broken(
            [("jobId", JOB_ID.check(self.job_id), self.job_id), *_status_checks(self.statuses)]  # type: ignore[arg-type]
        )

    @property
    def label(self) -> str:
        """What it lists, for reports: ``executions of job fw-1``."""
        return f"executions of job {self.job_id}"

    def open(self, caller: ApiCaller) -> AsyncGenerator[Listed, None]:
        return from_job(caller, self.job_id, self.statuses, destination=self.destination)


@dataclass(frozen=True, slots=True, kw_only=True)
class FromJobs:
    """The jobs ListJobs finds, narrowed: for a whole-job operation (CancelJob,
    DeleteJob) each selected job is a target; for the execution operations each
    selected job's executions are, as :class:`FromJob` lists them (those in
    ``execution_statuses``, or all).

    Server-side filters: ``statuses`` (job statuses, one listing each),
    ``target_selection``, ``thing_group_name`` / ``thing_group_id`` (jobs targeting that
    group) and ``namespace_id``. Client-side: ``job_id_prefix``, ``job_id_glob``
    (``fnmatch``: ``*``, ``?``, ``[...]``) and the age window ``older_than`` /
    ``newer_than`` (aware datetimes, e.g. from :func:`~bulkjobs.parse_age`) on each
    job's :attr:`~bulkjobs.ListedJob.date`. The whole selection is listed before its
    first target is handed out.

        FromJobs(statuses=("COMPLETED", "CANCELED"), older_than=parse_age("90d", now=now))

    ``listed`` holds a selection already made — the jobs an operator was shown before
    the run (:meth:`pin`): the run acts on exactly those, each where it was listed,
    and ListJobs is not asked again (a job created meanwhile is not touched).
    """

    statuses: Sequence[str] | None = None
    target_selection: str | None = None
    thing_group_name: str | None = None
    thing_group_id: str | None = None
    namespace_id: str | None = None
    job_id_prefix: str | None = None
    job_id_glob: str | None = None
    older_than: datetime | None = None
    newer_than: datetime | None = None
    execution_statuses: Sequence[str] | None = None
    destination: Destination | None = None
    listed: Sequence[ListedJob] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", _statuses(self.statuses))
        object.__setattr__(self, "execution_statuses", _statuses(self.execution_statuses))
        if self.listed is not None:
            object.__setattr__(self, "listed", tuple(self.listed))
        issues = filter_issues(
            statuses=self.statuses,
            target_selection=self.target_selection,
            thing_group_name=self.thing_group_name,
            thing_group_id=self.thing_group_id,
            namespace_id=self.namespace_id,
        )
        issues.extend(self.rules.issues())
        checks = _status_checks(self.execution_statuses)  # type: ignore[arg-type]
        issues.extend(
            ValidationIssue(source="options", line=None, field="executionStatus", rule=r, value=v)
            for _, r, v in checks
            if r is not None
        )
        if issues:
            raise InvalidInputError(issues)

    @property
    def label(self) -> str:
        """What it lists, for reports: ``jobs by ListJobs (COMPLETED, CANCELED)``."""
        shown = ", ".join(self.statuses) if self.statuses else "any status"
        return f"jobs by ListJobs ({shown})"

    @property
    def rules(self) -> JobRules:
        return JobRules(
            job_id_prefix=self.job_id_prefix,
            job_id_glob=self.job_id_glob,
            older_than=self.older_than,
            newer_than=self.newer_than,
        )

    def pin(self, jobs: Iterable[ListedJob]) -> FromJobs:
        """This selection fixed to ``jobs`` (say, those :func:`~bulkjobs.select_jobs`
        found and the operator confirmed): see ``listed``."""
        return replace(self, listed=tuple(jobs))

    async def select(self, caller: ApiCaller) -> list[ListedJob]:
        """The selected jobs, in the order ListJobs gave them (``listed``, when pinned:
        those listed at this selection's destination, with no call)."""
        if self.listed is not None:
            return [job for job in self.listed if job.destination == self.destination]
        rules = self.rules
        found: list[ListedJob] = []
        jobs = list_jobs(
            caller,
            statuses=self.statuses,
            target_selection=self.target_selection,
            thing_group_name=self.thing_group_name,
            thing_group_id=self.thing_group_id,
            namespace_id=self.namespace_id,
            destination=self.destination,
        )
        try:
            async for job in jobs:
                if rules.keeps(job):
                    found.append(job)
        finally:
            await jobs.aclose()
        return found

    def open(
        self,
        caller: ApiCaller,
        *,
        whole_job: bool = False,
        describe: bool = False,
        on_job: JobCallback | None = None,
    ) -> AsyncGenerator[Listed, None]:
        """The selection's targets: the jobs themselves (``whole_job``) or their
        executions. ``on_job`` hears of every selected job first — with DescribeJob's
        counts when ``describe`` — so a plan can list them before any target."""
        return self._open(caller, whole_job, describe, on_job)

    async def _open(
        self,
        caller: ApiCaller,
        whole_job: bool,
        describe: bool,
        on_job: JobCallback | None,
    ) -> AsyncGenerator[Listed, None]:
        jobs = await self.select(caller)
        for job in jobs:
            counts = await _describe(caller, job) if describe else None
            if on_job is not None:
                on_job(job, counts)
        for job in jobs:
            if whole_job:
                yield Listed(target=Target(job_id=job.job_id, destination=self.destination))
                continue
            executions = from_job(
                caller, job.job_id, self.execution_statuses, destination=self.destination
            )
            try:
                async for listed in executions:
                    yield listed
            finally:
                await executions.aclose()


async def _describe(caller: ApiCaller, job: ListedJob) -> JobCounts | None:
    """DescribeJob's counters for one selected job; None when it is gone meanwhile."""
    try:
        answer = await caller("DescribeJob", {"jobId": job.job_id}, destination=job.destination)
    except ApiError as exc:
        if exc.code == "ResourceNotFoundException":
            return None
        raise
    return JobCounts.from_describe(job.job_id, answer)


@dataclass(frozen=True, slots=True, kw_only=True)
class FromThing:
    """Executions on ``thing_name`` across jobs (ListJobExecutionsForThing), optionally
    only ``job_id``'s and only in ``statuses``."""

    thing_name: str
    statuses: Sequence[str] | None = None
    job_id: str | None = None
    namespace_id: str | None = None
    destination: Destination | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "statuses", _statuses(self.statuses))
        checks = [("thingName", THING_NAME.check(self.thing_name), self.thing_name)]
        if self.job_id is not None:
            checks.append(("jobId", JOB_ID.check(self.job_id), self.job_id))
        _raise_if_broken([*checks, *_status_checks(self.statuses)])  # type: ignore[arg-type]

    @property
    def label(self) -> str:
        """What it lists, for reports: ``executions on thing t-1``."""
        return f"executions on thing {self.thing_name}"

    def open(self, caller: ApiCaller) -> AsyncGenerator[Listed, None]:
        return from_thing(
            caller,
            self.thing_name,
            self.statuses,
            job_id=self.job_id,
            namespace_id=self.namespace_id,
            destination=self.destination,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FromThingGroup:
    """One target of ``job_id`` per thing in ``group`` (ListThingsInThingGroup); with
    ``recursive``, the child groups' things too. The listing reports no status."""

    group: str
    job_id: str
    recursive: bool = False
    destination: Destination | None = None

    def __post_init__(self) -> None:
        _raise_if_broken(
            [
                ("thingGroupName", THING_GROUP_NAME.check(self.group), self.group),
                ("jobId", JOB_ID.check(self.job_id), self.job_id),
            ]
        )

    @property
    def label(self) -> str:
        """What it lists, for reports: ``things of thing group fleet``."""
        return f"things of thing group {self.group}"

    def open(self, caller: ApiCaller) -> AsyncGenerator[Listed, None]:
        return from_thing_group(
            caller,
            self.group,
            self.job_id,
            recursive=self.recursive,
            destination=self.destination,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FromQuery:
    """The executions, on each thing fleet indexing finds for ``query`` (SearchIndex
    over ``index_name``, e.g. ``attributes.hwRev:B2 AND connectivity.connected:false``),
    of ``job_id`` — or of every job ``jobs`` selects (ListJobs, listed once before the
    first target: "every rollout in flight on those devices"). Give one of the two.

    The index reports no execution status; a thing without an execution of a job ends
    ``not_found`` for it. The query is the server's to judge: a session asks the index
    once per destination before anything is sent
    (:meth:`~bulkjobs._session.RunSession.check_queries`), so a query it cannot parse,
    or an index that is off, stops the run with no call made.
    """

    query: str
    job_id: str | None = None
    jobs: FromJobs | None = None
    index_name: str = THING_INDEX
    destination: Destination | None = None

    def __post_init__(self) -> None:
        issues = [i for i in query_issues(self.query, self.index_name) if i is not None]
        checks: list[tuple[str, str | None, str]] = [
            (i.field, i.rule, i.value or "") for i in issues
        ]
        if (self.job_id is None) == (self.jobs is None):
            checks.append(("jobId", "give job_id or jobs (a FromJobs selection), one of them", ""))
        elif self.job_id is not None:
            checks.append(("jobId", JOB_ID.check(self.job_id), self.job_id))
        elif self.jobs is not None and self.jobs.execution_statuses is not None:
            rule = "does not apply: the index lists things, not executions with a status"
            checks.append(("executionStatus", rule, ",".join(self.jobs.execution_statuses)))
        _raise_if_broken(checks)

    @property
    def label(self) -> str:
        """What it lists, for reports: ``things AWS_Things finds for 'attributes.hwRev:B2'``."""
        return f"things {self.index_name} finds for {self.query!r}"

    def open(
        self,
        caller: ApiCaller,
        *,
        describe: bool = False,
        on_job: JobCallback | None = None,
    ) -> AsyncGenerator[Listed, None]:
        """One target per (found thing, job). With ``jobs``, ``on_job`` hears of each
        selected job first — with DescribeJob's counts when ``describe`` — as for
        :meth:`FromJobs.open`."""
        if self.job_id is not None:
            return from_query(
                caller,
                self.query,
                self.job_id,
                index_name=self.index_name,
                destination=self.destination,
            )
        return self._over_jobs(caller, describe, on_job)

    async def _over_jobs(
        self, caller: ApiCaller, describe: bool, on_job: JobCallback | None
    ) -> AsyncGenerator[Listed, None]:
        assert self.jobs is not None
        # The selection lists where the query runs: one destination for both.
        selection = replace(self.jobs, destination=self.destination)
        jobs = await selection.select(caller)
        for job in jobs:
            counts = await _describe(caller, job) if describe else None
            if on_job is not None:
                on_job(job, counts)
        if not jobs:
            return
        # The index is paged once; each thing it finds is a target of every job.
        things = from_query(
            caller,
            self.query,
            jobs[0].job_id,
            index_name=self.index_name,
            destination=self.destination,
        )
        try:
            async for found in things:
                for job in jobs:
                    yield Listed(target=replace(found.target, job_id=job.job_id))
        finally:
            await things.aclose()


@dataclass(frozen=True, slots=True, kw_only=True)
class FromFile:
    """Targets in a file (``"-"``: stdin): thing names one per line, CSV with a header,
    or JSON Lines. ``job_id`` and ``destination`` fill what lines leave out; with
    ``skip_invalid`` broken lines end as ``invalid_request`` instead of refusing to run."""

    path: str
    job_id: str | None = None
    #: ``auto`` (by the file's extension), ``lines``, ``csv`` or ``jsonl``.
    input_format: str = "auto"
    skip_invalid: bool = False
    destination: Destination | None = None
    #: How issues name the file (e.g. the ``s3://`` URL a local copy was made from).
    name: str | None = None

    def __post_init__(self) -> None:
        if self.input_format not in get_args(InputFormat):
            rule = "must be one of " + ", ".join(get_args(InputFormat))
            _raise_if_broken([("inputFormat", rule, self.input_format)])

    def scan(self, operation: Operation) -> FileSource:
        """The first pass (see :func:`~bulkjobs._sources.scan_file`); close the result."""
        return scan_file(
            str(self.path),
            job_id=self.job_id,
            operation=operation,
            input_format=self.input_format,  # type: ignore[arg-type]
            destination=self.destination,
            name=self.name,
        )
