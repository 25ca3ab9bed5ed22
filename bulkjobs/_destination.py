"""Where a call goes: one small value instead of a region string in every signature.

A :class:`Destination` is what an API quota, a client and a credential are scoped to.
Today that is the region; an account is the next field. Everything that keys on where a
call goes — targets, the clients, the rate registry, the journal's target key, the
report's breakdown and ``results.jsonl`` — goes through this type, so a new field is a
change here: :meth:`key` (identity), :meth:`to_json` / :meth:`from_json` (the report
and the journal), :attr:`label` (the plan) and :meth:`resolve` (defaults).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT", "Destination"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """Where a call goes. ``region=None`` means the run's default region."""

    region: str | None = None

    @property
    def key(self) -> tuple[str | None, ...]:
        """Identity for de-duplication and the journal (None fields included, so a
        target on the default destination and one on a named one stay apart)."""
        return (self.region,)

    @property
    def label(self) -> str:
        """Short text for plans and messages; ``default`` for the run's default."""
        return self.region or "default"

    @property
    def is_default(self) -> bool:
        return self.region is None

    def resolve(self, default: Destination) -> Destination:
        """This destination with every unset field taken from ``default``."""
        if self.region is not None:
            return self
        return default

    def to_json(self) -> dict[str, str | None]:
        """The fields a ``results.jsonl`` line and the journal carry."""
        return {"region": self.region}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Destination:
        """Inverse of :meth:`to_json` (missing fields mean the default)."""
        region = data.get("region")
        if region is None:
            return DEFAULT
        return cls(region=str(region))

    def __str__(self) -> str:
        return self.label


#: The run's default destination (every field unset).
DEFAULT: Final = Destination()
