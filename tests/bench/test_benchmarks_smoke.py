"""The benchmark harness runs end to end at a tiny size and yields well-formed rows.

Nothing here asserts a timing: this machine's speed is not a specification. What is
checked is what every printed figure rests on — each tool accounts for every target,
the server's state agrees with what the tools report, and the numbers are finite.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import partial

import pytest

from benchmarks import _quotarow, hotpath, memory, startup
from benchmarks.__main__ import parse_args, summary
from benchmarks._report import Check, ScenarioResult, Table
from benchmarks._tools import PEERS, RunSpec, ToolRun, run_bulkjobs

pytestmark = pytest.mark.slow

#: Fast and generous: a burst of 25 tokens, so the quota binds only at the very end.
TINY = _quotarow.Server(quota=500.0, burst_seconds=0.05, latency_ms=0.0, p503=0.0)
TARGETS = 30

TOOLS: list[tuple[str, str, Callable[[RunSpec], ToolRun]]] = [
    ("bulkjobs auto", "bulkjobs_auto", partial(run_bulkjobs, rate=None)),
    ("bulkjobs fixed", "bulkjobs_fixed", partial(run_bulkjobs, rate=TINY.quota)),
    *PEERS,
]


def finite(*values: float) -> bool:
    return all(math.isfinite(v) for v in values)


class TestQuotaScenario:
    @pytest.mark.parametrize(("label", "key", "runner"), TOOLS, ids=[t[1] for t in TOOLS])
    def test_every_tool_accounts_for_every_target(
        self, label: str, key: str, runner: Callable[[RunSpec], ToolRun]
    ) -> None:
        """Done + failed + unreached = targets, and the server agrees on what was done."""
        row = _quotarow.measure(label, key, runner, targets=TARGETS, time_cap=20, server=TINY)
        assert row.run.accounted
        # Without resets or lost responses, what a tool calls done is CANCELED on the
        # server and everything else is still QUEUED.
        assert row.run.done + row.queued == TARGETS
        assert row.sim["requests"] >= row.run.done
        assert 0.0 <= row.throttled_share <= 1.0
        assert finite(row.wall, row.quota_use, row.ideal) and row.wall > 0
        assert len(row.cells()) == len(_quotarow.COLUMNS)
        json.dumps(row.to_json(), allow_nan=False)
        if key.startswith("bulkjobs"):
            assert row.lost == 0 and row.run.done == TARGETS

    def test_ideal_time_follows_the_quota_schedule(self) -> None:
        """Burst first, then each quota for as long as it lasts."""
        assert _quotarow.ideal_seconds(1000, [(0.0, 40.0)], offset=0.0, burst=40.0) == 24.0
        schedule = [(0.0, 40.0), (5.0, 10.0), (10.0, 40.0)]
        # 40 burst + 5 s × 40 + 5 s × 10 = 290 by t = 10; 710 more at 40/s.
        assert _quotarow.ideal_seconds(1000, schedule, offset=0.0, burst=40.0) == 27.75
        # Starting 2 s late: 3 s at 40, 5 s at 10, then 790 / 40 = 19.75 s.
        assert _quotarow.ideal_seconds(1000, schedule, offset=2.0, burst=40.0) == 27.75

    def test_ceiling_accounts_for_503s(self) -> None:
        """With no 503s a perfect client reaches 1.0; with 2 % it cannot."""
        assert _quotarow.use_ceiling(1000, 0.0, 40.0) == 1.0
        assert 0.97 < _quotarow.use_ceiling(1000, 0.02, 40.0) < 0.98


class TestOtherScenarios:
    def test_hot_path_rows_and_profile(self) -> None:
        """Both tools measured, every call done, profile shares adding up to one."""
        result = hotpath.run("quick", targets=40, repeats=1)
        assert result.error is None
        table = result.tables[0]
        assert [row[0] for row in table.rows] == ["bulkjobs", "raw aiobotocore"]
        assert all(row[-1] == "yes" for row in table.rows)
        assert finite(result.data["ratio_calls_per_s"], result.data["ratio_cpu_per_call"])
        assert math.isclose(sum(result.data["profile_groups"].values()), 1.0, rel_tol=1e-6)
        assert result.data["profile_top"]
        [check] = result.checks
        assert check.target == f"≥ {hotpath.MIN_RATIO:.2f}"
        assert check.ok == (result.data["ratio_calls_per_s"] >= hotpath.MIN_RATIO)

    def test_memory_rows_count_every_target(self) -> None:
        """The dry run and the real run both report every target in summary.json, and the
        dry run's wall time is held to the per-line budget of a million-line run."""
        result = memory.run("quick", dry_targets=300, real_targets=TARGETS)
        rows = result.data["rows"]
        assert [row["targets"] for row in rows] == [0, 300, TARGETS]
        assert all(row["returncode"] == 0 and row["max_rss_mb"] > 0 for row in rows)
        assert rows[1]["all_counted"] and rows[2]["all_counted"]
        assert rows[2]["server_queued"] == 0
        [wall] = [check for check in result.checks if check.name == "dry run of 300 wall"]
        limit = memory.DRY_WALL_PER_MILLION * 300 / 10**6
        assert wall.ok == (rows[1]["wall"] <= limit)
        assert "5 s for 1,000,000" in wall.target

    def test_startup_measures_the_first_request(self) -> None:
        """The forwarder sees the first request of the CLI and of the bare script, both
        checked: the median against the target, the ratio of the medians against 1."""
        result = startup.run("quick", runs=1, warm=False)
        data = result.data
        assert len(data["first_request_s"]) == 1 and data["exit_codes"] == [0]
        assert 0 < data["first_request_s"][0] < data["process_wall_s"][0]
        assert len(data["bare_first_request_s"]) == 1 and data["bare_exit_codes"] == [0]
        assert 0 < data["bare_first_request_s"][0] < data["bare_process_wall_s"][0]
        ratio = data["first_request_s"][0] / data["bare_first_request_s"][0]
        assert math.isclose(data["ratio_to_bare"], ratio)
        first, versus_bare = result.checks
        assert first.ok == (data["first_request_s"][0] <= startup.TARGET_SECONDS)
        assert versus_bare.ok == (ratio <= startup.TARGET_RATIO)
        assert data["import_total_ms"] > 0 and data["import_packages_ms"]


class TestOutput:
    def test_json_has_no_nan(self) -> None:
        """NaN (a figure that could not be measured) is written as null."""
        result = ScenarioResult(name="x", title="x", data={"a": float("nan"), "b": [1.0]})
        assert json.loads(json.dumps(result.to_json(), allow_nan=False))["data"]["a"] is None

    def test_table_aligns_columns(self) -> None:
        """Every rendered row of a table has the same width up to its last cell."""
        table = Table(
            title="t", command="c", columns=["name", "n"], rows=[["a", "1"], ["bb", "22"]]
        )
        lines = table.render().splitlines()
        assert lines[2:] == ["name   n", "----  --", "a      1", "bb    22"]

    def test_summary_counts_checks(self) -> None:
        """Met and missed targets are counted; a failed scenario is listed."""
        ok = ScenarioResult(
            name="a", title="a", checks=[Check(name="x", target="1", value="1", ok=True)]
        )
        bad = ScenarioResult(name="b", title="b", error="boom")
        text = summary([ok, bad], 1.0)
        assert "[ERR ] b: boom" in text and "1 targets met, 0 missed" in text

    def test_quick_misses_point_to_the_full_run(self) -> None:
        """A miss at quick sizes is said to be likely there, pointing to --full; a
        full run's misses stand on their own, and a quick run with none says nothing."""
        missed = ScenarioResult(
            name="a", title="a", checks=[Check(name="x", target="1", value="0", ok=False)]
        )
        met = ScenarioResult(
            name="b", title="b", checks=[Check(name="y", target="1", value="1", ok=True)]
        )
        assert "`--full` measures" in summary([missed], 1.0, "quick")
        assert "quick mode" not in summary([missed], 1.0, "full")
        assert "quick mode" not in summary([met], 1.0, "quick")

    def test_arguments(self) -> None:
        """Quick is the default; --only repeats."""
        assert parse_args([]).mode == "quick"
        args = parse_args(["--full", "--only", "quota", "--only", "startup"])
        assert (args.mode, args.only) == ("full", ["quota", "startup"])


class TestDeleteJobScenario:
    def test_every_job_is_accounted_for(self) -> None:
        """bulkjobs deletes every job with none failed; the naive loop's answers add up
        to the jobs it was given, and the jobs left behind are the ones it lost."""
        from benchmarks import deletejob

        sizes = deletejob.Sizes(jobs=12, executions=5, per_execution=0.01)
        ours = deletejob.run_bulkjobs(sizes, time_cap=60)
        assert (ours.deleted, ours.failed, ours.left_behind) == (12, 0, 0)
        naive = deletejob.run_naive(sizes, settle=0.5)
        assert naive.deleted + naive.failed == 12
        assert naive.left_behind == naive.failed
