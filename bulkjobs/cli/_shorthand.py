"""The AWS CLI's shorthand syntax for a map of strings (``--status-details``).

Follows the grammar of the AWS CLI v2 parser (``awscli/shorthand.py``) for the part a
string map can use, so a value that works with ``aws iot cancel-job-execution`` works
here and one it refuses is refused here too:

- ``parameter = keyval *("," keyval)``; ``keyval = key "=" value``; whitespace may
  surround ``=`` and the ``,`` between pairs, but the text may not start with it
  (``' k = v '`` is refused);
- a key is made of ``[a-zA-Z0-9-_.#/:]``; a key given twice is refused;
- a value is quoted (``"..."`` or ``'...'``, with ``\\"`` / ``\\'`` and ``\\\\``
  escapes) or bare: it cannot start with a space, a quote, ``,``, ``=``, ``[`` or
  ``{``, runs up to the next ``,`` (``\\,`` is a literal comma) and loses trailing
  whitespace;
- a bare value followed by ``,`` and something that is not the next ``key=`` is, for
  the AWS CLI, a list (``k=a,b``) — not a string: refused, as is a trailing ``,``
  (``k=v,``). Quote values that contain commas: ``reason="a,b"``.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ShorthandError", "parse_string_map"]

_KEY_CHARS: Final = frozenset(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.#/:"
)
# First character of a bare value, then the ones that may follow (AWS CLI v2's classes).
_START: Final = r"!#-&(-+\--<>-Z\\-z|-\uffff"
_FOLLOW: Final = r"\s!#-&(-+\--\\^-|~-\uffff"
_BARE: Final = re.compile(rf"(?:\\,|[{_START}])(?:\\,|[{_FOLLOW}])*")
_QUOTED: Final = {'"': re.compile(r'"(?:\\"|[^"])*"'), "'": re.compile(r"'(?:\\'|[^'])*'")}
_NEXT_KEY: Final = re.compile(r"\s*[a-zA-Z0-9\-_.#/:]*\s*=")


class ShorthandError(ValueError):
    """Shorthand the AWS CLI would refuse; the message says where and why."""


def parse_string_map(text: str) -> dict[str, str]:
    """``k=v,k2="a,b"`` → ``{"k": "v", "k2": "a,b"}``; raise :class:`ShorthandError`."""
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def parse(self) -> dict[str, str]:
        result: dict[str, str] = {}
        while True:
            key = self._key()
            self._expect("=")
            if key in result:
                raise self._error(f"key '{key}' is given twice")
            result[key] = self._value(key)
            if self.pos >= len(self.text):
                return result
            self._expect(",")

    def _key(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in _KEY_CHARS:
            self.pos += 1
        return self.text[start : self.pos]

    def _value(self, key: str) -> str:
        if self.pos >= len(self.text):
            return ""
        char = self.text[self.pos]
        if char in "[{":
            raise self._error(f"the value of '{key}' must be a string, not a list or map")
        if char in _QUOTED:
            match = _QUOTED[char].match(self.text, self.pos)
            if match is None:
                raise self._error(f"unterminated {char}quoted{char} value")
            self.pos = match.end()
            value = match.group()[1:-1].replace("\\" + char, char).replace("\\\\", "\\")
            self._skip_space()
            return value
        match = _BARE.match(self.text, self.pos)
        if match is None:
            return ""
        self.pos = match.end()
        value = match.group().replace("\\,", ",").rstrip()
        self._skip_space()
        if self.pos < len(self.text) and self.text[self.pos] == ",":
            rest = self.pos + 1
            if rest >= len(self.text.rstrip()):
                raise self._error("trailing ','")
            if not _NEXT_KEY.match(self.text, rest):
                raise self._error(
                    f"the value of '{key}' goes on after a ',' (the AWS CLI reads that as a "
                    f'list): quote it, {key}="a,b", or escape the comma, a\\,b'
                )
        return value

    def _expect(self, char: str) -> None:
        self._skip_space()
        what = f"'{char}'" + (" of key=value" if char == "=" else "")
        if self.pos >= len(self.text):
            raise self._error(f"expected {what}, got the end")
        if self.text[self.pos] != char:
            raise self._error(f"expected {what}, got '{self.text[self.pos]}'")
        self.pos += 1
        self._skip_space()

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def _error(self, why: str) -> ShorthandError:
        return ShorthandError(f"{why} at character {self.pos + 1}")
