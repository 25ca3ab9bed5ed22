"""The account and region options: which destinations a run covers, and how it gets in.

    --role-name NAME | --role-arn TEMPLATE   the role assumed in each account
    --external-id ID  --role-session-name N  --duration-seconds S
    --accounts A,B | --accounts-file PATH | --from-organization [--ou OU [--ou-recursive]]
    --exclude-accounts A,B   --regions R1,R2   --expect-accounts N

Everything is checked here, before anything is sent: a malformed account ID names its
file and line, a role ARN without ``{account}`` is refused, ``--expect-accounts`` is
compared with the selection once it is known (after the organisation is listed).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from bulkjobs import AssumeRole, InvalidInputError, ValidationIssue

__all__ = ["AccountOptions", "add_account_arguments", "check_account", "resolve_accounts"]

_REGION: Final = re.compile(r"[a-z]{2,}(-[a-z0-9]+)+-[0-9]+")
_OU: Final = re.compile(r"(ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}|r-[0-9a-z]{4,32})")

_ACCOUNT: Final = re.compile(r"[0-9]{12}")

Bad = Callable[[str, str, object], None]


def check_account(value: str) -> str | None:
    """The rule an account ID breaks (12 digits), or None."""
    return None if _ACCOUNT.fullmatch(value) else "must be 12 digits, e.g. 111122223333"


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountOptions:
    """The account and region selection of a run, validated."""

    role: AssumeRole | None = None
    #: Accounts named with --accounts and --accounts-file, in the order given.
    accounts: tuple[str, ...] = ()
    from_organization: bool = False
    #: --ou: a unit (or the root) whose accounts are listed; with ``recursive`` also
    #: those of every unit under it.
    ou: str | None = None
    recursive: bool = False
    exclude: frozenset[str] = field(default_factory=frozenset)
    #: --regions: every region the run covers (empty: the one --region / default).
    regions: tuple[str, ...] = ()
    expect_accounts: int | None = None

    @property
    def selects_accounts(self) -> bool:
        return bool(self.accounts) or self.from_organization


def add_account_arguments(sub: argparse.ArgumentParser) -> None:
    """Add the options. Recursion into an OU's units is ``--ou-recursive``, apart from
    ``--recursive`` (a thing group's child groups): one flag for both would make a
    run that needs one of them widen the other too."""
    group = sub.add_argument_group(
        "accounts and regions (one run across many; quotas are per account and region)"
    )
    group.add_argument(
        "--regions",
        metavar="R1,R2",
        help="run in every one of these regions (beside --region, the default for targets "
        "that name none)",
    )
    group.add_argument(
        "--accounts", metavar="A,B", help="run in every one of these accounts (12-digit IDs)"
    )
    group.add_argument(
        "--accounts-file",
        metavar="PATH",
        help="account IDs one per line (# comments and blank lines skipped)",
    )
    group.add_argument(
        "--from-organization",
        action="store_true",
        default=None,
        help="every ACTIVE account of the organisation (Organizations ListAccounts; run "
        "with the management account's credentials)",
    )
    group.add_argument(
        "--ou",
        metavar="OU",
        help="with --from-organization: only the accounts of this organisational unit "
        "(ou-xxxx-yyyyyyyy; --ou-recursive: and of the units under it)",
    )
    group.add_argument(
        "--ou-recursive",
        action="store_true",
        default=None,
        help="with --ou: include the accounts of every unit under it",
    )
    group.add_argument(
        "--exclude-accounts", metavar="A,B", help="leave these accounts out of the selection"
    )
    group.add_argument(
        "--expect-accounts",
        type=int,
        metavar="N",
        help="refuse to run unless the selection has exactly N accounts (a typo in an OU "
        "id cannot widen it)",
    )
    group.add_argument(
        "--role-name",
        metavar="NAME",
        help="assume arn:aws:iam::{account}:role/NAME in each account, e.g. "
        "OrganizationAccountAccessRole (the caller's own account uses its own credentials)",
    )
    group.add_argument(
        "--role-arn",
        metavar="TEMPLATE",
        help="the role to assume, with {account} where the account ID goes: "
        "arn:aws:iam::{account}:role/ops/Canceller",
    )
    group.add_argument("--external-id", metavar="ID", help="ExternalId for AssumeRole")
    group.add_argument(
        "--role-session-name",
        metavar="NAME",
        help="RoleSessionName, as CloudTrail shows it (default bulkjobs-<user>)",
    )
    group.add_argument(
        "--duration-seconds",
        type=int,
        metavar="S",
        help="role session length, 900-43200 (default: the role's, one hour); sessions "
        "are renewed before they end either way",
    )


def _account_list(text: str, field_name: str, bad: Bad) -> list[str]:
    found: list[str] = []
    for n, part in enumerate(text.split(","), start=1):
        part = part.strip()
        if not part:
            continue
        if (rule := check_account(part)) is not None:
            bad(f"{field_name} #{n}", rule, part)
        else:
            found.append(part)
    return found


def _accounts_file(path: str, issues: list[ValidationIssue]) -> list[str]:
    found: list[str] = []
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        issues.append(
            ValidationIssue(
                source="--accounts-file", line=None, field="file", rule=f"cannot be read: {reason}"
            )
        )
        return found
    for lineno, line in enumerate(text.splitlines(), start=1):
        value = line.split("#", 1)[0].strip()
        if not value:
            continue
        if (rule := check_account(value)) is not None:
            issues.append(
                ValidationIssue(source=path, line=lineno, field="account", rule=rule, value=value)
            )
        else:
            found.append(value)
    if not found and not any(i.source == path for i in issues):
        issues.append(
            ValidationIssue(source=path, line=None, field="file", rule="names no account")
        )
    return found


def resolve_accounts(args: argparse.Namespace, issues: list[ValidationIssue]) -> AccountOptions:
    """The account options of ``args``; broken rules are appended to ``issues``."""

    def bad(field_name: str, rule: str, value: object = None) -> None:
        shown = None if value is None else str(value)
        issues.append(
            ValidationIssue(source="options", line=None, field=field_name, rule=rule, value=shown)
        )

    role: AssumeRole | None = None
    role_name = getattr(args, "role_name", None)
    role_arn = getattr(args, "role_arn", None)
    role_extras = {
        "--external-id": getattr(args, "external_id", None),
        "--role-session-name": getattr(args, "role_session_name", None),
        "--duration-seconds": getattr(args, "duration_seconds", None),
    }
    if role_name is not None and role_arn is not None:
        bad("--role-name", "cannot be combined with --role-arn (give one)")
    elif role_name is not None or role_arn is not None:
        try:
            options = {
                "external_id": role_extras["--external-id"],
                "session_name": role_extras["--role-session-name"],
                "duration_seconds": role_extras["--duration-seconds"],
            }
            if role_arn is not None:
                role = AssumeRole(role_arn=role_arn, **options)
            else:
                role = AssumeRole.named(str(role_name), **options)
        except InvalidInputError as exc:
            names = {
                "roleArn": "--role-arn" if role_arn is not None else "--role-name",
                "roleName": "--role-name",
                "externalId": "--external-id",
                "roleSessionName": "--role-session-name",
                "durationSeconds": "--duration-seconds",
            }
            for issue in exc.issues:
                bad(names.get(issue.field, issue.field), issue.rule, issue.value)
    else:
        for name, value in role_extras.items():
            if value is not None:
                bad(name, "applies with --role-name or --role-arn")

    accounts: list[str] = []
    if getattr(args, "accounts", None):
        accounts += _account_list(str(args.accounts), "--accounts", bad)
    if getattr(args, "accounts_file", None):
        accounts += _accounts_file(str(args.accounts_file), issues)
    from_organization = bool(getattr(args, "from_organization", False))
    if from_organization and accounts:
        bad("--from-organization", "cannot be combined with --accounts or --accounts-file")
    ou = getattr(args, "ou", None)
    if ou is not None:
        if not from_organization:
            bad("--ou", "applies with --from-organization")
        elif not _OU.fullmatch(ou):
            bad("--ou", "must be an OU id (ou-xxxx-yyyyyyyy) or the root's (r-xxxx)", ou)
    ou_recursive = bool(getattr(args, "ou_recursive", False))
    if ou_recursive and ou is None:
        bad("--ou-recursive", "applies with --ou")
    exclude: list[str] = []
    if getattr(args, "exclude_accounts", None):
        exclude = _account_list(str(args.exclude_accounts), "--exclude-accounts", bad)
        if not (accounts or from_organization):
            bad(
                "--exclude-accounts",
                "applies with --accounts, --accounts-file or --from-organization",
            )
    regions: list[str] = []
    if getattr(args, "regions", None):
        for n, part in enumerate(str(args.regions).split(","), start=1):
            part = part.strip()
            if not part:
                continue
            if not _REGION.fullmatch(part):
                bad(f"--regions #{n}", f"must match {_REGION.pattern}", part)
            regions.append(part)
        if not regions:
            bad("--regions", "needs at least one region", args.regions)
    expect = getattr(args, "expect_accounts", None)
    if expect is not None:
        if expect < 1:
            bad("--expect-accounts", "must be at least 1", expect)
        if not (accounts or from_organization):
            bad(
                "--expect-accounts",
                "applies with --accounts, --accounts-file or --from-organization",
            )
        elif accounts and expect >= 1:
            chosen = [a for a in dict.fromkeys(accounts) if a not in set(exclude)]
            if len(chosen) != expect:
                bad(
                    "--expect-accounts",
                    f"the selection has {len(chosen)} account(s), not {expect}",
                    ",".join(chosen),
                )
    return AccountOptions(
        role=role,
        accounts=tuple(dict.fromkeys(accounts)),
        from_organization=from_organization,
        ou=ou,
        recursive=ou_recursive and ou is not None,
        exclude=frozenset(exclude),
        regions=tuple(dict.fromkeys(regions)),
        expect_accounts=expect,
    )
