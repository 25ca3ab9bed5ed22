"""The role a run assumes in each account it reaches: a frozen value, validated.

``AssumeRole.named("OrganizationAccountAccessRole")`` is the role AWS Organizations
creates in every account it creates; ``AssumeRole(role_arn="arn:aws:iam::{account}:
role/ops/Canceller")`` any other, with ``{account}`` where the account ID goes. Pure and
light: the CLI validates its options with it before aiobotocore is loaded.
"""

from __future__ import annotations

import getpass
import re
from dataclasses import dataclass, field
from typing import Any, Final

from bulkjobs._exceptions import InvalidInputError, ValidationIssue

__all__ = [
    "DEFAULT_ROLE_NAME",
    "MAX_DURATION",
    "MIN_DURATION",
    "AssumeRole",
    "default_session_name",
]

#: The role AWS Organizations creates in every account it creates.
DEFAULT_ROLE_NAME: Final = "OrganizationAccountAccessRole"

_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
_ROLE_PATH = re.compile(r"(/[\x21-\x7e]+)*/")
_ARN_TEMPLATE = re.compile(r"arn:aws(-[a-z]+)*:iam::\{account\}:role/(.+)")
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
_EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
#: AssumeRole's DurationSeconds bounds (the role's own maximum may be lower).
MIN_DURATION: Final = 900
MAX_DURATION: Final = 43_200


def default_session_name(user: str | None = None) -> str:
    """``bulkjobs-<user>``: CloudTrail in every account then names the tool and who ran
    it. Characters AssumeRole refuses become ``-``; at most 64 characters."""
    if user is None:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "unknown"
    cleaned = re.sub(r"[^\w+=,.@-]", "-", user) or "unknown"
    return f"bulkjobs-{cleaned}"[:64]


@dataclass(frozen=True, slots=True, kw_only=True)
class AssumeRole:
    """The role to assume in each account: ``role_arn`` is a template with ``{account}``
    (``arn:aws:iam::{account}:role/OrganizationAccountAccessRole``); see :meth:`named`.

    ``session_name`` defaults to :func:`default_session_name`; ``duration_seconds`` to
    the role's default (one hour). ``external_id`` is kept out of ``repr``.
    """

    role_arn: str
    external_id: str | None = field(default=None, repr=False)
    session_name: str | None = None
    duration_seconds: int | None = None

    @classmethod
    def named(cls, name: str, **options: Any) -> AssumeRole:
        """The role ``name`` (a path allowed: ``ops/Canceller``) in every account."""
        if not isinstance(name, str) or not name:
            _refuse("roleName", "must be a role name such as " + DEFAULT_ROLE_NAME, name)
        return cls(role_arn="arn:aws:iam::{account}:role/" + name.strip("/"), **options)

    def __post_init__(self) -> None:
        issues: list[ValidationIssue] = []

        def bad(field_name: str, rule: str, value: object) -> None:
            issues.append(
                ValidationIssue(
                    source="options", line=None, field=field_name, rule=rule, value=str(value)
                )
            )

        match = _ARN_TEMPLATE.fullmatch(self.role_arn) if isinstance(self.role_arn, str) else None
        if match is None:
            bad(
                "roleArn",
                "must be arn:aws:iam::{account}:role/NAME, with {account} where the "
                "account ID goes",
                self.role_arn,
            )
        else:
            path, _, name = match.group(2).rpartition("/")
            if not _ROLE_NAME.fullmatch(name):
                bad("roleArn", "the role name must match [\\w+=,.@-]{1,64}", name)
            if path and not _ROLE_PATH.fullmatch(f"/{path}/"):
                bad("roleArn", "the role path must be printable ASCII", path)
        if self.session_name is not None and not _SESSION_NAME.fullmatch(self.session_name):
            bad("roleSessionName", "must match [\\w+=,.@-]{2,64}", self.session_name)
        if self.external_id is not None and not _EXTERNAL_ID.fullmatch(self.external_id):
            # The value is not shown: an external ID is a shared secret of sorts.
            issues.append(
                ValidationIssue(
                    source="options",
                    line=None,
                    field="externalId",
                    rule="must match [\\w+=,.@:/-]{2,1224}",
                )
            )
        duration = self.duration_seconds
        if duration is not None and (
            isinstance(duration, bool)
            or not isinstance(duration, int)
            or not MIN_DURATION <= duration <= MAX_DURATION
        ):
            bad(
                "durationSeconds", f"must be an integer in {MIN_DURATION}..{MAX_DURATION}", duration
            )
        if issues:
            raise InvalidInputError(issues)

    def arn(self, account: str) -> str:
        """The role's ARN in ``account``."""
        return self.role_arn.replace("{account}", account)

    def extra_args(self) -> dict[str, Any]:
        """AssumeRole's parameters besides the role ARN."""
        args: dict[str, Any] = {"RoleSessionName": self.session_name or default_session_name()}
        if self.external_id is not None:
            args["ExternalId"] = self.external_id
        if self.duration_seconds is not None:
            args["DurationSeconds"] = self.duration_seconds
        return args


def _refuse(field_name: str, rule: str, value: object) -> None:
    issue = ValidationIssue(
        source="options", line=None, field=field_name, rule=rule, value=str(value)
    )
    raise InvalidInputError([issue])
