"""Targets from a file or stdin (``--things-file PATH|-``), streamed in constant memory.

The formats (lines, CSV, JSON Lines) and their line-by-line rules live in
:mod:`bulkjobs._fileformats`; this module reads files for a run.

A run reads its file twice. :func:`scan_file` makes the first, full pass before anything
is sent: it counts targets, keeps the first issues, and notes whether the targets are
sorted (then de-duplication needs O(1) memory). The run refuses to start on any issue
unless told to skip invalid lines. Iterating the returned :class:`FileSource` makes the
second pass. Input that cannot be read twice — stdin, a pipe, ``<(command)`` — is
copied to a private temporary file during the first pass. Both passes hold one line at
a time: memory does not grow with the file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import IO

from bulkjobs._batch import TargetBatch
from bulkjobs._destination import Destination
from bulkjobs._exceptions import ConfigurationError, InvalidInputError, ValidationIssue
from bulkjobs._fileformats import (
    MAX_LINE_BYTES,
    Format,
    InputFormat,
    InvalidLine,
    LineParser,
    WholeFileError,
    detect_format,
)
from bulkjobs._filters import SortKey, ascending, sort_key
from bulkjobs._models import InvalidTarget, Operation, Target

__all__ = [
    "MAX_LINE_BYTES",
    "FileScan",
    "FileSource",
    "InputFormat",
    "InvalidLine",
    "iter_file_targets",
    "scan_file",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileScan:
    """What the first pass found. ``targets + invalid`` items come out of the second."""

    source: str
    format: Format
    lines: int
    targets: int
    invalid: int
    #: Every issue found, of which ``issues`` keeps the first ``max_issues``.
    issue_count: int
    issues: tuple[ValidationIssue, ...]
    #: The file as a whole is unusable (unreadable, bad header, no targets, bad default).
    fatal: bool
    #: Valid targets come in :func:`~bulkjobs._filters.sort_key` order.
    sorted: bool
    #: The accounts valid targets name (an ``account`` column), for the access check
    #: before anything is sent.
    accounts: frozenset[str] = frozenset()

    @property
    def items(self) -> int:
        return self.targets + self.invalid


def iter_file_targets(
    path: str,
    *,
    job_id: str | None,
    operation: Operation,
    input_format: InputFormat = "auto",
    destination: Destination | None = None,
    stdin: IO[bytes] | None = None,
) -> Iterator[Target | InvalidTarget]:
    """Targets of ``path`` (``"-"``: ``stdin``, by default ``sys.stdin.buffer``) in one
    lazy pass. A broken line comes out as an :class:`InvalidLine`; a broken file raises
    :class:`InvalidInputError` (before any target, except for an empty file)."""
    source = "<stdin>" if path == "-" else path
    region = None if destination is None else destination.region
    account = None if destination is None else destination.account
    parser = LineParser(
        source, job_id, operation, region, detect_format(path, input_format), account
    )
    with contextlib.ExitStack() as stack:
        try:
            stream = _open(path, stdin, stack)
            yield from parser.parse(stream)
        except OSError as exc:
            raise InvalidInputError([_file_issue(source, exc)]) from exc
        except WholeFileError as fatal:
            raise InvalidInputError(fatal.issues) from None


def scan_file(
    path: str,
    *,
    job_id: str | None,
    operation: Operation,
    input_format: InputFormat = "auto",
    destination: Destination | None = None,
    max_issues: int = 100,
    stdin: IO[bytes] | None = None,
    spool_dir: str | None = None,
    name: str | None = None,
) -> FileSource:
    """First pass over ``path``: validate every line, copying stdin and pipes aside.
    ``name`` is what messages call the file (an S3 object downloaded to ``path``).

    Use the result as a context manager so that copy is removed.
    """
    source = name or ("<stdin>" if path == "-" else path)
    region = None if destination is None else destination.region
    account = None if destination is None else destination.account
    parser = LineParser(
        source, job_id, operation, region, detect_format(path, input_format), account
    )
    issues: list[ValidationIssue] = []
    accounts: set[str] = set()
    count = targets = invalid = 0
    fatal, in_order = False, True
    previous: SortKey | None = None
    spool: IO[bytes] | None = None
    signature: tuple[int, int, int] | None = None

    def note(found: Sequence[ValidationIssue]) -> None:
        nonlocal count
        count += len(found)
        issues.extend(found[: max(0, max_issues - len(issues))])

    try:
        with contextlib.ExitStack() as stack:
            status = None if path == "-" else os.stat(path)
            if status is not None and stat.S_ISREG(status.st_mode):
                signature = (status.st_ino, status.st_size, status.st_mtime_ns)
            stream = _open(path, stdin, stack)
            if signature is None:
                spool = _make_spool(spool_dir)
            read = stream if spool is None else _Tee(stream, spool)
            for item in parser.parse_batches(read):
                if isinstance(item, TargetBatch):
                    # Within a batch only the names differ: its keys are in order when
                    # the names are (ASCII, so str order is byte order).
                    targets += len(item)
                    if in_order:
                        first = sort_key(item.target(0))
                        in_order = (previous is None or previous <= first) and ascending(item.names)
                    previous = sort_key(item.target(-1))
                    continue
                if isinstance(item, InvalidLine):
                    invalid += 1
                    note(item.issues)
                    continue
                targets += 1
                if (named := item.destination.account) is not None:
                    accounts.add(named)
                key = sort_key(item)
                in_order = in_order and (previous is None or previous <= key)
                previous = key
    except WholeFileError as found:
        fatal = True
        note(found.issues)
    except OSError as exc:
        fatal = True
        note([_file_issue(source, exc)])
    except BaseException:
        _discard(spool)
        raise
    if spool is not None:
        spool.close()
    scan = FileScan(
        source=source,
        format=parser.format or "lines",
        lines=parser.lines,
        targets=targets,
        invalid=invalid,
        issue_count=count,
        issues=tuple(issues),
        fatal=fatal,
        sorted=in_order,
        accounts=frozenset(accounts),
    )
    read_path = path if spool is None else spool.name
    return FileSource(scan, read_path, parser, signature, spooled=spool is not None)


class FileSource:
    """A scanned file: its :class:`FileScan`, and the second pass when iterated.

    Iterate it once per run; a spooled copy of stdin lasts until :meth:`close`.
    """

    def __init__(
        self,
        scan: FileScan,
        read_path: str,
        parser: LineParser,
        signature: tuple[int, int, int] | None,
        *,
        spooled: bool,
    ) -> None:
        self.scan = scan
        self._path = read_path
        self._parser = parser
        self._signature = signature
        self._spooled = spooled

    def check(self, *, skip_invalid: bool = False) -> None:
        """Raise :class:`InvalidInputError` unless the run may start: no issue at all,
        or only broken lines when ``skip_invalid`` (they end as ``invalid_request``)."""
        if self.scan.fatal or (self.scan.issue_count and not skip_invalid):
            raise InvalidInputError(self.scan.issues)

    def __iter__(self) -> Iterator[Target | InvalidTarget]:
        with self._second_pass() as (stream, parser):
            try:
                yield from parser.parse(stream)
            except WholeFileError as fatal:
                raise InvalidInputError(fatal.issues) from None

    def _batches(self) -> Iterator[Target | InvalidTarget | TargetBatch]:
        """The second pass with runs of plain lines as batches (see
        :meth:`~bulkjobs._fileformats.LineParser.parse_batches`): the same targets, in
        the same order, as iterating the source."""
        with self._second_pass() as (stream, parser):
            try:
                yield from parser.parse_batches(stream)
            except WholeFileError as fatal:
                raise InvalidInputError(fatal.issues) from None

    @contextlib.contextmanager
    def _second_pass(self) -> Iterator[tuple[IO[bytes], LineParser]]:
        scan = self.scan
        if scan.fatal:
            raise InvalidInputError(scan.issues)
        with open(self._path, "rb") as stream:
            if self._signature is not None:
                # The second pass must read what the first one validated.
                status = os.fstat(stream.fileno())
                if (status.st_ino, status.st_size, status.st_mtime_ns) != self._signature:
                    rule = "changed since it was validated; start again"
                    issue = ValidationIssue(source=scan.source, line=None, field="file", rule=rule)
                    raise InvalidInputError([issue])
            yield stream, self._parser.fresh(scan.format)

    def close(self) -> None:
        """Remove the copy of stdin or a pipe, if one was made."""
        if self._spooled:
            self._spooled = False
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)

    def __enter__(self) -> FileSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _Tee:
    """Copies every line read to the spool, so stdin can be read a second time."""

    def __init__(self, stream: IO[bytes], spool: IO[bytes]) -> None:
        self._stream = stream
        self._spool = spool

    def readline(self, size: int = -1, /) -> bytes:
        return self._copy(self._stream.readline(size))

    def read(self, size: int = -1, /) -> bytes:
        return self._copy(self._stream.read(size))

    def _copy(self, data: bytes) -> bytes:
        try:
            self._spool.write(data)
        except OSError as exc:
            # Not the input's fault: keep it apart from "cannot be read".
            raise ConfigurationError(f"cannot copy the input to {self._spool.name}: {exc}") from exc
        return data


def _open(path: str, stdin: IO[bytes] | None, stack: contextlib.ExitStack) -> IO[bytes]:
    if path == "-":
        # Never closed here: stdin belongs to the process.
        return stdin if stdin is not None else sys.stdin.buffer
    return stack.enter_context(open(path, "rb"))


def _make_spool(spool_dir: str | None) -> IO[bytes]:
    try:
        # mkstemp underneath: created 0600, since thing lists can be sensitive.
        return tempfile.NamedTemporaryFile(
            mode="wb", prefix="bulkjobs-input-", suffix=".spool", dir=spool_dir, delete=False
        )
    except OSError as exc:
        raise ConfigurationError(f"cannot create a temporary copy of the input: {exc}") from exc


def _discard(spool: IO[bytes] | None) -> None:
    if spool is not None:
        spool.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(spool.name)


def _file_issue(source: str, exc: OSError) -> ValidationIssue:
    reason = exc.strerror or str(exc)
    return ValidationIssue(source=source, line=None, field="file", rule=f"cannot be read: {reason}")
