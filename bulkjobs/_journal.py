"""The journal: an append-only record of finished targets, for resuming a run.

One JSON object per line (the same shape as results.jsonl), appended as targets finish
and flushed to disk in batches (every ``batch`` results or ``interval`` seconds, and
on close) with ``fsync``, so a killed process loses at most the last batch — whose
targets are simply done again on resume (cancel and delete are idempotent in effect:
the second try finds the execution terminal or gone).

Only final outcomes are journalled: ``interrupted`` and ``dry_run`` targets are not
finished, so a resume runs them. A torn last line (the process died mid-write) is
ignored on reading.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

from bulkjobs._exceptions import InvalidInputError
from bulkjobs._models import Outcome, Result, target_digest

__all__ = ["Journal", "JournalReader", "target_digest"]

_NOT_FINAL = frozenset({Outcome.INTERRUPTED, Outcome.DRY_RUN})


class Journal:
    """Appends finished results; call :meth:`close` (or use ``with``) to flush the tail."""

    def __init__(
        self,
        path: Path,
        *,
        batch: int = 200,
        interval: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # 0600 like the other report files: thing names and error messages can be
        # sensitive, and the journal is the one file written as the run goes.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._fh: IO[str] = os.fdopen(fd, "a", encoding="utf-8")
        self._batch = batch
        self._interval = interval
        self._clock = clock
        self._pending = 0
        self._last_flush = clock()
        self.written = 0

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def record(self, result: Result, line: str | None = None) -> None:
        """Journal ``result`` if final (``line``: its :meth:`Result.to_line`, if made)."""
        if result.outcome in _NOT_FINAL:
            return
        self._fh.write(line or result.to_line())
        self.written += 1
        self._pending += 1
        if self._pending >= self._batch or self._clock() - self._last_flush >= self._interval:
            self.flush()

    def flush(self) -> None:
        if self._fh.closed:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._pending = 0
        self._last_flush = self._clock()

    def close(self) -> None:
        if not self._fh.closed:
            self.flush()
            self._fh.close()


class JournalReader:
    """Reads a journal back: the finished results and the set of their targets."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.finished: set[bytes] = set()
        self.torn_lines = 0

    def __iter__(self) -> Iterator[Result]:
        """Each finished result once (a target journalled twice counts once)."""
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                try:
                    result = Result.from_json(json.loads(line))
                except (ValueError, InvalidInputError):
                    # A line cut short by a crash; its target will be done again.
                    self.torn_lines += 1
                    continue
                digest = target_digest(result.target)
                if digest in self.finished:
                    continue
                self.finished.add(digest)
                yield result
