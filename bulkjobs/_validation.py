"""The API's own input rules, checked before anything is sent.

botocore checks only minimum lengths client-side; the patterns and maxima below come from
the IoT service model (``JobId``, ``ThingName``, ``DetailsKey``, ``DetailsValue``,
``ReasonCode``, ``Comment``, ``NamespaceId``). Each check returns issues instead of raising
so one pass can report every broken rule with its line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from bulkjobs._exceptions import ValidationIssue
from bulkjobs._models import (
    EXECUTION_STATUSES,
    CancelExecution,
    CancelJob,
    DeleteExecution,
    DeleteJob,
    Operation,
    Target,
    Verify,
)

__all__ = [
    "check_account",
    "check_operation",
    "check_status",
    "check_target",
]

# Java's 64-bit long, the model's type for executionNumber and expectedVersion.
_LONG_MAX: Final = 2**63 - 1
MAX_STATUS_DETAILS: Final = 10


def _no_control(value: str) -> bool:
    r"""``[^\p{C}]+``: no character of Unicode category C (Cc, Cf, Cs, Co, Cn)."""
    return all(not unicodedata.category(ch).startswith("C") for ch in value)


def _upper_digit_underscore(value: str) -> bool:
    r"""``[\p{Upper}\p{Digit}_]+``: uppercase letters, decimal digits, underscore."""
    return all(ch == "_" or ch.isupper() or unicodedata.category(ch) == "Nd" for ch in value)


@dataclass(frozen=True, slots=True)
class _StringRule:
    """A model string shape: lengths, then a pattern (a regex or, for Unicode classes
    Python's ``re`` lacks, a predicate), checked in that order."""

    min_len: int
    max_len: int | None
    matches: Callable[[str], object]
    pattern_text: str

    def check(self, value: str) -> str | None:
        """The broken rule in words, or None when ``value`` passes."""
        if len(value) < self.min_len:
            return f"must be at least {self.min_len} character(s) long"
        if self.max_len is not None and len(value) > self.max_len:
            return f"must be at most {self.max_len} characters long (got {len(value)})"
        if not self.matches(value):
            return f"must match {self.pattern_text}"
        return None


def _rule(min_len: int, max_len: int | None, pattern: str) -> _StringRule:
    return _StringRule(min_len, max_len, re.compile(pattern).fullmatch, pattern)


JOB_ID: Final = _rule(1, 64, r"[a-zA-Z0-9_-]+")
THING_NAME: Final = _rule(1, 128, r"[a-zA-Z0-9:_-]+")
THING_GROUP_NAME: Final = _rule(1, 128, r"[a-zA-Z0-9:_-]+")
DETAILS_KEY: Final = _rule(1, 128, r"[a-zA-Z0-9:_-]+")
INDEX_NAME: Final = _rule(1, 128, r"[a-zA-Z0-9:_-]+")
#: The model asks only for one character; a blank query can only be refused.
QUERY_STRING: Final = _StringRule(1, None, str.strip, "a query that is not blank")
NAMESPACE_ID: Final = _rule(1, None, r"[a-zA-Z0-9_-]+")
_PRINTABLE: Final = r"[^\p{C}]+ (no control or unassigned characters)"
DETAILS_VALUE: Final = _StringRule(1, None, _no_control, _PRINTABLE)
COMMENT: Final = _StringRule(1, 2028, _no_control, _PRINTABLE)
REASON_CODE: Final = _StringRule(
    1, 128, _upper_digit_underscore, r"[\p{Upper}\p{Digit}_]+ (uppercase letters, digits, _)"
)


_ACCOUNT: Final = re.compile(r"[0-9]{12}")


def check_account(value: object) -> str | None:
    """The broken rule of an account ID, or None (12 digits, as a string)."""
    if not isinstance(value, str):
        return "must be a string of 12 digits (a number would lose leading zeros)"
    # Leading zeros are part of an account ID: it stays a string.
    if not _ACCOUNT.fullmatch(value):
        return "must be 12 digits, e.g. 111122223333"
    return None


def check_long(value: int, *, minimum: int = 0) -> str | None:
    if value < minimum:
        return f"must be an integer ≥ {minimum}"
    if value > _LONG_MAX:
        return f"must be at most {_LONG_MAX} (a 64-bit long)"
    return None


def check_status(value: str) -> str | None:
    if value not in EXECUTION_STATUSES:
        return "must be one of " + ", ".join(EXECUTION_STATUSES)
    return None


def check_status_details(
    details: Mapping[str, str], *, source: str, line: int | None, field: str = "statusDetails"
) -> list[ValidationIssue]:
    issues: list[ValidationIssue] = []
    if len(details) > MAX_STATUS_DETAILS:
        issues.append(
            ValidationIssue(
                source=source,
                line=line,
                field=field,
                rule=f"at most {MAX_STATUS_DETAILS} key/value pairs (got {len(details)})",
            )
        )
    for key, value in details.items():
        if (broken := DETAILS_KEY.check(key)) is not None:
            issues.append(
                ValidationIssue(
                    source=source, line=line, field=f"{field} key", rule=broken, value=key
                )
            )
        if not isinstance(value, str):
            issues.append(
                ValidationIssue(
                    source=source,
                    line=line,
                    field=f"{field}[{key}]",
                    rule="must be a string",
                    value=repr(value),
                )
            )
        elif (broken := DETAILS_VALUE.check(value)) is not None:
            issues.append(
                ValidationIssue(
                    source=source, line=line, field=f"{field}[{key}]", rule=broken, value=value
                )
            )
    return issues


Add = Callable[[str, "str | None", "str | None"], None]


def _cancel_execution_rules(op: CancelExecution, add: Add, source: str) -> list[ValidationIssue]:
    expected = op.expected_version
    if isinstance(expected, int) and not isinstance(expected, bool):
        add("expectedVersion", check_long(expected), str(expected))
    elif expected not in (None, "fresh"):
        add("expectedVersion", "must be an integer or 'fresh'", str(expected))
    return (
        []
        if op.status_details is None
        else check_status_details(op.status_details, source=source, line=None)
    )


def _delete_execution_rules(op: DeleteExecution, add: Add, source: str) -> list[ValidationIssue]:
    if op.namespace_id is not None:
        add("namespaceId", NAMESPACE_ID.check(op.namespace_id), op.namespace_id)
    return []


def _delete_job_rules(op: DeleteJob, add: Add, source: str) -> list[ValidationIssue]:
    if op.namespace_id is not None:
        add("namespaceId", NAMESPACE_ID.check(op.namespace_id), op.namespace_id)
    if op.max_deleting < 1:
        add("maxDeleting", "must be at least 1", str(op.max_deleting))
    if not op.poll_interval > 0:
        add("pollInterval", "must be a positive number of seconds", str(op.poll_interval))
    elif not op.max_poll_interval >= op.poll_interval:
        add("maxPollInterval", "must be at least pollInterval", str(op.max_poll_interval))
    return []


def _cancel_job_rules(op: CancelJob, add: Add, source: str) -> list[ValidationIssue]:
    if op.reason_code is not None:
        add("reasonCode", REASON_CODE.check(op.reason_code), op.reason_code)
    if op.comment is not None:
        add("comment", COMMENT.check(op.comment), op.comment)
    return []


def _verify_rules(op: Verify, add: Add, source: str) -> list[ValidationIssue]:
    # A read has no options to break.
    return []


#: Each operation's rules on its own options: one entry per operation type.
_OPERATION_RULES: Final[Mapping[type, Callable[[Any, Add, str], list[ValidationIssue]]]] = {
    CancelExecution: _cancel_execution_rules,
    DeleteExecution: _delete_execution_rules,
    DeleteJob: _delete_job_rules,
    CancelJob: _cancel_job_rules,
    Verify: _verify_rules,
}


def check_operation(operation: Operation, *, source: str = "options") -> list[ValidationIssue]:
    """Rules on the run-wide options of ``operation``."""
    issues: list[ValidationIssue] = []

    def add(field: str, rule: str | None, value: str | None) -> None:
        if rule is not None:
            issues.append(
                ValidationIssue(source=source, line=None, field=field, rule=rule, value=value)
            )

    issues.extend(_OPERATION_RULES[type(operation)](operation, add, source))
    return issues


def check_target(
    target: Target, operation: Operation, *, source: str, line: int | None
) -> list[ValidationIssue]:
    """Rules on one target for ``operation``; an empty list means it may be sent."""
    issues: list[ValidationIssue] = []

    def add(field: str, rule: str | None, value: str | None) -> None:
        if rule is not None:
            issues.append(
                ValidationIssue(source=source, line=line, field=field, rule=rule, value=value)
            )

    add("jobId", JOB_ID.check(target.job_id), target.job_id)
    if (account := target.destination.account) is not None:
        add("account", check_account(account), account)
    if operation.whole_job:
        return issues
    if target.thing_name is None and isinstance(operation, Verify):
        # A job target: verify reads the job's counters.
        return issues
    if target.thing_name is None:
        add("thingName", "is required for " + operation.name, None)
    else:
        add("thingName", THING_NAME.check(target.thing_name), target.thing_name)
    if target.execution_number is not None:
        add(
            "executionNumber",
            check_long(target.execution_number),
            str(target.execution_number),
        )
    if target.expected_version is not None:
        add(
            "expectedVersion",
            check_long(target.expected_version),
            str(target.expected_version),
        )
    return issues
