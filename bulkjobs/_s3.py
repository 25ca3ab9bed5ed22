"""Input files and report directories in S3, for runs where disks vanish.

A run always works on a local directory; where the report lives is a
:class:`ReportStore` the run session drives at four points:

- :meth:`~ReportStore.prepare` before anything is sent: refuse a report that already
  records a run (without resume), or bring its journal and summary back (with resume);
- :meth:`~ReportStore.sync` every few seconds while the run goes on: the lines the
  journal and results.jsonl gained since the last sync go up as new segment objects
  (``journal/000001.jsonl``, ``results/000001.jsonl``, …), whole lines only, so a
  killed process (a Lambda past its timeout) loses at most the last few seconds —
  whose targets a resume simply does again;
- :meth:`~ReportStore.publish` at the end: the journal's last segment, then
  ``results.jsonl`` as one object (streamed from the staging file the segments were
  cut from, in parts), ``summary.json`` and ``report.html``; the results segments,
  superseded, are removed. The journal's segments stay: they are what a resume reads.

A prefix with segments but no summary is a run stopped before its end:
:meth:`S3Store.fetch_report` (``bulkjobs report``) says what its segments hold and that
a resume finishes it, rather than drawing a page from part of a run.

:class:`LocalStore` is a report directory on disk (every step a no-op);
:class:`S3Store` keeps ``s3://bucket/prefix/`` in step with a local staging directory
using aiobotocore's S3 client and the SDK's usual credential chain, with server-side
encryption passed through. Memory stays flat: a segment holds at most
:data:`SEGMENT_BYTES`, files go up a part at a time, and the journal is read back a
chunk at a time.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Protocol

import anyio

from bulkjobs._exceptions import ConfigurationError
from bulkjobs._log import get_logger
from bulkjobs._plan import plural
from bulkjobs._report import ResultsWriter
from bulkjobs._reportfiles import (
    HTML_NAME,
    RESULTS_NAME,
    SUMMARY_NAME,
    finished_outcome,
    stopped_run,
)

__all__ = [
    "Encryption",
    "LocalStore",
    "ReportStore",
    "S3Location",
    "S3Store",
    "download",
    "is_s3_url",
    "s3_client",
]

log = get_logger("bulkjobs.s3")

JOURNAL_PREFIX: Final = "journal/"
RESULTS_PREFIX: Final = "results/"
#: The most one segment object holds (a resume's first results segment would otherwise
#: carry every target its journal finished).
SEGMENT_BYTES: Final = 8 << 20
#: Size of one part of a multipart upload, and the file size from which one is used.
PART_SIZE: Final = 8 << 20
#: How often the journal goes up while the run goes on.
SYNC_INTERVAL: Final = 2.0
_BUCKET: Final = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_CONTENT_TYPES: Final = {
    ".json": "application/json",
    ".jsonl": "application/x-ndjson",
    ".html": "text/html; charset=utf-8",
}


def is_s3_url(text: str | None) -> bool:
    return text is not None and text.startswith("s3://")


@dataclass(frozen=True, slots=True, kw_only=True)
class S3Location:
    """``s3://bucket/key``: an object, or a prefix when the key ends with ``/``."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, url: str, *, prefix: bool = False) -> S3Location:
        """Parse ``url``; ``prefix`` makes the key a folder (a ``/`` appended).

        Raises :class:`ConfigurationError` naming the URL and the rule it breaks
        (:meth:`problem` gives the rule alone, for a caller that names the URL itself).
        """
        rule = cls.problem(url, prefix=prefix)
        if rule is not None:
            raise ConfigurationError(f"{url}: {rule}")
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if prefix and key and not key.endswith("/"):
            key += "/"
        return cls(bucket=bucket, key=key)

    @staticmethod
    def problem(url: str, *, prefix: bool = False) -> str | None:
        """The rule ``url`` breaks as an S3 object (or, with ``prefix``, a folder), or
        None when :meth:`parse` accepts it."""
        if not url.startswith("s3://"):
            return "must start with s3://"
        bucket, _, key = url.removeprefix("s3://").partition("/")
        if not _BUCKET.fullmatch(bucket) or ".." in bucket:
            return f"'{bucket}' is not an S3 bucket name (3-63 of a-z 0-9 . -)"
        if not prefix and (not key or key.endswith("/")):
            return "must name an object: s3://bucket/key"
        return None

    def child(self, name: str) -> S3Location:
        return S3Location(bucket=self.bucket, key=self.key + name)

    @property
    def name(self) -> str:
        return self.key.rstrip("/").rpartition("/")[2]

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Encryption:
    """Server-side encryption for every object written (``--sse``, ``--kms-key-id``)."""

    sse: str | None = None
    kms_key_id: str | None = None

    def put_args(self) -> dict[str, str]:
        args: dict[str, str] = {}
        if self.sse is not None:
            args["ServerSideEncryption"] = self.sse
        if self.kms_key_id is not None:
            args["SSEKMSKeyId"] = self.kms_key_id
        return args


@contextlib.asynccontextmanager
async def s3_client(*, profile: str | None, region: str | None) -> AsyncIterator[Any]:
    """aiobotocore's S3 client from the SDK's credential chain (``AWS_ENDPOINT_URL_S3``
    is honoured, as by every SDK)."""
    from aiobotocore.session import AioSession
    from botocore.config import Config

    session = AioSession(profile=profile)
    config = Config(retries={"mode": "standard", "max_attempts": 5})
    async with session.create_client("s3", region_name=region, config=config) as client:
        yield client


def _error(exc: Exception, what: str) -> ConfigurationError:
    """An S3 failure as the CLI reports it: the object and the service's words."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        reason = f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    elif isinstance(exc, BotoCoreError):
        reason = str(exc)
    else:
        reason = repr(exc)
    return ConfigurationError(f"{what}: {reason}")


async def download(client: Any, location: S3Location, directory: Path) -> Path:
    """Stream the object to ``directory`` (under its own name, so its extension still
    tells the format) in chunks: memory stays flat for a manifest of any size."""
    path = directory / (location.name or "manifest")
    try:
        response = await client.get_object(Bucket=location.bucket, Key=location.key)
        async with response["Body"] as body:
            with path.open("wb") as out:
                async for chunk in body.iter_chunks(1 << 20):
                    out.write(chunk)
    except Exception as exc:
        raise _error(exc, f"{location} cannot be read") from exc
    return path


class ReportStore(Protocol):
    """Where a run's report lives; the run writes into :attr:`directory`."""

    directory: Path

    async def prepare(self, *, resume: bool) -> None: ...

    async def sync(self) -> None: ...

    async def publish(self) -> None: ...

    def describe(self, name: str = "") -> str: ...


class LocalStore:
    """A report directory on disk: the files are where the run writes them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def prepare(self, *, resume: bool) -> None:
        return None

    async def sync(self) -> None:
        return None

    async def publish(self) -> None:
        return None

    def describe(self, name: str = "") -> str:
        return str(self.directory / name) if name else str(self.directory)


class _Segments:
    """A local file that grows as the run goes, sent under ``prefix`` as numbered
    objects (``000001.jsonl``, …) of whole lines: each :meth:`S3Store.sync` sends what
    was appended since the last one, at most :data:`SEGMENT_BYTES` an object."""

    def __init__(self, prefix: str, find: Callable[[], Path | None]) -> None:
        self.prefix = prefix
        self._find = find
        #: Bytes of the file already in S3, and the number of the last segment sent.
        self.sent = 0
        self.number = 0

    def pending(self) -> bytes:
        """The whole lines after :attr:`sent` (empty: nothing new to send)."""
        path = self._find()
        if path is None:
            return b""
        try:
            with path.open("rb") as fh:
                fh.seek(self.sent)
                data = fh.read(SEGMENT_BYTES)
        except FileNotFoundError:  # renamed into place between the look and the open
            return b""
        # Only whole lines: the writer may be mid-line on disk.
        return data[: data.rfind(b"\n") + 1]


class S3Store:
    """``s3://bucket/prefix/`` kept in step with a local staging directory."""

    def __init__(
        self,
        client: Any,
        location: S3Location,
        *,
        encryption: Encryption | None = None,
        staging: Path | None = None,
    ) -> None:
        self._client = client
        self.location = location
        self._encryption = encryption or Encryption()
        self._tmp = None if staging is not None else tempfile.TemporaryDirectory(prefix="bulkjobs-")
        self.directory = staging if staging is not None else Path(self._tmp.name)  # type: ignore[union-attr]
        self._journal_path = self.directory / "journal.jsonl"
        self._journal = _Segments(JOURNAL_PREFIX, self._journal_file)
        self._results = _Segments(RESULTS_PREFIX, self._results_file)
        self._lock = anyio.Lock()
        #: Files larger than this go up in parts of this size (S3's minimum is 5 MiB).
        self.part_size = PART_SIZE

    def describe(self, name: str = "") -> str:
        return str(self.location.child(name)) if name else str(self.location)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    def _journal_file(self) -> Path | None:
        return self._journal_path if self._journal_path.exists() else None

    def _results_file(self) -> Path | None:
        """results.jsonl once complete; until then the writer's partial file."""
        final = self.directory / RESULTS_NAME
        if final.exists():
            return final
        return next(iter(sorted(self.directory.glob(ResultsWriter.PARTIAL_PREFIX + "*"))), None)

    async def _list(self, folder: str) -> list[str]:
        return await _list_keys(self._client, self.location.child(folder))

    async def _delete(self, keys: list[str]) -> None:
        """Delete ``keys``, a thousand a request (S3's limit)."""
        for start in range(0, len(keys), 1000):
            batch = [{"Key": key} for key in keys[start : start + 1000]]
            answer = await self._client.delete_objects(
                Bucket=self.location.bucket, Delete={"Objects": batch, "Quiet": True}
            )
            if errors := answer.get("Errors"):
                first = errors[0]
                raise ConfigurationError(
                    f"s3://{self.location.bucket}/{first.get('Key')} cannot be deleted: "
                    f"{first.get('Code')}: {first.get('Message')}"
                )

    async def prepare(self, *, resume: bool) -> None:
        """Refuse a prefix that records a run unless resuming; when resuming, bring the
        journal's segments (in order) and the last summary back into the staging dir.
        Results segments left by a killed invocation are removed: the journal carries
        its finished targets into this invocation's results."""
        try:
            segments = await self._list(JOURNAL_PREFIX)
            stale = await self._list(RESULTS_PREFIX)
        except Exception as exc:
            raise _error(exc, f"{self.describe()} cannot be listed") from exc
        if segments and not resume:
            raise ConfigurationError(
                f"{self.describe(JOURNAL_PREFIX)} already records a run: add --resume to "
                "continue it, or choose another --report (a dry run too: its report "
                "would replace that run's)"
            )
        try:
            await self._delete(stale)
        except Exception as exc:
            raise _error(exc, f"{self.describe(RESULTS_PREFIX)} cannot be cleared") from exc
        if not resume:
            return
        try:
            with self._journal_path.open("wb") as out:
                for key in segments:
                    response = await self._client.get_object(Bucket=self.location.bucket, Key=key)
                    async with response["Body"] as body:
                        async for chunk in body.iter_chunks(1 << 20):
                            out.write(chunk)
            with contextlib.suppress(Exception):
                await download(self._client, self.location.child(SUMMARY_NAME), self.directory)
        except Exception as exc:
            raise _error(exc, f"{self.describe(JOURNAL_PREFIX)} cannot be read back") from exc
        self._journal.sent = self._journal_path.stat().st_size
        if segments:
            self._journal.number = max(
                int(Path(key).stem) for key in segments if Path(key).stem.isdigit()
            )
        log.info("journal read back", segments=len(segments), bytes=self._journal.sent)

    async def fetch_report(self) -> None:
        """Stream the report under the prefix to the staging directory: summary.json
        and, when there, results.jsonl. A prefix without a summary raises a
        :class:`ConfigurationError` that says what S3 holds instead: a run stopped
        before its end (what its journal finished, its results segments), or nothing."""
        try:
            await download(self._client, self.location.child(SUMMARY_NAME), self.directory)
        except ConfigurationError as missing:
            stopped = await _stopped_run(self._client, self.location)
            raise (missing if stopped is None else ConfigurationError(stopped)) from None
        # Without results: a page without the failures table, as for a local directory.
        with contextlib.suppress(ConfigurationError):
            await download(self._client, self.location.child(RESULTS_NAME), self.directory)

    async def _put(self, name: str, body: bytes | Path) -> None:
        args = {
            "Bucket": self.location.bucket,
            "Key": self.location.key + name,
            "ContentType": _CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream"),
            **self._encryption.put_args(),
        }
        if not isinstance(body, Path):
            await self._client.put_object(Body=body, **args)
            return
        with body.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(0)
            if size > self.part_size:
                await self._put_in_parts(fh, args)
            else:
                await self._client.put_object(Body=fh.read(), **args)

    async def _put_in_parts(self, fh: IO[bytes], args: dict[str, str]) -> None:
        """A multipart upload, one part in memory at a time: results.jsonl for a million
        targets is hundreds of megabytes, the process holds one part of it."""
        bucket, key = args["Bucket"], args["Key"]
        started = await self._client.create_multipart_upload(**args)
        upload = started["UploadId"]
        parts: list[dict[str, Any]] = []
        try:
            while chunk := fh.read(self.part_size):
                number = len(parts) + 1
                done = await self._client.upload_part(
                    Bucket=bucket, Key=key, UploadId=upload, PartNumber=number, Body=chunk
                )
                parts.append({"PartNumber": number, "ETag": done["ETag"]})
            await self._client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            with anyio.CancelScope(shield=True), contextlib.suppress(Exception):
                await self._client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload)
            raise

    async def put_file(self, name: str) -> None:
        """Put the staging directory's file ``name`` under the prefix."""
        try:
            await self._put(name, self.directory / name)
        except Exception as exc:
            raise _error(exc, f"{self.describe(name)} cannot be written") from exc

    async def _send(self, file: _Segments) -> int:
        """Send ``file``'s new whole lines as segments; return how many were sent. A
        failed put keeps its number, so the retry writes that same object again, with
        these lines and any newer."""
        sent = 0
        while data := file.pending():
            number = file.number + 1
            try:
                await self._put(f"{file.prefix}{number:06d}.jsonl", data)
            except Exception as exc:
                raise _error(exc, f"{self.describe(file.prefix)} cannot be written") from exc
            file.number = number
            file.sent += len(data)
            sent += 1
        return sent

    async def sync(self) -> None:
        """Send the journal and results lines finished since the last sync."""
        async with self._lock:
            sent = await self._send(self._journal) + await self._send(self._results)
            if sent:
                log.info(
                    "report synced",
                    report=self.describe(),
                    journalSegment=self._journal.number,
                    resultsSegment=self._results.number,
                )

    async def run_sync(self) -> None:
        """Sync every :data:`SYNC_INTERVAL` seconds until cancelled; a failed sync is
        logged and tried again (the next segment carries those lines too)."""
        while True:
            await anyio.sleep(SYNC_INTERVAL)
            try:
                await self.sync()
            except ConfigurationError as exc:
                log.warning("report sync failed; will retry", error=str(exc))

    async def publish(self) -> None:
        """The journal's last segment, then the report's files: results.jsonl whole,
        from the staging file its segments were cut from (so the object is those
        segments and the lines after them, in order); the segments, superseded, are
        then removed."""
        async with self._lock:
            await self._send(self._journal)
        try:
            for name in (RESULTS_NAME, SUMMARY_NAME, HTML_NAME):
                path = self.directory / name
                if path.exists():
                    await self._put(name, path)
        except Exception as exc:
            raise _error(exc, f"{self.describe()} cannot be written") from exc
        results = self.directory / RESULTS_NAME
        if not results.exists():
            return
        try:
            async with self._lock:
                # Whole in S3 now: a later sync has nothing of it left to send.
                self._results.sent = results.stat().st_size
                await self._delete(await self._list(RESULTS_PREFIX))
        except Exception as exc:
            # results.jsonl is whole: the stale segments cost storage, not correctness,
            # and the next run under the prefix removes them.
            log.warning("results segments not removed", error=str(_error(exc, self.describe())))


async def _list_keys(client: Any, folder: S3Location) -> list[str]:
    """Every key under ``folder`` (a prefix), in order."""
    keys: list[str] = []
    paginator = client.get_paginator("list_objects_v2")
    async for page in paginator.paginate(Bucket=folder.bucket, Prefix=folder.key):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return sorted(keys)


async def _object_lines(client: Any, bucket: str, key: str) -> AsyncIterator[bytes]:
    """The object's lines, streamed (a torn last line included as it is)."""
    response = await client.get_object(Bucket=bucket, Key=key)
    rest = b""
    async with response["Body"] as body:
        async for chunk in body.iter_chunks(1 << 20):
            *lines, rest = (rest + chunk).split(b"\n")
            for line in lines:
                yield line
    if rest:
        yield rest


async def _stopped_run(client: Any, location: S3Location) -> str | None:
    """What a prefix without summary.json holds of a run (None: no segments either)."""
    try:
        journal = await _list_keys(client, location.child(JOURNAL_PREFIX))
        results = await _list_keys(client, location.child(RESULTS_PREFIX))
        if not journal and not results:
            return None
        finished: Counter[str] = Counter()
        lines = 0
        for key in results:
            async for line in _object_lines(client, location.bucket, key):
                lines += bool(line.strip())
        for key in journal:
            async for line in _object_lines(client, location.bucket, key):
                if (outcome := finished_outcome(line)) is not None:
                    finished[outcome] += 1
    except Exception as exc:
        raise _error(exc, f"{location} cannot be read") from exc
    return stopped_run(
        str(location.child(SUMMARY_NAME)),
        str(location),
        journal=f"In S3: its journal, {plural(len(journal), 'segment')},",
        finished=finished,
        results=f"its results so far, {plural(len(results), 'segment')}, " + plural(lines, "line"),
    )
