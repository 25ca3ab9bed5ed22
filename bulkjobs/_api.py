"""One-call entry points over :class:`Engine`."""

from __future__ import annotations

from collections.abc import Callable

import anyio

from bulkjobs._config import RunConfig
from bulkjobs._engine import Engine, Targets
from bulkjobs._exceptions import InvalidInputError
from bulkjobs._models import InvalidTarget, Operation, Result, Target
from bulkjobs._report import Report
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
    targets: Targets,
    operation: Operation,
    config: RunConfig | None = None,
    *,
    on_result: Callable[[Result], object] | None = None,
) -> Report:
    """Run ``operation`` over ``targets`` and return the report.

    A list of :class:`Target` is validated first (nothing is sent if any is invalid);
    iterators are streamed and should be validated by their producer.
    """
    if isinstance(targets, list):
        validate([t for t in targets if not isinstance(t, InvalidTarget)], operation)
        total: int | None = len(targets)
    else:
        issues = check_operation(operation)
        if issues:
            raise InvalidInputError(issues)
        total = None
    engine = Engine(operation, config)
    return await engine.run(targets, total=total, on_result=on_result)


def run_sync(
    targets: Targets,
    operation: Operation,
    config: RunConfig | None = None,
    *,
    on_result: Callable[[Result], object] | None = None,
) -> Report:
    """:func:`run` for synchronous scripts (starts and closes its own event loop)."""

    async def main() -> Report:
        return await run(targets, operation, config, on_result=on_result)

    return anyio.run(main)
