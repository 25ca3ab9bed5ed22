"""``bulkjobs completion bash|zsh``: shell completion generated from the parser itself.

shtab turns an argparse parser into a completion script, so every command, option and
choice the parser knows completes, and nothing drifts when an option is added: no
hand-written script to keep in step, and no run-time hook either (argcomplete would
start Python on every Tab press; shtab's script is plain shell). The paths the options
take are marked here, so Tab offers files or directories for them.
"""

from __future__ import annotations

import argparse
from typing import Final

__all__ = ["SHELLS", "completion_script"]

SHELLS: Final = ("bash", "zsh")

#: Options (by argparse dest) that take a file, and those that take a directory.
_FILES: Final = frozenset({"things_file", "journal", "metrics_textfile", "stats_json"})
_DIRECTORIES: Final = frozenset({"report", "dir"})
#: shtab's own completers for a file and a directory, per shell.
_FILE: Final = {"bash": "_shtab_compgen_files", "zsh": "_files"}
_DIRECTORY: Final = {"bash": "_shtab_compgen_dirs", "zsh": "_files -/"}


def _mark_paths(parser: argparse.ArgumentParser) -> None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub)
        elif action.dest in _FILES:
            action.complete = _FILE  # type: ignore[attr-defined]
        elif action.dest in _DIRECTORIES:
            action.complete = _DIRECTORY  # type: ignore[attr-defined]


def completion_script(shell: str) -> str:
    """The completion script for ``shell`` (one of :data:`SHELLS`)."""
    import shtab

    from bulkjobs.cli._parser import build_parser

    parser = build_parser()
    _mark_paths(parser)
    return str(shtab.complete(parser, shell=shell))
