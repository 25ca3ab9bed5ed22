"""Input files and report directories in S3, for runs where disks vanish.

A run always works on a local directory; where the report lives is a
:class:`ReportStore` the run session drives at four points:

- :meth:`~ReportStore.prepare` before anything is sent: refuse a report that already
  records a run (without resume), or bring its journal and summary back (with resume);
- :meth:`~ReportStore.sync` every few seconds while the run goes on: the journal lines
  written since the last sync go up as one new segment object, so a killed process
  (a Lambda past its timeout) loses at most the last few seconds — whose targets a
  resume simply does again;
- :meth:`~ReportStore.publish` at the end: the last segment, then ``results.jsonl``
  (streamed from disk), ``summary.json`` and ``report.html``.

:class:`LocalStore` is a report directory on disk (every step a no-op);
:class:`S3Store` keeps ``s3://bucket/prefix/`` in step with a local staging directory
using aiobotocore's S3 client and the SDK's usual credential chain, with server-side
encryption passed through. Memory stays flat: the journal is read back and sent in
segments, results are streamed from the staging file.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Protocol

import anyio
import structlog

from bulkjobs._exceptions import ConfigurationError

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

log = structlog.get_logger("bulkjobs.s3")

JOURNAL_PREFIX: Final = "journal/"
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
        self._journal = self.directory / "journal.jsonl"
        self._sent = 0
        self._segment = 0
        self._lock = anyio.Lock()
        self.segments_written = 0
        #: Files larger than this go up in parts of this size (S3's minimum is 5 MiB).
        self.part_size = PART_SIZE

    def describe(self, name: str = "") -> str:
        return str(self.location.child(name)) if name else str(self.location)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()

    async def _segments(self) -> list[str]:
        keys: list[str] = []
        paginator = self._client.get_paginator("list_objects_v2")
        prefix = self.location.key + JOURNAL_PREFIX
        async for page in paginator.paginate(Bucket=self.location.bucket, Prefix=prefix):
            keys += [item["Key"] for item in page.get("Contents", [])]
        return sorted(keys)

    async def prepare(self, *, resume: bool) -> None:
        """Refuse a prefix that records a run unless resuming; when resuming, bring the
        journal's segments (in order) and the last summary back into the staging dir."""
        try:
            segments = await self._segments()
        except Exception as exc:
            raise _error(exc, f"{self.describe()} cannot be listed") from exc
        if segments and not resume:
            raise ConfigurationError(
                f"{self.describe(JOURNAL_PREFIX)} already records a run: add --resume to "
                "continue it, or choose another --report"
            )
        if not resume:
            return
        try:
            with self._journal.open("wb") as out:
                for key in segments:
                    response = await self._client.get_object(Bucket=self.location.bucket, Key=key)
                    async with response["Body"] as body:
                        async for chunk in body.iter_chunks(1 << 20):
                            out.write(chunk)
            with contextlib.suppress(Exception):
                await download(self._client, self.location.child("summary.json"), self.directory)
        except Exception as exc:
            raise _error(exc, f"{self.describe(JOURNAL_PREFIX)} cannot be read back") from exc
        self._sent = self._journal.stat().st_size
        if segments:
            self._segment = max(int(Path(key).stem) for key in segments if Path(key).stem.isdigit())
        log.info("journal read back", segments=len(segments), bytes=self._sent)

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

    async def sync(self) -> None:
        """Send the journal lines finished since the last sync as one new segment."""
        async with self._lock:
            if not self._journal.exists():
                return
            with self._journal.open("rb") as fh:
                fh.seek(self._sent)
                data = fh.read()
            # Only whole lines: the journal may be mid-batch on disk.
            end = data.rfind(b"\n") + 1
            if end == 0:
                return
            self._segment += 1
            try:
                await self._put(f"{JOURNAL_PREFIX}{self._segment:06d}.jsonl", data[:end])
            except Exception as exc:
                self._segment -= 1
                raise _error(exc, f"{self.describe(JOURNAL_PREFIX)} cannot be written") from exc
            self._sent += end
            self.segments_written += 1

    async def run_sync(self) -> None:
        """Sync every :data:`SYNC_INTERVAL` seconds until cancelled; a failed sync is
        logged and tried again (the next segment carries those lines too)."""
        while True:
            await anyio.sleep(SYNC_INTERVAL)
            try:
                await self.sync()
            except ConfigurationError as exc:
                log.warning("journal sync failed; will retry", error=str(exc))

    async def publish(self) -> None:
        """The last journal segment, then the report's files."""
        await self.sync()
        try:
            for name in ("results.jsonl", "summary.json", "report.html"):
                path = self.directory / name
                if path.exists():
                    await self._put(name, path)
        except Exception as exc:
            raise _error(exc, f"{self.describe()} cannot be written") from exc
