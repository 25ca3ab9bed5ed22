"""``python -m benchmarks --quick|--full [--only NAME ...]``: run, print, save JSON.

Quick mode is the check anyone can run in about two minutes; full mode runs the same
code at full size (the README's figures). Each scenario runs under a hard time limit and every
child process is killed on the way out, whatever the way out is.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shlex
import signal
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import accounts, deletejob, hotpath, memory, quota, raised, startup
from benchmarks._harness import (
    RESULTS_DIR,
    Mode,
    ScenarioTimeout,
    configure_quiet_logging,
    hard_timeout,
    kill_all,
    pin_cpus,
    prepare_environment,
)
from benchmarks._report import (
    ScenarioResult,
    machine_info,
    render_machine,
    timestamp,
    write_json,
)

Scenario = Callable[[Mode, Path], ScenarioResult]

#: name → (runner, hard limit in seconds per mode), in the order they run.
SCENARIOS: dict[str, tuple[Scenario, dict[str, float]]] = {
    "quota": (
        lambda mode, out: quota.run(mode, plot=out.parent / f"{out.name}-quota.png"),
        {"quick": 150, "full": 1500},
    ),
    "hotpath": (lambda mode, out: hotpath.run(mode), {"quick": 90, "full": 600}),
    "memory": (lambda mode, out: memory.run(mode), {"quick": 120, "full": 900}),
    "startup": (lambda mode, out: startup.run(mode), {"quick": 60, "full": 240}),
    "raised": (lambda mode, out: raised.run(mode), {"quick": 120, "full": 600}),
    "accounts": (lambda mode, out: accounts.run(mode), {"quick": 180, "full": 900}),
    "deletejob": (lambda mode, out: deletejob.run(mode), {"quick": 90, "full": 300}),
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="bulkjobs against its peers, against the simulator on loopback.",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick",
        dest="mode",
        action="store_const",
        const="quick",
        help="small sizes, about two minutes (default)",
    )
    size.add_argument(
        "--full",
        dest="mode",
        action="store_const",
        const="full",
        help="full sizes, as the README's figures; several minutes more",
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(SCENARIOS),
        metavar="NAME",
        help=f"run only this scenario (repeatable): {', '.join(SCENARIOS)}",
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS_DIR, help="directory for the JSON (and PNG) results"
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="do not pin the client and the simulator to separate CPUs",
    )
    args = parser.parse_args(argv)
    args.mode = args.mode or "quick"
    return args


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that kill children


def run_scenario(name: str, mode: Mode, out: Path) -> ScenarioResult:
    runner, limits = SCENARIOS[name]
    load = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        with hard_timeout(limits[mode], f"scenario {name}"):
            result = runner(mode, out)
    except ScenarioTimeout as exc:
        result = ScenarioResult(name=name, title=f"Scenario {name}", error=str(exc))
    except Exception as exc:
        traceback.print_exc()
        result = ScenarioResult(name=name, title=f"Scenario {name}", error=repr(exc))
    finally:
        kill_all()
    result.elapsed = time.perf_counter() - started
    # Other processes on a shared machine skew timings: say how busy it was.
    result.notes.append(f"load average at start {load:.2f}, at end {os.getloadavg()[0]:.2f}")
    return result


def summary(results: list[ScenarioResult], elapsed: float, mode: Mode = "full") -> str:
    lines = [f"== Summary ({elapsed:.1f}s in all) =="]
    for result in results:
        if result.error:
            lines.append(f"[ERR ] {result.name}: {result.error}")
        lines += [check.render() for check in result.checks]
    passed = sum(1 for r in results for c in r.checks if c.ok)
    failed = sum(1 for r in results for c in r.checks if c.ok is False)
    lines.append(f"{passed} targets met, {failed} missed (informational: nothing is asserted)")
    if mode == "quick" and failed:
        lines.append(
            "quick mode: the targets are set for the full sizes; at these sizes the ramp, "
            "start-up and one busy second weigh more, so misses are likely. `--full` "
            "measures what the README reports"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode: Mode = args.mode
    signal.signal(signal.SIGTERM, _on_sigterm)
    atexit.register(kill_all)
    prepare_environment()
    configure_quiet_logging()
    pinning = pin_cpus(not args.no_pin)
    names = args.only or list(SCENARIOS)
    stamp = timestamp()
    out_base = args.out / stamp
    command = shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)])
    machine = machine_info(pinning)
    print(f"bulkjobs benchmarks, {mode} mode: {command}")
    print(render_machine(machine), flush=True)
    print()
    started = time.perf_counter()
    results: list[ScenarioResult] = []
    try:
        for name in names:
            result = run_scenario(name, mode, out_base)
            results.append(result)
            print(result.render(), flush=True)
            print()
    finally:
        kill_all()
    elapsed = time.perf_counter() - started
    print(summary(results, elapsed, mode))
    document: dict[str, Any] = {
        "mode": mode,
        "command": command,
        "timestamp": stamp,
        "elapsed": round(elapsed, 3),
        "machine": machine,
        "scenarios": [result.to_json() for result in results],
    }
    path = out_base.with_suffix(".json")
    write_json(path, document)
    print(f"results: {path}")
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
