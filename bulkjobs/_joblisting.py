"""Jobs found through ListJobs, and the client-side rules that narrow them.

ListJobs filters server-side by one status per call, a target selection, a thing group
(by name or ID) and a namespace. What it cannot filter — an ID prefix or glob, and how
old a job is — is applied here to each summary. A job's age is that of its own
:attr:`ListedJob.date`: when it completed, or, for a job still running, when it was
created (a canceled job without ``completedAt``: its last update, the cancel).

Every selection is made in full before anything is done with it: the set of jobs a run
acts on is fixed when it starts, and a job listed twice (its status changed between
two of the one-status listings) is kept once.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from bulkjobs._caller import ApiCaller
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ValidationIssue
from bulkjobs._listing import _instant, _malformed, _pages
from bulkjobs._validation import JOB_ID, NAMESPACE_ID, THING_GROUP_NAME

__all__ = ["JOB_STATUSES", "TARGET_SELECTIONS", "JobRules", "ListedJob", "list_jobs"]

#: ListJobs' ``status`` values (the model's JobStatus enum).
JOB_STATUSES: Final = ("IN_PROGRESS", "CANCELED", "COMPLETED", "DELETION_IN_PROGRESS", "SCHEDULED")
#: ListJobs' ``targetSelection`` values.
TARGET_SELECTIONS: Final = ("CONTINUOUS", "SNAPSHOT")
_RUNNING: Final = frozenset({"IN_PROGRESS", "SCHEDULED"})
_THING_GROUP_ID: Final = re.compile(r"[a-zA-Z0-9\-]+")
#: What a job ID glob may hold: job ID characters and fnmatch's * ? [ ] !.
_GLOB: Final = re.compile(r"[a-zA-Z0-9_\-*?\[\]!]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedJob:
    """One JobSummary of ListJobs, where it was listed."""

    job_id: str
    status: str
    target_selection: str | None = None
    thing_group_id: str | None = None
    created_at: datetime | None = None
    last_updated_at: datetime | None = None
    completed_at: datetime | None = None
    destination: Destination | None = None

    @property
    def date(self) -> datetime | None:
        """The date age rules compare: completed, else created while it still runs,
        else last updated (a canceled job's cancel)."""
        if self.completed_at is not None:
            return self.completed_at
        if self.status in _RUNNING:
            return self.created_at
        return self.last_updated_at


@dataclass(frozen=True, slots=True, kw_only=True)
class JobRules:
    """The client-side part of a job selection (an empty one keeps every job)."""

    job_id_prefix: str | None = None
    job_id_glob: str | None = None
    #: Keep jobs whose :attr:`ListedJob.date` is before this instant…
    older_than: datetime | None = None
    #: …and (both may be given: a window) at or after this one.
    newer_than: datetime | None = None

    def issues(self) -> list[ValidationIssue]:
        found: list[tuple[str, str, str]] = []
        if self.job_id_prefix is not None:
            prefix = self.job_id_prefix
            rule = JOB_ID.check(prefix)
            if rule is not None:
                found.append(("jobIdPrefix", rule, prefix))
        if self.job_id_glob is not None:
            glob = self.job_id_glob
            if not glob or len(glob) > 128 or _GLOB.fullmatch(glob) is None:
                found.append(
                    (
                        "jobIdGlob",
                        "must be 1-128 job ID characters [a-zA-Z0-9_-] and the wildcards * ? [ ] !",
                        glob,
                    )
                )
        for name, when in (("olderThan", self.older_than), ("newerThan", self.newer_than)):
            if when is not None and when.tzinfo is None:
                found.append((name, "must be a timezone-aware datetime", str(when)))
        older, newer = self.older_than, self.newer_than
        if (
            older is not None
            and newer is not None
            and older.tzinfo is not None
            and newer.tzinfo is not None
            and newer >= older
        ):
            found.append(
                (
                    "newerThan",
                    f"must be before olderThan ({older.isoformat()}): together they select "
                    "the jobs dated between the two, and this window is empty",
                    newer.isoformat(),
                )
            )
        return [
            ValidationIssue(source="options", line=None, field=f, rule=r, value=v)
            for f, r, v in found
        ]

    def keeps(self, job: ListedJob) -> bool:
        if self.job_id_prefix is not None and not job.job_id.startswith(self.job_id_prefix):
            return False
        if self.job_id_glob is not None and not fnmatch.fnmatchcase(job.job_id, self.job_id_glob):
            return False
        if self.older_than is None and self.newer_than is None:
            return True
        date = job.date
        if date is None:
            # Age unknown: never selected by an age rule (a delete must not guess).
            return False
        if self.older_than is not None and not date < self.older_than:
            return False
        return self.newer_than is None or date >= self.newer_than


def filter_issues(
    *,
    statuses: Sequence[str] | None,
    target_selection: str | None,
    thing_group_name: str | None,
    thing_group_id: str | None,
    namespace_id: str | None,
) -> list[ValidationIssue]:
    """ListJobs' own rules on its filters, from the service model."""
    found: list[tuple[str, str, str]] = []
    if statuses is not None:
        if isinstance(statuses, str):
            found.append(("jobStatus", "must be a sequence of statuses, not a string", statuses))
        elif not statuses:
            found.append(("jobStatus", "at least one status when statuses are given", ""))
        else:
            for status in statuses:
                if status not in JOB_STATUSES:
                    found.append(("jobStatus", "must be one of " + ", ".join(JOB_STATUSES), status))
    if target_selection is not None and target_selection not in TARGET_SELECTIONS:
        rule = "must be one of " + ", ".join(TARGET_SELECTIONS)
        found.append(("targetSelection", rule, target_selection))
    if thing_group_name is not None:
        rule_or_none = THING_GROUP_NAME.check(thing_group_name)
        if rule_or_none is not None:
            found.append(("thingGroupName", rule_or_none, thing_group_name))
    if thing_group_id is not None and (
        not 1 <= len(thing_group_id) <= 128 or _THING_GROUP_ID.fullmatch(thing_group_id) is None
    ):
        found.append(("thingGroupId", "must be 1-128 characters of [a-zA-Z0-9-]", thing_group_id))
    if namespace_id is not None:
        rule_or_none = NAMESPACE_ID.check(namespace_id)
        if rule_or_none is not None:
            found.append(("namespaceId", rule_or_none, namespace_id))
    return [
        ValidationIssue(source="options", line=None, field=f, rule=r, value=v) for f, r, v in found
    ]


async def list_jobs(
    caller: ApiCaller,
    *,
    statuses: Sequence[str] | None = None,
    target_selection: str | None = None,
    thing_group_name: str | None = None,
    thing_group_id: str | None = None,
    namespace_id: str | None = None,
    destination: Destination | None = None,
) -> AsyncGenerator[ListedJob, None]:
    """Every job ListJobs finds with these filters (one listing per status), each once."""
    api = "ListJobs"
    seen: set[str] = set()
    for status in [None] if statuses is None else list(dict.fromkeys(statuses)):
        params: dict[str, Any] = {}
        if status is not None:
            params["status"] = status
        if target_selection is not None:
            params["targetSelection"] = target_selection
        if thing_group_name is not None:
            params["thingGroupName"] = thing_group_name
        if thing_group_id is not None:
            params["thingGroupId"] = thing_group_id
        if namespace_id is not None:
            params["namespaceId"] = namespace_id
        pages = _pages(caller, api, params, "jobs", destination)
        try:
            async for page in pages:
                for entry in page:
                    job = _job(api, entry, destination)
                    if job.job_id not in seen:
                        seen.add(job.job_id)
                        yield job
        finally:
            await pages.aclose()


def _job(api: str, entry: Any, destination: Destination | None) -> ListedJob:
    if not isinstance(entry, dict) or not isinstance(entry.get("jobId"), str):
        raise _malformed(api, f"summary without a jobId: {entry!r}")
    status = entry.get("status")
    selection = entry.get("targetSelection")
    group_id = entry.get("thingGroupId")
    return ListedJob(
        job_id=entry["jobId"],
        status=status if isinstance(status, str) else "",
        target_selection=selection if isinstance(selection, str) else None,
        thing_group_id=group_id if isinstance(group_id, str) else None,
        created_at=_instant(api, entry.get("createdAt")),
        last_updated_at=_instant(api, entry.get("lastUpdatedAt")),
        completed_at=_instant(api, entry.get("completedAt")),
        destination=destination,
    )
