"""An optional PNG of answers per second: matplotlib is not a dependency of bulkjobs.

The tables carry every figure; the plot only shows *how* a tool reached them (a ramp,
a throttle storm, a stall), so without matplotlib the run goes on without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path

from benchmarks._tools import Event


def per_second(events: Sequence[Event]) -> dict[str, list[int]]:
    """Counts of each answer kind per whole second since the tool started."""
    if not events:
        return {}
    seconds = int(max(t for t, _ in events)) + 1
    counts: dict[str, list[int]] = {}
    for t, kind in events:
        counts.setdefault(kind, [0] * seconds)[int(t)] += 1
    return counts


def timelines(
    path: Path, series: Sequence[tuple[str, Sequence[Event]]], *, title: str
) -> Path | None:
    """One panel per tool: completed and throttled answers per second. None: no matplotlib."""
    try:
        # Imported by name: matplotlib is optional and has no stubs here.
        matplotlib = importlib.import_module("matplotlib")
        matplotlib.use("Agg")  # files only: no display on a benchmark machine
        plt = importlib.import_module("matplotlib.pyplot")
    except ImportError:
        return None
    if not series:
        return None
    fig, axes = plt.subplots(len(series), 1, figsize=(9, 1.9 * len(series)), sharex=True)
    axes_list = list(axes) if len(series) > 1 else [axes]
    for ax, (label, events) in zip(axes_list, series, strict=True):
        counts = per_second(events)
        ok = counts.get("ok", [])
        throttled = counts.get("throttled", [])
        ax.step(range(len(ok)), ok, where="post", label="completed/s")
        ax.step(range(len(throttled)), throttled, where="post", label="throttled/s", color="red")
        ax.set_title(label, fontsize=9, loc="left")
        ax.set_ylabel("per s", fontsize=8)
        ax.tick_params(labelsize=8)
    axes_list[0].legend(fontsize=8, loc="upper right")
    axes_list[-1].set_xlabel("seconds since the tool started")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
