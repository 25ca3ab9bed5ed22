"""Target files and stdin: formats, line-numbered issues, the two passes, laziness."""

from __future__ import annotations

import io
import itertools
import os
import threading
import tracemalloc
from collections.abc import Iterable
from pathlib import Path

import pytest

from bulkjobs._destination import Destination
from bulkjobs._exceptions import InvalidInputError
from bulkjobs._models import CancelExecution, CancelJob, DeleteExecution, InvalidTarget, Target
from bulkjobs._sources import (
    MAX_LINE_BYTES,
    FileSource,
    InvalidLine,
    iter_file_targets,
    scan_file,
)

CANCEL = CancelExecution()


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return str(path)


def targets(path: str, **kwargs: object) -> list[Target | InvalidTarget]:
    options: dict[str, object] = {"job_id": "job-1", "operation": CANCEL, **kwargs}
    return list(iter_file_targets(path, **options))  # type: ignore[arg-type]


def names(items: Iterable[Target | InvalidTarget]) -> list[str | None]:
    """Thing names of valid targets; fails on an invalid line."""
    found = []
    for item in items:
        assert isinstance(item, Target), item
        found.append(item.thing_name)
    return found


class CountingRaw(io.RawIOBase):
    """A raw stream over generated lines that counts the bytes handed out."""

    def __init__(self, lines: itertools.count[int] | range) -> None:
        self._lines = (f"thing-{n}\n".encode() for n in lines)
        self._pending = b""
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._pending) < len(buffer):
            chunk = next(self._lines, None)
            if chunk is None:
                break
            self._pending += chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.bytes_read += size
        return size


class TestLinesFormat:
    def test_one_thing_per_line_with_the_default_job(self, tmp_path: Path) -> None:
        """Each line is a thingName; the jobId and region come from the defaults."""
        path = write(tmp_path, "things.txt", "thing-1\nthing-2\n")
        assert targets(path, destination=Destination(region="eu-west-1")) == [
            Target(job_id="job-1", thing_name="thing-1", region="eu-west-1"),
            Target(job_id="job-1", thing_name="thing-2", region="eu-west-1"),
        ]

    def test_blank_lines_comments_bom_and_crlf_are_ignored(self, tmp_path: Path) -> None:
        """A BOM, CRLF endings, blank lines and # comments never become targets."""
        path = write(tmp_path, "t.txt", b"\xef\xbb\xbfthing-1\r\n\r\n# comment\n  \nthing-2")
        assert names(targets(path)) == ["thing-1", "thing-2"]

    def test_needs_a_default_job_id(self, tmp_path: Path) -> None:
        """A list of thing names without a job id is refused as a whole."""
        path = write(tmp_path, "t.txt", "thing-1\n")
        with pytest.raises(InvalidInputError, match="needs a default job id"):
            targets(path, job_id=None)


class TestCsvFormat:
    def test_header_columns_in_camel_case(self, tmp_path: Path) -> None:
        """Every column is read, integers as integers."""
        content = (
            "jobId,thingName,executionNumber,expectedVersion,region\njob-2,thing-1,3,7,us-west-2\n"
        )
        path = write(tmp_path, "t.csv", content)
        assert targets(path) == [
            Target(
                job_id="job-2",
                thing_name="thing-1",
                execution_number=3,
                expected_version=7,
                region="us-west-2",
            )
        ]

    def test_snake_case_columns_quotes_and_defaults(self, tmp_path: Path) -> None:
        """snake_case names work; quoted cells are unquoted; empty cells take defaults."""
        content = 'thing_name,job_id,execution_number\n"thing-1",,\nthing-2,job-9,"4"\n'
        path = write(tmp_path, "t.csv", content)
        assert targets(path) == [
            Target(job_id="job-1", thing_name="thing-1"),
            Target(job_id="job-9", thing_name="thing-2", execution_number=4),
        ]

    def test_cancel_job_needs_no_thing_column(self, tmp_path: Path) -> None:
        """For CancelJob a file of job ids is enough."""
        path = write(tmp_path, "jobs.csv", "jobId\njob-1\njob-2\n")
        assert targets(path, job_id=None, operation=CancelJob()) == [
            Target(job_id="job-1"),
            Target(job_id="job-2"),
        ]


class TestCsvWithoutHeader:
    """S3 Batch Operations manifests have no header row: ``input_format="csv-noheader"``
    reads rows as thingName,jobId[,executionNumber[,expectedVersion]]; nothing guesses
    that a file has no header, so a header with a typo stays an error."""

    def test_rows_are_read_by_position(self, tmp_path: Path) -> None:
        """Each row names thingName, jobId, …; a row may stop after any column."""
        content = "thing-1,fw-1\nthing-2\nthing-3,fw-2,4,7\n"
        path = write(tmp_path, "manifest.csv", content)
        assert targets(path, input_format="csv-noheader") == [
            Target(job_id="fw-1", thing_name="thing-1"),
            Target(job_id="job-1", thing_name="thing-2"),
            Target(job_id="fw-2", thing_name="thing-3", execution_number=4, expected_version=7),
        ]

    def test_a_row_without_a_job_and_no_default(self, tmp_path: Path) -> None:
        """A row that stops after thingName needs the default job id."""
        path = write(tmp_path, "manifest.csv", "thing-1,fw-1\nthing-2\n")
        first, second = targets(path, job_id=None, input_format="csv-noheader")
        assert first == Target(job_id="fw-1", thing_name="thing-1")
        assert isinstance(second, InvalidLine)
        assert [(i.line, i.field) for i in second.issues] == [(2, "jobId")]

    def test_a_row_with_more_fields_than_columns(self, tmp_path: Path) -> None:
        """Five cells: the line is refused, saying what a row holds."""
        path = write(tmp_path, "manifest.csv", "thing-1,fw-1,1,2,extra\n")
        (item,) = targets(path, input_format="csv-noheader")
        assert isinstance(item, InvalidLine)
        assert item.issues[0].line == 1 and item.issues[0].field == "line"
        assert "thingName,jobId[,executionNumber[,expectedVersion]]" in item.issues[0].rule

    def test_a_header_row_is_refused(self, tmp_path: Path) -> None:
        """A header read as data would be a thing called thingName: refused instead."""
        path = write(tmp_path, "manifest.csv", "thingName,jobId\nthing-1,fw-1\n")
        with pytest.raises(InvalidInputError) as raised:
            targets(path, input_format="csv-noheader")
        (issue,) = raised.value.issues
        assert (issue.line, issue.field) == (1, "line")
        assert "is a header row" in issue.rule

    def test_whole_job_operations_need_a_header(self, tmp_path: Path) -> None:
        """CancelJob's files list jobs: a row of things has nothing to say there."""
        path = write(tmp_path, "jobs.csv", "fw-1\n")
        with pytest.raises(InvalidInputError, match="give a header row naming jobId"):
            targets(path, job_id=None, operation=CancelJob(), input_format="csv-noheader")

    @pytest.mark.parametrize("name", ["manifest.csv", "manifest.txt"])
    def test_data_where_the_header_should_be_names_the_format(
        self, tmp_path: Path, name: str
    ) -> None:
        """A .csv (or a sniffed CSV) whose first row names no column: one issue, on the
        header, saying how to read a file without one — nothing is taken as data."""
        path = write(tmp_path, name, "thing-1,fw-1\nthing-2,fw-1\n")
        with pytest.raises(InvalidInputError) as raised:
            targets(path)
        (issue,) = raised.value.issues
        assert (issue.line, issue.field, issue.value) == (1, "header", "thing-1,fw-1")
        assert "names no known column" in issue.rule and "csv-noheader" in issue.rule

    def test_a_header_with_typos_stays_a_header_error(self, tmp_path: Path) -> None:
        """Misspelt column names are errors naming the column meant, not data."""
        path = write(tmp_path, "manifest.csv", "thingNmae,jobid\nthing-1,fw-1\n")
        with pytest.raises(InvalidInputError) as raised:
            targets(path)
        rules = [issue.rule for issue in raised.value.issues]
        assert any("unknown column 'thingNmae' (did you mean 'thingName'?)" in r for r in rules)
        assert any("unknown column 'jobid' (did you mean 'jobId'?)" in r for r in rules)
        assert not any("csv-noheader" in r for r in rules)

    @pytest.mark.parametrize(
        ("name", "content", "input_format", "field"),
        [
            ("manifest.csv", "my-bucket,photos/2026/a.jpg\n", "auto", "header"),
            ("manifest.csv", "my-bucket,report%20final.pdf,v3\n", "auto", "header"),
            ("manifest.txt", "logs.example.com,k\n", "auto", "header"),
            ("manifest.csv", "my-bucket,photos/a.jpg\n", "csv-noheader", "line"),
        ],
    )
    def test_a_manifest_of_s3_objects_is_refused_as_such(
        self, tmp_path: Path, name: str, content: str, input_format: str, field: str
    ) -> None:
        """bucket,key rows list S3 objects: the message says so, whatever the format."""
        path = write(tmp_path, name, content)
        with pytest.raises(InvalidInputError) as raised:
            targets(path, input_format=input_format)
        (issue,) = raised.value.issues
        assert (issue.line, issue.field) == (1, field)
        assert "manifest of S3 objects" in issue.rule and "not of things" in issue.rule


class TestJsonLinesFormat:
    def test_objects_with_either_key_style(self, tmp_path: Path) -> None:
        """camelCase and snake_case keys; null means "use the default"."""
        content = (
            '{"thingName": "thing-1", "executionNumber": 2}\n'
            '{"job_id": "job-3", "thing_name": "thing-2", "region": null}\n'
        )
        path = write(tmp_path, "t.jsonl", content)
        assert targets(path) == [
            Target(job_id="job-1", thing_name="thing-1", execution_number=2),
            Target(job_id="job-3", thing_name="thing-2"),
        ]


class TestFormatDetection:
    @pytest.mark.parametrize(
        ("name", "content", "expected"),
        [
            ("t.csv", "thingName\nthing-1\n", "thing-1"),
            ("t.CSV", "thingName\nthing-1\n", "thing-1"),
            ("t.ndjson", '{"thingName": "thing-1"}\n', "thing-1"),
            ("t.jsonl", '{"thingName": "thing-1"}\n', "thing-1"),
            ("t.txt", '{"thingName": "thing-1"}\n', "thing-1"),
            ("t.txt", "jobId,thingName\njob-1,thing-1\n", "thing-1"),
            ("t", "thing_name\nthing-1\n", "thing-1"),
            ("t.list", "thing-1\n", "thing-1"),
        ],
    )
    def test_extension_or_first_line(
        self, tmp_path: Path, name: str, content: str, expected: str
    ) -> None:
        """The extension decides; without a known one the first line does."""
        path = write(tmp_path, name, content)
        assert names(targets(path)) == [expected]

    def test_forced_format_wins_over_the_extension(self, tmp_path: Path) -> None:
        """input_format="lines" reads a .csv file as thing names."""
        path = write(tmp_path, "t.csv", "thing-1\n")
        assert names(targets(path, input_format="lines")) == ["thing-1"]

    def test_stdin_is_sniffed(self) -> None:
        """A CSV piped in is recognised by its header."""
        stdin = io.BytesIO(b"jobId,thingName\njob-2,thing-1\n")
        items = list(iter_file_targets("-", job_id=None, operation=CANCEL, stdin=stdin))
        assert items == [Target(job_id="job-2", thing_name="thing-1")]


# (file name, content, line, field, rule fragment)
MALFORMED = [
    ("t.txt", "thing 1\n", 1, "thingName", "must match [a-zA-Z0-9:_-]+"),
    ("t.txt", "ok\n" + "x" * 129 + "\n", 2, "thingName", "at most 128 characters"),
    ("t.txt", b"ok\n\xff\xfething\n", 2, "line", "not valid UTF-8 (byte 0xff at offset 0)"),
    ("t.txt", b"ok\nab\x00cd\n", 2, "line", "NUL byte"),
    ("t.csv", "thingName\nbad/name\n", 2, "thingName", "must match"),
    ("t.csv", "thingName,jobId\nt1\n", 2, "line", "has 1 field(s) where the header has 2"),
    ("t.csv", "thingName\nt1,extra\n", 2, "line", "has 2 field(s) where the header has 1"),
    ("t.csv", 'thingName\n"t1\n', 2, "line", "not valid CSV"),
    ("t.csv", "thingName,executionNumber\nt1,x\n", 2, "executionNumber", "must be an integer"),
    ("t.csv", "thingName,executionNumber\nt1,1.5\n", 2, "executionNumber", "must be an integer"),
    ("t.csv", "thingName,expectedVersion\nt1,-1\n", 2, "expectedVersion", "≥ 0"),
    ("t.csv", f"thingName,expectedVersion\nt1,{2**63}\n", 2, "expectedVersion", "64-bit"),
    ("t.csv", "thingName,executionNumber\nt1," + "9" * 5000, 2, "executionNumber", "64-bit"),
    ("t.csv", "thingName,jobId\nt1,job 1\n", 2, "jobId", "must match [a-zA-Z0-9_-]+"),
    ("t.csv", "thingName,jobId\nt1," + "j" * 65 + "\n", 2, "jobId", "at most 64 characters"),
    ("t.csv", "thingName,region\nt1,Mars\n", 2, "region", "must match"),
    ("t.jsonl", "{bad json\n", 1, "line", "not valid JSON: Expecting property name"),
    ("t.jsonl", '["thing-1"]\n', 1, "line", "must be a JSON object, not an array"),
    ("t.jsonl", '{"thingName": 7}\n', 1, "thingName", "must be a string, not a number"),
    ("t.jsonl", '{"thingName": "t", "executionNumber": "3"}\n', 1, "executionNumber",
     "must be an integer, not a string"),
    ("t.jsonl", '{"thingName": "t", "expectedVersion": true}\n', 1, "expectedVersion",
     "must be an integer, not a boolean"),
    ("t.jsonl", '{"thingName": "t", "color": "red"}\n', 1, "color", "unknown key"),
    ("t.jsonl", '{"thingName": "t", "thing_name": "u"}\n', 1, "thingName", "given twice"),
    ("t.jsonl", '{"jobId": "j"}\n', 1, "thingName", "is required for cancel-job-execution"),
    ("t.jsonl", "[" * 50_000 + "\n", 1, "line", "not valid JSON"),
]  # fmt: skip


class TestMalformedLines:
    @pytest.mark.parametrize(("name", "content", "line", "field", "rule"), MALFORMED)
    def test_issue_names_line_field_and_rule(
        self, tmp_path: Path, name: str, content: str | bytes, line: int, field: str, rule: str
    ) -> None:
        """Every broken line becomes an InvalidLine saying where and which rule."""
        path = write(tmp_path, name, content)
        items = targets(path)
        invalid = [item for item in items if isinstance(item, InvalidLine)]
        assert len(invalid) == 1
        issue = invalid[0].issues[0]
        assert (issue.source, issue.line, issue.field) == (path, line, field)
        assert rule in issue.rule
        assert invalid[0].reason.startswith(f"{path}:{line}: {field}: ")

    def test_a_line_longer_than_the_limit_is_cut_off_not_loaded(self, tmp_path: Path) -> None:
        """Binary garbage without newlines is one issue; the next line is still read."""
        path = write(tmp_path, "t.txt", b"\x01" * (MAX_LINE_BYTES * 3) + b"\nthing-2\n")
        first, second = targets(path)
        assert isinstance(first, InvalidLine)
        assert first.issues[0].line == 1
        assert f"longer than {MAX_LINE_BYTES} bytes" in first.issues[0].rule
        assert second == Target(job_id="job-1", thing_name="thing-2")

    def test_json_line_without_job_and_no_default(self, tmp_path: Path) -> None:
        """A JSON line may carry its own jobId; without one and no default it is invalid."""
        path = write(
            tmp_path, "t.jsonl", '{"jobId": "job-2", "thingName": "t"}\n{"thingName": "t"}\n'
        )
        first, second = targets(path, job_id=None)
        assert first == Target(job_id="job-2", thing_name="t")
        assert isinstance(second, InvalidLine)
        assert [(i.line, i.field) for i in second.issues] == [(2, "jobId")]
        assert "is required" in second.issues[0].rule


class TestBrokenFiles:
    @pytest.mark.parametrize(
        ("name", "content", "options", "field", "rule"),
        [
            ("t.txt", "", {}, "file", "contains no targets"),
            ("t.txt", "# only a comment\n\n", {}, "file", "contains no targets"),
            ("t.csv", "thingName\n", {}, "file", "has a header but no rows"),
            ("t.csv", "thingName,colour\nt,red\n", {}, "header", "unknown column 'colour'"),
            ("t.csv", "thingName,thing_name\nt,u\n", {}, "header", "thingName given twice"),
            ("t.csv", "jobId\nj\n", {}, "header", "missing column thingName"),
            ("t.csv", "thingName\nt\n", {"job_id": None}, "header", "missing column jobId"),
            ("t.txt", "t\n", {"job_id": "bad job"}, "jobId", "must match"),
            ("t.txt", "t\n", {"destination": Destination(region="Mars")}, "region", "must match"),
        ],
    )
    def test_whole_file_problems_raise(
        self,
        tmp_path: Path,
        name: str,
        content: str,
        options: dict[str, object],
        field: str,
        rule: str,
    ) -> None:
        """Problems no line can escape are raised, naming field and rule."""
        path = write(tmp_path, name, content)
        with pytest.raises(InvalidInputError) as raised:
            targets(path, **options)
        issue = raised.value.issues[0]
        assert issue.field == field
        assert rule in issue.rule

    def test_missing_file(self, tmp_path: Path) -> None:
        """A file that cannot be opened is an input error, not a crash."""
        with pytest.raises(InvalidInputError, match="cannot be read"):
            targets(str(tmp_path / "absent.txt"))


class TestTwoPasses:
    def test_scan_counts_and_keeps_the_first_issues(self, tmp_path: Path) -> None:
        """The first pass counts every line and keeps at most max_issues issues."""
        lines = [f"thing-{n}" if n % 3 else f"bad {n}" for n in range(30)]
        path = write(tmp_path, "t.txt", "\n".join(lines))
        with scan_file(path, job_id="job-1", operation=CANCEL, max_issues=4) as source:
            scan = source.scan
        assert (scan.lines, scan.targets, scan.invalid) == (30, 20, 10)
        assert scan.issue_count == 10
        assert [issue.line for issue in scan.issues] == [1, 4, 7, 10]
        assert not scan.fatal

    def test_check_refuses_issues_unless_skipping_invalid(self, tmp_path: Path) -> None:
        """Broken lines block the run unless skip_invalid; then they pass as invalid."""
        path = write(tmp_path, "t.txt", "thing-1\nbad one\n")
        with scan_file(path, job_id="job-1", operation=CANCEL) as source:
            with pytest.raises(InvalidInputError, match=r"t\.txt:2: thingName"):
                source.check()
            source.check(skip_invalid=True)
            items = list(source)
        assert items[0] == Target(job_id="job-1", thing_name="thing-1")
        assert isinstance(items[1], InvalidLine)

    def test_fatal_issues_block_even_when_skipping(self, tmp_path: Path) -> None:
        """An empty file cannot be skipped past."""
        path = write(tmp_path, "t.txt", "")
        with scan_file(path, job_id="job-1", operation=CANCEL) as source:
            assert source.scan.fatal
            with pytest.raises(InvalidInputError, match="contains no targets"):
                source.check(skip_invalid=True)

    def test_second_pass_repeats_the_first(self, tmp_path: Path) -> None:
        """Iterating yields exactly scan.items items, in file order."""
        path = write(tmp_path, "t.csv", "thingName\nb\na\nbad!\n")
        with scan_file(path, job_id="job-1", operation=DeleteExecution()) as source:
            items = list(source)
        assert len(items) == source.scan.items == 3
        assert [i.thing_name if isinstance(i, Target) else None for i in items] == ["b", "a", None]

    @pytest.mark.parametrize(
        ("content", "expected"),
        [("a\nb\nb\nc\n", True), ("b\na\n", False), ("a\n", True)],
    )
    def test_scan_tells_whether_targets_are_sorted(
        self, tmp_path: Path, content: str, expected: bool
    ) -> None:
        """Sorted input lets de-duplication run in O(1) memory."""
        path = write(tmp_path, "t.txt", content)
        with scan_file(path, job_id="job-1", operation=CANCEL) as source:
            assert source.scan.sorted is expected

    def test_a_file_changed_after_the_scan_is_refused(self, tmp_path: Path) -> None:
        """The second pass must read what the first validated."""
        path = write(tmp_path, "t.txt", "thing-1\n")
        with scan_file(path, job_id="job-1", operation=CANCEL) as source:
            with open(path, "a", encoding="utf-8") as file:
                file.write("thing-2\n")
            with pytest.raises(InvalidInputError, match="changed since it was validated"):
                list(source)

    def test_stdin_is_spooled_once_and_removed(self, tmp_path: Path) -> None:
        """stdin is copied aside in the first pass, replayed, and deleted on close."""
        stdin = io.BytesIO(b"thing-1\nthing-2\n")
        source = scan_file(
            "-", job_id="job-1", operation=CANCEL, stdin=stdin, spool_dir=str(tmp_path)
        )
        with source:
            assert source.scan.source == "<stdin>"
            assert len(os.listdir(tmp_path)) == 1
            assert names(source) == ["thing-1", "thing-2"]
            assert names(source) == ["thing-1", "thing-2"]
        assert os.listdir(tmp_path) == []

    def test_stdin_issues_name_stdin_and_sniffed_format(self, tmp_path: Path) -> None:
        """Issues from a piped JSON Lines input say <stdin> and the line."""
        stdin = io.BytesIO(b'{"thingName": "t1"}\n{"thingName": 5}\n')
        with scan_file(
            "-", job_id="job-1", operation=CANCEL, stdin=stdin, spool_dir=str(tmp_path)
        ) as source:
            assert source.scan.format == "jsonl"
            assert str(source.scan.issues[0]).startswith("<stdin>:2: thingName: must be a string")
            items = list(source)
        assert isinstance(items[1], InvalidLine)

    def test_a_named_pipe_is_spooled(self, tmp_path: Path) -> None:
        """Input that cannot be read twice (a FIFO, <(command)) is copied aside too."""
        fifo = tmp_path / "fifo"
        spool = tmp_path / "spool"
        spool.mkdir()
        os.mkfifo(fifo)

        def feed() -> None:
            with open(fifo, "wb") as writer:
                writer.write(b"thing-1\n")

        writer = threading.Thread(target=feed)
        writer.start()
        try:
            source = scan_file(str(fifo), job_id="job-1", operation=CANCEL, spool_dir=str(spool))
        finally:
            writer.join()
        with source:
            assert names(source) == ["thing-1"]


class TestLaziness:
    def test_first_target_comes_before_the_input_is_read(self) -> None:
        """Pulling one target from an endless stdin reads one buffer, not the stream."""
        raw = CountingRaw(itertools.count())
        items = iter_file_targets(
            "-", job_id="job-1", operation=CANCEL, stdin=io.BufferedReader(raw)
        )
        assert next(items) == Target(job_id="job-1", thing_name="thing-0")
        assert raw.bytes_read <= io.DEFAULT_BUFFER_SIZE

    def test_scan_reads_everything_but_holds_nothing(self, tmp_path: Path) -> None:
        """A 20,000-line stdin is counted without keeping its targets: the scan's peak
        Python allocation stays flat — one block of input and its names, far below
        what keeping them would take (20,000 targets are megabytes) — and does not
        grow with five times the lines."""

        def scan_peak(lines: int) -> tuple[FileSource, CountingRaw, int]:
            raw = CountingRaw(range(lines))
            tracemalloc.start()
            try:
                source = scan_file(
                    "-",
                    job_id="job-1",
                    operation=CANCEL,
                    stdin=io.BufferedReader(raw),
                    spool_dir=str(tmp_path),
                )
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            return source, raw, peak

        source, raw, peak = scan_peak(20_000)
        with source:
            assert source.scan.targets == 20_000
            assert source.scan.issues == ()
            assert raw.bytes_read >= 20_000 * len("thing-0\n")
            first = next(iter(source))
        assert first == Target(job_id="job-1", thing_name="thing-0")
        assert peak < 750_000, f"the scan held {peak:,} bytes at its peak"
        more, _, more_peak = scan_peak(100_000)
        more.close()
        assert more_peak < peak * 1.25, (
            f"{more_peak:,} bytes for 100,000 lines, {peak:,} for 20,000"
        )
