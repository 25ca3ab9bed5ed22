"""``bulkjobs report DIR``: draw a report directory again and print its summary."""

from __future__ import annotations

import sys

from bulkjobs import ConfigurationError, redraw_report
from bulkjobs.cli._output import print_summary

__all__ = ["run_report"]


def run_report(directory: str, *, output: str) -> int:
    """0 when the page was written and the summary printed; 2 when DIR is no report."""
    try:
        report, page = redraw_report(directory)
    except ConfigurationError as exc:
        print(f"bulkjobs: error: {exc}", file=sys.stderr)
        return 2
    print_summary(report, stream=sys.stdout, as_json=output == "json")
    print(f"bulkjobs: wrote {page}", file=sys.stderr)
    return 0
