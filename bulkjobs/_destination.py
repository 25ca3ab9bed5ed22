"""Where a call goes: one small value instead of a region string in every signature.

A :class:`Destination` is what an API quota, a client and a credential are scoped to:
an AWS account and a region. Everything that keys on where a call goes — targets, the
clients, the rate registry, the journal's target key, the report's breakdown and
``results.jsonl`` — goes through this type: :meth:`key` (identity), :meth:`to_json` /
:meth:`from_json` (the report and the journal), :attr:`label` (the plan) and
:meth:`resolve` (defaults).

``account=None`` means the caller's own account (whatever the credential chain points
at); ``region=None`` the run's default region.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT", "Destination"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Destination:
    """Where a call goes. ``account=None`` is the caller's own account, ``region=None``
    the run's default region."""

    account: str | None = None
    region: str | None = None

    @property
    def key(self) -> tuple[str | None, ...]:
        """Identity for de-duplication and the journal (None fields included, so a
        target on the default destination and one on a named one stay apart)."""
        return (self.account, self.region)

    @property
    def label(self) -> str:
        """Short text for plans and messages: ``111122223333/eu-west-1``, the region
        alone in the caller's own account, ``default`` for the run's default."""
        region = self.region or "default"
        return region if self.account is None else f"{self.account}/{region}"

    @property
    def is_default(self) -> bool:
        return self.region is None and self.account is None

    def resolve(self, default: Destination) -> Destination:
        """This destination with every unset field taken from ``default``."""
        if self.region is not None and (self.account is not None or default.account is None):
            return self
        if self.is_default:
            return default
        return Destination(
            account=self.account if self.account is not None else default.account,
            region=self.region if self.region is not None else default.region,
        )

    def to_json(self) -> dict[str, str | None]:
        """The fields a ``results.jsonl`` line and the journal carry."""
        return {"account": self.account, "region": self.region}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Destination:
        """Inverse of :meth:`to_json` (missing fields mean the default)."""
        region = data.get("region")
        account = data.get("account")
        if region is None and account is None:
            return DEFAULT
        return cls(
            account=None if account is None else str(account),
            region=None if region is None else str(region),
        )

    def __str__(self) -> str:
        return self.label


#: The run's default destination (every field unset).
DEFAULT: Final = Destination()
