"""Which (account, region) destinations a CLI run covers, and how they are shown.

The selection comes from the options (:mod:`._accountopts`) and, for
``--from-organization``, from AWS Organizations: only ``ACTIVE`` accounts, minus
``--exclude-accounts``, pinned by ``--expect-accounts``. The tables here are the
console's view of ``summary.json``'s ``byDestination`` and of the accounts' access.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from bulkjobs import (
    AccountAccess,
    AccountState,
    Destination,
    InvalidInputError,
    ValidationIssue,
)
from bulkjobs.cli._options import Options

__all__ = ["print_access", "print_destinations", "select_destinations"]


async def select_destinations(
    opts: Options, access: AccountAccess, stderr: TextIO
) -> tuple[Destination, ...]:
    """The destinations the options select (empty: the run's one default)."""
    chosen = opts.accounts
    regions: Sequence[str | None] = chosen.regions or (opts.config.region,)
    if not chosen.selects_accounts:
        if not chosen.regions:
            return ()
        return tuple(Destination(region=r) for r in regions)
    accounts = list(chosen.accounts)
    if chosen.from_organization:
        listed = await access.organization_accounts(ou=chosen.ou, recursive=chosen.recursive)
        inactive = [a for a in listed if not a.active]
        accounts = [a.id for a in listed if a.active]
        if inactive and not opts.quiet:
            shown = ", ".join(f"{a.id} ({a.state})" for a in inactive[:10])
            more = f" and {len(inactive) - 10} more" if len(inactive) > 10 else ""
            print(f"bulkjobs: leaving out accounts not ACTIVE: {shown}{more}", file=stderr)
    accounts = [a for a in accounts if a not in chosen.exclude]
    where = f"organisational unit {chosen.ou}" if chosen.ou else "the organisation"
    if not accounts:
        raise InvalidInputError(
            [
                ValidationIssue(
                    source="options",
                    line=None,
                    field="--from-organization" if chosen.from_organization else "--accounts",
                    rule=f"selects no account ({where} has no ACTIVE account left)"
                    if chosen.from_organization
                    else "selects no account once --exclude-accounts is applied",
                )
            ]
        )
    expected = chosen.expect_accounts
    if expected is not None and len(accounts) != expected:
        raise InvalidInputError(
            [
                ValidationIssue(
                    source="options",
                    line=None,
                    field="--expect-accounts",
                    rule=f"the selection has {len(accounts)} account(s), not {expected}",
                    value=",".join(accounts),
                )
            ]
        )
    return tuple(Destination(account=a, region=r) for a in accounts for r in regions)


def print_access(states: Sequence[AccountState], stream: TextIO, *, quiet: bool) -> None:
    """Say which accounts cannot be reached (always) and how the others are (unless
    quiet): the operator must know before confirming that part of the run will fail."""
    failed = [s for s in states if s.error is not None]
    if not quiet and states:
        assumed = sum(1 for s in states if s.status == "assumed")
        own = sum(1 for s in states if s.status == "own")
        parts = [f"{assumed} by role" if assumed else "", "own account" if own else ""]
        how = ", ".join(p for p in parts if p)
        print(
            f"accounts: {len(states) - len(failed)} of {len(states)} reachable ({how or 'none'})",
            file=stream,
        )
    for state in failed:
        assert state.error is not None
        print(
            f"bulkjobs: account {state.account}: {state.error.message} — its targets will end "
            "failed; the other accounts go on",
            file=stream,
        )


def print_destinations(rows: Sequence[Mapping[str, Any]], stream: TextIO) -> None:
    """``byDestination`` as a table: what happened in each account and region."""
    header = (
        f"{'account':<14}{'region':<16}{'targets':>8}{'done':>7}{'no-op':>7}{'skipped':>8}"
        f"{'failed':>7}{'throttled':>10}{'rate/s':>8}"
    )
    print(header, file=stream)
    for row in rows:
        kinds = row.get("kinds", {})
        print(
            f"{row.get('account') or 'own':<14}{row.get('region') or 'default':<16}"
            f"{row['total']:>8,}{kinds.get('done', 0):>7,}{kinds.get('noop', 0):>7,}"
            f"{kinds.get('skipped', 0):>8,}{kinds.get('failed', 0):>7,}"
            f"{row['throttles']:>10,}{row['achievedRatePerSecond']:>8.1f}",
            file=stream,
        )
        codes = row.get("failedOrSkippedByCode") or {}
        if kinds.get("failed") and codes:
            shown = ", ".join(f"{code} {n:,}" for code, n in list(codes.items())[:3])
            print(f"{'':<30}failed or skipped: {shown}", file=stream)
        cancel = row.get("serverSideCancel")
        if isinstance(cancel, Mapping):
            print(f"{'':<30}{_server_side(cancel)}", file=stream)
        if row.get("listingsNotRun"):
            # Nothing was listed there, so no target can stand for what was missed.
            print(
                f"{'':<30}NOT LISTED: {row.get('errorCode')} — the listing did not run "
                "here: what it would have found is unknown and untouched",
                file=stream,
            )


def _server_side(cancel: Mapping[str, Any]) -> str:
    """What became of a destination's server-side cancel, in one line."""
    left = int(cancel.get("remaining", 0))
    canceled = f"{int(cancel.get('canceled', 0)):,} executions CANCELED"
    if cancel.get("errors"):
        return f"server-side cancel: could not be followed to its end; {canceled}"
    if cancel.get("finished"):
        took = cancel.get("secondsToCancel")
        when = f" in {took:.1f} s" if isinstance(took, int | float) else ""
        return f"server-side cancel: done{when}; {canceled}, none left"
    still = "still going on" if cancel.get("waited") else "going on (not waited for)"
    return f"server-side cancel: {still}, {left:,} left; {canceled}"
