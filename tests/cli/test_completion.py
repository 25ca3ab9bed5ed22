"""``bulkjobs completion bash|zsh``: generated from the parser, and working in the shell."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from bulkjobs.cli import main
from bulkjobs.cli._parser import build_parser

ROOT = Path(__file__).resolve().parents[2]


def script(shell: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    assert main(["completion", shell]) == 0
    path = tmp_path / f"bulkjobs.{shell}"
    path.write_text(capsys.readouterr().out)
    return path


def complete_bash(script: Path, words: list[str], cwd: Path) -> list[str]:
    """What Tab offers after ``words`` (the last one being typed), as bash computes it."""
    quoted = " ".join(f"'{w}'" for w in words)
    code = (
        f"source {script}; COMP_WORDS=({quoted}); COMP_CWORD={len(words) - 1}; "
        '_shtab_bulkjobs; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    done = subprocess.run(
        ["bash", "--norc", "-c", code], cwd=cwd, capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


class TestBash:
    def test_offers_commands_options_and_choices(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """Subcommands, a subcommand's options and an option's choices complete."""
        path = script("bash", capsys, tmp_path)
        assert set(complete_bash(path, ["bulkjobs", "c"], tmp_path)) == {
            "cancel-job-execution",
            "cancel-job",
            "completion",
        }
        assert set(
            complete_bash(path, ["bulkjobs", "cancel-job-execution", "--thing"], tmp_path)
        ) == {
            "--thing-name",
            "--things-file",
            "--thing-group",
            "--thing-group-name",
            "--thing-group-id",
        }
        assert complete_bash(
            path, ["bulkjobs", "cancel-job-execution", "--input-format", ""], tmp_path
        ) == ["auto", "lines", "csv", "csv-noheader", "jsonl"]

    def test_paths_complete_as_files_and_directories(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """--things-file offers files; bulkjobs report offers directories only."""
        path = script("bash", capsys, tmp_path)
        (tmp_path / "things.csv").write_text("thingName\n")
        (tmp_path / "reports").mkdir()
        files = complete_bash(
            path, ["bulkjobs", "cancel-job-execution", "--things-file", "th"], tmp_path
        )
        assert files == ["things.csv"]
        dirs = complete_bash(path, ["bulkjobs", "report", "re"], tmp_path)
        assert [d.rstrip("/") for d in dirs] == ["reports"]

    def test_every_option_of_the_parser_is_in_the_script(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """The script is the parser's: each subcommand's option strings, exactly."""
        text = script("bash", capsys, tmp_path).read_text()
        for name, sub in subcommands(build_parser()).items():
            variable = f"_shtab_bulkjobs_{name.replace('-', '_')}_option_strings"
            found = re.search(rf"^{variable}=\((.*)\)$", text, re.M)
            assert found is not None, name
            expected = [o for action in sub._actions for o in action.option_strings]
            assert found.group(1).split() == expected, name


class TestZsh:
    def test_the_script_loads_in_zsh(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """zsh parses the script and defines the completion function under compinit."""
        zsh = shutil.which("zsh")
        if zsh is None:
            message = "zsh is not installed (apt-get install zsh; .ci/run installs it)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip("SKIPPED LOUDLY: " + message)
        path = script("zsh", capsys, tmp_path)
        code = (
            f"autoload -Uz compinit && compinit -u -d {tmp_path}/zcompdump && "
            f"source {path} && whence -w _shtab_bulkjobs"
        )
        done = subprocess.run(
            [zsh, "-f", "-c", code],
            capture_output=True,
            text=True,
            timeout=30,
            env={"HOME": str(tmp_path)},
        )
        assert done.returncode == 0, done.stderr
        assert "_shtab_bulkjobs: function" in done.stdout


class TestPinnedInstall:
    def test_every_dependency_is_pinned(self) -> None:
        """constraints.txt pins each runtime and dev dependency (run `make lock` if not)."""
        project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
        wanted = list(project["dependencies"])
        for extra in project["optional-dependencies"].values():
            wanted += [r for r in extra if not r.startswith("bulkjobs")]
        pins = {}
        for line in (ROOT / "constraints.txt").read_text().splitlines():
            if line and not line.startswith("#"):
                name, _, version = line.partition("==")
                pins[_normal(name)] = version
        for requirement in wanted:
            name = _normal(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])
            assert pins.get(name), f"{name} is not pinned in constraints.txt: run make lock"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
