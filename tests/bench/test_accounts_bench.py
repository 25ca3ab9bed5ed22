"""Scenario 6's measuring code at a tiny size: every destination accounted for."""

from __future__ import annotations

import math

import pytest

from benchmarks import accounts
from benchmarks._harness import SimProcess

pytestmark = pytest.mark.slow


def test_one_run_reaches_every_destination() -> None:
    """Two accounts × two regions, one refused: each lane's targets counted once."""
    names = [f"thing-{n:06d}" for n in range(1, 13)]
    sim = SimProcess(
        things=12,
        quota=200,
        seed=1,
        extra=(
            "--accounts",
            "2",
            "--regions",
            "us-east-1,eu-west-1",
            "--deny-account",
            "222222222222",
        ),
    )
    with sim:
        run = accounts.run_once(
            sim.endpoint_url, ["111111111111", "222222222222"], ["us-east-1", "eu-west-1"], names
        )
    for (account, _), lane in run.lanes.items():
        if account == "111111111111":
            assert lane.outcomes == {"canceled": 12}
            assert math.isfinite(lane.use(12)) and lane.wall > 0
        else:
            assert lane.outcomes == {"error": 12}
    assert run.lost(12, frozenset({"222222222222"})) == 0
    states = {a["account"]: a["status"] for a in run.access["accounts"]}
    assert states == {"111111111111": "assumed", "222222222222": "failed"}
