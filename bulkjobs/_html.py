"""``report.html``: the run for people who look rather than read.

One self-contained file — styles inline, the charts inline SVG, no script, and a
Content-Security-Policy that forbids the browser to fetch anything — so it opens the
same from a laptop, an S3 console download or an incident ticket attachment, years
later and offline. Every figure comes from ``summary.json`` (and the failures table
from ``results.jsonl``, through :class:`~bulkjobs._breakdown.Breakdown`); elements
carrying a figure are marked ``data-figure="…"`` so tests can check them against
the summary. The tables are in :mod:`bulkjobs._htmltables`.

:func:`render_html` is pure: the summary and breakdown in, the page out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Any, Final

from bulkjobs._breakdown import Breakdown
from bulkjobs._htmltables import (
    KIND_COLOURS,
    by_table,
    codes_table,
    failures_table,
    fig,
    invocations,
    latency_table,
    num,
    outcomes_table,
    plan_section,
    run_latency,
    runs_table,
    when,
)
from bulkjobs._plan import format_duration
from bulkjobs._svg import COLOURS, Series, Timeline, format_clock, timeline_svg

__all__ = ["KIND_COLOURS", "invocations", "render_html"]

_CSS: Final = """
:root { color-scheme: light; --ink: #1f2328; --muted: #57606a; --line: #d0d7de; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 1040px; padding: 24px 32px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 32px 0 10px;
  border-bottom: 1px solid var(--line); padding-bottom: 4px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.verdict { border-radius: 6px; padding: 10px 14px; margin: 12px 0 18px; font-weight: 600; }
.verdict.ok { background: #dafbe1; border: 1px solid #4ac26b; }
.verdict.bad { background: #ffebe9; border: 1px solid #ff8182; }
.verdict.stopped { background: #fff8c5; border: 1px solid #d4a72c; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.tile { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; }
.tile .v { font-size: 20px; font-weight: 600; } .tile .k { color: var(--muted); font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2;
  vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.bar { display: flex; height: 12px; min-width: 160px; border-radius: 2px; overflow: hidden;
  background: #f6f8fa; }
.bar span { display: block; height: 100%; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.legend span.item { margin-right: 16px; white-space: nowrap; }
table.plan th { width: 220px; font-size: 13px; }
h3 { font-size: 14px; margin: 18px 0 4px; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px;
  white-space: pre-wrap; word-break: break-all; font-size: 12px; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: 12px; }
.msg { max-width: 420px; word-break: break-word; }
svg.timeline { display: block; margin: 8px 0; }
svg .grid { stroke: #eaeef2; } svg .axis { stroke: #8c959f; }
svg .tick { font-size: 11px; fill: #57606a; } svg .axis-label { font-size: 11px; fill: #57606a; }
svg .resume { stroke: #6a1b9a; stroke-dasharray: 3 3; }
.note { color: var(--muted); font-size: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
@media print { body { padding: 0; } h2 { break-after: avoid; } table, svg { break-inside: avoid; } }
"""


def _verdict(summary: Mapping[str, Any]) -> str:
    kinds = summary.get("kinds", {})
    code = int(summary.get("exitCode", 0))
    if summary.get("dryRun"):
        text, cls = "Dry run: nothing was sent. The plan below says what a run would do.", "ok"
    elif summary.get("stopReason") and kinds.get("interrupted"):
        text = (
            f"Stopped before the end ({summary['stopReason']}): "
            f"{num(kinds['interrupted'])} targets not finished — resume with --resume."
        )
        cls = "stopped"
    elif code == 0:
        text, cls = "Every target was done or needed nothing (no-op).", "ok"
    else:
        failed, skipped = kinds.get("failed", 0), kinds.get("skipped", 0)
        said = [f"{num(failed)} targets failed"] if failed else []
        if skipped:
            said.append(f"{num(skipped)} were skipped by a rule (see the error codes)")
        text = " and ".join(said) + ": see the failed or skipped targets below."
        cls = "bad"
    return (
        f'<div class="verdict {cls}">{escape(text)} '
        f'<span class="note">exit code {fig("exitCode", str(code))}</span></div>'
    )


def _tiles(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> str:
    kinds = summary.get("kinds", {})
    latency, _ = run_latency(summary)
    wall = sum(float(r.get("wallTimeSeconds", 0)) for r in runs)
    calls = sum(int(r.get("attempts", 0)) for r in runs)
    throttles = sum(int(r.get("throttles", 0)) for r in runs)
    share = f"{throttles / calls:.1%} of calls" if calls else "no calls"
    p99 = latency.get("p99")
    tiles = [
        ("targets", fig("total", num(summary.get("total", 0)))),
        ("done", fig("kind.done", num(kinds.get("done", 0)))),
        ("no-op", fig("kind.noop", num(kinds.get("noop", 0)))),
        ("failed", fig("kind.failed", num(kinds.get("failed", 0)))),
        ("skipped by a rule", fig("kind.skipped", num(kinds.get("skipped", 0)))),
        ("not finished", fig("kind.interrupted", num(kinds.get("interrupted", 0)))),
        ("running time", fig("wallTime", format_duration(wall))),
        (
            "rate achieved",
            fig("achievedRate", f"{_rate(summary, runs):,.1f}") + "/s",
        ),
        ("API calls", fig("attempts", num(calls))),
        ("throttled", fig("throttles", num(throttles)) + f' <span class="note">{share}</span>'),
        ("latency p99", fig("latency.p99", "—" if p99 is None else f"{p99:,.0f}") + " ms"),
    ]
    if summary.get("dryRun"):
        tiles.insert(1, ("dry run", fig("kind.dry_run", num(kinds.get("dry_run", 0)))))
    cells = "".join(
        f'<div class="tile"><div class="v">{v}</div><div class="k">{k}</div></div>'
        for k, v in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _rate(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> float:
    """Targets executed per second of running, over every invocation of the run."""
    if len(runs) == 1:
        return float(summary.get("achievedRatePerSecond", 0))
    # Per second of active time, as each invocation measured its own rate.
    active = sum(float(r.get("activeSeconds") or r.get("wallTimeSeconds") or 0) for r in runs)
    executed = sum(int(t.get("finished", 0)) for r in runs for t in r.get("timeline") or [])
    return executed / active if active else 0.0


def _timeline(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> str:
    series = [
        Series.from_timeline(r.get("timeline") or [], float(r.get("wallTimeSeconds", 0)))
        for r in runs
    ]
    joined = Timeline.join(series)
    rate_limit = summary.get("rateLimit")
    average = _rate(summary, runs) or None
    svg = timeline_svg(
        joined, rate_limit=float(rate_limit) if rate_limit else None, average=average
    )
    peak = max((max(s.finished, default=0) for s in series), default=0)
    first_throttle = _first_second(series, "throttles")
    first_failure = _first_second(series, "failed")
    facts = [
        f"peak {fig('peakPerSecond', num(peak))} finished in one second",
        "no call throttled"
        if first_throttle is None
        else "first throttle at " + fig("firstThrottle", format_clock(first_throttle)),
        "no target failed"
        if first_failure is None
        else "first failure at " + fig("firstFailure", format_clock(first_failure)),
    ]
    if joined.bucket > 1:
        facts.append(f"each column averages {joined.bucket} s")
    legend = "".join(
        f'<span class="item"><span class="swatch" style="background:{c}"></span>{escape(t)}</span>'
        for c, t in (
            (COLOURS["finished"], "targets finished per second (rate achieved)"),
            (COLOURS["throttles"], "throttled calls per second"),
            (COLOURS["failed"], "failed targets per second"),
        )
    )
    return (
        f'<div class="legend">{legend}</div>{svg}'
        f'<p class="note">{"; ".join(facts)}. Time is running time since the start'
        f"{' of each invocation' if len(runs) > 1 else ''}.</p>"
    )


def _first_second(series: Sequence[Series], name: str) -> int | None:
    offset = 0
    for s in series:
        values: list[int] = getattr(s, name)
        for n, value in enumerate(values):
            if value:
                return offset + n
        offset += len(values)
    return None


def render_html(
    summary: Mapping[str, Any],
    breakdown: Breakdown | None,
    *,
    version: str,
    generated: datetime,
) -> str:
    """The whole page for a report directory's ``summary.json`` (and its results)."""
    runs = invocations(summary)
    operation = str(summary.get("operation", "run"))
    started = breakdown.first_started if breakdown else None
    finished = breakdown.last_finished if breakdown else None
    by_destination = summary.get("breakdown", {}).get("byDestination")
    by_job = summary.get("breakdown", {}).get("byJob")
    codes = summary.get("breakdown", {}).get("failedOrSkippedByCode")
    if breakdown is not None:
        data = breakdown.to_json()
        by_destination, by_job, codes = (
            data["byDestination"],
            data["byJob"],
            data["failedOrSkippedByCode"],
        )
    title = f"bulkjobs {operation}" + (" (dry run)" if summary.get("dryRun") else "")
    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} — report</title><style>{_CSS}</style></head>
<body>
<h1>{escape(title)}</h1>
<p class="sub">first call {escape(when(started))} · last result {escape(when(finished))}
{f" · {len(runs)} invocations" if len(runs) > 1 else ""}</p>
{_verdict(summary)}
{_tiles(summary, runs)}
<h2>Rate achieved, throttles and failures over time</h2>
{_timeline(summary, runs)}
{runs_table(runs)}
<h2>Outcomes</h2>
{outcomes_table(summary)}
{by_table("By destination (account/region)", by_destination or {}, "destination")}
{by_table("By job", by_job or {}, "job")}
{codes_table(codes or {})}
<h2>Latency</h2>
{latency_table(summary)}
<h2>Failed or skipped targets</h2>
{failures_table(breakdown)}
<h2>Command and plan</h2>
{plan_section(summary)}
<footer>Generated by bulkjobs {escape(version)} at {escape(when(generated.timestamp()))}
from summary.json and results.jsonl; <code>bulkjobs report DIR</code> regenerates it.
No script, nothing fetched: this file is the whole report.</footer>
</body></html>
"""
