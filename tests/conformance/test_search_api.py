"""SearchIndex against moto and bulkjobs.sim: the query forms bulkjobs relies on.

``--query`` hands the user's query to the service unchanged and pages through the
answer; what bulkjobs relies on is that the service matches the documented forms —
``field:value`` over thing names, attributes and thing groups, wildcards, AND / OR /
NOT, parentheses — pages at ``maxResults`` with a ``nextToken``, and refuses a query it
cannot parse with InvalidQueryException. moto implements a shallow subset; each place
it deviates from the query syntax documentation is a strict xfail saying how.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conformance.conftest import Backend, moto_deviates

#: Six things: two hardware revisions, two thing groups.
THINGS = {
    "idx-a1": {"hwRev": "A1"},
    "idx-a2": {"hwRev": "A1"},
    "idx-b1": {"hwRev": "B2"},
    "idx-b2": {"hwRev": "B2"},
    "idx-b3": {"hwRev": "B2"},
    "other-c": {"hwRev": "C3"},
}
GROUPS = {"line-1": ["idx-a1", "idx-b1"], "line-2": ["idx-b2", "other-c"]}


def names(backend: Backend, query: str, **kwargs: Any) -> list[str]:
    """Every thing one query finds, over all its pages."""
    found: list[str] = []
    token: str | None = None
    while True:
        extra = {} if token is None else {"nextToken": token}
        page = backend.iot.search_index(queryString=query, **kwargs, **extra)
        found.extend(thing["thingName"] for thing in page["things"])
        token = page.get("nextToken")
        if not token:
            return sorted(found)


@pytest.fixture
def fleet(backend: Backend) -> Backend:
    backend.create_things(THINGS, GROUPS)
    return backend


class TestQueryForms:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("*", sorted(THINGS)),
            ("thingName:idx-b1", ["idx-b1"]),
            ("thingName:idx-*", ["idx-a1", "idx-a2", "idx-b1", "idx-b2", "idx-b3"]),
            ("thingName:idx-?1", ["idx-a1", "idx-b1"]),
            ("attributes.hwRev:B2", ["idx-b1", "idx-b2", "idx-b3"]),
            ("attributes.hwRev:B2 AND thingName:idx-b1", ["idx-b1"]),
            ("attributes.hwRev:B2 thingName:idx-b1", ["idx-b1"]),  # AND by default
            ("attributes.hwRev:A1 OR attributes.hwRev:C3", ["idx-a1", "idx-a2", "other-c"]),
            ("attributes.hwRev:B2 AND NOT thingName:idx-b1", ["idx-b2", "idx-b3"]),
            ("attributes.hwRev:B2 AND -thingName:idx-b1", ["idx-b2", "idx-b3"]),
            (
                "(attributes.hwRev:A1 OR attributes.hwRev:B2) AND thingGroupNames:line-1",
                ["idx-a1", "idx-b1"],
            ),
            ("thingGroupNames:line-2", ["idx-b2", "other-c"]),
        ],
    )
    def test_matches(self, fleet: Backend, query: str, expected: list[str]) -> None:
        """The documented forms bulkjobs passes on find the same things on both."""
        assert names(fleet, query) == expected

    def test_search_is_case_insensitive(
        self, fleet: Backend, request: pytest.FixtureRequest
    ) -> None:
        """ "Search is case insensitive": a value in other letters matches."""
        moto_deviates(fleet, request, "matches values case-sensitively")
        assert names(fleet, "attributes.hwRev:b2") == ["idx-b1", "idx-b2", "idx-b3"]

    def test_quoted_values(self, fleet: Backend, request: pytest.FixtureRequest) -> None:
        """A quoted value is the value itself, not the quotes around it."""
        moto_deviates(fleet, request, "compares the quotes as part of the value")
        assert names(fleet, 'attributes.hwRev:"A1"') == ["idx-a1", "idx-a2"]


class TestPaging:
    def test_pages_at_max_results(self, fleet: Backend, request: pytest.FixtureRequest) -> None:
        """maxResults caps a page and nextToken leads to the rest, each thing once."""
        moto_deviates(fleet, request, "ignores maxResults and never pages")
        first = fleet.iot.search_index(queryString="thingName:idx-*", maxResults=2)
        assert len(first["things"]) == 2 and first.get("nextToken")
        assert names(fleet, "thingName:idx-*", maxResults=2) == names(fleet, "thingName:idx-*")


class TestRefusals:
    def test_unparsable_query_is_invalid_query(
        self, fleet: Backend, request: pytest.FixtureRequest
    ) -> None:
        """An unbalanced parenthesis: InvalidQueryException, which bulkjobs reports as
        bad input before anything is sent."""
        moto_deviates(fleet, request, "answers InvalidRequestException for unbalanced parentheses")
        with pytest.raises(fleet.iot.exceptions.InvalidQueryException):
            fleet.iot.search_index(queryString="(attributes.hwRev:B2")

    def test_unknown_field_is_refused(self, fleet: Backend, request: pytest.FixtureRequest) -> None:
        """A term outside the index (no field the simulator indexes): refused, never a
        silent search of the thing names."""
        moto_deviates(fleet, request, "searches thing names for any term it does not know")
        with pytest.raises(fleet.iot.exceptions.InvalidQueryException):
            fleet.iot.search_index(queryString="hwRev:B2")
