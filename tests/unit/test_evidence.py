"""Whose change is it: the pure rule behind lost answers (no I/O, no clock)."""

from __future__ import annotations

import pytest

from bulkjobs._evidence import Lost, Seen, Verdict, judge_cancel, judge_cancel_job

SENT = 1_800_000_000.0
MARGIN = 2.0


class TestJudgeCancel:
    @pytest.mark.parametrize(
        ("lost", "seen", "verdict"),
        [
            (Lost(sent_at=SENT, force=True), Seen(last_updated_at=SENT - 3), Verdict.NOT_OURS),
            (Lost(sent_at=SENT, force=True), Seen(last_updated_at=SENT - 1), Verdict.UNDECIDED),
            (
                Lost(sent_at=SENT, force=True),
                Seen(last_updated_at=SENT, force_canceled=False),
                Verdict.NOT_OURS,
            ),
            (
                Lost(sent_at=SENT, force=False),
                Seen(last_updated_at=SENT, force_canceled=True),
                Verdict.NOT_OURS,
            ),
            (
                Lost(sent_at=SENT, force=False, status_details={"why": "bad fw"}),
                Seen(last_updated_at=SENT, status_details={"why": "other"}),
                Verdict.NOT_OURS,
            ),
            (
                Lost(sent_at=SENT, force=False, status_details={"why": "bad fw"}),
                Seen(last_updated_at=SENT, status_details={"why": "bad fw"}),
                Verdict.UNDECIDED,
            ),
            (Lost(sent_at=SENT, force=False, expected_version=3), Seen(version=4), Verdict.OURS),
            (
                Lost(sent_at=SENT, force=False, expected_version=3),
                Seen(version=6),
                Verdict.NOT_OURS,
            ),
            (Lost(sent_at=SENT, force=False, version_seen=3), Seen(version=3), Verdict.NOT_OURS),
            (Lost(sent_at=SENT, force=False, version_seen=3), Seen(version=4), Verdict.OURS),
            (Lost(sent_at=SENT, force=False, version_seen=3), Seen(version=5), Verdict.UNDECIDED),
            (Lost(sent_at=SENT, force=False), Seen(), Verdict.UNDECIDED),
        ],
        ids=[
            "updated-before-sending",
            "updated-within-margin",
            "force-sent-not-force-canceled",
            "no-force-sent-force-canceled",
            "other-status-details",
            "same-status-details",
            "version-the-call-makes",
            "version-the-call-cannot-make",
            "unchanged-since-read",
            "one-change-since-read",
            "several-changes-since-read",
            "nothing-to-go-on",
        ],
    )
    def test_verdicts(self, lost: Lost, seen: Seen, verdict: Verdict) -> None:
        """Each piece of evidence decides only in the direction it can prove."""
        found, reason = judge_cancel(lost, seen, margin=MARGIN)
        assert found is verdict
        assert reason

    def test_time_evidence_wins_over_a_matching_version(self) -> None:
        """A change dated before sending cannot be the call's, whatever its version."""
        lost = Lost(sent_at=SENT, force=False, expected_version=3)
        verdict, _ = judge_cancel(lost, Seen(version=4, last_updated_at=SENT - 60), margin=MARGIN)
        assert verdict is Verdict.NOT_OURS


class TestJudgeCancelJob:
    @pytest.mark.parametrize(
        ("lost", "seen", "verdict"),
        [
            (Lost(sent_at=SENT, force=False), Seen(last_updated_at=SENT - 60), Verdict.NOT_OURS),
            (
                Lost(sent_at=SENT, force=True),
                Seen(last_updated_at=SENT, force_canceled=False),
                Verdict.NOT_OURS,
            ),
            (
                Lost(sent_at=SENT, force=False, reason_code="BAD_FW"),
                Seen(last_updated_at=SENT, reason_code="OTHER"),
                Verdict.NOT_OURS,
            ),
            (
                Lost(sent_at=SENT, force=True, comment="stop"),
                Seen(last_updated_at=SENT, force_canceled=True, comment="stop"),
                Verdict.UNDECIDED,
            ),
        ],
        ids=["updated-before-sending", "not-forced", "other-reason", "fits"],
    )
    def test_verdicts(self, lost: Lost, seen: Seen, verdict: Verdict) -> None:
        """CancelJob: the job's lastUpdatedAt, forceCanceled and texts decide."""
        assert judge_cancel_job(lost, seen, margin=MARGIN)[0] is verdict
