"""README.md says only what is true: its CLI reference is ``--help``, and its code runs.

Every fenced block is one of:

- ``sh`` — run by bash (``set -euo pipefail``) in a fresh directory against a fresh
  simulator serving :data:`FLEET`. The commands are the README's own text, with three
  declared substitutions: ``AWS_ENDPOINT_URL_IOT`` (the SDK's standard variable) points
  commands without ``--endpoint-url`` at the simulator; a forced command without
  ``--yes`` gets it, since there is no terminal to confirm on; port 8080 becomes a free
  one. A block of ``make`` targets is checked with ``make -n`` instead (the targets exist):
  ``make test`` is this suite, and ``make demo``'s command runs below on a smaller fleet.
- ``python`` — run by this interpreter in a subprocess, with the same environment.
- ``json`` — parsed; the IAM policy must grant exactly the APIs bulkjobs calls.
- ``text`` — output or layout, not run.

A block preceded by ``<!-- not-tested: REASON -->`` is not run; there are few, and each
says why. All blocks start together, each with its own directory and simulator (see
:class:`~tests.docs.support.Parallel`); each test checks one.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bulkjobs._client import _METHOD
from bulkjobs._quotas import QUOTA_PERMISSIONS
from bulkjobs.sim import FleetSpec, SimConfig, ThreadedSimulator
from tests.docs.support import BIN, ROOT, Parallel, child_env, free_port

README = ROOT / "README.md"
#: Actions IAM grants on no resource type: their statements must say ``"*"``.
UNSCOPED = {*QUOTA_PERMISSIONS, "iot:ListJobs"}
SKIP = re.compile(r"<!--\s*not-tested:\s*(?P<reason>.*?)\s*-->")
KNOWN_LANGUAGES = {"sh", "python", "json", "text"}

#: What the README's commands expect to find: its job IDs, thing names and group.
FLEET = FleetSpec(
    things=60,
    job_ids=("fw-2026-09", "fw-2026-10", "fw-2026-11"),
    in_progress=0.3,
    terminal=0.3,
    groups=2,
    max_age_days=180,
    seed=2,
    # Jobs of every status and age, for the job selections (--from-jobs).
    jobs=30,
    job_executions=5,
)

PREAMBLE = """\
set -euo pipefail
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
"""

#: ``bulkjobs`` as the blocks see it: the venv's, with --yes added to forced runs (there
#: is no terminal to confirm on). It execs, so ``kill %1`` reaches bulkjobs itself.
WRAPPER = f"""\
#!/bin/bash
case " $* " in
  *" --force "*) case " $* " in *" --yes "*) ;; *) set -- "$@" --yes ;; esac ;;
esac
exec {BIN / "bulkjobs"} "$@"
"""


@dataclass(frozen=True, slots=True)
class Block:
    line: int
    language: str
    code: str
    skip: str | None

    @property
    def id(self) -> str:
        return f"README.md:{self.line}:{self.language}"


def code_blocks(text: str) -> list[Block]:
    found: list[Block] = []
    lines = text.splitlines()
    n = 0
    while n < len(lines):
        opening = re.fullmatch(r"```(\w*)\s*", lines[n])
        if opening is None:
            n += 1
            continue
        start = n
        n += 1
        while lines[n] != "```":
            n += 1
        before = next((ln for ln in reversed(lines[:start]) if ln.strip()), "")
        marker = SKIP.fullmatch(before.strip())
        found.append(
            Block(
                line=start + 1,
                language=opening.group(1),
                code="\n".join(lines[start + 1 : n]) + "\n",
                skip=None if marker is None else marker.group("reason"),
            )
        )
        n += 1
    return found


def make_targets(code: str) -> list[str] | None:
    """The targets if every command in ``code`` is ``make TARGET``, else None."""
    commands = [ln.split("#", 1)[0].split() for ln in code.splitlines()]
    commands = [c for c in commands if c]
    if commands and all(len(c) == 2 and c[0] == "make" for c in commands):
        return [c[1] for c in commands]
    return None


BLOCKS = code_blocks(README.read_text(encoding="utf-8"))
#: Blocks this module runs as programs, by id.
RUN = {
    b.id: b
    for b in BLOCKS
    if b.skip is None
    and (b.language == "python" or (b.language == "sh" and make_targets(b.code) is None))
}


def blocks(language: str) -> list[Any]:
    return [pytest.param(b, id=b.id) for b in BLOCKS if b.language == language and b.skip is None]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_cli_reference", ROOT / "docs/gen_cli_reference.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Programs:
    base: Path
    parallel: Parallel = field(default_factory=Parallel)
    sims: list[ThreadedSimulator] = field(default_factory=list)

    def start_block(self, block: Block) -> None:
        """Run ``block`` in a directory of its own against a simulator of its own."""
        work = self.base / re.sub(r"\W", "-", block.id)
        (work / "bin").mkdir(parents=True)
        sim = ThreadedSimulator(SimConfig(quota=None, seed=2), FLEET)
        sim.start()
        self.sims.append(sim)
        if block.language == "python":
            (work / "snippet.py").write_text(block.code, encoding="utf-8")
            argv = [sys.executable, "snippet.py"]
        else:
            wrapper = work / "bin" / "bulkjobs"
            wrapper.write_text(WRAPPER)
            wrapper.chmod(0o755)
            argv = ["bash", "-c", PREAMBLE + block.code.replace("8080", str(free_port()))]
        env = child_env(sim.endpoint_url, path=work / "bin")
        self.parallel.start(block.id, argv, cwd=work, env=env, cleanup=sim.stop)

    def close(self) -> None:
        self.parallel.close()
        for sim in self.sims:
            sim.stop()


@pytest.fixture(scope="module")
def programs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Programs]:
    programs = Programs(tmp_path_factory.mktemp("readme"))
    with contextlib.closing(programs):
        for block in RUN.values():
            programs.start_block(block)
        # What `make demo` runs, on a smaller fleet (no simulator: it starts its own).
        demo = programs.base / "demo"
        (demo / "tmp").mkdir(parents=True)
        argv = [str(BIN / "bulkjobs"), "demo", "--things", "100", "--quota", "100"]
        env = child_env(credentials=False, TMPDIR=str(demo / "tmp"))
        programs.parallel.start("demo", argv, cwd=demo, env=env)
        yield programs


def check_ran(result: subprocess.CompletedProcess[str], block: Block) -> None:
    shown = f"{block.id}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 0, shown
    assert "Traceback" not in result.stderr, shown
    assert "bulkjobs: error" not in result.stderr, shown


class TestReadme:
    def test_first_screen_keeps_the_title_pitch_and_two_commands(self) -> None:
        """`make demo` and `make test` stay on the first screen, under the title."""
        first_screen = README.read_text(encoding="utf-8").splitlines()[:15]
        assert first_screen[0] == "# bulkjobs"
        assert any(line.startswith("make demo") for line in first_screen)
        assert any(line.startswith("make test") for line in first_screen)

    def test_cli_reference_matches_help(self) -> None:
        """The reference section is exactly what `bulkjobs … --help` prints today."""
        generator = load_generator()
        current = README.read_text(encoding="utf-8")
        expected = generator.replace_section(current, generator.render())
        diff = difflib.unified_diff(
            current.splitlines(keepends=True),
            expected.splitlines(keepends=True),
            "README.md",
            "bulkjobs --help",
        )
        assert current == expected, (
            f"README.md's CLI reference differs from --help; fix it with `{generator.FIX}`\n"
            + "".join(list(diff)[:40])
        )

    def test_links_lead_somewhere(self) -> None:
        """Every #anchor is a heading (GitHub's slugs) and every relative link a file."""
        text = README.read_text(encoding="utf-8")
        headings = re.findall(r"^#+ (.+)$", text, re.M)
        slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
        for target in re.findall(r"\]\(([^)]+)\)", text):
            if target.startswith("#"):
                assert target[1:] in slugs, target
            elif "://" not in target:
                assert (ROOT / target).exists(), target

    def test_make_demo_rehearses_and_leaves_nothing_running(self, programs: Programs) -> None:
        """`bulkjobs demo` (what `make demo` runs), on a smaller fleet: exit 0, and the
        simulator's own check finds no execution left QUEUED or IN_PROGRESS."""
        result = programs.parallel.wait("demo")
        assert result.returncode == 0, result.stderr
        assert "server check: 0 executions" in result.stderr

    def test_make_demo_leaves_nothing_behind(self, programs: Programs) -> None:
        """No report directory left in the temporary directory, nor where it ran."""
        programs.parallel.wait("demo")
        demo = programs.base / "demo"
        assert list((demo / "tmp").iterdir()) == []
        assert [p.name for p in demo.iterdir()] == ["tmp"]

    def test_every_block_has_a_language_this_test_knows(self) -> None:
        """An unlabelled or unknown block would silently escape the checks below."""
        unknown = [b.id for b in BLOCKS if b.language not in KNOWN_LANGUAGES]
        assert unknown == []

    def test_exclusions_are_few_and_say_why(self) -> None:
        skipped = [b for b in BLOCKS if b.skip is not None]
        assert all(b.skip for b in skipped)
        assert len(skipped) <= 2, [b.id for b in skipped]


class TestShellBlocks:
    @pytest.mark.parametrize("block", blocks("sh"))
    def test_block_runs(self, block: Block, programs: Programs) -> None:
        """The commands run against the simulator and exit 0 (make targets: make -n)."""
        targets = make_targets(block.code)
        if targets is None:
            check_ran(programs.parallel.wait(block.id), block)
            return
        for target in targets:
            dry = subprocess.run(
                ["make", "-n", target], cwd=ROOT, capture_output=True, text=True, check=False
            )
            assert dry.returncode == 0, f"{block.id}: make {target}: {dry.stderr}"


class TestPythonBlocks:
    @pytest.mark.parametrize("block", blocks("python"))
    def test_block_runs(self, block: Block, programs: Programs) -> None:
        """The snippet runs as a script against the simulator and exits 0."""
        check_ran(programs.parallel.wait(block.id), block)


class TestJsonBlocks:
    def test_hardware_revision_policy_covers_the_calls_it_makes(self, tmp_path: Path) -> None:
        """The "stop every rollout on a hardware revision" policy grants exactly the IoT
        calls its two commands make (the dry run's DescribeJob, --verify's reads)."""
        (policy,) = [
            json.loads(b.code)
            for b in BLOCKS
            if b.language == "json" and '"iot:SearchIndex"' in b.code and '"Sid"' not in b.code
        ]
        granted = {action for s in policy["Statement"] for action in s["Action"]}
        from bulkjobs.cli import main

        fleet = FleetSpec(things=30, job_ids=("fw-a", "fw-b"), in_progress=0.3, seed=4)
        with ThreadedSimulator(SimConfig(quota=None), fleet) as sim:
            common = ["cancel-job-execution", "--endpoint-url", sim.endpoint_url]
            common += ["--region", "us-east-1", "--from-jobs", "--job-status", "IN_PROGRESS"]
            common += ["--query", "attributes.hwRev:B2"]
            assert main([*common, "--dry-run", "-q"]) == 0
            run = ["--force", "--yes", "--verify", "-q", "--report", str(tmp_path / "r")]
            assert main([*common, *run]) == 0
            called = sim.call(lambda s: s.statistics()).operations
        assert {f"iot:{name}" for name, stats in called.items() if stats.requests} == granted

    @pytest.mark.parametrize("block", blocks("json"))
    def test_block_parses(self, block: Block) -> None:
        json.loads(block.code)

    def test_nightly_job_delete_policy_covers_the_calls_it_makes(self, tmp_path: Path) -> None:
        """The "delete jobs completed more than 90 days ago" policy grants exactly the
        IoT calls that command makes (its dry run's DescribeJob included)."""
        (policy,) = [
            json.loads(b.code)
            for b in BLOCKS
            if b.language == "json" and '"iot:DeleteJob"' in b.code and '"Sid"' not in b.code
        ]
        granted = {action for s in policy["Statement"] for action in s["Action"]}
        from bulkjobs.cli import main

        fleet = FleetSpec(things=20, jobs=20, job_executions=2, max_age_days=365, seed=3)
        quick = SimConfig(quota=None, job_deletion_seconds=0.01)
        with ThreadedSimulator(quick, fleet) as sim:
            common = ["delete-job", "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"]
            select = ["--from-jobs", "--job-status", "COMPLETED,CANCELED", "--older-than", "90d"]
            assert main([*common, *select, "--dry-run", "-q"]) == 0
            assert main([*common, *select, "--yes", "-q", "--report", str(tmp_path / "r")]) == 0
            called = sim.call(lambda s: s.statistics()).operations
        assert {f"iot:{name}" for name, stats in called.items() if stats.requests} == granted

    def test_iam_policy_grants_exactly_the_apis_bulkjobs_calls(self) -> None:
        """No permission missing (a run would fail midway), none to spare."""
        # The one policy granting IoT actions (the others: a role's trust, AssumeRole).
        (policy,) = [
            json.loads(b.code)
            for b in BLOCKS
            if b.language == "json" and '"iot:' in b.code and '"Sid"' in b.code
        ]
        granted = {action for s in policy["Statement"] for action in s["Action"]}
        assert granted == {f"iot:{api}" for api in _METHOD} | set(QUOTA_PERMISSIONS)
        arn = re.compile(r"arn:aws:iot:[^:]+:\d{12}:(job|thing|thinggroup|index)/.+")
        for statement in policy["Statement"]:
            resources = statement["Resource"]
            if set(statement["Action"]) <= UNSCOPED:
                # ListServiceQuotas and ListJobs take no resource: the statement says "*".
                assert resources == "*"
                continue
            for resource in [resources] if isinstance(resources, str) else resources:
                assert arn.fullmatch(resource), resource
