"""The error answers of the simulated IoT control plane.

botocore picks the exception class from the ``x-amzn-ErrorType`` header (falling back to
the body), so the *code string* is the contract clients depend on. The HTTP statuses
still follow the IoT service model (``botocore/data/iot/2015-05-28/service-2.json``), so a
client that (wrongly) classifies by status alone sees what AWS would send it.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class ErrorCode(StrEnum):
    """Error codes the simulator answers with, spelled as on the wire."""

    INVALID_REQUEST = "InvalidRequestException"
    INVALID_STATE_TRANSITION = "InvalidStateTransitionException"
    RESOURCE_NOT_FOUND = "ResourceNotFoundException"
    THROTTLING = "ThrottlingException"
    SERVICE_UNAVAILABLE = "ServiceUnavailableException"
    VERSION_CONFLICT = "VersionConflictException"
    LIMIT_EXCEEDED = "LimitExceededException"
    INVALID_QUERY = "InvalidQueryException"
    INDEX_NOT_READY = "IndexNotReadyException"
    # Not IoT model shapes: what AWS's authentication layer answers, for every service.
    MISSING_AUTHENTICATION_TOKEN = "MissingAuthenticationTokenException"
    INVALID_SIGNATURE = "InvalidSignatureException"
    EXPIRED_TOKEN = "ExpiredTokenException"
    UNRECOGNIZED_CLIENT = "UnrecognizedClientException"
    # Not an IoT model shape: what AWS front ends answer for a path no operation serves.
    UNKNOWN_OPERATION = "UnknownOperationException"


#: HTTP status per error code, as the IoT service model declares it. ThrottlingException
#: is 400 in the model; :attr:`SimConfig.throttle_status` can switch it to 429.
ERROR_STATUS: Final[dict[ErrorCode, int]] = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.INVALID_STATE_TRANSITION: 409,
    ErrorCode.RESOURCE_NOT_FOUND: 404,
    ErrorCode.THROTTLING: 400,
    ErrorCode.SERVICE_UNAVAILABLE: 503,
    ErrorCode.VERSION_CONFLICT: 409,
    ErrorCode.LIMIT_EXCEEDED: 410,
    ErrorCode.INVALID_QUERY: 400,
    ErrorCode.INDEX_NOT_READY: 400,
    ErrorCode.MISSING_AUTHENTICATION_TOKEN: 403,
    ErrorCode.INVALID_SIGNATURE: 403,
    ErrorCode.EXPIRED_TOKEN: 403,
    ErrorCode.UNRECOGNIZED_CLIENT: 403,
    ErrorCode.UNKNOWN_OPERATION: 404,
}


class ApiError(Exception):
    """An API-level refusal: becomes one error response, never a crashed handler.

    ``details`` are members the error body carries beside ``message``.
    """

    def __init__(
        self, code: ErrorCode, message: str, details: Mapping[str, object] | None = None
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details = details


def invalid_request(message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_REQUEST, message)


def not_found(message: str) -> ApiError:
    return ApiError(ErrorCode.RESOURCE_NOT_FOUND, message)


def invalid_transition(message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_STATE_TRANSITION, message)
