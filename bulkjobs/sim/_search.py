"""Fleet indexing's query language, the subset the simulator serves: parse, then match.

The documented syntax (AWS IoT developer guide, "Query syntax") is Lucene's, over the
registry's fields. The simulator indexes ``thingName``, ``thingTypeName`` (things have
none), ``thingGroupNames`` (the groups a thing is directly in), ``attributes.NAME`` and
``connectivity.connected``, and understands:

- ``field:value`` terms, values bare or ``"quoted"`` (a phrase, matched whole);
- wildcards ``*`` (any run of characters) and ``?`` (one), a leading one in at most
  one term of a query, and such a query at most 100 characters long; ``*`` alone
  (or ``field:*``) matches every thing (that has the field);
- ``AND``, ``OR``, ``NOT`` and ``-term``, juxtaposition meaning AND (the documented
  default operator); parentheses, and field grouping (``thingName:(a* OR b*)``);
- ranges ``[low TO high]`` (inclusive) and ``{low TO high}`` (exclusive), either end
  ``*``: numeric when both ends and the value are numbers, else by text;
- at most twelve terms.

Matching is case-insensitive; field names are case-sensitive. Anything else — an
unknown field, a term without a field, a documented-unsupported character (`` ` @ #
% \\ / ' ; , ``), a dangling operator — is an :data:`INVALID_QUERY` error, as fleet
indexing answers a query it cannot parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from bulkjobs.sim._errors import ApiError, ErrorCode

__all__ = ["MAX_TERMS", "Document", "Query", "parse_query"]

#: "The maximum number of terms in a query is twelve."
MAX_TERMS: Final = 12
#: Queries with a leading wildcard "have a max query length of 100 characters".
LEADING_WILDCARD_MAX_LENGTH: Final = 100
_UNSUPPORTED: Final = frozenset("`@#%\\/';,")
_SPECIAL: Final = frozenset('():"[]{}')
_STRING_FIELDS: Final = ("thingName", "thingTypeName", "thingGroupNames")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass(frozen=True, slots=True)
class Document:
    """What the index holds of one thing."""

    thing_name: str
    group_names: Sequence[str]
    attributes: Mapping[str, str]
    connected: bool

    def values(self, field: str) -> Sequence[str]:
        """The field's values in this thing (empty: the thing has no such field)."""
        if field == "thingName":
            return (self.thing_name,)
        if field == "thingGroupNames":
            return self.group_names
        if field == "connectivity.connected":
            return ("true" if self.connected else "false",)
        if field.startswith("attributes."):
            value = self.attributes.get(field[len("attributes.") :])
            return () if value is None else (value,)
        return ()  # thingTypeName: simulated things have no type


Query = Callable[[Document], bool]


def invalid_query(message: str) -> ApiError:
    return ApiError(ErrorCode.INVALID_QUERY, message)


def parse_query(text: str) -> Query:
    """The predicate ``text`` describes; :data:`INVALID_QUERY` when it is outside the subset."""
    parser = _Parser(text)
    query = parser.parse()
    if parser.terms > MAX_TERMS:
        raise invalid_query(
            f"The query has {parser.terms} terms; the maximum number of terms is {MAX_TERMS}."
        )
    if parser.leading_wildcards > 1:
        raise invalid_query("Leading wildcard use is limited to one query term per query.")
    if parser.leading_wildcards and len(text) > LEADING_WILDCARD_MAX_LENGTH:
        raise invalid_query(
            "A query with a leading wildcard can be at most "
            f"{LEADING_WILDCARD_MAX_LENGTH} characters long."
        )
    return query


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "(", ")", ":", "[", "]", "{", "}", "word", "phrase"
    text: str
    at: int


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    i, end = 0, len(text)
    while i < end:
        char = text[i]
        if char.isspace():
            i += 1
        elif char in _UNSUPPORTED:
            raise invalid_query(f"Unsupported character {char!r} at position {i} of the query.")
        elif char == '"':
            close = text.find('"', i + 1)
            if close < 0:
                raise invalid_query(f"Unterminated quoted value at position {i} of the query.")
            found.append(_Token("phrase", text[i + 1 : close], i))
            i = close + 1
        elif char in _SPECIAL:
            found.append(_Token(char, char, i))
            i += 1
        else:
            start = i
            while i < end and not text[i].isspace() and text[i] not in _SPECIAL:
                if text[i] in _UNSUPPORTED:
                    raise invalid_query(
                        f"Unsupported character {text[i]!r} at position {i} of the query."
                    )
                i += 1
            found.append(_Token("word", text[start:i], start))
    return found


def _known_field(name: str) -> bool:
    if name in _STRING_FIELDS or name == "connectivity.connected":
        return True
    return name.startswith("attributes.") and len(name) > len("attributes.")


class _Parser:
    """Recursive descent: or → and → unary → primary, over the tokens of one query."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._tokens = _tokens(text)
        self._at = 0
        self.terms = 0
        self.leading_wildcards = 0

    def parse(self) -> Query:
        if not self._tokens:
            raise invalid_query("The query string is empty.")
        query = self._or(None)
        if self._at < len(self._tokens):
            token = self._tokens[self._at]
            raise invalid_query(f"Unexpected {token.text!r} at position {token.at} of the query.")
        return query

    # -- grammar --------------------------------------------------------------------------

    def _or(self, field: str | None) -> Query:
        parts = [self._and(field)]
        while self._keyword("OR"):
            parts.append(self._and(field))
        if len(parts) == 1:
            return parts[0]
        return lambda doc: any(part(doc) for part in parts)

    def _and(self, field: str | None) -> Query:
        parts = [self._unary(field)]
        while True:
            if self._keyword("AND"):
                parts.append(self._unary(field))
            elif self._starts_operand():
                parts.append(self._unary(field))  # the default operator is AND
            else:
                break
        if len(parts) == 1:
            return parts[0]
        return lambda doc: all(part(doc) for part in parts)

    def _unary(self, field: str | None) -> Query:
        if self._keyword("NOT"):
            inner = self._unary(field)
            return lambda doc: not inner(doc)
        token = self._peek()
        if token is not None and token.kind == "word" and token.text.startswith("-"):
            if len(token.text) == 1:
                self._at += 1
                inner = self._unary(field)
            else:
                # "-plasma": the hyphen excludes the term that follows it.
                self._tokens[self._at] = _Token("word", token.text[1:], token.at + 1)
                inner = self._unary(field)
            return lambda doc: not inner(doc)
        return self._primary(field)

    def _primary(self, field: str | None) -> Query:
        token = self._next("a term")
        if token.kind == "(":
            inner = self._or(field)
            self._expect(")")
            return inner
        after = self._peek()
        if token.kind == "word" and after is not None and after.kind == ":":
            self._at += 1
            name = token.text
            if not _known_field(name):
                raise invalid_query(
                    f"Field {name!r} is not searchable here (fields: thingName, thingTypeName, "
                    "thingGroupNames, attributes.NAME, connectivity.connected)."
                )
            if field is not None:
                raise invalid_query(f"Field {name!r} inside the field group of {field!r}.")
            value = self._peek()
            if value is not None and value.kind == "(":
                self._at += 1
                inner = self._or(name)
                self._expect(")")
                return inner
            return self._value(name)
        if field is not None and token.kind in ("word", "phrase", "[", "{"):
            self._at -= 1
            return self._value(field)
        if token.kind == "word" and token.text == "*" and field is None:
            self.terms += 1
            return lambda doc: True
        if token.kind in ("word", "phrase"):
            raise invalid_query(
                f"Term {token.text!r} at position {token.at} has no field: search a field, "
                "e.g. thingName:" + (token.text or "NAME") + "."
            )
        raise invalid_query(f"Unexpected {token.text!r} at position {token.at} of the query.")

    def _value(self, field: str) -> Query:
        token = self._next(f"a value for {field}")
        self.terms += 1
        if token.kind in ("[", "{"):
            return self._range(field, inclusive_low=token.kind == "[")
        if token.kind == "phrase":
            wanted = token.text.casefold()
            return lambda doc: any(v.casefold() == wanted for v in doc.values(field))
        if token.kind != "word" or token.text in ("AND", "OR", "NOT"):
            raise invalid_query(f"Expected a value for {field} at position {token.at}.")
        pattern = token.text
        if pattern == "*":
            return lambda doc: bool(doc.values(field))
        if pattern[0] in "*?":
            self.leading_wildcards += 1
        if "*" in pattern or "?" in pattern:
            regex = re.compile(
                "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                re.IGNORECASE | re.DOTALL,
            )
            return lambda doc: any(regex.fullmatch(v) for v in doc.values(field))
        wanted = pattern.casefold()
        return lambda doc: any(v.casefold() == wanted for v in doc.values(field))

    def _range(self, field: str, *, inclusive_low: bool) -> Query:
        if field == "connectivity.connected":
            raise invalid_query("connectivity.connected is a Boolean: a range does not apply.")
        low = self._next(f"the low end of a range on {field}")
        if not self._keyword("TO"):
            raise invalid_query(f"Expected TO in the range on {field} at position {low.at}.")
        high = self._next(f"the high end of a range on {field}")
        close = self._next(f"the end of the range on {field}")
        if low.kind not in ("word", "phrase") or high.kind not in ("word", "phrase"):
            raise invalid_query(f"A range on {field} needs two ends.")
        if close.kind not in ("]", "}"):
            raise invalid_query(f"Expected ] or }} to close the range on {field}.")
        inclusive_high = close.kind == "]"
        lo = None if low.kind == "word" and low.text == "*" else low.text
        hi = None if high.kind == "word" and high.text == "*" else high.text
        numeric = all(_NUMBER.fullmatch(end) for end in (lo, hi) if end is not None)

        def inside(value: str) -> bool:
            key: float | str
            if numeric:
                if not _NUMBER.fullmatch(value):
                    return False
                key = float(value)
                bounds: tuple[float | str | None, float | str | None] = (
                    None if lo is None else float(lo),
                    None if hi is None else float(hi),
                )
            else:
                key = value.casefold()
                bounds = (
                    None if lo is None else lo.casefold(),
                    None if hi is None else hi.casefold(),
                )
            bottom, top = bounds
            if bottom is not None and (key < bottom or (key == bottom and not inclusive_low)):  # type: ignore[operator]
                return False
            return top is None or key < top or (key == top and inclusive_high)  # type: ignore[operator]

        return lambda doc: any(inside(v) for v in doc.values(field))

    # -- tokens ---------------------------------------------------------------------------

    def _peek(self) -> _Token | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def _next(self, what: str) -> _Token:
        token = self._peek()
        if token is None:
            raise invalid_query(f"The query ends where {what} was expected.")
        self._at += 1
        return token

    def _expect(self, kind: str) -> None:
        token = self._next(f"{kind!r}")
        if token.kind != kind:
            raise invalid_query(
                f"Expected {kind!r} at position {token.at} of the query, found {token.text!r}."
            )

    def _keyword(self, word: str) -> bool:
        token = self._peek()
        if token is not None and token.kind == "word" and token.text == word:
            self._at += 1
            return True
        return False

    def _starts_operand(self) -> bool:
        token = self._peek()
        if token is None or token.kind in (")", "]", "}", ":"):
            return False
        return not (token.kind == "word" and token.text in ("AND", "OR", "TO"))
