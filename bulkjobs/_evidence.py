"""Whose change is it? Deciding from evidence when a mutating call's answer was lost.

A call whose connection broke may or may not have been applied. When a later read finds
the execution (or job) already in the state the call would have produced, that state
alone does not say who produced it: a previous run, another tool or CancelJob may have.
Claiming it as this run's would make the report lie, so the read is weighed against what
this run sent:

- ``lastUpdatedAt`` earlier than the first lost call was sent (less a margin for the
  clock difference between this machine and the service) → changed before: not ours;
- ``forceCanceled`` different from the ``force`` this run sent → not ours;
- status details this run sent and the execution does not carry → not ours;
- with an ``expectedVersion`` sent, the call can only have produced that version + 1:
  any other version → not ours; exactly that one → ours;
- with a version seen (described) just before the call and none sent: unchanged → not
  ours; exactly one version later → ours (the only change since is a cancel like ours);
- anything else cannot be decided, and the outcome says so instead of claiming it.

Pure: no I/O, no clock of its own.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Lost", "Seen", "Verdict", "judge_cancel", "judge_cancel_job"]


class Verdict(enum.Enum):
    OURS = "ours"
    NOT_OURS = "not_ours"
    UNDECIDED = "undecided"


@dataclass(frozen=True, slots=True, kw_only=True)
class Lost:
    """What this run sent in the mutating calls whose answers it never got."""

    #: Wall-clock time (epoch seconds) the earliest of them was sent.
    sent_at: float
    force: bool
    #: The one expectedVersion every lost call carried; None if none or several.
    expected_version: int | None = None
    #: versionNumber a describe reported before the earliest lost call, if any.
    version_seen: int | None = None
    status_details: Mapping[str, str] | None = None
    reason_code: str | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Seen:
    """The execution (or job) as the read after the lost answer found it."""

    version: int | None = None
    last_updated_at: float | None = None
    force_canceled: bool | None = None
    status_details: Mapping[str, str] | None = None
    reason_code: str | None = None
    comment: str | None = None


def judge_cancel(lost: Lost, seen: Seen, *, margin: float) -> tuple[Verdict, str]:
    """Whether this run's lost CancelJobExecution made the CANCELED execution ``seen``;
    with the reason in words."""
    if (found := _before_sent(lost, seen, margin)) is not None:
        return Verdict.NOT_OURS, found
    if seen.force_canceled is not None and seen.force_canceled != lost.force:
        return Verdict.NOT_OURS, (
            f"canceled with forceCanceled={_bool(seen.force_canceled)}, but this run sent "
            f"force={_bool(lost.force)}"
        )
    if lost.status_details:
        carried = seen.status_details or {}
        if any(carried.get(key) != value for key, value in lost.status_details.items()):
            return Verdict.NOT_OURS, "canceled without the statusDetails this run sent"
    version = seen.version
    if lost.expected_version is not None and version is not None:
        made = lost.expected_version + 1
        if version != made:
            return Verdict.NOT_OURS, (
                f"canceled at version {version}; this run's call (expectedVersion "
                f"{lost.expected_version}) could only have made version {made}"
            )
        return Verdict.OURS, (
            f"answer lost; the execution is at version {made}, the one this run's call "
            f"(expectedVersion {lost.expected_version}) makes"
        )
    if lost.version_seen is not None and version is not None:
        if version <= lost.version_seen:
            return Verdict.NOT_OURS, f"unchanged since version {lost.version_seen} was read"
        if version == lost.version_seen + 1:
            return Verdict.OURS, (
                f"answer lost; the only change since version {lost.version_seen} was read "
                "is a cancel like this run's"
            )
    return Verdict.UNDECIDED, (
        "unconfirmed: the answer to this run's call was lost and the execution was then "
        "found CANCELED; the evidence (lastUpdatedAt, forceCanceled, versionNumber) fits "
        "this run's call but cannot rule out another canceller"
    )


def judge_cancel_job(lost: Lost, seen: Seen, *, margin: float) -> tuple[Verdict, str]:
    """Whether this run's lost CancelJob made the CANCELED job ``seen``."""
    if (found := _before_sent(lost, seen, margin)) is not None:
        return Verdict.NOT_OURS, found
    if lost.force and seen.force_canceled is False:
        return Verdict.NOT_OURS, "canceled without force, but this run sent force=true"
    for name, sent, carried in (
        ("reasonCode", lost.reason_code, seen.reason_code),
        ("comment", lost.comment, seen.comment),
    ):
        if sent is not None and carried != sent:
            return Verdict.NOT_OURS, f"canceled with another {name} than this run sent"
    return Verdict.UNDECIDED, (
        "unconfirmed: the answer to this run's CancelJob was lost and the job was then "
        "found CANCELED; the evidence fits this run's call but cannot rule out another"
    )


def _before_sent(lost: Lost, seen: Seen, margin: float) -> str | None:
    updated = seen.last_updated_at
    if updated is not None and updated < lost.sent_at - margin:
        return (
            f"already canceled: last changed at {updated:.3f}, {lost.sent_at - updated:.3f}s "
            "before this run's call was sent"
        )
    return None


def _bool(value: bool) -> str:
    return "true" if value else "false"
