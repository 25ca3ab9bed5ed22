"""The report page's tables and the small formatting helpers the whole page shares.

Each table is a pure function of the summary (or the breakdown) returning HTML; every
figure is wrapped by :func:`fig` so it carries a ``data-figure`` name.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any, Final

from bulkjobs._breakdown import Breakdown
from bulkjobs._models import Outcome, OutcomeKind
from bulkjobs._svg import COLOURS, format_clock

__all__ = [
    "KIND_COLOURS",
    "by_table",
    "codes_table",
    "failures_table",
    "fig",
    "invocations",
    "latency_table",
    "num",
    "outcomes_table",
    "plan_section",
    "run_latency",
    "runs_table",
    "when",
]

KIND_COLOURS: Final = {
    OutcomeKind.DONE.value: "#2e7d32",
    OutcomeKind.NOOP.value: "#78909c",
    OutcomeKind.SKIPPED.value: "#f9a825",
    OutcomeKind.FAILED.value: "#c62828",
    OutcomeKind.INTERRUPTED.value: "#6a1b9a",
    OutcomeKind.DRY_RUN.value: "#1565c0",
    OutcomeKind.RUNNING.value: "#ef6c00",
}
_KIND_ORDER: Final = list(KIND_COLOURS)
_KIND_LABELS: Final = {
    "done": "done",
    "noop": "no-op",
    "skipped": "skipped",
    "failed": "failed",
    "interrupted": "not finished",
    "dry_run": "dry run",
    "running": "still running",
}
_OUTCOME_ORDER: Final = [o.value for o in Outcome]
#: Rows of a breakdown table before the rest are summed into one.
_ROWS: Final = 25


def num(value: Any) -> str:
    """A count as the page shows it (thousands separated)."""
    return f"{int(value):,}"


def fig(name: str, text: str, tag: str = "span", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<{tag}{klass} data-figure="{escape(name)}">{escape(text)}</{tag}>'


def when(epoch: float | None) -> str:
    if epoch is None:
        return "—"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(text: object) -> str:
    try:
        return when(datetime.fromisoformat(str(text)).timestamp())
    except ValueError:
        return "—"


def invocations(summary: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every invocation of the run, earliest first: those a resume carried over
    (``previousInvocations``) and the one that wrote this summary."""
    previous = summary.get("previousInvocations") or []
    return [*previous, summary]


def bar(counts: Mapping[str, int], total: int) -> str:
    spans = "".join(
        f'<span style="width:{100 * counts[k] / total:.2f}%;background:{KIND_COLOURS[k]}" '
        f'title="{escape(k)}: {num(counts[k])}"></span>'
        for k in _KIND_ORDER
        if counts.get(k) and total
    )
    return f'<div class="bar">{spans}</div>'


def outcomes_table(summary: Mapping[str, Any]) -> str:
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
            f'<td class="n">{fig("outcome." + name, num(count))}</td>'
            f'<td class="n">{count / total:.1%}</td><td>{bar({kind: count}, total)}</td></tr>'
        )
    return (
        '<table><tr><th>outcome</th><th>kind</th><th class="n">targets</th>'
        '<th class="n">share</th><th></th></tr>' + "".join(rows) + "</table>"
    )


def by_table(title: str, rows: Mapping[str, Mapping[str, int]], figure: str) -> str:
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
            f'<td class="n">{num(counts.get(k, 0)) if counts.get(k) else ""}</td>' for k in kinds
        )
        body.append(
            f"<tr><td class='mono'>{escape(name)}</td>{cells}"
            f'<td class="n">{fig(f"{figure}.{name}", num(total))}</td>'
            f"<td>{bar(counts, total)}</td></tr>"
        )
    if rest:
        others = sum(sum(c.values()) for _, c in rest)
        body.append(
            f"<tr><td colspan='{len(kinds) + 3}' class='note'>… and {len(rest):,} more, "
            f"{num(others)} targets</td></tr>"
        )
    head = "".join(f'<th class="n">{_KIND_LABELS[k]}</th>' for k in kinds)
    head += '<th class="n">total</th>'
    return (
        f"<h3>{escape(title)}</h3><table><tr><th></th>{head}<th></th></tr>"
        + "".join(body)
        + "</table>"
    )


def codes_table(codes: Mapping[str, int]) -> str:
    if not codes:
        return "<h3>By error code</h3><p class='note'>no target failed or was skipped</p>"
    rows = "".join(
        f"<tr><td class='mono'>{escape(code)}</td>"
        f'<td class="n">{fig("code." + code, num(count))}</td></tr>'
        for code, count in sorted(codes.items(), key=lambda kv: (-kv[1], kv[0]))[:_ROWS]
    )
    return (
        "<h3>By error code (failed or skipped targets)</h3>"
        f'<table><tr><th>code</th><th class="n">targets</th></tr>{rows}</table>'
    )


def run_latency(summary: Mapping[str, Any]) -> tuple[Mapping[str, float | None], str]:
    """The latency figures to show, and the calls they are over: every invocation's
    when the summary has them (``wholeRunLatencyMs``), else the last one's."""
    runs = len(invocations(summary))
    whole = summary.get("wholeRunLatencyMs")
    if whole is not None:
        return whole, f"every invocation's calls ({runs})" if runs > 1 else "calls"
    return summary.get("latencyMs", {}), "the last invocation's calls" if runs > 1 else "calls"


def latency_table(summary: Mapping[str, Any]) -> str:
    latency, which = run_latency(summary)
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
            f'<tr><td>{name}</td><td class="n">{fig("latency." + name, shown)} ms</td>'
            f'<td style="width:70%"><div class="bar"><span style="width:{width:.2f}%;'
            f'background:{COLOURS["finished"]}"></span></div></td></tr>'
        )
    return (
        "<table>" + "".join(rows) + "</table><p class='note'>Time of the call that "
        "ended each target (the successful or final attempt), as bulkjobs measured it, "
        f"over {which}.</p>"
    )


def failures_table(breakdown: Breakdown | None) -> str:
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
            f'<td class="n">{num(row.get("attempts") or 0)}</td>'
            f"<td class='msg'>{escape(str(row.get('message') or ''))}</td></tr>"
        )
    more = ""
    if breakdown.failures_not_shown:
        more = (
            f"<p class='note'>The first {num(len(breakdown.failures))} are shown; "
            f"{fig('failuresNotShown', num(breakdown.failures_not_shown))} more are in "
            "results.jsonl.</p>"
        )
    return (
        "<table><tr><th>target</th><th>outcome</th><th>error code</th><th class='n'>HTTP</th>"
        "<th class='n'>attempts</th><th>message</th></tr>" + "".join(rows) + "</table>" + more
    )


def _p99(run: Mapping[str, Any]) -> str:
    """An invocation's own p99 (older summaries did not keep an earlier one's)."""
    p99 = (run.get("latencyMs") or {}).get("p99")
    return "—" if p99 is None else f"{float(p99):,.0f} ms"


def runs_table(runs: Sequence[Mapping[str, Any]]) -> str:
    if len(runs) < 2:
        return ""
    rows = "".join(
        f"<tr><td>{n}</td><td>{escape(iso(r.get('startedAt')))}</td>"
        f'<td class="n">{format_clock(float(r.get("wallTimeSeconds", 0)))}</td>'
        f'<td class="n">{num(sum(int(t.get("finished", 0)) for t in r.get("timeline") or []))}</td>'
        f'<td class="n">{float(r.get("achievedRatePerSecond", 0)):,.1f}/s</td>'
        f'<td class="n">{num(r.get("throttles", 0))}</td>'
        f'<td class="n">{_p99(r)}</td>'
        f"<td>{escape(str(r.get('stopReason') or 'ran to the end'))}</td></tr>"
        for n, r in enumerate(runs, start=1)
    )
    return (
        f"<h2>Invocations ({fig('invocations', str(len(runs)))})</h2><table><tr><th>#</th>"
        "<th>started</th><th class='n'>running time</th><th class='n'>finished</th>"
        "<th class='n'>rate</th><th class='n'>throttled</th><th class='n'>latency p99</th>"
        "<th>ended</th></tr>"
        f"{rows}</table>"
    )


def plan_section(summary: Mapping[str, Any]) -> str:
    """Each invocation's command and plan, earliest first (a resumed run's earlier ones
    as their summaries recorded them); what only the last one found (targets carried,
    duplicates, the listing) goes with its plan."""
    runs = invocations(summary)
    if len(runs) == 1:
        return _command_and_plan(summary, "h3", "plan", _extras(summary))
    parts = []
    for n, run in enumerate(runs, start=1):
        last = n == len(runs)
        parts.append(f"<h3>Invocation {n}{' (this summary)' if last else ''}</h3>")
        shown = _command_and_plan(
            run,
            "h4",
            "plan" if last else f"invocation.{n}.plan",
            _extras(summary) if last else [],
        )
        parts.append(shown or "<p class='note'>its summary recorded no command or plan</p>")
    return "".join(parts)


def _command_and_plan(
    run: Mapping[str, Any], tag: str, figure: str, extra: list[tuple[str, str]]
) -> str:
    """One invocation's command, and its plan table with ``extra`` rows after it."""
    command = run.get("command")
    parts = []
    if command:
        parts.append(f"<{tag}>Command</{tag}><pre>{escape(shlex.join(map(str, command)))}</pre>")
    plan = run.get("plan")
    rows: list[tuple[str, str]] = []
    if plan:

        def listed(counts: Mapping[str, int]) -> str:
            items = list(counts.items())
            text = ", ".join(f"{k}: {num(v)}" for k, v in items[:10])
            if len(items) > 10:
                text += f", … and {len(items) - 10:,} more"
            return escape(text or "none")

        rows = [
            ("targets", fig(f"{figure}.targets", num(plan.get("targets", 0)))),
            ("invalid (reported, never sent)", num(plan.get("invalid", 0))),
            ("by job", listed(plan.get("byJob", {}))),
            ("by region", listed(plan.get("byRegion", {}))),
        ]
        if plan.get("byStatus"):
            rows.append(("by status (listed)", listed(plan["byStatus"])))
        rows.append(("estimate", escape(str(plan.get("estimate", "")))))
    rows += extra
    if rows:
        parts.append(
            f"<{tag}>Plan</{tag}><table class='plan'>"
            + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
            + "</table>"
        )
    return "".join(parts)


def _extras(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What the last invocation found beside its plan: carried, de-duplicated, listed."""
    extras = [
        ("carried from the journal", summary.get("carriedFromJournal")),
        ("finished earlier, skipped", summary.get("skippedAsFinishedInJournal")),
        ("duplicates removed", summary.get("duplicatesRemoved")),
        ("listing stopped early", summary.get("listingStoppedEarly")),
        ("listing error", summary.get("listingError")),
    ]
    return [(k, escape(str(v))) for k, v in extras if v]
