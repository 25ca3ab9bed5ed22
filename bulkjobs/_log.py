"""bulkjobs' loggers: structlog's, silent until the application configures structlog.

Unconfigured, structlog prints every event to stdout. A library must not write on its
caller's output, so each event goes to structlog only once ``structlog.is_configured()``
— the CLI configures it, as an application would; a bare ``bulkjobs.run`` stays quiet
and its report says what happened.
"""

from __future__ import annotations

from typing import Any

import structlog

__all__ = ["Logger", "get_logger"]


class Logger:
    """A structlog logger that drops its events while structlog is unconfigured."""

    __slots__ = ("_logger",)

    def __init__(self, name: str) -> None:
        self._logger = structlog.get_logger(name)

    def debug(self, event: str, **fields: Any) -> None:
        if structlog.is_configured():
            self._logger.debug(event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        if structlog.is_configured():
            self._logger.info(event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        if structlog.is_configured():
            self._logger.warning(event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        if structlog.is_configured():
            self._logger.error(event, **fields)


def get_logger(name: str) -> Logger:
    return Logger(name)
