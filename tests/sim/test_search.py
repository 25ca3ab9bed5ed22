"""Fleet indexing's SearchIndex: the query subset, paging, the index's states, its quota."""

from __future__ import annotations

from typing import Any

import pytest

from bulkjobs.sim import FleetSpec, Operation, SimConfig, Simulator
from bulkjobs.sim._errors import ApiError, ErrorCode
from bulkjobs.sim._fleet import build_state
from bulkjobs.sim._search import Document, parse_query
from tests.sim.conftest import StartSim

NOW = 1_700_000_000.0


def doc(
    name: str = "thing-1", *, groups: tuple[str, ...] = (), connected: bool = False, **attrs: str
) -> Document:
    return Document(name, groups, attrs, connected)


class TestQueryLanguage:
    @pytest.mark.parametrize(
        ("query", "matches"),
        [
            ("thingName:thing-1", True),
            ("thingName:THING-1", True),  # search is case-insensitive
            ("thingName:thing-2", False),
            ("thingName:thing*", True),
            ("thingName:th?ng-1", True),
            ("thingName:*-1", True),
            ('thingName:"thing-1"', True),
            ("attributes.hwRev:B2", True),
            ("attributes.hwRev:b2", True),
            ("attributes.hwRev:A1", False),
            ("attributes.missing:*", False),
            ("attributes.hwRev:*", True),
            ("connectivity.connected:false", True),
            ("connectivity.connected:true", False),
            ("thingGroupNames:line-7", True),
            ("thingGroupNames:line-8", False),
            ("thingTypeName:sensor", False),  # simulated things have no type
            ("attributes.hwRev:B2 AND connectivity.connected:false", True),
            ("attributes.hwRev:B2 connectivity.connected:true", False),  # default AND
            ("attributes.hwRev:A1 OR thingGroupNames:line-7", True),
            ("NOT attributes.hwRev:A1", True),
            ("-attributes.hwRev:B2", False),
            ("attributes.hwRev:(A1 OR B2)", True),
            ("thingName:(thing* AND -thing-1)", False),
            (
                "(attributes.hwRev:A1 OR attributes.hwRev:B2) AND NOT connectivity.connected:true",
                True,
            ),
            ("attributes.batch:[10 TO 20]", True),
            ("attributes.batch:{12 TO 20]", False),  # exclusive low end
            ("attributes.batch:[2 TO 3]", False),  # numeric, not text, order
            ("attributes.batch:[* TO 12]", True),
            ("attributes.hwRev:[A1 TO B2]", True),
            ("*", True),
        ],
    )
    def test_matches(self, query: str, matches: bool) -> None:
        """Each documented form, against one thing (hwRev B2, batch 12, in group line-7)."""
        thing = doc(groups=("line-7",), hwRev="B2", batch="12")
        assert parse_query(query)(thing) is matches

    @pytest.mark.parametrize(
        "query",
        [
            "",
            "   ",
            "hwRev:B2",  # not a field of the index (attributes.hwRev is)
            "B2",  # no field
            "thingName:",
            "thingName:(a OR",
            "attributes.hwRev:B2 AND",
            "attributes.hwRev:B2)",
            'thingName:"unterminated',
            "thingName:a;b",  # a documented-unsupported character
            "thingName:a@b",
            "thingName:*a OR thingGroupNames:*b",  # two leading wildcards
            "connectivity.connected:[false TO true]",
            "attributes.batch:[1 20]",
            " OR ".join(f"thingName:t{n}" for n in range(13)),  # thirteen terms
        ],
    )
    def test_invalid_queries(self, query: str) -> None:
        """Outside the subset: InvalidQueryException, never a silent empty answer."""
        with pytest.raises(ApiError) as caught:
            parse_query(query)
        assert caught.value.code is ErrorCode.INVALID_QUERY
        assert caught.value.message

    def test_twelve_terms_are_allowed(self) -> None:
        """The documented maximum itself is accepted."""
        parse_query(" OR ".join(f"thingName:t{n}" for n in range(12)))


class TestSeededFleet:
    def test_attributes_spread_over_their_values(self) -> None:
        """Every thing gets one of the values of each attribute, each value used."""
        spec = FleetSpec(things=300, attributes=(("hwRev", ("A1", "B2", "C3")),), seed=4)
        state = build_state(spec, now=NOW)
        seen = [state.profile(spec.thing_name(i)).attributes["hwRev"] for i in range(1, 301)]
        for value in ("A1", "B2", "C3"):
            assert 60 < seen.count(value) < 140

    def test_connected_share(self) -> None:
        """About ``connected`` of the things are connected."""
        spec = FleetSpec(things=400, connected=0.25, seed=2)
        state = build_state(spec, now=NOW)
        connected = sum(state.profile(spec.thing_name(i)).connected for i in range(1, 401))
        assert 60 < connected < 140

    def test_attributes_leave_the_executions_alone(self) -> None:
        """Attributes come from an RNG of their own: a seed's statuses stay the same."""
        plain = FleetSpec(things=50, in_progress=0.5, seed=9, attributes=())
        rich = FleetSpec(
            things=50, in_progress=0.5, seed=9, attributes=(("a", ("x", "y")), ("b", ("z",)))
        )
        first, second = build_state(plain, now=NOW), build_state(rich, now=NOW)
        assert {n: e.status for n, e in first.job("job-1").executions.items()} == {
            n: e.status for n, e in second.job("job-1").executions.items()
        }

    def test_bad_attribute_is_refused(self) -> None:
        """An attribute value outside the registry's pattern cannot be seeded."""
        with pytest.raises(ValueError):
            FleetSpec(attributes=(("hwRev", ("has space",)),))


async def search_all(iot: Any, query: str, **kwargs: Any) -> tuple[list[dict[str, Any]], int]:
    """Every thing a query finds, and how many pages it took."""
    things: list[dict[str, Any]] = []
    pages, token = 0, None
    while True:
        extra: dict[str, str] = {} if token is None else {"nextToken": token}
        page = await iot.search_index(queryString=query, **kwargs, **extra)
        pages += 1
        things.extend(page["things"])
        token = page.get("nextToken")
        if token is None:
            return things, pages


class TestSearchIndex:
    async def test_finds_exactly_the_matching_things(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """Paged at 100, the query's things come back once each, and only they."""
        sim = await start_sim(fleet=FleetSpec(things=450, groups=3, seed=5))
        iot = await make_client(sim)
        query = "attributes.hwRev:B2 AND connectivity.connected:false"
        things, pages = await search_all(iot, query, indexName="AWS_Things", maxResults=100)
        expected = []
        for i in range(1, 451):
            name = sim.fleet.thing_name(i)
            attributes, connected = sim.thing_attributes(name)
            if attributes["hwRev"] == "B2" and not connected:
                expected.append(name)
        found = [t["thingName"] for t in things]
        assert len(found) == len(set(found))
        assert sorted(found) == expected
        assert pages >= len(expected) / 100
        assert all(len(t["thingGroupNames"]) == 1 for t in things)

    async def test_document_shape(self, start_sim: StartSim, make_client: Any) -> None:
        """A ThingDocument: name, id, groups, attributes and connectivity, as modelled."""
        sim = await start_sim(fleet=FleetSpec(things=5, groups=2))
        iot = await make_client(sim)
        sim.set_thing("thing-000002", attributes={"hwRev": "Z9"}, connected=True)
        page = await iot.search_index(queryString="attributes.hwRev:Z9")
        (thing,) = page["things"]
        assert thing["thingName"] == "thing-000002"
        assert thing["thingGroupNames"] == ["fleet-02"]
        assert thing["attributes"] == {"hwRev": "Z9"}
        assert thing["connectivity"]["connected"] is True
        assert len(thing["thingId"]) == 36
        assert page["thingGroups"] == []
        assert "nextToken" not in page

    async def test_page_size_limits(self, sim: Simulator, iot: Any) -> None:
        """maxResults caps a page and cannot exceed 100."""
        page = await iot.search_index(queryString="*", maxResults=3)
        assert len(page["things"]) == 3 and page["nextToken"]
        with pytest.raises(iot.exceptions.InvalidRequestException):
            await iot.search_index(queryString="*", maxResults=101)

    async def test_token_is_bound_to_its_query(self, sim: Simulator, iot: Any) -> None:
        """A token from one query does not page another."""
        page = await iot.search_index(queryString="*", maxResults=2)
        with pytest.raises(iot.exceptions.InvalidRequestException):
            await iot.search_index(
                queryString="thingName:thing*", maxResults=2, nextToken=page["nextToken"]
            )

    async def test_invalid_query(self, sim: Simulator, iot: Any) -> None:
        """A query outside the subset is InvalidQueryException, with a reason."""
        with pytest.raises(iot.exceptions.InvalidQueryException) as caught:
            await iot.search_index(queryString="hwRev:B2")
        assert "hwRev" in caught.value.response["Error"]["Message"]

    async def test_index_off(self, start_sim: StartSim, make_client: Any) -> None:
        """With thing indexing off, the index does not exist (ResourceNotFoundException)."""
        sim = await start_sim(SimConfig(quota=None, thing_index="OFF"))
        iot = await make_client(sim)
        with pytest.raises(iot.exceptions.ResourceNotFoundException) as caught:
            await iot.search_index(queryString="*")
        assert "UpdateIndexingConfiguration" in caught.value.response["Error"]["Message"]

    async def test_index_building(self, sim: Simulator, iot: Any) -> None:
        """An index still being built answers IndexNotReadyException; then it serves."""
        sim.reconfigure(thing_index="BUILDING")
        with pytest.raises(iot.exceptions.IndexNotReadyException):
            await iot.search_index(queryString="*")
        sim.reconfigure(thing_index="ACTIVE")
        assert (await iot.search_index(queryString="*"))["things"]

    async def test_other_index(self, sim: Simulator, iot: Any) -> None:
        """Only AWS_Things is served: another index name does not exist."""
        with pytest.raises(iot.exceptions.ResourceNotFoundException):
            await iot.search_index(indexName="AWS_ThingGroups", queryString="*")

    async def test_changes_are_searchable_at_once(self, sim: Simulator, iot: Any) -> None:
        """A device that connects drops out of a disconnected-only search."""
        query = "thingName:thing-000003 AND connectivity.connected:false"
        sim.set_thing("thing-000003", connected=False)
        assert len((await iot.search_index(queryString=query))["things"]) == 1
        sim.set_thing("thing-000003", connected=True)
        assert (await iot.search_index(queryString=query))["things"] == []


class TestQuotas:
    def test_2019_defaults(self) -> None:
        """At AWS's default, SearchIndex gets 15/s and ListThingsInThingGroup 25/s."""
        config = SimConfig()
        assert config.quota_for(Operation.SEARCH_INDEX) == 15
        assert config.quota_for(Operation.LIST_THINGS_IN_THING_GROUP) == 25
        assert config.quota_for(Operation.CANCEL_JOB_EXECUTION) == 10

    def test_explicit_quotas_win(self) -> None:
        """Another account-wide quota, or one per operation, replaces the defaults."""
        assert SimConfig(quota=50).quota_for(Operation.SEARCH_INDEX) == 50
        assert SimConfig(quota=None).quota_for(Operation.SEARCH_INDEX) is None
        config = SimConfig(quotas={"SearchIndex": 3})
        assert config.quota_for(Operation.SEARCH_INDEX) == 3

    async def test_search_index_is_throttled_at_its_own_quota(
        self, start_sim: StartSim, make_client: Any
    ) -> None:
        """SearchIndex's bucket is its own: spending it leaves CancelJobExecution's whole."""
        sim = await start_sim(SimConfig(quotas={"SearchIndex": 2}, quota=None))
        iot = await make_client(sim)
        throttled = 0
        for _ in range(6):
            try:
                await iot.search_index(queryString="*", maxResults=1)
            except iot.exceptions.ThrottlingException:
                throttled += 1
        assert throttled >= 3
        await iot.describe_job_execution(jobId="job-1", thingName="thing-000001")
        assert sim.statistics().operations[Operation.SEARCH_INDEX].throttled == throttled
