"""The collector rests while the command starts, and works again once the run begins."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import bulkjobs.cli
import bulkjobs.cli._options
from bulkjobs.cli import main
from bulkjobs.sim import ThreadedSimulator
from tests.cli.conftest import JOB


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """gc's state while the options are resolved and when the run starts."""
    found: dict[str, object] = {}
    resolve = bulkjobs.cli._options.resolve

    def resolving(*args: object) -> object:
        found["parsing"] = gc.isenabled()
        return resolve(*args)  # type: ignore[arg-type]

    def run(*args: object, **kwargs: object) -> int:
        found["run"] = gc.isenabled()
        found["frozen"] = gc.get_freeze_count()
        return 0

    monkeypatch.setattr(bulkjobs.cli._options, "resolve", resolving)
    monkeypatch.setattr("anyio.run", run)
    yield found
    gc.unfreeze()
    assert gc.isenabled()


def cancel(sim: ThreadedSimulator) -> list[str]:
    target = ["--job-id", JOB, "--thing-name", "thing-000001", "-q"]
    where = ["--endpoint-url", sim.endpoint_url, "--region", "us-east-1"]
    return ["cancel-job-execution", *target, *where]


def test_paused_while_starting_resumed_for_the_run(
    sim: ThreadedSimulator, seen: dict[str, object]
) -> None:
    """Called with arguments (in a process of someone else's): paused, then resumed,
    and nothing of the caller's frozen."""
    assert main(cancel(sim)) == 0
    assert seen == {"parsing": False, "run": True, "frozen": 0}


def test_as_the_process_entry_point_start_up_is_frozen(
    sim: ThreadedSimulator, seen: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`bulkjobs …` itself: what start-up made is frozen out of later collections."""
    monkeypatch.setattr("sys.argv", ["bulkjobs", *cancel(sim)])
    assert main() == 0
    assert seen["parsing"] is False and seen["run"] is True
    assert isinstance(seen["frozen"], int) and seen["frozen"] > 0


def test_an_early_exit_resumes_it() -> None:
    """--version returns before any run: the collector works again all the same."""
    assert main(["--version"]) == 0
    assert gc.isenabled()
