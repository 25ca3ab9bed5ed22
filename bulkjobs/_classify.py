"""Error classification: the one place botocore's error codes become our decisions.

Codes, never HTTP statuses, decide: ThrottlingException is HTTP 400 in the IoT model and
429 elsewhere, and InvalidRequestException is also 400.
"""

from __future__ import annotations

import enum
from typing import Final

__all__ = ["ErrorClass", "classify_code"]


class ErrorClass(enum.Enum):
    THROTTLED = "throttled"  # slow down, then retry
    UNAVAILABLE = "unavailable"  # 5xx / LimitExceeded: back off, retry
    TRANSPORT = "transport"  # reset, timeout, refused: retry; the call may have applied
    EXPIRED_CREDENTIALS = "expired_credentials"  # retry after the provider refreshes
    VERSION_CONFLICT = "version_conflict"  # describe, then retry with the fresh version
    INVALID_STATE = "invalid_state"  # describe to tell why
    NOT_FOUND = "not_found"
    INVALID_REQUEST = "invalid_request"
    CLOCK_SKEW = "clock_skew"  # fatal for the run: every call would fail alike
    AUTH = "auth"  # fatal for the run: no credentials / unrecognised client
    NO_ACCESS = "no_access"  # final for the target: its account's role was refused
    OTHER = "other"  # final for the target

    @property
    def retryable(self) -> bool:
        return self in _RETRYABLE

    @property
    def fatal(self) -> bool:
        """Errors that will hit every target the same way; the run stops."""
        return self in (ErrorClass.CLOCK_SKEW, ErrorClass.AUTH)


_RETRYABLE: Final = frozenset(
    {
        ErrorClass.THROTTLED,
        ErrorClass.UNAVAILABLE,
        ErrorClass.TRANSPORT,
        ErrorClass.EXPIRED_CREDENTIALS,
    }
)

_BY_CODE: Final = {
    "ThrottlingException": ErrorClass.THROTTLED,
    "Throttling": ErrorClass.THROTTLED,
    "TooManyRequestsException": ErrorClass.THROTTLED,
    "RequestLimitExceeded": ErrorClass.THROTTLED,
    "ServiceUnavailableException": ErrorClass.UNAVAILABLE,
    "ServiceUnavailable": ErrorClass.UNAVAILABLE,
    "InternalFailureException": ErrorClass.UNAVAILABLE,
    "InternalServerException": ErrorClass.UNAVAILABLE,
    "InternalFailure": ErrorClass.UNAVAILABLE,
    "LimitExceededException": ErrorClass.UNAVAILABLE,
    "ExpiredTokenException": ErrorClass.EXPIRED_CREDENTIALS,
    "ExpiredToken": ErrorClass.EXPIRED_CREDENTIALS,
    "RequestExpired": ErrorClass.EXPIRED_CREDENTIALS,
    "VersionConflictException": ErrorClass.VERSION_CONFLICT,
    "InvalidStateTransitionException": ErrorClass.INVALID_STATE,
    "ResourceNotFoundException": ErrorClass.NOT_FOUND,
    "InvalidRequestException": ErrorClass.INVALID_REQUEST,
    "ValidationException": ErrorClass.INVALID_REQUEST,
    "UnrecognizedClientException": ErrorClass.AUTH,
    "InvalidClientTokenId": ErrorClass.AUTH,
    "SignatureDoesNotMatch": ErrorClass.AUTH,
    "MissingAuthenticationToken": ErrorClass.AUTH,
}

_SKEW_HINTS: Final = ("signature expired", "request time", "clock", "time stamp", "timestamp")


def classify_code(code: str, message: str = "", http_status: int | None = None) -> ErrorClass:
    """Decide what an error response means for the target that got it."""
    if code in ("InvalidSignatureException", "SignatureDoesNotMatch"):
        lowered = message.lower()
        if any(hint in lowered for hint in _SKEW_HINTS):
            return ErrorClass.CLOCK_SKEW
        return ErrorClass.AUTH
    if (cls := _BY_CODE.get(code)) is not None:
        return cls
    # An unmodelled code: fall back on the status class only to decide transience,
    # never to decide throttling (that is the code's job).
    if http_status is not None and http_status >= 500:
        return ErrorClass.UNAVAILABLE
    if http_status == 429:
        return ErrorClass.THROTTLED
    return ErrorClass.OTHER
