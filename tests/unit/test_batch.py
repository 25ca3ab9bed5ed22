"""Dry runs in bulk: batches give what the per-target path gives, byte for byte.

The reference is the per-target path: each line parsed on its own (``LineParser.parse``,
``iter_file_targets``), each target a :class:`Target`, each result a :class:`Result`
serialised by :meth:`Result.to_line`. A session over a stream of those targets runs it;
a session over the file runs the batches. Clocks are injected so timestamps agree.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

from bulkjobs._batch import ResultBatch, TargetBatch
from bulkjobs._config import RunConfig
from bulkjobs._engine import Engine
from bulkjobs._exceptions import InvalidInputError
from bulkjobs._fileformats import MAX_LINE_BYTES, LineParser, WholeFileError
from bulkjobs._models import (
    CancelExecution,
    DeleteExecution,
    InvalidTarget,
    Operation,
    Result,
    Target,
)
from bulkjobs._selectors import FromFile
from bulkjobs._session import RunSession
from bulkjobs._sources import iter_file_targets, scan_file

CANCEL = CancelExecution()

#: Valid lines, broken ones, duplicates (adjacent and not), blanks and comments.
MIXED = (
    "thing-01\n"
    "thing-02\n"
    "thing-02\n"
    "\n"
    "# a comment\n"
    "bad name\n"
    "thing-03\n"
    "  thing-04  \n"
    "thing-05\r\n" + "x" * 129 + "\n" + "thing-06\n" + "thing-01\n" + "thing-07"
)


def flat(items: Iterator[Target | InvalidTarget | TargetBatch]) -> list[object]:
    out: list[object] = []
    for item in items:
        out.extend(item.targets() if isinstance(item, TargetBatch) else [item])
    return out


def both_parses(data: bytes, fmt: str | None, **kw: Any) -> tuple[Any, Any]:
    """(per-line items or issues, batched items or issues) for ``data``."""
    found: list[tuple[list[object], int, str | None]] = []
    for batched in (False, True):
        parser = LineParser("f", kw.get("job_id", "job-1"), kw.get("op", CANCEL), None, fmt)  # type: ignore[arg-type]
        stream = io.BytesIO(data)
        try:
            items: list[object] = (
                flat(parser.parse_batches(stream)) if batched else list(parser.parse(stream))
            )
            found.append((items, parser.lines, parser.format))
        except WholeFileError as exc:
            found.append(([str(i) for i in exc.issues], parser.lines, parser.format))
    return found[0], found[1]


class TestParsing:
    @pytest.mark.parametrize(
        "data",
        [
            MIXED.encode(),
            b"\xef\xbb\xbfthing-1\nthing-2\n",
            b"thing-1\n" * 3000 + b"thing 2\n" + b"thing-3\n" * 3000,
            b"thing-1\n" + b"y" * (MAX_LINE_BYTES - 1) + b"\nthing-2\n",
            b"thing-1\n" + b"y" * MAX_LINE_BYTES + b"\nthing-2\n",
            b"thing-1\n" + b"y" * (MAX_LINE_BYTES * 3) + b"\nthing-2",
            b"thing-1\n" + b"y" * MAX_LINE_BYTES,
            b"thing-1\n" + b"y" * (MAX_LINE_BYTES - 1),
            b"thing-1\nthing-\xff\nthing-\x00x\nthing-2\n",
            b"\n\n# only comments\n",
            b"",
            b"thingName,jobId\nthing-1,job-2\nthing-2,\n",
            b'{"thingName": "thing-1"}\n{"thingName": 3}\n',
        ],
        ids=[
            "mixed",
            "bom",
            "batch-boundaries",
            "longest-line",
            "one-byte-too-long",
            "very-long",
            "too-long-at-eof",
            "longest-at-eof",
            "encoding",
            "no-targets",
            "empty",
            "csv",
            "jsonl",
        ],
    )
    def test_batches_are_the_lines_read_one_by_one(self, data: bytes) -> None:
        """The same targets, invalid lines, issues, line count and format."""
        per_line, batched = both_parses(data, None)
        assert batched == per_line

    def test_no_default_job(self) -> None:
        """A lines file without a default job is refused the same way."""
        per_line, batched = both_parses(b"thing-1\nthing-2\n", "lines", job_id=None)
        assert batched == per_line
        assert "default job id" in per_line[0][0]

    def test_plain_lines_come_as_batches(self) -> None:
        """Runs of plain lines are batches; the broken line between them is not."""
        parser = LineParser("f", "job-1", CANCEL, "eu-west-1", "lines")
        items = list(parser.parse_batches(io.BytesIO(b"a\nb\nbad name\nc\n")))
        assert [type(i).__name__ for i in items] == ["TargetBatch", "InvalidLine", "TargetBatch"]
        assert isinstance(items[0], TargetBatch)
        assert list(items[0].names) == ["a", "b"]
        assert items[0].destination.region == "eu-west-1"


def engine_for(op: Operation, **settings: Any) -> Engine:
    return Engine(
        op,
        RunConfig(region="us-east-1", dry_run=True, **settings),
        clock=lambda: 0.0,
        wall_clock=lambda: 1_700_000_000.25,
    )


def run_session(
    source: Any, op: Operation, directory: Path, **settings: Any
) -> tuple[list[Result], str, dict[str, Any]]:
    seen: list[Result] = []
    engine = engine_for(op, **settings)

    async def go() -> None:
        session = RunSession(source, op, engine.config, report=directory, engine=engine)
        await session.run(on_result=seen.append)

    anyio.run(go)
    summary = json.loads((directory / "summary.json").read_text())
    for volatile in ("startedAt",):
        summary.pop(volatile)
    return seen, (directory / "results.jsonl").read_text(), summary


def per_target(path: Path, op: Operation) -> Iterator[Target | InvalidTarget]:
    """The per-target path's targets: each line parsed on its own."""
    yield from iter_file_targets(str(path), job_id="job-1", operation=op)


CASES = {
    "sorted with duplicates": "".join(f"thing-{n:05d}\n" for n in range(3000))
    + "thing-02999\n" * 3
    + "".join(f"thing-{n:05d}\n" for n in range(3000, 6000)),
    # A batch holds at most 2,048 lines: the next one starts with the same name.
    "duplicate across batches": "".join(f"thing-{n:05d}\n" for n in range(2048))
    + "thing-02047\n" * 3
    + "thing-09999\n",
    "unsorted": "".join(f"thing-{(n * 7919) % 5000:05d}\n" for n in range(5000)),
    "mixed": MIXED,
}


class TestDryRunReport:
    @pytest.mark.parametrize("case", list(CASES))
    @pytest.mark.parametrize(
        "op",
        [CANCEL, CancelExecution(force=True, status_details={"k": "v"}), DeleteExecution()],
        ids=["cancel", "cancel-force-details", "delete"],
    )
    def test_batched_report_is_the_per_target_report(
        self, tmp_path: Path, case: str, op: Operation
    ) -> None:
        """results.jsonl byte for byte, summary.json and every result handed out."""
        path = tmp_path / "things.txt"
        path.write_text(CASES[case])
        fast = run_session(
            FromFile(path=str(path), job_id="job-1", skip_invalid=True),
            op,
            tmp_path / "fast",
        )
        slow = run_session(per_target(path, op), op, tmp_path / "slow")
        assert fast[1] == slow[1]
        assert fast[0] == slow[0]
        fast_summary, slow_summary = fast[2], slow[2]
        assert fast_summary == slow_summary
        assert fast_summary["duplicatesRemoved"] > 0 or case == "unsorted"

    def test_invalid_lines_refuse_the_run_with_the_same_issues(self, tmp_path: Path) -> None:
        """Without skip_invalid the scan names the same lines and rules as line-by-line."""
        path = tmp_path / "things.txt"
        path.write_text(MIXED)
        source = scan_file(str(path), job_id="job-1", operation=CANCEL)
        with source, pytest.raises(InvalidInputError) as refused:
            source.check()
        expected = [
            str(issue)
            for item in per_target(path, CANCEL)
            if isinstance(item, InvalidTarget)
            for issue in item.issues  # type: ignore[attr-defined]
        ]
        assert [str(issue) for issue in refused.value.issues] == expected
        assert len(expected) == 2  # a bad name and one too long; spaces and CR strip

    def test_abort_threshold_stops_inside_a_batch(self, tmp_path: Path) -> None:
        """Failures first, then plain lines: the run stops at the same target."""
        path = tmp_path / "things.txt"
        path.write_text("bad 1\nbad 2\nbad 3\n" + "".join(f"t-{n:03d}\n" for n in range(50)))
        settings = {"abort_failed_percent": 10.0, "abort_min_executed": 5}
        fast = run_session(
            FromFile(path=str(path), job_id="job-1", skip_invalid=True),
            CANCEL,
            tmp_path / "fast",
            **settings,
        )
        slow = run_session(per_target(path, CANCEL), CANCEL, tmp_path / "slow", **settings)
        assert fast[1] == slow[1]
        assert fast[2] == slow[2]
        assert fast[2]["outcomes"] == {"invalid_request": 3, "dry_run": 2, "interrupted": 48}

    def test_result_batch_lines_are_to_line(self) -> None:
        """A batch's lines are its results' own serialisations, in order."""
        engine = engine_for(CANCEL)
        batch = TargetBatch(
            job_id="job-1",
            destination=Target(job_id="job-1", region="us-east-1").destination,
            names=["a", "b:c", "d_e-f"],
        )
        results = ResultBatch(prototype=engine._dry_run(batch.prototype()), names=batch.names)
        assert results.lines() == "".join(r.to_line() for r in results.results())
        assert [r.target for r in results.results()] == list(batch.targets())
