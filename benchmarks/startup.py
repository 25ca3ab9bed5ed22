"""Scenario 4: how soon an operator's command reaches the API, and what imports cost.

Launch → first request: the ``bulkjobs`` process is pointed at a small TCP forwarder in
front of the simulator, which notes when the first request byte arrives. The simulator
itself has no "first request at" counter (see the report), and a forwarder measures the
same instant without touching it. Runs cancel one thing each (a different one every
time, so each run does one real cancel) with the default auto rate, as a user would.

The baseline is the script an operator would write instead: create an aiobotocore IoT
client and ``gather`` the cancel (:data:`BARE_SCRIPT`), measured through the same
forwarder in the same way. The two take turns (the order flips every round), so a
machine that gets busier part-way slows both alike; the ratio of the medians is the
figure that matters, the absolute times depend on the machine's load.

Both run from bytecode: bulkjobs' own modules are compiled ahead (:func:`compile_bulkjobs`),
as installing a wheel does, since an editable checkout run with PYTHONDONTWRITEBYTECODE
set would otherwise compile every module from source on every launch — a cost no
installed copy pays, and one the bare script (all site-packages) never pays.

Import costs: ``python -X importtime -c "import bulkjobs"`` (the second run, so .pyc
files exist), self time summed per top-level package.
"""

from __future__ import annotations

import contextlib
import re
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from benchmarks._harness import JOB_ID, ROOT, Mode, SimProcess, bulkjobs_command, median, run_child
from benchmarks._report import Check, ScenarioResult, Table, fmt

TARGET_SECONDS = 0.45
#: bulkjobs may take at most as long as the bare script to reach the API.
TARGET_RATIO = 1.0
_IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Sizes:
    runs: int
    time_cap: float


SIZES: dict[str, Sizes] = {
    "quick": Sizes(runs=3, time_cap=60),
    "full": Sizes(runs=9, time_cap=120),
}


class FirstRequestProxy:
    """A loopback TCP forwarder that records when the first client byte arrives."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)  # so the accept loop notices close()
        self.port = self._listener.getsockname()[1]
        self.first_at: float | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="bench-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.first_at = None

    def close(self) -> None:
        self._closed = True
        self._thread.join(timeout=2)
        self._listener.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        with client:
            client.settimeout(None)
            try:
                upstream = socket.create_connection(self._upstream, timeout=5)
            except OSError:
                return
            with upstream:
                upstream.settimeout(None)
                back = threading.Thread(
                    target=self._pump, args=(upstream, client, False), daemon=True
                )
                back.start()
                self._pump(client, upstream, True)
                back.join(timeout=30)

    def _pump(self, src: socket.socket, dst: socket.socket, mark: bool) -> None:
        with contextlib.suppress(OSError):
            while data := src.recv(65536):
                if mark and self.first_at is None:
                    self.first_at = time.perf_counter()
                dst.sendall(data)
        with contextlib.suppress(OSError):
            dst.shutdown(socket.SHUT_WR)


#: The hand-written alternative: one client, one ``gather``; credentials and region come
#: from the environment as for the CLI. argv: endpoint URL, thing name.
BARE_SCRIPT = """
import asyncio, sys
from aiobotocore.session import get_session
async def main(url, thing):
    session = get_session()
    async with session.create_client("iot", region_name="us-east-1", endpoint_url=url) as iot:
        await asyncio.gather(iot.cancel_job_execution(jobId=sys.argv[3], thingName=thing))
asyncio.run(main(sys.argv[1], sys.argv[2]))
"""

Costs = list[tuple[str, float]]


def import_costs(module: str = "bulkjobs", *, repeat: int = 2) -> tuple[float, Costs, Costs]:
    """(total ms, top packages by summed self ms, top modules by self ms) of the last run.

    The first run may compile .pyc files; the second shows what a user pays each time.
    """
    command = [sys.executable, "-X", "importtime", "-c", f"import {module}"]
    for _ in range(max(1, repeat)):
        proc = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    packages: dict[str, float] = defaultdict(float)
    modules: list[tuple[str, float]] = []
    total = 0.0
    for line in proc.stderr.splitlines():
        match = _IMPORT_LINE.match(line)
        if match is None:
            continue
        self_us, cumulative_us, _, name = match.groups()
        packages[name.split(".")[0]] += int(self_us) / 1000
        modules.append((name, int(self_us) / 1000))
        if name == module:
            total = int(cumulative_us) / 1000
    by_package = sorted(packages.items(), key=lambda kv: kv[1], reverse=True)
    modules.sort(key=lambda kv: kv[1], reverse=True)
    return total, by_package, modules


def compile_bulkjobs() -> str:
    """Write the .pyc files of the bulkjobs package as ``pip install`` does; say how."""
    import compileall

    import bulkjobs

    package = Path(bulkjobs.__file__).resolve().parent
    try:
        ok = compileall.compile_dir(package, quiet=1)
    except OSError as exc:  # a read-only install: it has its bytecode already, or not
        return f"bulkjobs bytecode not compiled ahead ({exc}); launches may compile it"
    return f"bulkjobs bytecode compiled ahead ({'ok' if ok else 'FAILED'}: {package})"


def _spread(label: str, values: list[float]) -> list[str]:
    if not values:
        return [label, "-", "-", "-"]
    return [label, *(fmt(f(values), 3, "s") for f in (median, min, max))]


@dataclass(slots=True)
class Launches:
    """What one kind of command measured over its counted runs."""

    firsts: list[float] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    codes: list[int] = field(default_factory=list)

    def first(self, count: int) -> float:
        """Median launch → first request, NaN unless every counted run got there."""
        return median(self.firsts) if len(self.firsts) == count else float("nan")


def _cli_command(cli: list[str], url: str, thing: str) -> list[str]:
    command = [*cli, *f"cancel-job-execution --job-id {JOB_ID} -q".split()]
    return [*command, "--thing-name", thing, "--region", "us-east-1", "--endpoint-url", url]


def _bare_command(url: str, thing: str) -> list[str]:
    return [sys.executable, "-c", BARE_SCRIPT, url, thing, JOB_ID]


def run(mode: Mode, *, runs: int | None = None, warm: bool = True) -> ScenarioResult:
    sizes = SIZES[mode]
    count = runs or sizes.runs
    result = ScenarioResult(name="startup", title="Scenario 4: start-up")
    cli = bulkjobs_command()
    ours, bare = Launches(), Launches()
    compiled = compile_bulkjobs()
    things = iter(range(1, 2 * count + 3))
    with SimProcess(things=2 * count + 2, quota=None) as sim:
        split = urlsplit(sim.endpoint_url)
        proxy = FirstRequestProxy((split.hostname or "127.0.0.1", split.port or 80))
        try:
            # A first, uncounted round warms the page cache and writes .pyc files.
            for i in range(0 if warm else 1, count + 1):
                kinds = [(ours, True), (bare, False)]
                for launches, is_cli in kinds if i % 2 else kinds[::-1]:
                    proxy.reset()
                    thing = f"thing-{next(things):06d}"
                    if is_cli:
                        command = _cli_command(cli, proxy.url, thing)
                    else:
                        command = _bare_command(proxy.url, thing)
                    child = run_child(command, timeout=sizes.time_cap)
                    if i == 0:
                        continue
                    launches.codes.append(child.returncode)
                    launches.walls.append(child.wall)
                    launches.cpus.append(child.cpu)
                    if proxy.first_at is not None:
                        launches.firsts.append(proxy.first_at - child.started)
        finally:
            proxy.close()
        sim_cmd = sim.command()
    # The interpreter and the imports alone, for scale (two runs are enough for that).
    version_walls = [run_child([*cli, "--version"], timeout=60).wall for _ in range(min(2, count))]
    first, bare_first = ours.first(count), bare.first(count)
    ratio = first / bare_first if bare_first > 0 else float("nan")
    table = Table(
        title=f"4a. launch → first request at the simulator (median of {count}, in turns)",
        command="bulkjobs cancel-job-execution --job-id J --thing-name T --endpoint-url URL -q"
        "  |  python -c BARE_SCRIPT URL T J  (aiobotocore client + gather)"
        f"  (against: {sim_cmd}, through a forwarder)",
        columns=["measure", "median", "min", "max"],
        rows=[
            _spread("bulkjobs: launch → first request", ours.firsts),
            _spread("bare aiobotocore script: launch → first request", bare.firsts),
            ["bulkjobs ÷ bare script (medians)", fmt(ratio, 2), "", ""],
            _spread("bulkjobs: whole process (1 target)", ours.walls),
            _spread("bare script: whole process (1 target)", bare.walls),
            _spread(f"bulkjobs --version ({len(version_walls)} runs)", version_walls),
        ],
        notes=[
            f"exit codes: bulkjobs {sorted(set(ours.codes))}, bare {sorted(set(bare.codes))}; "
            f"whole process CPU {median(ours.cpus):.3f}s (bulkjobs), "
            f"{median(bare.cpus):.3f}s (bare) median",
            compiled,
        ],
    )
    if ours.cpus and median(ours.cpus) < 0.8 * median(ours.walls):
        table.notes.append("CPU well under wall: another process held the CPU; timings inflated")
    total, packages, modules = import_costs(repeat=2 if warm else 1)
    imports = Table(
        title=f"4b. import costs of `import bulkjobs`: {total:.0f} ms in all",
        command='python -X importtime -c "import bulkjobs"',
        columns=["top packages (self time summed)", "ms"],
        rows=[[name, fmt(ms, 1)] for name, ms in packages[:5]],
        notes=[
            "top modules by self time: "
            + "; ".join(f"{name} {ms:.1f} ms" for name, ms in modules[:5])
        ],
    )
    result.tables += [table, imports]
    result.checks += [
        Check(
            name="launch → first request",
            target=f"≤ {TARGET_SECONDS:g} s",
            value=fmt(first, 3, " s"),
            ok=None if first != first else first <= TARGET_SECONDS,
        ),
        Check(
            name="launch → first request ÷ bare aiobotocore script's",
            target=f"≤ {TARGET_RATIO:.1f}",
            value=fmt(ratio, 2),
            ok=None if ratio != ratio else ratio <= TARGET_RATIO,
        ),
    ]
    result.data = {
        "first_request_s": ours.firsts,
        "process_wall_s": ours.walls,
        "process_cpu_s": ours.cpus,
        "exit_codes": ours.codes,
        "bare_first_request_s": bare.firsts,
        "bare_process_wall_s": bare.walls,
        "bare_process_cpu_s": bare.cpus,
        "bare_exit_codes": bare.codes,
        "ratio_to_bare": ratio,
        "version_wall_s": version_walls,
        "import_total_ms": total,
        "import_packages_ms": dict(packages[:15]),
        "import_modules_ms": dict(modules[:15]),
        "simulator": sim_cmd,
    }
    return result
