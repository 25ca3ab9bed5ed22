"""Where a CLI run's files live: local paths as given, or S3 objects staged locally.

The run session always reads a local input file and writes a local report directory;
for ``s3://`` paths this module downloads the input (streamed to disk) and puts an
:class:`~bulkjobs._s3.S3Store` behind the report directory, with one S3 client for
both, created from the same credential chain as the IoT calls.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bulkjobs import (
    Encryption,
    LocalStore,
    ReportStore,
    S3Location,
    S3Store,
    download,
    is_s3_url,
    s3_client,
)
from bulkjobs.cli._options import Options

__all__ = ["Staged", "staged"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Staged:
    """The options with local paths, where the report lives, and the input's name."""

    opts: Options
    store: ReportStore | None
    things_name: str | None


@contextlib.asynccontextmanager
async def staged(opts: Options) -> AsyncIterator[Staged]:
    """Local paths for ``opts``: S3 inputs downloaded, an S3 report staged."""
    if not (is_s3_url(opts.things_file) or opts.report_url):
        local = LocalStore(opts.report_dir) if opts.report_dir is not None else None
        yield Staged(opts=opts, store=local, things_name=None)
        return
    region = opts.config.region
    with tempfile.TemporaryDirectory(prefix="bulkjobs-") as tmp:
        async with s3_client(profile=opts.config.profile, region=region) as client:
            things_name = None
            if opts.things_file is not None and is_s3_url(opts.things_file):
                things_name = opts.things_file
                (Path(tmp) / "input").mkdir()
                location = S3Location.parse(opts.things_file)
                path = await download(client, location, Path(tmp) / "input")
                opts = dataclasses.replace(opts, things_file=str(path))
            store: ReportStore | None = (
                LocalStore(opts.report_dir) if opts.report_dir is not None else None
            )
            if opts.report_url is not None:
                staging = Path(tmp) / "report"
                staging.mkdir()
                store = S3Store(
                    client,
                    S3Location.parse(opts.report_url, prefix=True),
                    encryption=Encryption(sse=opts.sse, kms_key_id=opts.kms_key_id),
                    staging=staging,
                )
                opts = dataclasses.replace(
                    opts, report_dir=staging, journal=staging / "journal.jsonl"
                )
            yield Staged(opts=opts, store=store, things_name=things_name)
