"""What is still running, for the console: ``bulkjobs verify`` and ``--verify``.

``bulkjobs verify`` is a run of the read-only :class:`~bulkjobs.Verify` operation over
any selection (its table, summary.json and results.jsonl are a run's). ``--verify`` on
the other commands runs the same read over every target the run had, once it is over
(after ``--wait``'s follow-up, so a server-side cancel is read when it is done) and
puts what it found in the run's summary.json and exit code: an emergency cancel ends
with proof, not with "the calls were accepted".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, TextIO

import anyio

from bulkjobs import (
    AccountAccess,
    Result,
    RunSession,
    Target,
    Verification,
    Verify,
    plural,
    report_targets,
)
from bulkjobs.cli._options import Options
from bulkjobs.cli._output import Progress

if TYPE_CHECKING:
    from bulkjobs import Report

__all__ = ["Touched", "print_verification", "verify_after"]

#: Still-running targets the console names (summary.json names more, results.jsonl all).
SHOWN: Final = 20


class Touched:
    """The targets a run had, for ``--verify`` to read again: its results.jsonl when
    it has a report directory (O(1) memory), else the targets kept as they finish."""

    def __init__(self, opts: Options) -> None:
        self._opts = opts
        self._kept: list[Target] | None = [] if opts.verify and opts.report_dir is None else None

    @property
    def wanted(self) -> bool:
        """Whether the run must hand every result to :meth:`add`."""
        return self._kept is not None

    def add(self, result: Result) -> None:
        if self._kept is not None and (target := Verify.recheck(result)) is not None:
            self._kept.append(target)

    def targets(self) -> Iterable[Target]:
        if self._kept is not None:
            return self._kept
        assert self._opts.report_dir is not None
        return report_targets(self._opts.report_dir)


async def verify_after(
    opts: Options, touched: Touched, access: AccountAccess, stderr: TextIO
) -> tuple[Report, Verification]:
    """Read every target of the run that just ended again (``--verify``).

    The run's limits on time and failures were for the run: the check goes to the end.
    """
    from bulkjobs.cli._run import watch_signals

    config = replace(opts.config, dry_run=False, deadline=None, abort_failed_percent=None)
    verification = Verification()
    if not opts.quiet:
        print("verify: reading every target again …", file=stderr, flush=True)
    session = RunSession(touched.targets(), Verify(), config, access=access)
    progress = Progress(session, stream=stderr, quiet=opts.quiet)
    async with anyio.create_task_group() as tg:
        tg.start_soon(watch_signals, session, stderr)
        tg.start_soon(progress.run)
        report = await session.run(on_result=verification.add)
        tg.cancel_scope.cancel()
    if report.stop_reason is not None:
        verification.incomplete = f"stopped: {report.stop_reason}"
    return report, verification


def cancel_still_going(opts: Options, verification: Verification) -> str | None:
    """What a cancel command's --verify finding things running may mean."""
    if not opts.operation.name.startswith("cancel-") or verification.passed:
        return None
    force = opts.operation.force
    queued = verification.running.get("QUEUED", 0)
    in_progress = verification.running.get("IN_PROGRESS", 0)
    server_side = opts.operation.cancels_server_side and not opts.wait
    if server_side and (queued or (force and in_progress)):
        return (
            "note: AWS cancels a job's executions server-side after CancelJob returns (about "
            "1,000 a minute): some of these may not have been reached yet. Add --wait so "
            "that --verify reads them once AWS is done."
        )
    if in_progress and not force:
        return (
            "note: a cancel without --force leaves IN_PROGRESS executions running on their "
            "devices; --force stops them."
        )
    return None


def print_verification(
    verification: Verification,
    stream: TextIO,
    *,
    as_json: bool,
    reported: bool,
    hint: str | None = None,
) -> None:
    """The still-running targets (the first :data:`SHOWN`), and one line of verdict;
    ``reported``: there is a report directory that names the rest."""
    if as_json:
        import json

        data: dict[str, Any] = {"event": "verify", **verification.to_json()}
        data["named"] = data["named"][:SHOWN]
        print(json.dumps(data), file=stream, flush=True)
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, highlight=False)
    if verification.named:
        shown = verification.named[:SHOWN]
        # Where each runs is worth a column when they are not all in one place.
        places = len({r.target.destination for r in shown}) > 1
        table = Table(title="still running", title_justify="left")
        table.add_column("job")
        table.add_column("thing")
        table.add_column("status")
        if places:
            table.add_column("account/region")
        for result in shown:
            target = result.target
            status = result.status_before or ""
            if result.running_counts is not None:
                status = ", ".join(f"{n:,} {s}" for s, n in result.running_counts.items() if n)
            row = [target.job_id, target.thing_name or "(whole job)", status]
            table.add_row(*row, *([target.destination.label] if places else []))
        console.print(table)
        more = verification.running_targets - SHOWN
        if more > 0:
            where = (
                f": summary.json's verify section names up to {len(verification.named):,}, "
                'results.jsonl every one ("outcome": "still_running")'
                if reported
                else " (--report DIR names every one)"
            )
            console.print(f"… and {plural(more, 'more target')}{where}", soft_wrap=True)
    console.print(verification.line(), soft_wrap=True)
    if hint is not None:
        console.print(hint, soft_wrap=True)
