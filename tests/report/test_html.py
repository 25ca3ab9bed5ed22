"""report.html as a pure function of the summary and the results: what it shows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bulkjobs._breakdown import DEFAULT_DESTINATION, Breakdown, breakdown_from_lines
from bulkjobs._html import render_html
from bulkjobs._models import Outcome, Result, Target
from bulkjobs._report import Aggregator
from bulkjobs._svg import MAX_BUCKETS, Series, Timeline, format_clock, nice_ceiling
from tests.report.pages import count, figures, tags

GENERATED = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)

#: (region, job, outcome, error code, throttles, finished at second)
ROWS: list[tuple[str | None, str, Outcome, str | None, int, float]] = [
    ("eu-west-1", "fw-1", Outcome.CANCELED, None, 0, 0.2),
    ("eu-west-1", "fw-1", Outcome.CANCELED, None, 2, 1.5),
    ("eu-west-1", "fw-2", Outcome.ALREADY_TERMINAL, "InvalidStateTransitionException", 0, 1.7),
    (None, "fw-2", Outcome.RETRIES_EXHAUSTED, "ThrottlingException", 9, 3.1),
    (None, "fw-1", Outcome.IN_PROGRESS_NEEDS_FORCE, "InvalidStateTransitionException", 0, 3.2),
    ("us-east-1", "fw-1", Outcome.CANCELED, None, 1, 5.9),
    ("us-east-1", "fw-1", Outcome.INTERRUPTED, None, 0, 6.0),
]


def results() -> list[Result]:
    return [
        Result(
            target=Target(job_id=job, thing_name=f"thing-{n}", region=region),
            operation="cancel-job-execution",
            outcome=outcome,
            attempts=1 + throttles,
            throttles=throttles,
            error_code=code,
            message=None if code is None else f"{code}: <b>thing-{n}</b> said no",
            started_at=1_764_471_600 + at - 0.1,
            finished_at=1_764_471_600 + at,
            latency=0.01 * (n + 1) if outcome is not Outcome.INTERRUPTED else None,
        )
        for n, (region, job, outcome, code, throttles, at) in enumerate(ROWS)
    ]


def summary_and_breakdown(**extra: Any) -> tuple[dict[str, Any], Breakdown]:
    aggregator = Aggregator(operation="cancel-job-execution", started=100.0)
    breakdown = Breakdown()
    for result, row in zip(results(), ROWS, strict=True):
        aggregator.add(result, 100.0 + row[5])
        breakdown.add(result)
    report = aggregator.report(106.5, stop_reason="deadline of 6s reached")
    summary = {**report.to_json(), "breakdown": breakdown.to_json(), **extra}
    return json.loads(json.dumps(summary)), breakdown


class TestFigures:
    def test_every_count_on_the_page_is_the_summarys(self) -> None:
        """Totals, kinds, outcomes, calls and throttles read off the page equal summary.json."""
        summary, breakdown = summary_and_breakdown()
        shown = figures(render_html(summary, breakdown, version="t", generated=GENERATED))
        assert count(shown["total"]) == summary["total"]
        for kind, n in summary["kinds"].items():
            assert count(shown[f"kind.{kind}"]) == n
        for outcome, n in summary["outcomes"].items():
            assert count(shown[f"outcome.{outcome}"]) == n
        assert count(shown["attempts"]) == summary["attempts"]
        assert count(shown["throttles"]) == summary["throttles"]
        assert count(shown["exitCode"]) == summary["exitCode"] == 1
        assert float(shown["latency.p99"].replace(",", "")) == pytest.approx(
            summary["latencyMs"]["p99"], abs=0.05
        )

    def test_breakdowns_add_up_to_the_total(self) -> None:
        """By destination and by job, every target is counted once; codes as recorded."""
        summary, breakdown = summary_and_breakdown()
        shown = figures(render_html(summary, breakdown, version="t", generated=GENERATED))
        destinations = {k: count(v) for k, v in shown.items() if k.startswith("destination.")}
        jobs = {k: count(v) for k, v in shown.items() if k.startswith("job.")}
        assert destinations == {
            "destination.eu-west-1": 3,
            f"destination.{DEFAULT_DESTINATION}": 2,
            "destination.us-east-1": 2,
        }
        assert jobs == {"job.fw-1": 5, "job.fw-2": 2}
        assert count(shown["code.InvalidStateTransitionException"]) == 1
        assert count(shown["code.ThrottlingException"]) == 1

    def test_interrupted_targets_are_not_drawn_as_finished(self) -> None:
        """Targets recorded at the stop are no work done: the timeline and the rate skip them."""
        summary, _ = summary_and_breakdown()
        finished = sum(row["finished"] for row in summary["timeline"])
        assert finished == len(ROWS) - 1
        # Per second of active time: until the last target worked on finished (5.9 s).
        last_worked = max(row[5] for row in ROWS if row[2] is not Outcome.INTERRUPTED)
        assert summary["achievedRatePerSecond"] == pytest.approx(
            (len(ROWS) - 1) / last_worked, abs=1e-3
        )

    def test_first_throttle_and_failure_are_named(self) -> None:
        """When throttling and failures started, as running time."""
        summary, breakdown = summary_and_breakdown()
        shown = figures(render_html(summary, breakdown, version="t", generated=GENERATED))
        assert shown["firstThrottle"] == "0:01"
        assert shown["firstFailure"] == "0:03"


class TestSelfContained:
    def test_nothing_is_fetched_and_nothing_runs(self) -> None:
        """No script, no external source or link, and a policy forbidding any fetch."""
        summary, breakdown = summary_and_breakdown()
        page = render_html(summary, breakdown, version="t", generated=GENERATED)
        found = tags(page)
        assert "script" not in {tag for tag, _ in found}
        for tag, attrs in found:
            for name in ("src", "href", "action", "srcset"):
                assert name not in attrs, (tag, attrs)
        policy = [a for t, a in found if t == "meta" and a.get("http-equiv")]
        assert policy and "default-src 'none'" in (policy[0]["content"] or "")

    def test_messages_are_text_not_markup(self) -> None:
        """An error message with markup in it is shown escaped, never interpreted."""
        summary, breakdown = summary_and_breakdown()
        page = render_html(summary, breakdown, version="t", generated=GENERATED)
        assert "&lt;b&gt;thing-3&lt;/b&gt;" in page
        assert "<b>thing-3</b>" not in page


class TestFailuresTable:
    def test_lists_failed_and_skipped_with_their_messages(self) -> None:
        """Failed and skipped targets are listed with code and message; done ones are not."""
        summary, breakdown = summary_and_breakdown()
        page = render_html(summary, breakdown, version="t", generated=GENERATED)
        assert [row["outcome"] for row in breakdown.failures] == [
            "retries_exhausted",
            "in_progress_needs_force",
        ]
        assert "ThrottlingException: &lt;b&gt;thing-3" in page

    def test_keeps_the_first_n_and_counts_the_rest(self) -> None:
        """Beyond the limit, failures are counted and the page says where the rest are."""
        lines = [r.to_line() for r in results()] * 3
        breakdown = breakdown_from_lines(lines, keep_failures=4)
        summary, _ = summary_and_breakdown()
        shown = figures(render_html(summary, breakdown, version="t", generated=GENERATED))
        assert len(breakdown.failures) == 4
        assert count(shown["failuresNotShown"]) == 2 * 3 - 4

    def test_torn_lines_are_counted_not_fatal(self) -> None:
        """A results file cut short by a crash still gives a breakdown."""
        lines = [r.to_line() for r in results()] + ['{"jobId": "fw-1", "thing']
        breakdown = breakdown_from_lines(lines)
        assert breakdown.unreadable_lines == 1
        assert sum(c.total() for c in breakdown.by_job.values()) == len(ROWS)


class TestInvocations:
    def test_a_resumed_run_draws_every_invocation(self) -> None:
        """The invocations before a resume are drawn before this one, with a marker."""
        summary, breakdown = summary_and_breakdown()
        earlier = {
            "startedAt": "2026-11-30T02:00:00+00:00",
            "wallTimeSeconds": 30.0,
            "attempts": 40,
            "throttles": 5,
            "achievedRatePerSecond": 1.0,
            "stopReason": "deadline of 30s reached",
            "timeline": [{"second": 0, "finished": 30, "throttles": 5, "failed": 0}],
        }
        summary["previousInvocations"] = [earlier]
        page = render_html(summary, breakdown, version="t", generated=GENERATED)
        shown = figures(page)
        assert shown["invocations"] == "2"
        assert "resumed: invocation 2" in page
        assert count(shown["attempts"]) == summary["attempts"] + 40
        assert count(shown["throttles"]) == summary["throttles"] + 5
        executed = 30 + sum(row["finished"] for row in summary["timeline"])
        rate = executed / (30.0 + summary["wallTimeSeconds"])
        assert float(shown["achievedRate"]) == pytest.approx(rate, abs=0.05)

    def test_latency_and_the_plan_cover_every_invocation(self) -> None:
        """A resumed run's latency is over every invocation's calls (the summary's
        wholeRunLatencyMs), and each earlier invocation's command and plan is shown."""
        summary, breakdown = summary_and_breakdown()
        summary["wholeRunLatencyMs"] = {k: v * 3 for k, v in summary["latencyMs"].items()}
        summary["command"] = ["bulkjobs", "cancel-job-execution", "--resume"]
        summary["plan"] = {"targets": len(ROWS), "invalid": 0, "estimate": "1 s"}
        earlier_plan = {"targets": 2 * len(ROWS), "invalid": 1, "estimate": "2 s"}
        earlier = {
            "startedAt": "2026-11-30T02:00:00+00:00",
            "wallTimeSeconds": 30.0,
            "latencyMs": {"p99": 12.0},
            "command": ["bulkjobs", "cancel-job-execution", "--deadline", "30s"],
            "plan": earlier_plan,
            "timeline": [],
        }
        summary["previousInvocations"] = [earlier]
        page = render_html(summary, breakdown, version="t", generated=GENERATED)
        shown = figures(page)
        assert float(shown["latency.p99"].replace(",", "")) == pytest.approx(
            summary["wholeRunLatencyMs"]["p99"], abs=0.5
        )
        assert float(shown["latency.max"].replace(",", "")) == pytest.approx(
            summary["wholeRunLatencyMs"]["max"], abs=0.05
        )
        assert "over every invocation's calls (2)" in page
        assert count(shown["invocation.1.plan.targets"]) == earlier_plan["targets"]
        assert count(shown["plan.targets"]) == summary["plan"]["targets"]
        assert "--deadline 30s" in page and "Invocation 2 (this summary)" in page

    def test_an_older_summary_says_its_latency_is_the_last_invocations(self) -> None:
        """Without wholeRunLatencyMs (an older bulkjobs), the page says what it shows."""
        summary, breakdown = summary_and_breakdown()
        del summary["wholeRunLatencyMs"]
        summary["previousInvocations"] = [{"wallTimeSeconds": 1.0, "timeline": []}]
        page = render_html(summary, breakdown, version="t", generated=GENERATED)
        assert "over the last invocation's calls" in page
        assert "its summary recorded no command or plan" in page
        assert float(figures(page)["latency.p99"].replace(",", "")) == pytest.approx(
            summary["latencyMs"]["p99"], abs=0.5
        )


class TestWholeRunLatency:
    def test_is_what_one_invocation_doing_every_target_would_measure(self) -> None:
        """Carried targets bring their own call's latency: the whole run's percentiles
        equal those of one run that did every target; latencyMs stays this run's."""
        everything = Aggregator(operation="cancel-job-execution", started=100.0)
        resumed = Aggregator(operation="cancel-job-execution", started=100.0)
        alone = Aggregator(operation="cancel-job-execution", started=100.0)
        for n, (result, row) in enumerate(zip(results(), ROWS, strict=True)):
            everything.add(result, 100.0 + row[5])
            resumed.add(result, 100.0 + row[5], carried=n < 3)
            if n >= 3:
                alone.add(result, 100.0 + row[5])
        whole = resumed.report(107.0).to_json()
        assert whole["wholeRunLatencyMs"] == everything.report(107.0).latency_ms
        assert whole["latencyMs"] == alone.report(107.0).latency_ms != whole["wholeRunLatencyMs"]

    def test_without_a_resume_it_is_the_runs_latency(self) -> None:
        """Nothing carried: the whole run is this invocation."""
        summary, _ = summary_and_breakdown()
        assert summary["wholeRunLatencyMs"] == summary["latencyMs"]


class TestTimeline:
    def test_gaps_are_zeros_and_the_quiet_tail_is_kept(self) -> None:
        """Seconds without results are zero; the series lasts as long as the run."""
        series = Series.from_timeline(
            [{"second": 1, "finished": 4, "throttles": 1, "failed": 0}], seconds=3.2
        )
        assert series.finished == [0, 4, 0, 0]
        assert series.throttles == [0, 1, 0, 0]

    def test_a_long_run_is_averaged_into_few_columns(self) -> None:
        """Four hours draw as at most MAX_BUCKETS columns, averages preserved."""
        seconds = 4 * 3600
        series = Series.from_timeline(
            [{"second": s, "finished": 10, "throttles": 0, "failed": 0} for s in range(seconds)],
            seconds=seconds,
        )
        joined = Timeline.join([series])
        assert len(joined.finished) <= MAX_BUCKETS
        assert set(joined.finished) == {10.0}

    @pytest.mark.parametrize(
        ("value", "ceiling"),
        [(0, 1.0), (0.7, 1.0), (1, 1.0), (1.2, 2.0), (2.2, 2.5), (3, 5.0), (7, 10.0), (151, 200.0)],
    )
    def test_axis_ends_at_a_round_number(self, value: float, ceiling: float) -> None:
        """The y axis ends at the next 1, 2, 2.5 or 5 × 10ⁿ."""
        assert nice_ceiling(value) == pytest.approx(ceiling)

    @pytest.mark.parametrize(
        ("seconds", "text"), [(0, "0:00"), (42, "0:42"), (725, "12:05"), (3725, "1:02:05")]
    )
    def test_running_time_reads_as_a_clock(self, seconds: int, text: str) -> None:
        """Elapsed time as m:ss or h:mm:ss."""
        assert format_clock(seconds) == text
