"""The layers hold: the CLI and the examples stand on the public library only."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, wherever the import stands (functions too)."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def private_uses(folder: str, allowed: tuple[str, ...]) -> list[str]:
    broken = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, module in imported_modules(path):
            if module != "bulkjobs" and not module.startswith("bulkjobs."):
                continue
            if module == "bulkjobs" or module.startswith(allowed):
                continue
            broken.append(f"{path.relative_to(ROOT)}:{line}: imports {module}")
    return broken


def test_the_cli_imports_only_the_public_library() -> None:
    """bulkjobs/cli/ uses ``bulkjobs``'s public names (and the simulator for
    ``simulate`` and ``demo``): whatever the CLI can do, a library caller can."""
    assert private_uses("bulkjobs/cli", ("bulkjobs.cli", "bulkjobs.sim")) == []


@pytest.mark.parametrize(
    "path", sorted((ROOT / "examples").glob("*.py")), ids=lambda p: getattr(p, "name", str(p))
)
def test_examples_use_the_library_not_the_cli(path: Path) -> None:
    """The examples show the library: no bulkjobs.cli, no private module."""
    broken = [
        f"{path.name}:{line}: imports {module}"
        for line, module in imported_modules(path)
        if module.startswith("bulkjobs.") and not module.startswith("bulkjobs.sim")
    ]
    assert broken == []


def test_the_check_sees_private_imports(tmp_path: Path) -> None:
    """The check itself finds an import of a private module, even inside a function."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from bulkjobs._engine import Engine\n")
    assert imported_modules(sample) == [(2, "bulkjobs._engine")]
