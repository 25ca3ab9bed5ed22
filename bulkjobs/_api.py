"""One-call entry points: a :class:`~bulkjobs._session.RunSession` in one call."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Literal

import anyio

from bulkjobs._config import RunConfig
from bulkjobs._destination import Destination
from bulkjobs._exceptions import InvalidInputError
from bulkjobs._filters import ListingFilter
from bulkjobs._models import Operation, Result, Target
from bulkjobs._report import Report
from bulkjobs._s3 import Encryption
from bulkjobs._session import RunSession, Sources
from bulkjobs._validation import check_operation, check_target

__all__ = ["run", "run_sync", "validate"]


def validate(targets: list[Target], operation: Operation, *, source: str = "targets") -> None:
    """Check every target and the operation's options; raise InvalidInputError listing
    each broken rule. Nothing is sent."""
    issues = check_operation(operation)
    for n, target in enumerate(targets, start=1):
        issues.extend(check_target(target, operation, source=source, line=n))
    if issues:
        raise InvalidInputError(issues)


async def run(
    targets: Sources,
    operation: Operation,
    config: RunConfig | None = None,
    *,
    report: str | os.PathLike[str] | None = None,
    resume: bool = False,
    journal: str | os.PathLike[str] | None = None,
    listing_filter: ListingFilter | None = None,
    on_result: Callable[[Result], object] | None = None,
    destinations: Sequence[Destination] | None = None,
    wait_timeout: float | None = None,
    encryption: Encryption | None = None,
    listing_errors: Literal["stop", "continue"] = "stop",
    verify: bool = False,
) -> Report:
    """Run ``operation`` over ``targets`` and return the report.

    ``targets``: any mix of :class:`Target`, :class:`FromFile` and the listings
    (:class:`FromJob`, :class:`FromThing`, :class:`FromThingGroup`), or a stream of
    targets. Named targets are validated first (nothing is sent if any is invalid).
    ``report="DIR"`` writes summary.json, results.jsonl and journal.jsonl there, as the
    CLI does (``report="s3://bucket/prefix/"`` keeps them in S3, ``encryption`` applied
    to every object; a ``FromFile`` path may be ``s3://bucket/key`` too);
    ``resume=True`` continues the run DIR's journal records (without it, a
    used DIR raises :class:`ConfigurationError`). ``destinations`` spreads the run over
    accounts and regions (other accounts reached with ``config.role``). After CancelJob
    the report says how AWS's server-side cancel stands (``wait_timeout``: follows it
    for up to that many seconds). ``verify=True`` reads every target again once the run
    (and that follow-up) is over: ``Report.verification`` says what is still QUEUED or
    IN_PROGRESS, and the exit code is 1 if anything is. See :class:`RunSession`.
    """
    session = RunSession(
        targets,
        operation,
        config,
        report=report,
        resume=resume,
        journal=journal,
        listing_filter=listing_filter,
        destinations=destinations,
        wait_timeout=wait_timeout,
        encryption=encryption,
        listing_errors=listing_errors,
        verify=verify,
    )
    return await session.run(on_result=on_result)


def run_sync(
    targets: Sources,
    operation: Operation,
    config: RunConfig | None = None,
    *,
    report: str | os.PathLike[str] | None = None,
    resume: bool = False,
    journal: str | os.PathLike[str] | None = None,
    listing_filter: ListingFilter | None = None,
    on_result: Callable[[Result], object] | None = None,
    destinations: Sequence[Destination] | None = None,
    wait_timeout: float | None = None,
    encryption: Encryption | None = None,
    listing_errors: Literal["stop", "continue"] = "stop",
    verify: bool = False,
) -> Report:
    """:func:`run` for synchronous scripts (starts and closes its own event loop)."""

    async def main() -> Report:
        return await run(
            targets,
            operation,
            config,
            report=report,
            resume=resume,
            journal=journal,
            listing_filter=listing_filter,
            on_result=on_result,
            destinations=destinations,
            wait_timeout=wait_timeout,
            encryption=encryption,
            listing_errors=listing_errors,
            verify=verify,
        )

    return anyio.run(main)
