"""``bulkjobs report DIR``: draw a report directory again and print its summary.

DIR may be an S3 prefix (``s3://bucket/prefix/``): its summary and results are streamed
to a temporary directory, the page is drawn there and put back beside them. A prefix
whose run was stopped before it wrote its summary is refused, saying what S3 holds.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from bulkjobs import (
    ConfigurationError,
    Encryption,
    Report,
    S3Location,
    S3Store,
    is_s3_url,
    redraw_report,
    s3_client,
)
from bulkjobs.cli._output import print_summary

__all__ = ["run_report"]


def run_report(
    directory: str,
    *,
    output: str,
    profile: str | None = None,
    region: str | None = None,
    encryption: Encryption | None = None,
) -> int:
    """0 when the page was written and the summary printed; 2 when DIR is no report."""
    try:
        if is_s3_url(directory):
            import anyio

            report, page = anyio.run(_from_s3, directory, profile, region, encryption)
        else:
            report, local = redraw_report(directory)
            page = str(local)
    except ConfigurationError as exc:
        print(f"bulkjobs: error: {exc}", file=sys.stderr)
        return 2
    print_summary(report, stream=sys.stdout, as_json=output == "json")
    if output != "json" and not is_s3_url(directory):
        _print_destinations(Path(directory) / "summary.json")
    print(f"bulkjobs: wrote {page}", file=sys.stderr)
    return 0


def _print_destinations(summary: Path) -> None:
    """The per-account/region table, as the run printed it (runs over many)."""
    from bulkjobs.cli._destinations import print_destinations

    try:
        rows = json.loads(summary.read_text(encoding="utf-8")).get("byDestination") or []
    except (OSError, ValueError, AttributeError):
        return
    if len(rows) > 1 or any(isinstance(r, dict) and r.get("account") for r in rows):
        print_destinations(rows, sys.stdout)


async def _from_s3(
    url: str, profile: str | None, region: str | None, encryption: Encryption | None
) -> tuple[Report, str]:
    location = S3Location.parse(url, prefix=True)
    with tempfile.TemporaryDirectory(prefix="bulkjobs-") as tmp:
        staging = Path(tmp)
        async with s3_client(profile=profile, region=region) as client:
            store = S3Store(client, location, encryption=encryption, staging=staging)
            await store.fetch_report()
            report, drawn = redraw_report(staging)
            await store.put_file(drawn.name)
    return report, str(location.child(drawn.name))
