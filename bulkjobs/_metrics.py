"""The run's counters for Prometheus, as a node_exporter textfile.

Scheduled runs are watched by monitoring, not by reading logs: node_exporter's textfile
collector serves every ``*.prom`` file of a directory, and this module keeps one such
file up to date — every few seconds while the run goes on, and once more at the end —
through prometheus_client's registry and ``write_to_textfile`` (a temporary file renamed
into place, so the collector never reads half a file).

Every sample carries ``task="<file stem>"``, so several scheduled runs on one host (one
file each) never collide in the collector. ``bulkjobs_last_success_timestamp_seconds``
survives failed runs: a run that does not succeed carries the previous file's value
forward, and an alert on its age ("no successful cleanup for two days") works.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import anyio
from prometheus_client import CollectorRegistry, Gauge, write_to_textfile
from prometheus_client.parser import text_string_to_metric_families

from bulkjobs._models import Outcome, Result

__all__ = ["LAST_SUCCESS", "MetricsTextfile", "read_last_success"]

LAST_SUCCESS = "bulkjobs_last_success_timestamp_seconds"
#: How often the file is rewritten during a run: the collector is scraped every 15 s
#: or so, and a rewrite costs a few hundred bytes.
INTERVAL = 5.0


def read_last_success(path: Path) -> float | None:
    """The last success time recorded in an earlier file at ``path``, if any."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == LAST_SUCCESS and math.isfinite(sample.value):
                    return float(sample.value)
    except ValueError:
        return None  # not ours, or torn by something else: start afresh
    return None


class MetricsTextfile:
    """Counts results as the run finishes them and writes them to ``path``."""

    def __init__(
        self,
        path: Path,
        *,
        operation: str,
        version: str,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = path
        self._clock = clock
        self._started = clock()
        self._outcomes: Counter[Outcome] = Counter()
        self._last_success = read_last_success(path)
        task = path.name.removesuffix(".prom")
        registry = self.registry = CollectorRegistry(auto_describe=True)

        def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, doc, ("task", *labels), registry=registry)

        self._info = gauge(
            "bulkjobs_run_info",
            "The run: its operation and bulkjobs version",
            ("operation", "version"),
        )
        self._info.labels(task, operation, version).set(1)
        self._targets = gauge(
            "bulkjobs_targets",
            "Targets by outcome so far (every target ends in one)",
            ("outcome", "kind"),
        )
        self._expected = gauge(
            "bulkjobs_targets_expected", "Targets the run knows it has (NaN: unknown)"
        )
        self._calls = gauge("bulkjobs_api_calls", "API calls sent by this run")
        self._throttles = gauge("bulkjobs_throttled_calls", "Calls answered with a throttle")
        self._start = gauge("bulkjobs_run_start_timestamp_seconds", "When the run started")
        self._duration = gauge("bulkjobs_run_duration_seconds", "How long the run has been going")
        self._running = gauge("bulkjobs_running", "1 while the run goes on, 0 once it ended")
        self._exit = gauge("bulkjobs_exit_code", "The run's exit code (NaN while running)")
        self._success = gauge(LAST_SUCCESS, "When a run last ended with exit code 0")
        self._task = task
        for outcome in Outcome:
            self._targets.labels(task, outcome.value, outcome.kind.value).set(0)
        self._start.labels(task).set(self._started)
        self._exit.labels(task).set(math.nan)
        self._expected.labels(task).set(math.nan)
        if self._last_success is not None:
            self._success.labels(task).set(self._last_success)

    def add(self, result: Result) -> None:
        """Count one result (called for every target: carried ones too)."""
        self._outcomes[result.outcome] += 1

    def update(self, *, calls: int, throttles: int, expected: int | None) -> None:
        """Set the run's counters; written on the next :meth:`write`."""
        task = self._task
        for outcome, count in self._outcomes.items():
            self._targets.labels(task, outcome.value, outcome.kind.value).set(count)
        self._calls.labels(task).set(calls)
        self._throttles.labels(task).set(throttles)
        self._expected.labels(task).set(math.nan if expected is None else expected)
        self._duration.labels(task).set(self._clock() - self._started)
        self._running.labels(task).set(1)

    def finish(self, exit_code: int) -> None:
        """The run ended with ``exit_code``: write the file a last time."""
        task = self._task
        self._duration.labels(task).set(self._clock() - self._started)
        self._running.labels(task).set(0)
        self._exit.labels(task).set(exit_code)
        if exit_code == 0:
            self._success.labels(task).set(self._clock())
        self.write()

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_to_textfile(str(self.path), self.registry)

    async def run(self, statistics: Callable[[], tuple[int, int, int | None]]) -> None:
        """Rewrite the file every :data:`INTERVAL` seconds until cancelled;
        ``statistics`` gives (calls, throttles, expected targets)."""
        while True:
            calls, throttles, expected = statistics()
            self.update(calls=calls, throttles=throttles, expected=expected)
            self.write()
            await anyio.sleep(INTERVAL)
