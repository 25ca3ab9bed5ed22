"""The server-side input rules, case by case, as the API reference states them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bulkjobs.sim import _rules
from bulkjobs.sim._errors import ApiError, ErrorCode
from bulkjobs.sim._model import ExecutionStatus


def rejects(check: Callable[[], object]) -> bool:
    try:
        check()
    except ApiError as exc:
        assert exc.code is ErrorCode.INVALID_REQUEST
        return True
    return False


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("job-1", True),
        ("A_b-9", True),
        ("j" * 64, True),
        ("j" * 65, False),
        ("", False),
        ("job:1", False),  # ':' is allowed in thing names, not in job ids
        ("job 1", False),
        ("jöb", False),
    ],
)
def test_job_id(value: str, valid: bool) -> None:
    """jobId: 1–64 characters of [a-zA-Z0-9_-]."""
    assert rejects(lambda: _rules.job_id(value)) is not valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("thing-000001", True),
        ("arn:like:name", True),
        ("t" * 128, True),
        ("t" * 129, False),
        ("", False),
        ("a/b", False),
        ("a.b", False),
    ],
)
def test_thing_name(value: str, valid: bool) -> None:
    """thingName: 1–128 characters of [a-zA-Z0-9:_-]."""
    assert rejects(lambda: _rules.thing_name(value)) is not valid


@pytest.mark.parametrize(
    ("details", "valid"),
    [
        (None, True),
        ({"k": "v"}, True),
        ({f"k{i}": "v" for i in range(10)}, True),
        ({f"k{i}": "v" for i in range(11)}, False),
        ({"": "v"}, False),
        ({"k" * 129: "v"}, False),
        ({"bad key": "v"}, False),
        ({"k": ""}, False),
        ({"k": "line\nbreak"}, False),  # Cc
        ({"k": "zero\u200bwidth"}, False),  # Cf
        ({"k": "ünïcode ok ✓"}, True),
        ({"k": 1}, False),
        (["k", "v"], False),
    ],
)
def test_status_details(details: object, valid: bool) -> None:
    """statusDetails: ≤10 pairs, keys like thing names, values ≥1 char without \\p{C}."""
    assert rejects(lambda: _rules.status_details(details)) is not valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [(None, True), ("BAD_FW_42", True), ("bad", False), ("A" * 129, False), ("É", False)],
)
def test_reason_code(value: str | None, valid: bool) -> None:
    """reasonCode: ≤128 of [\\p{Upper}\\p{Digit}_] (ASCII classes in Java)."""
    assert rejects(lambda: _rules.reason_code(value)) is not valid


@pytest.mark.parametrize(
    ("value", "valid"),
    [(None, True), ("stop it", True), ("x" * 2028, True), ("x" * 2029, False), ("a\tb", False)],
)
def test_comment(value: str | None, valid: bool) -> None:
    """comment: ≤2028 characters, none of Unicode category C."""
    assert rejects(lambda: _rules.comment(value)) is not valid


@pytest.mark.parametrize(
    ("value", "valid"), [(None, True), (3, True), (True, False), ("3", False), (1.5, False)]
)
def test_expected_version(value: object, valid: bool) -> None:
    """expectedVersion: a JSON integer (a boolean is not one)."""
    assert rejects(lambda: _rules.expected_version(value)) is not valid


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 100), ("1", 1), ("250", 250), ("0", None), ("251", None), ("x", None)],
)
def test_max_results(value: str | None, expected: int | None) -> None:
    """maxResults: 1–250, the default when absent."""
    if expected is None:
        assert rejects(lambda: _rules.max_results(value, 100))
    else:
        assert _rules.max_results(value, 100) == expected


@pytest.mark.parametrize(("value", "expected"), [(None, False), ("true", True), ("False", False)])
def test_flags(value: str | None, expected: bool) -> None:
    """Boolean query parameters are true/false; absent means false."""
    assert _rules.flag(value, "force") is expected


def test_bad_flag_and_numbers_are_refused() -> None:
    """Anything but true/false, or digits for a long, is an InvalidRequestException."""
    assert rejects(lambda: _rules.flag("yes", "force"))
    assert rejects(lambda: _rules.long_value("1_000", "executionNumber"))
    assert rejects(lambda: _rules.long_value(" 1", "executionNumber"))
    assert _rules.long_value("-3", "executionNumber") == -3


def test_status_enum() -> None:
    """status must be one of the eight execution states."""
    assert _rules.execution_status("QUEUED") is ExecutionStatus.QUEUED
    assert rejects(lambda: _rules.execution_status("queued"))
