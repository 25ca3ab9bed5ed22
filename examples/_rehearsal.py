"""Where the examples send their calls: the ``--endpoint-url`` given, or a simulator.

Without ``--endpoint-url`` an example starts bulkjobs' simulator in this process (a
background thread) with a small seeded fleet, so ``python examples/NAME.py`` runs on a
fresh machine with no AWS account. Real runs name the endpoint, e.g.
``--endpoint-url https://iot.eu-west-1.amazonaws.com``: an example never falls back to
AWS on its own.

Credentials: for a loopback endpoint (the simulator) the examples use dummy keys and drop
any profile, so real credentials are never sent to a local server. For any other endpoint
they come from the SDK's usual chain (environment, profile, SSO, instance role) and are
never read, copied or printed here.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
from collections.abc import Iterator
from urllib.parse import urlsplit

from bulkjobs.sim import FleetSpec, SimConfig, ThreadedSimulator

__all__ = ["endpoint", "on_simulator"]


def on_simulator(url: str | None) -> bool:
    """Whether ``url`` is a simulator: ours (None) or one on this machine. Only there may
    an example fill in the rehearsal fleet's job IDs and things by default."""
    return url is None or is_loopback(url)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def use_dummy_credentials() -> None:
    """The simulator checks SigV4's shape, not the secret: it needs keys, never real ones."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "AKIAEXAMPLESIMULATOR"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "simulator-dummy-secret"
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


@contextlib.contextmanager
def endpoint(url: str | None, fleet: FleetSpec, config: SimConfig | None = None) -> Iterator[str]:
    """Yield the endpoint URL to use: ``url``, or that of a simulator serving ``fleet``
    for the duration of the block."""
    if url is not None:
        if is_loopback(url):
            use_dummy_credentials()
        yield url
        return
    use_dummy_credentials()
    with ThreadedSimulator(config or SimConfig(), fleet) as sim:
        yield sim.endpoint_url
