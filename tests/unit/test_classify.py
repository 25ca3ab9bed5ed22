"""Error codes to decisions: codes decide, statuses only where no code is modelled."""

from __future__ import annotations

import pytest

from bulkjobs._classify import ErrorClass, classify_code


class TestUnmodelledCodes:
    @pytest.mark.parametrize("status", [500, 502, 503, 504, 599])
    def test_an_unknown_5xx_is_transient_and_retried(self, status: int) -> None:
        """A code no model names, on a 5xx, is the service's trouble: back off, retry."""
        cls = classify_code("SomethingNewException", "", status)
        assert cls is ErrorClass.UNAVAILABLE
        assert cls.retryable

    def test_an_unknown_429_is_a_throttle(self) -> None:
        """429 is throttling in every AWS document, whatever the code says."""
        assert classify_code("SlowDownPleaseException", "", 429) is ErrorClass.THROTTLED

    @pytest.mark.parametrize("status", [400, 403, 404, 409, None])
    def test_an_unknown_4xx_is_final(self, status: int | None) -> None:
        """Anything else unknown is the target's own failure: not retried."""
        cls = classify_code("SomethingNewException", "", status)
        assert cls is ErrorClass.OTHER
        assert not cls.retryable


class TestModelledCodes:
    @pytest.mark.parametrize(
        ("code", "status", "cls"),
        [
            ("ThrottlingException", 400, ErrorClass.THROTTLED),
            ("ServiceUnavailableException", 503, ErrorClass.UNAVAILABLE),
            ("LimitExceededException", 410, ErrorClass.UNAVAILABLE),
            ("VersionConflictException", 409, ErrorClass.VERSION_CONFLICT),
            ("InvalidStateTransitionException", 409, ErrorClass.INVALID_STATE),
            ("InvalidRequestException", 400, ErrorClass.INVALID_REQUEST),
            ("ResourceNotFoundException", 404, ErrorClass.NOT_FOUND),
            ("ExpiredTokenException", 403, ErrorClass.EXPIRED_CREDENTIALS),
        ],
    )
    def test_the_code_decides_not_the_status(self, code: str, status: int, cls: ErrorClass) -> None:
        """ThrottlingException at 400 is a throttle; InvalidRequest at 400 is not."""
        assert classify_code(code, "", status) is cls

    @pytest.mark.parametrize(
        ("message", "cls"),
        [
            ("Signature expired: 20260101T000000Z is now earlier than ...", ErrorClass.CLOCK_SKEW),
            ("The request signature we calculated does not match", ErrorClass.AUTH),
        ],
    )
    def test_signature_errors_tell_a_skewed_clock_from_bad_keys(
        self, message: str, cls: ErrorClass
    ) -> None:
        """A time message means the clock; anything else the credentials. Both fatal."""
        found = classify_code("InvalidSignatureException", message, 403)
        assert found is cls
        assert found.fatal
