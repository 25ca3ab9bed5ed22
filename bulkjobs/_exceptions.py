"""Every error bulkjobs raises, rooted at one class.

    BulkJobsError
    ├── InvalidInputError        bad targets or options; nothing was sent (CLI exit 2)
    │   └── (carries a list of ValidationIssue: line, field, rule)
    ├── ConfigurationError       a setting that cannot work (RunConfig values, a used
    │                            report directory without resume, …); nothing was sent
    ├── ApiError                 a read call (listing, planning) failed past its retries
    └── RunInterrupted           a read call was not sent because the run is stopping
                                 (a listing ends there; a resume lists again)

Per-target failures never raise: they become outcomes in the report, and so do stops
(signal, deadline, abort threshold, missing credentials, clock skew): the run's
``stop_reason`` says why and every target not done is ``interrupted``. botocore's
ClientError codes are translated into outcomes at exactly one place, ``_classify``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "ApiError",
    "BulkJobsError",
    "ConfigurationError",
    "InvalidInputError",
    "RunInterrupted",
    "ValidationIssue",
]


class BulkJobsError(Exception):
    """Root of every error raised by bulkjobs."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidationIssue:
    """One broken rule: where (source and line), which field, which rule."""

    source: str
    line: int | None
    field: str
    rule: str
    value: str | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        shown = "" if self.value is None else f" (got {_shorten(self.value)})"
        return f"{where}: {self.field}: {self.rule}{shown}"


def _shorten(value: str, limit: int = 60) -> str:
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    return repr(text)


class InvalidInputError(BulkJobsError):
    """Input broke a rule of the API or of bulkjobs; nothing was sent."""

    def __init__(self, issues: Sequence[ValidationIssue]) -> None:
        self.issues = tuple(issues)
        first = str(self.issues[0]) if self.issues else "invalid input"
        more = len(self.issues) - 1
        suffix = f" (and {more} more)" if more > 0 else ""
        super().__init__(first + suffix)


class ConfigurationError(BulkJobsError):
    """A setting that cannot work, found before anything was sent."""


class ApiError(BulkJobsError):
    """A call that a run depends on (a listing) failed past its retries."""

    def __init__(self, *, api: str, code: str, message: str, http_status: int | None) -> None:
        self.api = api
        self.code = code
        #: The service's own words.
        self.message = message
        self.http_status = http_status
        super().__init__(f"{api} failed: {code}: {message}")


class RunInterrupted(BulkJobsError):
    """``Engine.call`` was refused because the run is stopping: a listing that meets
    it ends there (the engine's own sources do so quietly)."""
