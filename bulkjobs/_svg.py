"""The report's timeline as inline SVG: no script, no library, no fetch.

Two panels share the time axis: targets finished per second (the rate achieved) above,
throttled calls and failed targets per second below — throttles can outnumber
finished targets by far, and one scale would flatten whichever is smaller. A run
resumed from its journal is drawn as consecutive invocations with a marker between
them: the idle time between invocations (an hour, a day) is not part of any rate.

Long runs are averaged into at most :data:`MAX_BUCKETS` columns, so a four-hour run
draws as fast and weighs as little as a four-minute one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any, Final

__all__ = ["MAX_BUCKETS", "Series", "Timeline", "format_clock", "nice_ceiling", "timeline_svg"]

MAX_BUCKETS: Final = 600
WIDTH: Final = 960
_LEFT, _RIGHT, _TOP, _AXIS = 60, 16, 14, 26
PANEL_HEIGHTS: Final = (190, 110)

COLOURS: Final = {
    "finished": "#1f6feb",
    "throttles": "#d97706",
    "failed": "#c62828",
    "reference": "#57606a",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Series:
    """Per-second counts of one invocation, gaps filled with zeros."""

    finished: list[int]
    throttles: list[int]
    failed: list[int]

    @classmethod
    def from_timeline(cls, timeline: Sequence[Mapping[str, Any]], seconds: float) -> Series:
        """From summary.json's sparse timeline (seconds where nothing finished are
        absent); ``seconds`` is the invocation's wall time, so a quiet tail still shows."""
        last = max((int(row["second"]) for row in timeline), default=-1)
        length = max(last + 1, math.ceil(seconds))
        finished, throttles, failed = [0] * length, [0] * length, [0] * length
        for row in timeline:
            s = int(row["second"])
            finished[s] += int(row.get("finished", 0))
            throttles[s] += int(row.get("throttles", 0))
            failed[s] += int(row.get("failed", 0))
        return cls(finished=finished, throttles=throttles, failed=failed)


@dataclass(frozen=True, slots=True, kw_only=True)
class Timeline:
    """Invocations laid end to end, averaged into buckets of ``bucket`` seconds."""

    bucket: int
    seconds: int
    finished: list[float]
    throttles: list[float]
    failed: list[float]
    #: Seconds (on the joined axis) where a resumed invocation starts.
    resumes: list[int]

    @classmethod
    def join(cls, invocations: Sequence[Series]) -> Timeline:
        finished: list[int] = []
        throttles: list[int] = []
        failed: list[int] = []
        resumes: list[int] = []
        for n, series in enumerate(invocations):
            if n:
                resumes.append(len(finished))
            finished += series.finished
            throttles += series.throttles
            failed += series.failed
        length = len(finished)
        bucket = max(1, math.ceil(length / MAX_BUCKETS))

        def averaged(values: list[int]) -> list[float]:
            return [
                sum(values[i : i + bucket]) / len(values[i : i + bucket])
                for i in range(0, length, bucket)
            ]

        return cls(
            bucket=bucket,
            seconds=length,
            finished=averaged(finished),
            throttles=averaged(throttles),
            failed=averaged(failed),
            resumes=resumes,
        )


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at or above ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    scale = 10.0**exponent
    # Rounding in log10 can put ``value`` a hair above 10 × 10ⁿ: then the next decade.
    return next((s * scale for s in (1.0, 2.0, 2.5, 5.0) if s * scale >= value), 10.0 * scale)


def format_clock(seconds: float) -> str:
    """``0:42``, ``12:05``, ``1:02:05``: elapsed time as people read it."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _number(value: float) -> str:
    if value >= 10 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.2f}".rstrip("0")


def _time_ticks(seconds: int) -> list[int]:
    if seconds <= 0:
        return [0]
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400):
        if seconds / step <= 8:
            return list(range(0, seconds + 1, step))
    step = math.ceil(seconds / 8 / 86400) * 86400
    return list(range(0, seconds + 1, step))


class _Panel:
    """One plot area: maps (second, value) to pixels and draws into ``parts``."""

    def __init__(self, parts: list[str], top: int, height: int, timeline: Timeline, ymax: float):
        self.parts = parts
        self.top = top
        self.height = height
        self.timeline = timeline
        self.ymax = ymax
        self.plot_width = WIDTH - _LEFT - _RIGHT

    def x(self, second: float) -> float:
        return _LEFT + self.plot_width * second / max(self.timeline.seconds, 1)

    def y(self, value: float) -> float:
        return self.top + self.height * (1 - min(value, self.ymax) / self.ymax)

    def frame(self, label: str) -> None:
        base = self.top + self.height
        # Gridlines at round values: 2 × 10ⁿ splits in four, 1, 2.5 and 5 × 10ⁿ in five.
        divisions = 4 if f"{self.ymax:e}".startswith("2.0") else 5
        for n in range(divisions + 1):
            value = self.ymax * n / divisions
            y = self.y(value)
            self.parts.append(
                f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                f'class="grid"/><text x="{_LEFT - 6}" y="{y + 4:.1f}" class="tick" '
                f'text-anchor="end">{_number(value)}</text>'
            )
        self.parts.append(
            f'<text x="14" y="{self.top + self.height / 2:.1f}" class="axis-label" '
            f'transform="rotate(-90 14 {self.top + self.height / 2:.1f})" '
            f'text-anchor="middle">{escape(label)}</text>'
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{base}" y2="{base}" class="axis"/>'
        )

    def steps(self, values: list[float]) -> str:
        """Points of a step line: each bucket flat over the seconds it covers."""
        bucket = self.timeline.bucket
        points: list[str] = []
        for n, value in enumerate(values):
            start = n * bucket
            end = min(start + bucket, self.timeline.seconds)
            y = self.y(value)
            points.append(f"{self.x(start):.1f},{y:.1f} {self.x(end):.1f},{y:.1f}")
        return " ".join(points)

    def area(self, values: list[float], colour: str, name: str) -> None:
        base = self.top + self.height
        line = self.steps(values)
        self.parts.append(
            f'<polygon points="{_LEFT},{base} {line} {self.x(self.timeline.seconds):.1f},{base}" '
            f'fill="{colour}" fill-opacity="0.18" stroke="none"/>'
            f'<polyline points="{line}" fill="none" stroke="{colour}" stroke-width="1.5" '
            f'data-series="{name}"/>'
        )

    def line(self, values: list[float], colour: str, name: str) -> None:
        self.parts.append(
            f'<polyline points="{self.steps(values)}" fill="none" stroke="{colour}" '
            f'stroke-width="1.5" data-series="{name}"/>'
        )

    def reference(self, value: float, label: str) -> None:
        y = self.y(value)
        self.parts.append(
            f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{COLOURS["reference"]}" stroke-dasharray="6 4" stroke-width="1"/>'
            f'<text x="{WIDTH - _RIGHT - 4}" y="{y - 5:.1f}" class="tick" '
            f'text-anchor="end">{escape(label)}</text>'
        )


def timeline_svg(timeline: Timeline, *, rate_limit: float | None, average: float | None) -> str:
    """Both panels as one ``<svg>``; ``rate_limit`` (a fixed --rate) and ``average``
    (the rate achieved over the run) are drawn as dashed reference lines."""
    parts: list[str] = []
    top_height, bottom_height = PANEL_HEIGHTS
    bottom_top = _TOP + top_height + _AXIS + 18
    height = bottom_top + bottom_height + _AXIS
    peak = max(timeline.finished, default=0.0)
    upper = _Panel(
        parts, _TOP, top_height, timeline, nice_ceiling(max(peak, rate_limit or 0.0) * 1.05)
    )
    upper.frame("finished / s")
    upper.area(timeline.finished, COLOURS["finished"], "finished")
    if rate_limit:
        upper.reference(rate_limit, f"--rate {rate_limit:g}/s")
    if average:
        upper.reference(average, f"average {average:,.1f}/s")
    worst = max(max(timeline.throttles, default=0.0), max(timeline.failed, default=0.0))
    lower = _Panel(parts, bottom_top, bottom_height, timeline, nice_ceiling(worst * 1.05))
    lower.frame("per second")
    lower.line(timeline.throttles, COLOURS["throttles"], "throttles")
    lower.line(timeline.failed, COLOURS["failed"], "failed")
    for panel in (upper, lower):
        base = panel.top + panel.height
        for tick in _time_ticks(timeline.seconds):
            x = panel.x(tick)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" class="axis"/>'
                f'<text x="{x:.1f}" y="{base + 17}" class="tick" '
                f'text-anchor="middle">{format_clock(tick)}</text>'
            )
        for n, second in enumerate(timeline.resumes, start=2):
            x = panel.x(second)
            parts.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{panel.top}" y2="{base}" '
                f'class="resume"/><text x="{x + 4:.1f}" y="{panel.top + 11}" '
                f'class="tick">resumed: invocation {n}</text>'
            )
    title = (
        "Targets finished per second, and throttled calls and failed targets per second, "
        f"over {format_clock(timeline.seconds)} of running"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="timeline">'
        f"<title>{escape(title)}</title>{''.join(parts)}</svg>"
    )
