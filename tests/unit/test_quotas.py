"""Finding an API's rate quota among Service Quotas' entries for IoT."""

from __future__ import annotations

import pytest

from bulkjobs._quotas import match_quota


def entry(name: str, code: str = "L-00000001") -> dict[str, object]:
    return {"QuotaName": name, "QuotaCode": code, "Value": 20.0}


class TestMatchQuota:
    @pytest.mark.parametrize(
        ("api", "name"),
        [
            ("CancelJobExecution", "CancelJobExecution throttle limit"),
            ("CancelJobExecution", "cancelJobExecution API throttle limit"),
            ("DeleteJobExecution", "Rate of DeleteJobExecution requests per second"),
            ("CancelJob", "CancelJob TPS"),
        ],
    )
    def test_finds_the_api_by_name(self, api: str, name: str) -> None:
        """The API's name as a word, in a name about a request rate, matches."""
        assert match_quota(api, [entry("Maximum number of jobs"), entry(name)]) == entry(name)

    @pytest.mark.parametrize(
        ("api", "name"),
        [
            ("CancelJob", "CancelJobExecution throttle limit"),
            ("CancelJobExecution", "Maximum CancelJobExecution statusDetails entries"),
            ("DescribeJob", "DescribeJobExecution throttle limit"),
        ],
    )
    def test_ignores_other_apis_and_counts(self, api: str, name: str) -> None:
        """Another API whose name starts alike, or a count that is not a rate, is not it."""
        assert match_quota(api, [entry(name)]) is None

    def test_skips_malformed_entries(self) -> None:
        """Entries without a string name or code are passed over."""
        quotas = [{"QuotaName": "CancelJob throttle limit"}, {"QuotaCode": "L-1"}]
        assert match_quota("CancelJob", quotas) is None
