"""The seam between what needs AWS calls (engine, listing sources) and how they are made.

An :class:`ApiCaller` sends one IoT control-plane call with the run's rate limiting and
retry policy applied, returning the parsed response or raising :class:`ApiError` once
retries are spent. Listing sources depend only on this protocol, so they can be driven
by the engine's caller in a run and by a plain client in tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bulkjobs._destination import Destination

__all__ = ["ApiCaller"]


class ApiCaller(Protocol):
    async def __call__(
        self, api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        """Call ``api`` (e.g. ``"ListJobExecutionsForJob"``) with botocore's parameter
        names at ``destination`` (None: the run's default); raise ``ApiError`` on a
        final failure."""
        ...
