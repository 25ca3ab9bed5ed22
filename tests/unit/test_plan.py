"""The dry-run plan: counts, the duration estimate, and the cancel-job advice."""

from __future__ import annotations

import pytest

from bulkjobs._exceptions import ConfigurationError
from bulkjobs._models import (
    CancelExecution,
    CancelJob,
    DeleteExecution,
    InvalidTarget,
    Operation,
    Target,
)
from bulkjobs._plan import Plan, covers_whole_job, format_duration


def plan_of(
    *items: tuple[Target | InvalidTarget, str | None], operation: Operation | None = None
) -> Plan:
    plan = Plan(operation)
    for item, status in items:
        plan.add(item, status=status)
    return plan


def t(job: str, thing: str, region: str | None = None) -> Target:
    return Target(job_id=job, thing_name=thing, region=region)


class TestCounts:
    def test_per_job_region_and_status(self) -> None:
        """Every target counts once in each breakdown, busiest first."""
        plan = plan_of(
            (t("job-1", "a"), "QUEUED"),
            (t("job-1", "b", "eu-west-1"), "QUEUED"),
            (t("job-2", "c", "eu-west-1"), "IN_PROGRESS"),
            (t("job-1", "d", "eu-west-1"), None),
        )
        assert plan.total == 4
        assert plan.by_job == {"job-1": 3, "job-2": 1}
        assert plan.by_region == {"eu-west-1": 3, "default": 1}
        assert plan.by_destination == [
            {"account": None, "region": "eu-west-1", "targets": 3},
            {"account": None, "region": None, "targets": 1},
        ]
        assert plan.by_status == {"QUEUED": 2, "IN_PROGRESS": 1}
        assert plan.status_unknown == 1

    def test_invalid_targets_are_counted_apart(self) -> None:
        """Invalid targets are reported but never sent, so they are not in the totals."""
        plan = plan_of((InvalidTarget(target=t("j", "x y"), reason="bad"), None))
        assert (plan.total, plan.invalid, plan.by_job) == (0, 1, {})


class TestEstimate:
    def test_targets_divided_by_rate(self) -> None:
        """One region: duration = targets ÷ rate, with the arithmetic shown."""
        plan = plan_of(*[(t("j", f"thing-{n}"), None) for n in range(40_000)])
        estimate = plan.estimate(rate=10)
        assert estimate.seconds == 4_000
        assert estimate.formula == "40,000 calls ÷ 10/s = 4,000 s ≈ 1 h 6 min"

    def test_regions_run_in_parallel(self) -> None:
        """Several regions: the busiest one sets the time."""
        plan = plan_of(
            *[(t("j", f"a{n}", "us-east-1"), None) for n in range(30)],
            *[(t("j", f"b{n}", "eu-west-1"), None) for n in range(60)],
        )
        estimate = plan.estimate(rate=20)
        assert (estimate.region, estimate.calls, estimate.seconds) == ("eu-west-1", 60, 3.0)
        assert estimate.formula == "60 calls in eu-west-1 ÷ 20/s = 3.0 s"

    @pytest.mark.parametrize(
        ("targets", "rate", "formula"),
        [
            (150, 10, "150 calls ÷ 10/s = 15.0 s"),
            (1, 10, "1 call ÷ 10/s = 0.1 s"),
            (600, 10, "600 calls ÷ 10/s = 60 s ≈ 1 min"),
        ],
    )
    def test_a_duration_is_said_once_in_its_readable_unit(
        self, targets: int, rate: float, formula: str
    ) -> None:
        """Under a minute the seconds are not repeated; one call is not "1 calls"."""
        plan = plan_of(*[(t("j", f"thing-{n}"), None) for n in range(targets)])
        assert plan.estimate(rate=rate).formula == formula

    def test_one_target_is_singular(self) -> None:
        """The plan's first line says "1 target", not "1 targets"."""
        assert plan_of((t("j", "a"), None)).render(rate=10).splitlines()[0] == "Plan: 1 target"

    @pytest.mark.parametrize(
        ("operation", "calls"), [(CancelExecution(), 1), (DeleteExecution(), 3), (None, 3)]
    )
    def test_executions_listed_terminal_cost_no_cancel(
        self, operation: Operation | None, calls: int
    ) -> None:
        """A cancel settles a listed terminal execution without a call; a delete (or a
        plan that does not know the operation) still counts one for it."""
        plan = plan_of(
            (t("j", "a"), "QUEUED"),
            (t("j", "b"), "CANCELED"),
            (t("j", "c"), "SUCCEEDED"),
            operation=operation,
        )
        assert plan.estimate(rate=10).calls == calls
        assert plan.no_call == 3 - calls
        rendered = plan.render(rate=10)
        assert ("2 targets listed terminal: no call needed" in rendered) == (calls == 1)

    def test_empty_plan_takes_no_time(self) -> None:
        """No targets, no calls."""
        assert Plan().estimate(rate=10).seconds == 0

    def test_rate_must_be_positive(self) -> None:
        """A zero rate would divide by zero."""
        with pytest.raises(ConfigurationError, match="positive"):
            Plan().estimate(rate=0)


class TestOutput:
    def test_json_for_the_summary(self) -> None:
        """to_json carries the counts and the estimate."""
        plan = plan_of((t("j", "a"), "QUEUED"), (t("j", "b"), None))
        assert plan.to_json(rate=2) == {
            "targets": 2,
            "invalid": 0,
            "byJob": {"j": 2},
            "byRegion": {"default": 2},
            "byDestination": [{"account": None, "region": None, "targets": 2}],
            "byStatus": {"QUEUED": 1},
            "statusUnknown": 1,
            "listedTerminalNoCall": 0,
            "rate": 2,
            "estimatedSeconds": 1.0,
            "estimate": "2 calls ÷ 2/s = 1.0 s",
        }

    def test_render_for_the_console(self) -> None:
        """render shows each breakdown, trims long ones, and names the rate's basis."""
        plan = plan_of(*[(t(f"job-{n:02d}", "a"), "QUEUED") for n in range(12)])
        text = plan.render(rate=10, basis="10/s (AWS's default quota)")
        assert text.splitlines()[0] == "Plan: 12 targets"
        assert "by job:    job-00: 1," in text
        assert "… and 2 more" in text
        assert "by status: QUEUED: 12" in text
        assert text.rstrip().endswith("at 10/s (AWS's default quota)")


class TestCoversWholeJob:
    @pytest.mark.parametrize(
        ("operation", "statuses", "age_filtered", "expected"),
        [
            (CancelExecution(), None, False, True),
            (CancelExecution(), ["QUEUED"], False, True),
            (CancelExecution(force=True), ["QUEUED"], False, False),
            (CancelExecution(force=True), ["QUEUED", "IN_PROGRESS"], False, True),
            (CancelExecution(), None, True, False),
            (DeleteExecution(), None, False, False),
            (CancelJob(), None, False, False),
        ],
    )
    def test_advice_only_when_every_cancellable_execution_is_listed(
        self,
        operation: CancelExecution | DeleteExecution | CancelJob,
        statuses: list[str] | None,
        age_filtered: bool,
        expected: bool,
    ) -> None:
        """cancel-job is suggested only when it would cancel the same executions."""
        assert covers_whole_job(operation, statuses, age_filtered=age_filtered) is expected


class TestFormatDuration:
    @pytest.mark.parametrize(
        ("seconds", "text"),
        [
            (4.2, "4.2 s"),
            (400, "6 min 40 s"),
            (3600, "1 h"),
            (4000, "1 h 6 min"),
            (2 * 86_400 + 7200, "2 d 2 h"),
        ],
    )
    def test_two_units_at_most(self, seconds: float, text: str) -> None:
        """Durations read at a glance."""
        assert format_duration(seconds) == text
