"""What is still running, for the console: ``bulkjobs verify`` and ``--verify``.

``bulkjobs verify`` is a run of the read-only :class:`~bulkjobs.Verify` operation over
any selection (its table, summary.json and results.jsonl are a run's). ``--verify`` on
the other commands is the session's ``verify=True``: once the run is over (after
``--wait``'s follow-up, so a server-side cancel is read when it is done) every target
it had is read again, and what was found goes into summary.json and the exit code: an
emergency cancel ends with proof, not with "the calls were accepted". Both end in the
report's :class:`~bulkjobs.Verification`, which this module shows.
"""

from __future__ import annotations

from typing import Any, Final, TextIO

from bulkjobs import Verification, plural
from bulkjobs.cli._options import Options

__all__ = ["cancel_still_going", "print_verification"]

#: Still-running targets the console names (summary.json names more, results.jsonl all).
SHOWN: Final = 20


def cancel_still_going(opts: Options, verification: Verification) -> str | None:
    """What a cancel's --verify finding things running may mean: AWS not done with a
    server-side cancel yet, or IN_PROGRESS executions a cancel without force leaves."""
    if verification.passed:
        return None
    op = opts.operation
    acted = op.acted_statuses
    queued = verification.running.get("QUEUED", 0)
    in_progress = verification.running.get("IN_PROGRESS", 0)
    server_side = op.cancels_server_side and not opts.wait
    if server_side and ((queued and "QUEUED" in acted) or (in_progress and op.force)):
        return (
            "note: AWS cancels a job's executions server-side after CancelJob returns (about "
            "1,000 a minute): some of these may not have been reached yet. Add --wait so "
            "that --verify reads them once AWS is done."
        )
    if in_progress and "QUEUED" in acted and "IN_PROGRESS" not in acted:
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
    lines: bool = False,
    hint: str | None = None,
) -> None:
    """The still-running targets (the first :data:`SHOWN`), and one line of verdict;
    ``reported``: a summary.json names more of them; ``lines``: its results.jsonl
    has every one (a verify's own report)."""
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
            if not reported:
                where = " (--report DIR names them)"
            else:
                where = f": summary.json's verify section names up to {len(verification.named):,}"
                if lines:
                    where += ', results.jsonl every one ("outcome": "still_running")'

            console.print(f"… and {plural(more, 'more target')}{where}", soft_wrap=True)
    console.print(verification.line(), soft_wrap=True)
    if hint is not None:
        console.print(hint, soft_wrap=True)
