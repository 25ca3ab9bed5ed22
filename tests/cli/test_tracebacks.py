"""The CLI starts without rich, and logs a traceback as structlog's default would."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap

import pytest
import structlog.dev

from bulkjobs.cli._tracebacks import RichTraceback


def lookup(table: dict[str, int]) -> int:
    return table["missing"]


def exc_info() -> tuple[type[BaseException], BaseException, object]:
    try:
        lookup({})
    except KeyError:
        kind, value, tb = sys.exc_info()
        assert kind is not None and value is not None
        return kind, value, tb
    raise AssertionError("unreachable")


class TestRichTraceback:
    @pytest.mark.parametrize(
        ("colors", "theirs"),
        [
            (True, structlog.dev.RichTracebackFormatter()),
            (False, structlog.dev.RichTracebackFormatter(color_system=None)),
        ],
    )
    def test_the_same_text_as_structlogs_default(self, colors: bool, theirs: object) -> None:
        """In colour and monochrome, what the console renderer's own default writes."""
        info = exc_info()
        ours, expected = io.StringIO(), io.StringIO()
        RichTraceback(colors=colors)(ours, info)  # type: ignore[arg-type]
        theirs(expected, info)  # type: ignore[operator]
        assert ours.getvalue() == expected.getvalue()
        assert "KeyError" in ours.getvalue()


def test_the_cli_configures_logging_without_importing_rich() -> None:
    """Logging set up as `bulkjobs … -v` does it: rich is imported only when an
    exception is logged, and the traceback is rich's."""
    script = textwrap.dedent(
        """
        import sys
        from bulkjobs.cli._tracebacks import import_structlog
        import_structlog()
        from bulkjobs.cli._output import configure_logging
        configure_logging("console", verbose=True, quiet=False)
        import structlog
        structlog.get_logger("t").info("started")
        print("rich" in sys.modules)
        try:
            {}["missing"]
        except KeyError:
            structlog.get_logger("t").exception("failed")
        print("rich" in sys.modules)
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert proc.stdout.split() == ["False", "True"]
    assert "started" in proc.stderr
    assert "Traceback (most recent call last)" in proc.stderr
    assert "╭" in proc.stderr  # rich's box, not the plain formatter
