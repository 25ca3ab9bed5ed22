"""Authentication as far as the simulator checks it: SigV4 shape and signing time."""

from __future__ import annotations

import calendar
from typing import Any

import aiohttp
import pytest

from bulkjobs.sim import SimConfig, Simulator
from bulkjobs.sim._auth import SignatureCheck
from bulkjobs.sim._errors import ApiError, ErrorCode
from tests.sim.conftest import StartSim

NOW = float(calendar.timegm((2026, 1, 2, 3, 4, 5, 0, 0, 0)))
SIGNED = "AWS4-HMAC-SHA256 Credential=AKIA/20260102/us-east-1/iot/aws4_request, Signature=ab"


class TestSignatureCheck:
    @pytest.mark.parametrize(
        ("authorization", "amz_date", "code"),
        [
            (None, "20260102T030405Z", ErrorCode.MISSING_AUTHENTICATION_TOKEN),
            ("Basic abc", "20260102T030405Z", ErrorCode.INVALID_SIGNATURE),
            (SIGNED.replace("/iot/", "/s3/"), "20260102T030405Z", ErrorCode.INVALID_SIGNATURE),
            (SIGNED, None, ErrorCode.INVALID_SIGNATURE),
            (SIGNED, "20260102T025904Z", ErrorCode.INVALID_SIGNATURE),  # 5 min 1 s early
            (SIGNED, "20260102T030906Z", ErrorCode.INVALID_SIGNATURE),  # 5 min 1 s late
        ],
    )
    def test_refusals(
        self, authorization: str | None, amz_date: str | None, code: ErrorCode
    ) -> None:
        """Unsigned, wrongly scoped, undated and out-of-window requests are refused."""
        with pytest.raises(ApiError) as excinfo:
            SignatureCheck().check(authorization, amz_date, NOW)
        assert excinfo.value.code is code

    @pytest.mark.parametrize(
        "amz_date", ["20260102T030405Z", "20260102T025905Z", "20260102T030905Z"]
    )
    def test_within_five_minutes_passes(self, amz_date: str) -> None:
        """A SigV4 request for iot signed within ±5 minutes is let through."""
        SignatureCheck().check(SIGNED, amz_date, NOW)

    def test_expired_message_reads_like_aws(self) -> None:
        """The skew message names both times, as AWS's does."""
        with pytest.raises(ApiError, match=r"Signature expired: 20260102T025000Z is now earlier"):
            SignatureCheck().check(SIGNED, "20260102T025000Z", NOW)


async def test_unsigned_requests_are_refused(sim: Simulator) -> None:
    """A plain HTTP request without SigV4: 403 MissingAuthenticationTokenException."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sim.endpoint_url}/jobs/job-1") as response,
    ):
        assert response.status == 403
        assert response.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert sim.statistics().of("DescribeJob").accepted == 0


async def test_unsigned_requests_pass_when_checks_are_off(start_sim: StartSim) -> None:
    """check_signatures=False serves plain HTTP clients (load generators, curl)."""
    sim = await start_sim(SimConfig(quota=None, check_signatures=False))
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{sim.endpoint_url}/jobs/job-1") as response,
    ):
        assert response.status == 200
        assert (await response.json())["job"]["jobId"] == "job-1"


@pytest.mark.parametrize(
    ("skew", "words"), [(600.0, "Signature expired"), (-600.0, "not yet current")]
)
async def test_clock_skew_fails_every_signed_call(
    start_sim: StartSim, make_client: Any, skew: float, words: str
) -> None:
    """A server clock 10 minutes off makes botocore calls fail with InvalidSignatureException."""
    sim = await start_sim(SimConfig(quota=None, clock_skew=skew))
    iot = await make_client(sim)
    with pytest.raises(iot.exceptions.ClientError) as excinfo:
        await iot.describe_job(jobId="job-1")
    error = excinfo.value.response["Error"]
    assert error["Code"] == "InvalidSignatureException"
    assert words in error["Message"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
