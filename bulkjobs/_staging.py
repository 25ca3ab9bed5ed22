"""The S3 ends of a run, staged locally: the session always reads a local file and
writes a local report directory.

An ``s3://bucket/key`` manifest is streamed to a temporary file (under its own name, so
its extension still tells the format); an ``s3://bucket/prefix/`` report is an
:class:`~bulkjobs._s3.S3Store` behind a temporary staging directory — refused when its
journal records a run (without resume), or its journal and summary brought back (with
resume). One S3 client serves both, from the same credential chain as the IoT calls,
and lives until :meth:`Staging.aclose`.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

from bulkjobs._s3 import Encryption, S3Location, S3Store, download, s3_client

__all__ = ["Staging"]


class Staging:
    """A temporary directory and an S3 client, made on first use."""

    def __init__(
        self, *, profile: str | None, region: str | None, encryption: Encryption | None = None
    ) -> None:
        self._profile = profile
        self._region = region
        self._encryption = encryption
        self._stack = contextlib.AsyncExitStack()
        self._tmp: Path | None = None
        self._client: Any = None

    async def _open(self) -> tuple[Any, Path]:
        if self._client is None or self._tmp is None:
            tmp = self._stack.enter_context(tempfile.TemporaryDirectory(prefix="bulkjobs-"))
            self._tmp = Path(tmp)
            self._client = await self._stack.enter_async_context(
                s3_client(profile=self._profile, region=self._region)
            )
        return self._client, self._tmp

    async def download(self, url: str) -> Path:
        """A local copy of the manifest at ``url`` (raises ConfigurationError when it
        cannot be read, saying what S3 answered)."""
        location = S3Location.parse(url)
        client, tmp = await self._open()
        folder = tmp / f"input-{len(list(tmp.glob('input-*')))}"
        folder.mkdir()
        return await download(client, location, folder)

    async def report(self, url: str, *, resume: bool) -> S3Store:
        """The report under ``url``, prepared (see :meth:`S3Store.prepare`)."""
        location = S3Location.parse(url, prefix=True)
        client, tmp = await self._open()
        staging = tmp / "report"
        staging.mkdir()
        store = S3Store(client, location, encryption=self._encryption, staging=staging)
        await store.prepare(resume=resume)
        return store

    async def aclose(self) -> None:
        """Close the client and remove the local copies (safe to repeat)."""
        await self._stack.aclose()
        self._client = self._tmp = None
