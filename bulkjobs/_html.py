"""``report.html``: the run for people who look rather than read.

One self-contained file — styles inline, the charts inline SVG, no script, and a
Content-Security-Policy that forbids the browser to fetch anything — so it opens the
same from a laptop, an S3 console download or an incident ticket attachment, years
later and offline. Every figure comes from ``summary.json`` (and the failures table
from ``results.jsonl``, through :class:`~bulkjobs._breakdown.Breakdown`); elements
carrying a figure are marked ``data-figure="…"`` so tests can check them against
the summary.

:func:`render_html` is pure: the summary and breakdown in, the page out.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any, Final

from bulkjobs._breakdown import Breakdown
from bulkjobs._models import Outcome, OutcomeKind
from bulkjobs._plan import format_duration
from bulkjobs._svg import COLOURS, Series, Timeline, format_clock, timeline_svg

__all__ = ["KIND_COLOURS", "invocations", "render_html"]

KIND_COLOURS: Final = {
    OutcomeKind.DONE.value: "#2e7d32",
    OutcomeKind.NOOP.value: "#78909c",
    OutcomeKind.SKIPPED.value: "#f9a825",
    OutcomeKind.FAILED.value: "#c62828",
    OutcomeKind.INTERRUPTED.value: "#6a1b9a",
    OutcomeKind.DRY_RUN.value: "#1565c0",
}
_KIND_ORDER: Final = list(KIND_COLOURS)
_KIND_LABELS: Final = {
    "done": "done",
    "noop": "no-op",
    "skipped": "skipped",
    "failed": "failed",
    "interrupted": "not finished",
    "dry_run": "dry run",
}
_OUTCOME_ORDER: Final = [o.value for o in Outcome]
#: Rows of a breakdown table before the rest are summed into one.
_ROWS: Final = 25

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


def _n(value: Any) -> str:
    """A count as the page shows it (thousands separated)."""
    return f"{int(value):,}"


def _fig(name: str, text: str, tag: str = "span", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<{tag}{klass} data-figure="{escape(name)}">{escape(text)}</{tag}>'


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _iso(text: object) -> str:
    try:
        return _when(datetime.fromisoformat(str(text)).timestamp())
    except ValueError:
        return "—"


def invocations(summary: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every invocation of the run, earliest first: those a resume carried over
    (``previousInvocations``) and the one that wrote this summary."""
    previous = summary.get("previousInvocations") or []
    return [*previous, summary]


def _verdict(summary: Mapping[str, Any]) -> str:
    kinds = summary.get("kinds", {})
    code = int(summary.get("exitCode", 0))
    if summary.get("dryRun"):
        text, cls = "Dry run: nothing was sent. The plan below says what a run would do.", "ok"
    elif summary.get("stopReason") and kinds.get("interrupted"):
        text = (
            f"Stopped before the end ({summary['stopReason']}): "
            f"{_n(kinds['interrupted'])} targets not finished — resume with --resume."
        )
        cls = "stopped"
    elif code == 0:
        text, cls = "Every target was done or needed nothing (no-op).", "ok"
    else:
        failed, skipped = kinds.get("failed", 0), kinds.get("skipped", 0)
        said = [f"{_n(failed)} targets failed"] if failed else []
        if skipped:
            said.append(f"{_n(skipped)} were skipped by a rule (see the error codes)")
        text = " and ".join(said) + ": see the failed or skipped targets below."
        cls = "bad"
    return (
        f'<div class="verdict {cls}">{escape(text)} '
        f'<span class="note">exit code {_fig("exitCode", str(code))}</span></div>'
    )


def _tiles(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> str:
    kinds = summary.get("kinds", {})
    latency = summary.get("latencyMs", {})
    wall = sum(float(r.get("wallTimeSeconds", 0)) for r in runs)
    calls = sum(int(r.get("attempts", 0)) for r in runs)
    throttles = sum(int(r.get("throttles", 0)) for r in runs)
    share = f"{throttles / calls:.1%} of calls" if calls else "no calls"
    p99 = latency.get("p99")
    tiles = [
        ("targets", _fig("total", _n(summary.get("total", 0)))),
        ("done", _fig("kind.done", _n(kinds.get("done", 0)))),
        ("no-op", _fig("kind.noop", _n(kinds.get("noop", 0)))),
        ("failed", _fig("kind.failed", _n(kinds.get("failed", 0)))),
        ("skipped by a rule", _fig("kind.skipped", _n(kinds.get("skipped", 0)))),
        ("not finished", _fig("kind.interrupted", _n(kinds.get("interrupted", 0)))),
        ("running time", _fig("wallTime", format_duration(wall))),
        (
            "rate achieved",
            _fig("achievedRate", f"{_rate(summary, runs):,.1f}") + "/s",
        ),
        ("API calls", _fig("attempts", _n(calls))),
        ("throttled", _fig("throttles", _n(throttles)) + f' <span class="note">{share}</span>'),
        ("latency p99", _fig("latency.p99", "—" if p99 is None else f"{p99:,.0f}") + " ms"),
    ]
    if summary.get("dryRun"):
        tiles.insert(1, ("dry run", _fig("kind.dry_run", _n(kinds.get("dry_run", 0)))))
    cells = "".join(
        f'<div class="tile"><div class="v">{v}</div><div class="k">{k}</div></div>'
        for k, v in tiles
    )
    return f'<div class="tiles">{cells}</div>'


def _rate(summary: Mapping[str, Any], runs: Sequence[Mapping[str, Any]]) -> float:
    """Targets executed per second of running, over every invocation of the run."""
    if len(runs) == 1:
        return float(summary.get("achievedRatePerSecond", 0))
    wall = sum(float(r.get("wallTimeSeconds", 0)) for r in runs)
    executed = sum(int(t.get("finished", 0)) for r in runs for t in r.get("timeline") or [])
    return executed / wall if wall else 0.0


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
        f"peak {_fig('peakPerSecond', _n(peak))} finished in one second",
        "no call throttled"
        if first_throttle is None
        else "first throttle at " + _fig("firstThrottle", format_clock(first_throttle)),
        "no target failed"
        if first_failure is None
        else "first failure at " + _fig("firstFailure", format_clock(first_failure)),
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


def _bar(counts: Mapping[str, int], total: int) -> str:
    spans = "".join(
        f'<span style="width:{100 * counts[k] / total:.2f}%;background:{KIND_COLOURS[k]}" '
        f'title="{escape(k)}: {_n(counts[k])}"></span>'
        for k in _KIND_ORDER
        if counts.get(k) and total
    )
    return f'<div class="bar">{spans}</div>'


def _outcomes(summary: Mapping[str, Any]) -> str:
    outcomes: Mapping[str, int] = summary.get("outcomes", {})
    total = max(int(summary.get("total", 0)), 1)
    rows = []
    for name in sorted(
        outcomes, key=lambda o: _OUTCOME_ORDER.index(o) if o in _OUTCOME_ORDER else 99
    ):
        count = int(outcomes[name])
        kind = Outcome(name).kind.value if name in _OUTCOME_ORDER else "?"
        rows.append(
            f"<tr><td>{escape(name)}</td><td>{escape(kind)}</td>"
            f'<td class="n">{_fig("outcome." + name, _n(count))}</td>'
            f'<td class="n">{count / total:.1%}</td><td>{_bar({kind: count}, total)}</td></tr>'
        )
    return (
        '<table><tr><th>outcome</th><th>kind</th><th class="n">targets</th>'
        '<th class="n">share</th><th></th></tr>' + "".join(rows) + "</table>"
    )


def _by(title: str, rows: Mapping[str, Mapping[str, int]], figure: str) -> str:
    if not rows:
        return f"<h3>{escape(title)}</h3><p class='note'>nothing recorded</p>"
    items = sorted(rows.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    shown, rest = items[:_ROWS], items[_ROWS:]
    # Always the four a run ends in; not finished and dry run only when they occur.
    kinds = [
        k
        for k in _KIND_ORDER
        if k in ("done", "noop", "skipped", "failed") or any(c.get(k) for _, c in items)
    ]
    body = []
    for name, counts in shown:
        total = sum(counts.values())
        cells = "".join(
            f'<td class="n">{_n(counts.get(k, 0)) if counts.get(k) else ""}</td>' for k in kinds
        )
        body.append(
            f"<tr><td class='mono'>{escape(name)}</td>{cells}"
            f'<td class="n">{_fig(f"{figure}.{name}", _n(total))}</td>'
            f"<td>{_bar(counts, total)}</td></tr>"
        )
    if rest:
        others = sum(sum(c.values()) for _, c in rest)
        body.append(
            f"<tr><td colspan='{len(kinds) + 3}' class='note'>… and {len(rest):,} more, "
            f"{_n(others)} targets</td></tr>"
        )
    head = "".join(f'<th class="n">{_KIND_LABELS[k]}</th>' for k in kinds)
    head += '<th class="n">total</th>'
    return (
        f"<h3>{escape(title)}</h3><table><tr><th></th>{head}<th></th></tr>"
        + "".join(body)
        + "</table>"
    )


def _codes(codes: Mapping[str, int]) -> str:
    if not codes:
        return "<h3>By error code</h3><p class='note'>no target failed or was skipped</p>"
    rows = "".join(
        f"<tr><td class='mono'>{escape(code)}</td>"
        f'<td class="n">{_fig("code." + code, _n(count))}</td></tr>'
        for code, count in sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))[:_ROWS]
    )
    return (
        "<h3>By error code (failed or skipped targets)</h3>"
        f'<table><tr><th>code</th><th class="n">targets</th></tr>{rows}</table>'
    )


def _latency(summary: Mapping[str, Any]) -> str:
    latency: Mapping[str, float | None] = summary.get("latencyMs", {})
    names = ("p50", "p90", "p99", "max", "mean")
    if all(latency.get(n) is None for n in names):
        return "<p class='note'>no call was timed (nothing was sent)</p>"
    top = max(float(latency.get(n) or 0) for n in names) or 1.0
    rows = []
    for name in names:
        value = latency.get(name)
        shown = "—" if value is None else f"{value:,.1f}"
        width = 0.0 if value is None else 100 * float(value) / top
        rows.append(
            f'<tr><td>{name}</td><td class="n">{_fig("latency." + name, shown)} ms</td>'
            f'<td style="width:70%"><div class="bar"><span style="width:{width:.2f}%;'
            f'background:{COLOURS["finished"]}"></span></div></td></tr>'
        )
    which = "the last invocation's calls" if len(invocations(summary)) > 1 else "calls"
    return (
        "<table>" + "".join(rows) + "</table><p class='note'>Time of the call that "
        "ended each target (the successful or final attempt), as bulkjobs measured it, "
        f"over {which}.</p>"
    )


def _failures(breakdown: Breakdown | None) -> str:
    if breakdown is None:
        return "<p class='note'>results.jsonl was not available.</p>"
    if not breakdown.failures:
        return "<p class='note'>No target failed or was skipped.</p>"
    rows = []
    for row in breakdown.failures:
        where = " / ".join(
            str(v) for v in (row.get("region"), row.get("jobId"), row.get("thingName")) if v
        )
        if row.get("executionNumber") is not None:
            where += f" #{row['executionNumber']}"
        rows.append(
            f"<tr><td class='mono'>{escape(where)}</td><td>{escape(str(row['outcome']))}</td>"
            f"<td class='mono'>{escape(str(row.get('errorCode') or ''))}</td>"
            f'<td class="n">{escape(str(row.get("httpStatus") or ""))}</td>'
            f'<td class="n">{_n(row.get("attempts") or 0)}</td>'
            f"<td class='msg'>{escape(str(row.get('message') or ''))}</td></tr>"
        )
    more = ""
    if breakdown.failures_not_shown:
        more = (
            f"<p class='note'>The first {_n(len(breakdown.failures))} are shown; "
            f"{_fig('failuresNotShown', _n(breakdown.failures_not_shown))} more are in "
            "results.jsonl.</p>"
        )
    return (
        "<table><tr><th>target</th><th>outcome</th><th>error code</th><th class='n'>HTTP</th>"
        "<th class='n'>attempts</th><th>message</th></tr>" + "".join(rows) + "</table>" + more
    )


def _runs_table(runs: Sequence[Mapping[str, Any]]) -> str:
    if len(runs) < 2:
        return ""
    rows = "".join(
        f"<tr><td>{n}</td><td>{escape(_iso(r.get('startedAt')))}</td>"
        f'<td class="n">{format_clock(float(r.get("wallTimeSeconds", 0)))}</td>'
        f'<td class="n">{_n(sum(int(t.get("finished", 0)) for t in r.get("timeline") or []))}</td>'
        f'<td class="n">{float(r.get("achievedRatePerSecond", 0)):,.1f}/s</td>'
        f'<td class="n">{_n(r.get("throttles", 0))}</td>'
        f"<td>{escape(str(r.get('stopReason') or 'ran to the end'))}</td></tr>"
        for n, r in enumerate(runs, start=1)
    )
    return (
        f"<h2>Invocations ({_fig('invocations', str(len(runs)))})</h2><table><tr><th>#</th>"
        "<th>started</th><th class='n'>running time</th><th class='n'>finished</th>"
        "<th class='n'>rate</th><th class='n'>throttled</th><th>ended</th></tr>"
        f"{rows}</table>"
    )


def _plan(summary: Mapping[str, Any]) -> str:
    command = summary.get("command")
    parts = []
    if command:
        parts.append(f"<h3>Command</h3><pre>{escape(shlex.join(map(str, command)))}</pre>")
    plan = summary.get("plan")
    if plan:

        def listed(counts: Mapping[str, int]) -> str:
            items = list(counts.items())
            text = ", ".join(f"{k}: {_n(v)}" for k, v in items[:10])
            if len(items) > 10:
                text += f", … and {len(items) - 10:,} more"
            return escape(text or "none")

        rows = [
            ("targets", _fig("plan.targets", _n(plan.get("targets", 0)))),
            ("invalid (reported, never sent)", _n(plan.get("invalid", 0))),
            ("by job", listed(plan.get("byJob", {}))),
            ("by region", listed(plan.get("byRegion", {}))),
        ]
        if plan.get("byStatus"):
            rows.append(("by status (listed)", listed(plan["byStatus"])))
        rows.append(("estimate", escape(str(plan.get("estimate", "")))))
    else:
        rows = []
    extras = [
        ("carried from the journal", summary.get("carriedFromJournal")),
        ("finished earlier, skipped", summary.get("skippedAsFinishedInJournal")),
        ("duplicates removed", summary.get("duplicatesRemoved")),
        ("listing stopped early", summary.get("listingStoppedEarly")),
        ("listing error", summary.get("listingError")),
    ]
    rows += [(k, escape(str(v))) for k, v in extras if v]
    if rows:
        parts.append(
            "<h3>Plan</h3><table class='plan'>"
            + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
            + "</table>"
        )
    return "".join(parts)


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
<p class="sub">first call {escape(_when(started))} · last result {escape(_when(finished))}
{f" · {len(runs)} invocations" if len(runs) > 1 else ""}</p>
{_verdict(summary)}
{_tiles(summary, runs)}
<h2>Rate achieved, throttles and failures over time</h2>
{_timeline(summary, runs)}
{_runs_table(runs)}
<h2>Outcomes</h2>
{_outcomes(summary)}
{_by("By destination (region)", by_destination or {}, "destination")}
{_by("By job", by_job or {}, "job")}
{_codes(codes or {})}
<h2>Latency</h2>
{_latency(summary)}
<h2>Failed or skipped targets</h2>
{_failures(breakdown)}
<h2>Command and plan</h2>
{_plan(summary)}
<footer>Generated by bulkjobs {escape(version)} at {escape(_when(generated.timestamp()))}
from summary.json and results.jsonl; <code>bulkjobs report DIR</code> regenerates it.
No script, nothing fetched: this file is the whole report.</footer>
</body></html>
"""
