"""structlog without rich at start-up; rich's tracebacks when one is rendered.

``import structlog`` imports ``structlog.dev``, which imports rich (and pygments, through
``rich.traceback``) to format tracebacks, whenever rich is installed: about 70 modules
and a twentieth of a launch, before the first request, for a formatter that most runs
never call. The CLI imports structlog with rich hidden (:func:`import_structlog`), so
structlog sees no rich, and gives its console renderer :class:`RichTraceback`: the
formatter structlog would have chosen by default (``RichTracebackFormatter``, in colour
or monochrome), rich imported the first time it renders a traceback.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from structlog.typing import ExcInfo

__all__ = ["RichTraceback", "exception_formatter", "import_structlog"]


def import_structlog() -> None:
    """Import structlog as if rich were not installed, unless either is imported already
    (then nothing changes: structlog has rich, as it would without bulkjobs)."""
    if "structlog" in sys.modules or "rich" in sys.modules:
        return
    sys.modules["rich"] = None  # type: ignore[assignment]  # import rich -> ImportError
    try:
        import structlog  # noqa: F401
    finally:
        del sys.modules["rich"]


class RichTraceback:
    """The formatter structlog's console renderer picks by default when rich is
    installed, made on the first traceback, rich imported then:
    ``RichTracebackFormatter()`` in colour; without colours, the monochrome one
    (structlog 26.1+; older releases use the colour one there too)."""

    __slots__ = ("_colors", "_formatter")

    def __init__(self, *, colors: bool) -> None:
        self._colors = colors
        self._formatter: Any = None

    def __call__(self, sio: TextIO, exc_info: ExcInfo) -> None:
        if self._formatter is None:
            self._formatter = self._make()
        self._formatter(sio, exc_info)

    def _make(self) -> Any:
        import structlog.dev as dev

        try:
            from rich.console import Console
            from rich.traceback import Traceback
        except ImportError:  # pragma: no cover - rich is a dependency
            return dev.plain_traceback
        # structlog.dev was imported with rich hidden: its formatter calls these two
        # names, which its own `from rich... import` would have bound.
        for name, value in (("Console", Console), ("Traceback", Traceback)):
            if not hasattr(dev, name):
                setattr(dev, name, value)
        if not self._colors and hasattr(dev, "default_monochrome_exception_formatter"):
            return dev.RichTracebackFormatter(color_system=None)
        return dev.RichTracebackFormatter()


def exception_formatter(*, colors: bool) -> RichTraceback | None:
    """A formatter for the console renderer when structlog was imported with rich
    hidden; None when structlog has rich (its own default is then the same)."""
    import structlog.dev as dev

    has_rich = getattr(dev, "rich", None) is not None
    return None if has_rich else RichTraceback(colors=colors)
