"""Reading a report page back: the figures it shows, and Chromium to render it."""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

#: Flags that keep a headless Chromium off the network and away from any profile.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


class _Figures(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._open.append(dict(attrs).get("data-figure"))
        if self._open[-1] is not None:
            self.figures[self._open[-1]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for name in self._open:
            if name is not None:
                self.figures[name] += data


def figures(page: str) -> dict[str, str]:
    """Every ``data-figure`` element's text."""
    parser = _Figures()
    parser.feed(page)
    return parser.figures


def tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Figures()
    parser.feed(page)
    return parser.tags


def count(text: str) -> int:
    """A count as the page prints it (``1,234``)."""
    return int(text.replace(",", ""))


def chromium() -> str:
    """Chromium's path; skipped (said in the summary with ``-ra``) where it is missing,
    and a failure in CI, whose .ci/run installs it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Chromium is not installed (apt-get install chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(message + ": CI must render the report")
        pytest.skip("SKIPPED LOUDLY: " + message + " — report.html was not rendered")
    return path


def render(page: Path, profile: Path, *, screenshot: Path | None = None) -> str:
    """The DOM Chromium builds from ``page`` (and a screenshot of it, when asked)."""
    browser = chromium()
    args = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    if screenshot is not None:
        shot = [*args, "--window-size=1100,1600", f"--screenshot={screenshot}", page.as_uri()]
        subprocess.run(shot, check=True, capture_output=True, timeout=60)
    done = subprocess.run(
        [*args, "--dump-dom", page.as_uri()],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout
