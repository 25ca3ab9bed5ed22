"""Request authentication as far as a local simulator can check it: SigV4's shape and time.

The simulator cannot verify signatures (it does not know the secret and must never be
given a real one), but it can refuse what AWS would refuse before looking at the secret:
a request with no SigV4 ``Authorization`` header, one signed for another service, and
one whose ``X-Amz-Date`` is more than five minutes off the server's clock — the
``InvalidSignatureException`` a client with a skewed clock gets, worded as AWS words it.
"""

from __future__ import annotations

import calendar
import time
from typing import Final

from bulkjobs.sim._errors import ApiError, ErrorCode

#: How far a request's signing time may be from the server's clock, as in AWS.
SIGNATURE_WINDOW: Final = 300.0
_ALGORITHM = "AWS4-HMAC-SHA256 "
_AMZ_DATE = "%Y%m%dT%H%M%SZ"


def _format(epoch: float) -> str:
    return time.strftime(_AMZ_DATE, time.gmtime(epoch))


class SignatureCheck:
    """Checks the SigV4 shape and signing time of requests to one service."""

    __slots__ = ("_last_date", "_last_epoch", "_scope")

    def __init__(self, service: str = "iot") -> None:
        self._scope = f"/{service}/aws4_request"
        # Requests signed in the same second share X-Amz-Date: parse each value once.
        self._last_date = ""
        self._last_epoch = 0.0

    def check(self, authorization: str | None, amz_date: str | None, now: float) -> None:
        """Raise the ApiError AWS would answer, or return if the request may proceed."""
        if not authorization:
            raise ApiError(ErrorCode.MISSING_AUTHENTICATION_TOKEN, "Missing Authentication Token")
        if not authorization.startswith(_ALGORITHM) or self._scope not in authorization:
            raise ApiError(
                ErrorCode.INVALID_SIGNATURE,
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method.",
            )
        signed_at = self._epoch(amz_date)
        if signed_at < now - SIGNATURE_WINDOW:
            raise ApiError(
                ErrorCode.INVALID_SIGNATURE,
                f"Signature expired: {amz_date} is now earlier than "
                f"{_format(now - SIGNATURE_WINDOW)} ({_format(now)} - 5 min.)",
            )
        if signed_at > now + SIGNATURE_WINDOW:
            raise ApiError(
                ErrorCode.INVALID_SIGNATURE,
                f"Signature not yet current: {amz_date} is still later than "
                f"{_format(now + SIGNATURE_WINDOW)} ({_format(now)} + 5 min.)",
            )

    def _epoch(self, amz_date: str | None) -> float:
        if amz_date == self._last_date:
            return self._last_epoch
        try:
            epoch = float(calendar.timegm(time.strptime(amz_date or "", _AMZ_DATE)))
        except ValueError:
            raise ApiError(
                ErrorCode.INVALID_SIGNATURE,
                "X-Amz-Date is missing or not in ISO 8601 basic format.",
            ) from None
        self._last_date, self._last_epoch = amz_date or "", epoch
        return epoch


def signing_region(authorization: str | None) -> str | None:
    """The region of a SigV4 ``Authorization`` header's credential scope
    (``Credential=AKID/20261202/eu-west-1/iot/aws4_request``), or None."""
    if not authorization:
        return None
    _, found, rest = authorization.partition("Credential=")
    if not found:
        return None
    scope = rest.split(",", 1)[0].split("/")
    return scope[2] if len(scope) >= 5 and scope[2] else None
