"""The target-file formats, parsed one line at a time.

All are UTF-8 (a BOM is allowed), one target per line; blank lines and lines starting
with ``#`` are skipped in every format (no jobId or thingName can start with ``#``, so
nothing is lost):

- **lines** — one thingName per line; the jobId is the default ``job_id``;
- **csv** — a header naming the columns ``jobId``, ``thingName``, ``executionNumber``,
  ``expectedVersion``, ``region``, ``account`` (or ``job_id``, ``thing_name``,
  ``accountId``, …); an empty cell takes the default;
- **csv-noheader** — a CSV without a header row, as S3 Batch Operations keeps its
  manifests: each row is ``thingName,jobId,executionNumber,expectedVersion`` and may
  stop after any column (``thing-1,fw-1``; ``thing-1`` with a default job). Only ever
  chosen explicitly: a first row that names no known column is refused as a header,
  so a typo in a header stays an error rather than becoming a target;
- **jsonl** — one JSON object per line with the same keys (null takes the default).

The format comes from ``input_format`` or the extension (``.csv``; ``.jsonl``/``.ndjson``).
Without a known extension (stdin, ``.txt``) the first line settles it: ``{`` starts JSON
Lines, a ``,`` or a lone column name (``thingName``) a CSV header, anything else is
lines. Neither ``{`` nor ``,`` can occur in a valid thing name, so sniffing only rescues
files that would otherwise fail.

A first row that looks like ``bucket,key`` — the S3 Batch Operations manifest of S3
objects, not of things — is refused as such, whatever the format, rather than read as
a header with unknown columns or as a thing in a bucket's name.

A line is read at most ``MAX_LINE_BYTES`` at a time, so binary garbage without newlines
costs one issue and bounded memory. Every broken rule becomes a :class:`ValidationIssue`
naming source, line, field and rule; the API's own rules come from ``check_target``.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final, Literal, Protocol, TypeAlias

from bulkjobs._batch import TargetBatch
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ValidationIssue
from bulkjobs._models import InvalidTarget, Operation, Target
from bulkjobs._validation import JOB_ID, check_target

__all__ = [
    "MAX_LINE_BYTES",
    "BlockStream",
    "Format",
    "InputFormat",
    "InvalidLine",
    "LineParser",
    "LineStream",
    "WholeFileError",
    "detect_format",
]

InputFormat: TypeAlias = Literal["auto", "lines", "csv", "csv-noheader", "jsonl"]
Format: TypeAlias = Literal["lines", "csv", "csv-noheader", "jsonl"]

MAX_LINE_BYTES: Final = 64 * 1024
_EXTENSIONS: Final[dict[str, Format]] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_KEYS: Final = {
    **{name: name for name in ("jobId", "thingName", "executionNumber", "expectedVersion")},
    "job_id": "jobId",
    "thing_name": "thingName",
    "execution_number": "executionNumber",
    "expected_version": "expectedVersion",
    "region": "region",
    "account": "account",
    "accountId": "account",
    "account_id": "account",
}
_NUMBERS: Final = ("executionNumber", "expectedVersion")
#: The columns of a CSV without a header, in order; a row may stop after any of them.
HEADERLESS_COLUMNS: Final = ("thingName", "jobId", "executionNumber", "expectedVersion")
_HEADERLESS: Final = "thingName,jobId[,executionNumber[,expectedVersion]]"
#: An S3 bucket name, as the first cell of a ``bucket,key`` manifest has it.
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_KNOWN: Final = (
    "jobId, thingName, executionNumber, expectedVersion, region, account (or snake_case)"
)
_INTEGER: Final = re.compile(r"-?[0-9]+")
# Every AWS region name: us-east-1, us-gov-west-1, cn-northwest-1, ap-southeast-5, …
_REGION: Final = re.compile(r"[a-z]{2,}(-[a-z0-9]+)+-[0-9]+")


class LineStream(Protocol):
    """What the parser reads from: a binary file, stdin, or a tee that spools it."""

    def readline(self, size: int = -1, /) -> bytes: ...


class BlockStream(Protocol):
    """What :meth:`LineParser.parse_batches` reads from, a block at a time."""

    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class InvalidLine(InvalidTarget):
    """An :class:`InvalidTarget` that keeps the structured issues behind ``reason``."""

    issues: tuple[ValidationIssue, ...]


class WholeFileError(Exception):
    """A problem with the whole file (options, header, emptiness): no line is usable."""

    def __init__(self, issues: list[ValidationIssue]) -> None:
        self.issues = issues


class LineParser:
    """Turns lines into targets for one format; the first data line may settle it."""

    def __init__(
        self,
        source: str,
        job_id: str | None,
        operation: Operation,
        region: str | None,
        fmt: Format | None,
        account: str | None = None,
    ) -> None:
        self.source = source
        self.job_id = job_id
        self.operation = operation
        self.region = region
        self.account = account
        self.format = fmt
        self.lines = 0
        self._columns: list[str] | None = None

    def fresh(self, fmt: Format) -> LineParser:
        return LineParser(self.source, self.job_id, self.operation, self.region, fmt, self.account)

    def parse(self, stream: LineStream) -> Iterator[Target | InvalidLine]:
        """Targets and invalid lines in file order, a line at a time (the reference
        :meth:`parse_batches` is held to); raises :class:`WholeFileError`."""
        self._check_options()
        items = 0
        for lineno, raw in _lines(stream):
            self.lines = lineno
            item = self._line(lineno, raw)
            if item is not None:
                items += 1
                yield item
        self._check_items(items)

    def parse_batches(self, stream: BlockStream) -> Iterator[Target | InvalidLine | TargetBatch]:
        """What :meth:`parse` yields, with runs of plain valid lines as batches.

        Read in blocks: once the format is known to be lines of thing names with a
        default job, one regular expression takes the longest run of lines that are
        each a valid thing name and nothing else; any other line (blank, comment,
        broken, a header, CSV or JSON) goes through the same per-line code as
        :meth:`parse`, so issues, line numbers and targets are the same.
        """
        self._check_options()
        items = 0
        lineno = 0
        destination: Destination | None = None
        plain: bool | None = None
        for piece in _pieces(stream):
            if piece is None:
                lineno += 1
                self.lines = lineno
                items += 1
                yield self._invalid_line(lineno)
                continue
            pos, end = 0, len(piece)
            while pos < end:
                if plain is None and self.format is not None:
                    # Settled by the first data line: batches need lines with a default job.
                    plain = (
                        self.format == "lines"
                        and self.job_id is not None
                        and not self.operation.whole_job
                    )
                if plain and (found := _PLAIN_LINES.match(piece, pos)) is not None:
                    stop = found.end()
                    if stop > pos:
                        assert self.job_id is not None
                        names = piece[pos:stop].decode("ascii").split("\n")
                        names.pop()
                        lineno += len(names)
                        self.lines = lineno
                        items += len(names)
                        if destination is None:
                            destination = Target(job_id=self.job_id, region=self.region).destination
                        yield TargetBatch(job_id=self.job_id, destination=destination, names=names)
                        pos = stop
                        if pos == end:
                            break
                nl = piece.index(b"\n", pos) + 1
                raw = piece[pos:nl]
                pos = nl
                lineno += 1
                self.lines = lineno
                item = self._line(lineno, raw if len(raw) <= MAX_LINE_BYTES else None)
                if item is not None:
                    items += 1
                    yield item
        self._check_items(items)

    def _line(self, lineno: int, raw: bytes | None) -> Target | InvalidLine | None:
        """The item of one raw line (None: blank, comment or header)."""
        text, rule = _decode(raw, first=lineno == 1)
        if rule is not None:
            return self._target(lineno, {}, {}, [self._issue(lineno, "line", rule)])
        if not text or text.startswith("#"):
            return None
        if self.format is None:
            self.format = _sniff(text)
        if self.format == "lines" and self.job_id is None:
            rule = "a file of thing names needs a default job id"
            raise WholeFileError([self._issue(None, "jobId", rule)])
        if self.format == "csv" and self._columns is None:
            self._columns = self._header(lineno, text)
            return None
        if self.format == "csv-noheader" and self._columns is None:
            self._columns = self._first_row(lineno, text)
        return self._row(lineno, text)

    def _invalid_line(self, lineno: int) -> InvalidLine:
        """A line longer than ``MAX_LINE_BYTES``."""
        item = self._line(lineno, None)
        assert isinstance(item, InvalidLine)
        return item

    def _check_items(self, items: int) -> None:
        if items == 0:
            empty = "has a header but no rows" if self._columns else "contains no targets"
            raise WholeFileError([self._issue(None, "file", empty)])

    def _issue(
        self, line: int | None, field: str, rule: str, value: str | None = None
    ) -> ValidationIssue:
        return ValidationIssue(source=self.source, line=line, field=field, rule=rule, value=value)

    def _check_options(self) -> None:
        issues = []
        if self.job_id is not None and (rule := JOB_ID.check(self.job_id)) is not None:
            issues.append(_option("jobId", rule, self.job_id))
        if self.region is not None and not _REGION.fullmatch(self.region):
            issues.append(_option("region", f"must match {_REGION.pattern}", self.region))
        if issues:
            raise WholeFileError(issues)

    def _header(self, lineno: int, text: str) -> list[str]:
        columns: list[str] = []
        issues = []
        try:
            names = [cell.strip() for cell in _cells(text)]
        except csv.Error as exc:
            raise WholeFileError(
                [self._issue(lineno, "header", f"is not valid CSV: {exc}")]
            ) from None
        self._refuse_objects(lineno, "header", names)
        if not any(name in _KEYS or _near(name) for name in names):
            # Data where the header should be (an S3 Batch Operations manifest has none),
            # or a header with every name wrong: either way nothing to guess from.
            rule = (
                f"names no known column (expected {_KNOWN}); a CSV without a header "
                "row, as S3 Batch Operations keeps its manifests, needs input format "
                f"csv-noheader (--input-format csv-noheader), whose rows are {_HEADERLESS}"
            )
            raise WholeFileError([self._issue(lineno, "header", rule, text)])
        for name in names:
            column = _KEYS.get(name)
            if column is None:
                near = _near(name)
                meant = f" (did you mean {near!r}?)" if near else ""
                rule = f"unknown column {name!r}{meant}: expected {_KNOWN}"
                issues.append(self._issue(lineno, "header", rule, name))
            elif column in columns:
                issues.append(self._issue(lineno, "header", f"column {column} given twice", name))
            columns.append(column or name)
        if "thingName" not in columns and not self.operation.whole_job:
            issues.append(self._issue(lineno, "header", "missing column thingName"))
        if "jobId" not in columns and self.job_id is None:
            rule = "missing column jobId, and no default job id given"
            issues.append(self._issue(lineno, "header", rule))
        if issues:
            raise WholeFileError(issues)
        return columns

    def _first_row(self, lineno: int, text: str) -> list[str]:
        """The columns of a CSV without a header, once its first row shows it is one."""
        if self.operation.whole_job:
            rule = (
                f"a CSV without a header lists things ({_HEADERLESS}); for "
                f"{self.operation.name} give a header row naming jobId"
            )
            raise WholeFileError([self._issue(None, "file", rule)])
        with contextlib.suppress(csv.Error):  # the row itself reports broken CSV
            cells = [cell.strip() for cell in _cells(text)]
            self._refuse_objects(lineno, "line", cells)
            if cells and all(cell in _KEYS for cell in cells):
                rule = (
                    "is a header row, but the input format csv-noheader has none: use "
                    "csv (--input-format csv), or remove the header"
                )
                raise WholeFileError([self._issue(lineno, "line", rule, text)])
        return list(HEADERLESS_COLUMNS)

    def _refuse_objects(self, lineno: int, field: str, cells: list[str]) -> None:
        """A ``bucket,key`` row: the manifest names S3 objects, not things."""
        if _lists_objects(cells):
            rule = (
                "looks like an S3 Batch Operations manifest of S3 objects (bucket,key), "
                f"not of things: bulkjobs needs rows of {_HEADERLESS} (with --input-format "
                "csv-noheader) or a CSV with a header"
            )
            raise WholeFileError([self._issue(lineno, field, rule, ",".join(cells))])

    def _row(self, lineno: int, text: str) -> Target | InvalidLine:
        if self.format == "lines":
            return self._target(lineno, {"thingName": text}, {}, [])
        if self.format == "jsonl":
            return self._json_row(lineno, text)
        assert self._columns is not None
        try:
            cells = [cell.strip() for cell in _cells(text)]
        except csv.Error as exc:
            return self._target(
                lineno, {}, {}, [self._issue(lineno, "line", f"is not valid CSV: {exc}")]
            )
        issues = []
        if self.format == "csv-noheader":
            if len(cells) > len(self._columns):
                rule = f"has {len(cells)} fields: a CSV without a header has {_HEADERLESS}"
                issues.append(self._issue(lineno, "line", rule))
        elif len(cells) != len(self._columns):
            rule = f"has {len(cells)} field(s) where the header has {len(self._columns)}"
            issues.append(self._issue(lineno, "line", rule))
        texts: dict[str, str] = {}
        numbers: dict[str, int] = {}
        for column, cell in zip(self._columns, cells, strict=False):
            if not cell:
                continue
            if column not in _NUMBERS:
                texts[column] = cell
            elif _INTEGER.fullmatch(cell):
                # int() refuses thousands of digits; any 21 digits already break the
                # 64-bit rule, which check_target then reports.
                numbers[column] = int(cell) if len(cell) <= 21 else 2**63
            else:
                issues.append(self._issue(lineno, column, "must be an integer", cell))
        return self._target(lineno, texts, numbers, issues)

    def _json_row(self, lineno: int, text: str) -> Target | InvalidLine:
        try:
            data = json.loads(text, object_pairs_hook=_Pairs)
        except json.JSONDecodeError as exc:
            rule = f"is not valid JSON: {exc.msg} at column {exc.colno}"
            return self._target(lineno, {}, {}, [self._issue(lineno, "line", rule)])
        except (ValueError, RecursionError):
            rule = "is not valid JSON: nested too deeply or a number too long"
            return self._target(lineno, {}, {}, [self._issue(lineno, "line", rule)])
        if not isinstance(data, _Pairs):
            rule = f"must be a JSON object, not {_json_type(data)}"
            return self._target(lineno, {}, {}, [self._issue(lineno, "line", rule)])
        issues = []
        seen: set[str] = set()
        texts: dict[str, str] = {}
        numbers: dict[str, int] = {}
        for key, value in data:
            column = _KEYS.get(key)
            if column is None:
                issues.append(self._issue(lineno, key, f"unknown key: expected {_KNOWN}"))
                continue
            if column in seen:
                issues.append(self._issue(lineno, column, "given twice"))
            seen.add(column)
            if value is None:
                continue
            if column in _NUMBERS:
                if isinstance(value, int) and not isinstance(value, bool):
                    numbers[column] = value
                    continue
                rule = f"must be an integer, not {_json_type(value)}"
            elif isinstance(value, str):
                texts[column] = value
                continue
            else:
                rule = f"must be a string, not {_json_type(value)}"
            issues.append(self._issue(lineno, column, rule, json.dumps(value)))
        return self._target(lineno, texts, numbers, issues)

    def _target(
        self,
        lineno: int,
        texts: dict[str, str],
        numbers: dict[str, int],
        issues: list[ValidationIssue],
    ) -> Target | InvalidLine:
        """The target of one line, or an :class:`InvalidLine` with everything wrong."""
        job_id = texts.get("jobId", self.job_id)
        region = texts.get("region", self.region)
        target = Target(
            job_id=job_id or "",
            thing_name=texts.get("thingName"),
            execution_number=numbers.get("executionNumber"),
            expected_version=numbers.get("expectedVersion"),
            region=region,
            account=texts.get("account", self.account),
        )
        if any(issue.field == "line" for issue in issues):
            # The line could not be read as a whole: the rules below would only add noise.
            return InvalidLine(
                target=target, reason="; ".join(map(str, issues)), issues=tuple(issues)
            )
        if job_id is None:
            rule = "is required: give it on the line or as the default job id"
            issues.append(self._issue(lineno, "jobId", rule))
        if "region" in texts and not _REGION.fullmatch(texts["region"]):
            issues.append(self._issue(lineno, "region", f"must match {_REGION.pattern}", region))
        for issue in check_target(target, self.operation, source=self.source, line=lineno):
            if job_id is not None or issue.field != "jobId":
                issues.append(issue)
        if not issues:
            return target
        return InvalidLine(target=target, reason="; ".join(map(str, issues)), issues=tuple(issues))


class _Pairs(list[tuple[str, object]]):
    """A JSON object as its key/value pairs, so a repeated key can be reported."""


def _json_type(value: object) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    if value is None:
        return "null"
    if isinstance(value, _Pairs):
        return "an object"
    return names.get(type(value), "an array")


def _lines(stream: LineStream) -> Iterator[tuple[int, bytes | None]]:
    """Numbered raw lines; None stands for a line longer than ``MAX_LINE_BYTES``."""
    lineno = 0
    while raw := stream.readline(MAX_LINE_BYTES):
        lineno += 1
        if len(raw) < MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield lineno, raw
            continue
        # Skip the rest of the line in bounded pieces.
        while rest := stream.readline(MAX_LINE_BYTES):
            if rest.endswith(b"\n"):
                break
        yield lineno, None


#: Lines that are each a valid thing name and nothing else (see :meth:`parse_batches`):
#: ``ThingName``'s rule, no blank, no whitespace, no comment, no carriage return. At
#: most 2,048 a batch, so a batch costs about a hundred kilobytes whatever the file.
_PLAIN_LINES: Final = re.compile(rb"(?:[a-zA-Z0-9:_-]{1,128}\n){0,2048}")
#: Bytes read at a time by :meth:`LineParser.parse_batches`.
BLOCK_BYTES: Final = 32 * 1024


def _pieces(stream: BlockStream) -> Iterator[bytes | None]:
    """The stream as blocks of whole lines, each ending in a newline (one is added to
    a last line without), or None for a line longer than ``MAX_LINE_BYTES``: the same
    lines :func:`_lines` reads, with the same rule for what is too long. A line in a
    block may still be too long (longer than ``MAX_LINE_BYTES``): the reader checks."""
    rest = b""
    skipping = False
    while data := stream.read(BLOCK_BYTES):
        if skipping:
            # The rest of a line already reported as too long.
            nl = data.find(b"\n")
            if nl < 0:
                continue
            data = data[nl + 1 :]
            skipping = False
        rest += data
        cut = rest.rfind(b"\n") + 1
        if cut:
            yield rest[:cut]
            rest = rest[cut:]
        if len(rest) >= MAX_LINE_BYTES:
            yield None
            rest = b""
            skipping = True
    if rest:
        yield rest + b"\n"


def _decode(raw: bytes | None, *, first: bool) -> tuple[str, str | None]:
    """The stripped text of a line, or the rule it breaks."""
    if raw is None:
        return "", f"is longer than {MAX_LINE_BYTES} bytes"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return "", f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
    if "\x00" in text:
        return "", "contains a NUL byte: binary data, not text"
    return (text.removeprefix("\ufeff") if first else text).strip(), None


def _cells(text: str) -> list[str]:
    # csv costs a reader per line; only quoted lines need it.
    if '"' not in text:
        return text.split(",")
    return next(csv.reader([text], strict=True))


_LOWER_KEYS: Final = {name.lower(): name for name in _KEYS}


def _near(name: str) -> str | None:
    """The known column ``name`` is a typo of (case aside), if any."""
    found = difflib.get_close_matches(name.lower(), _LOWER_KEYS, n=1, cutoff=0.8)
    return _LOWER_KEYS[found[0]] if found else None


def _lists_objects(cells: list[str]) -> bool:
    """``bucket,key[,versionId]``: a bucket name, then what no job id can be (a key
    has ``/``, ``.`` or URL escapes), or a bucket name with a dot (no thing has one)."""
    if len(cells) not in (2, 3) or not _BUCKET.fullmatch(cells[0]):
        return False
    return "." in cells[0] or (bool(cells[1]) and JOB_ID.check(cells[1]) is not None)


def _sniff(text: str) -> Format:
    if text.startswith("{"):
        return "jsonl"
    if "," in text or text in _KEYS:
        return "csv"
    return "lines"


def detect_format(path: str, input_format: InputFormat) -> Format | None:
    """The forced or extension's format; None leaves it to the first line."""
    if input_format != "auto":
        return input_format
    return _EXTENSIONS.get(os.path.splitext(path)[1].lower())


def _option(field: str, rule: str, value: str) -> ValidationIssue:
    return ValidationIssue(source="options", line=None, field=field, rule=rule, value=value)
