"""Input rules of the IoT API, enforced server-side as AWS does.

botocore checks only minimum lengths before sending; patterns, maxima and value types
are the service's to check. They are written here from the API reference on purpose,
independently of the client-side validation in ``bulkjobs``: if the two ever disagree,
the tests against this server show it.

Java regex classes in the reference are ASCII-only unless a flag says otherwise, so
``\\p{Upper}`` is ``[A-Z]`` and ``\\p{Digit}`` is ``[0-9]``; ``[^\\p{C}]`` excludes every
Unicode "Other" category (control, format, surrogate, private use, unassigned).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

from bulkjobs.sim._errors import ApiError, invalid_request
from bulkjobs.sim._model import ExecutionStatus, JobStatus, TargetSelection

JOB_ID_PATTERN: Final = "[a-zA-Z0-9_-]+"
THING_NAME_PATTERN: Final = "[a-zA-Z0-9:_-]+"
REASON_CODE_PATTERN: Final = "[\\p{Upper}\\p{Digit}_]+"
NO_CONTROL_PATTERN: Final = "[^\\p{C}]+"

_JOB_ID = re.compile(r"[a-zA-Z0-9_-]+")
_THING_NAME = re.compile(r"[a-zA-Z0-9:_-]+")
_THING_GROUP_ID = re.compile(r"[a-zA-Z0-9\-]+")
THING_GROUP_ID_PATTERN: Final = "[a-zA-Z0-9\\-]+"
_REASON_CODE = re.compile(r"[A-Z0-9_]+")

_PATTERN: Final = "regular expression pattern: "

MAX_JOB_ID: Final = 64
MAX_THING_NAME: Final = 128
MAX_DETAILS_KEY: Final = 128
MAX_DETAILS_PAIRS: Final = 10
MAX_REASON_CODE: Final = 128
MAX_COMMENT: Final = 2028
MIN_MAX_RESULTS: Final = 1
MAX_MAX_RESULTS: Final = 250


def _violation(value: object, field: str, constraint: str) -> ApiError:
    # Same shape as AWS's own validation messages, so logs read alike.
    return invalid_request(
        f"1 validation error detected: Value '{value}' at '{field}' "
        f"failed to satisfy constraint: {constraint}"
    )


def _checked_name(value: str, field: str, pattern: re.Pattern[str], text: str, maximum: int) -> str:
    if not value:
        raise _violation(value, field, "Member must have length greater than or equal to 1")
    if len(value) > maximum:
        raise _violation(value, field, f"Member must have length less than or equal to {maximum}")
    if pattern.fullmatch(value) is None:
        raise _violation(value, field, f"Member must satisfy regular expression pattern: {text}")
    return value


def has_other_category(text: str) -> bool:
    """True when ``text`` holds a character of Unicode category C (``\\p{C}``)."""
    return any(unicodedata.category(char)[0] == "C" for char in text)


def job_id(value: str, field: str = "jobId") -> str:
    return _checked_name(value, field, _JOB_ID, JOB_ID_PATTERN, MAX_JOB_ID)


def thing_name(value: str, field: str = "thingName") -> str:
    return _checked_name(value, field, _THING_NAME, THING_NAME_PATTERN, MAX_THING_NAME)


def thing_group_name(value: str) -> str:
    return _checked_name(value, "thingGroupName", _THING_NAME, THING_NAME_PATTERN, 128)


def thing_group_id(value: str) -> str:
    return _checked_name(value, "thingGroupId", _THING_GROUP_ID, THING_GROUP_ID_PATTERN, 128)


def namespace_id(value: str | None) -> str | None:
    if value is None:
        return None
    if _JOB_ID.fullmatch(value) is None:
        raise _violation(value, "namespaceId", f"Member must satisfy {_PATTERN}{JOB_ID_PATTERN}")
    return value


def status_details(value: object) -> dict[str, str] | None:
    """A CancelJobExecution ``statusDetails`` map, or None when absent."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise invalid_request("statusDetails must be a map of strings to strings")
    if len(value) > MAX_DETAILS_PAIRS:
        raise _violation(
            "statusDetails",
            "statusDetails",
            f"Member must have at most {MAX_DETAILS_PAIRS} name/value pairs",
        )
    details: dict[str, str] = {}
    for key, item in value.items():
        if not isinstance(key, str) or not isinstance(item, str):
            raise invalid_request("statusDetails must be a map of strings to strings")
        _checked_name(key, "statusDetails.key", _THING_NAME, THING_NAME_PATTERN, MAX_DETAILS_KEY)
        if not item:
            raise _violation(
                item, "statusDetails.value", "Member must have length greater than or equal to 1"
            )
        if has_other_category(item):
            raise _violation(
                item,
                "statusDetails.value",
                f"Member must satisfy regular expression pattern: {NO_CONTROL_PATTERN}",
            )
        details[key] = item
    return details


def expected_version(value: object) -> int | None:
    # bool is an int in Python but never a JSON number on the wire.
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_request("expectedVersion must be a number (long)")
    return value


def reason_code(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_request("reasonCode must be a string")
    if len(value) > MAX_REASON_CODE:
        raise _violation(
            value, "reasonCode", f"Member must have length less than or equal to {MAX_REASON_CODE}"
        )
    if _REASON_CODE.fullmatch(value) is None:
        raise _violation(
            value,
            "reasonCode",
            f"Member must satisfy regular expression pattern: {REASON_CODE_PATTERN}",
        )
    return value


def comment(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise invalid_request("comment must be a string")
    if len(value) > MAX_COMMENT:
        raise _violation(
            "...", "comment", f"Member must have length less than or equal to {MAX_COMMENT}"
        )
    if not value or has_other_category(value):
        raise _violation(value, "comment", f"Member must satisfy {_PATTERN}{NO_CONTROL_PATTERN}")
    return value


def flag(value: str | None, field: str) -> bool:
    """A boolean query parameter; botocore sends ``true``/``false``."""
    if value is None:
        return False
    lowered = value.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise invalid_request(f"Value '{value}' at '{field}' is not a valid boolean")


def long_value(value: str, field: str) -> int:
    # int() alone would accept "1_000" and surrounding blanks; the wire carries digits.
    text = value[1:] if value[:1] == "-" else value
    if not text.isascii() or not text.isdigit():
        raise invalid_request(f"Value '{value}' at '{field}' is not a valid long")
    return int(value)


def max_results(value: str | None, default: int) -> int:
    if value is None:
        return default
    number = long_value(value, "maxResults")
    if not MIN_MAX_RESULTS <= number <= MAX_MAX_RESULTS:
        raise _violation(
            value,
            "maxResults",
            f"Member must have value between {MIN_MAX_RESULTS} and {MAX_MAX_RESULTS}",
        )
    return number


def execution_status(value: str | None) -> ExecutionStatus | None:
    if value is None:
        return None
    try:
        return ExecutionStatus(value)
    except ValueError:
        members = ", ".join(ExecutionStatus)
        raise _violation(
            value, "status", f"Member must satisfy enum value set: [{members}]"
        ) from None


def job_status(value: str | None) -> JobStatus | None:
    """ListJobs' ``status`` filter."""
    if value is None:
        return None
    try:
        return JobStatus(value)
    except ValueError:
        members = ", ".join(JobStatus)
        raise _violation(
            value, "status", f"Member must satisfy enum value set: [{members}]"
        ) from None


def target_selection(value: str | None) -> TargetSelection | None:
    """ListJobs' ``targetSelection`` filter."""
    if value is None:
        return None
    try:
        return TargetSelection(value)
    except ValueError:
        members = ", ".join(TargetSelection)
        raise _violation(
            value, "targetSelection", f"Member must satisfy enum value set: [{members}]"
        ) from None


#: SearchIndex: "This maximum number cannot exceed 100" (the model sets only a minimum).
MAX_SEARCH_RESULTS: Final = 100


def index_name(value: object) -> str:
    """SearchIndex's ``indexName`` (optional: fleet indexing's thing index by default)."""
    if value is None:
        return "AWS_Things"
    if not isinstance(value, str):
        raise _violation(value, "indexName", "Member must be a string")
    return _checked_name(value, "indexName", _THING_NAME, THING_NAME_PATTERN, 128)


def query_string(value: object) -> str:
    if value is None:
        raise _violation(value, "queryString", "Member must not be null")
    if not isinstance(value, str):
        raise _violation(value, "queryString", "Member must be a string")
    if not value:
        raise _violation(value, "queryString", "Member must have length greater than or equal to 1")
    return value


def search_max_results(value: object, default: int) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise _violation(value, "maxResults", "Member must be an integer")
    if not MIN_MAX_RESULTS <= value <= MAX_SEARCH_RESULTS:
        raise _violation(
            value,
            "maxResults",
            f"Member must have value between {MIN_MAX_RESULTS} and {MAX_SEARCH_RESULTS}",
        )
    return value


def optional_string(value: object, field: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise _violation(value, field, "Member must be a string")
    return value
