"""One (account, region) of a multi-account simulator: its fleet, quotas and faults.

AWS keeps an account's IoT jobs, and its API quotas, per region: a request signed in
eu-west-1 with a role session of account 222222222222 sees that account's fleet there,
and spends that destination's quota, nobody else's. :class:`Realm` is that unit; a
simulator configured with accounts (``SimConfig.separate``) makes one per destination
on first use, seeded from the same fleet spec, so "the same job in every account" —
what a pipeline rolling one firmware out everywhere leaves behind — is there to stop.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bulkjobs.sim._config import SimConfig
from bulkjobs.sim._quota import QuotaBook
from bulkjobs.sim._state import FleetState

__all__ = ["Realm"]


@dataclass(slots=True, kw_only=True)
class Realm:
    """The state of one destination, with its own configuration when one was set."""

    account: str
    region: str
    state: FleetState
    quota: QuotaBook
    #: This destination's configuration (faults, quotas); None: the simulator's.
    config: SimConfig | None = None
    rng: random.Random | None = None
