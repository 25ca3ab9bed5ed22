"""Listing sources against moto's server through real aiobotocore.

moto pages ListJobExecutionsForJob and ListJobExecutionsForThing honestly but fixes
every executionNumber at 123 and ignores pagination and ``recursive`` for
ListThingsInThingGroup, and answers SearchIndex in one page whatever maxResults says;
the tests only rely on what it implements.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from aiobotocore.session import get_session

from bulkjobs._destination import Destination
from bulkjobs._filters import Deduplicator, ListingFilter
from bulkjobs._listing import (
    PAGE_SIZE,
    Listed,
    from_job,
    from_query,
    from_thing,
    from_thing_group,
)
from bulkjobs._models import Target
from tests.wire.moto_fleet import create_fleet, iot_client, set_status


class ClientCaller:
    """The ApiCaller seam over a bare aiobotocore client, counting calls per API."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(
        self, api: str, params: Mapping[str, Any], *, destination: Destination | None = None
    ) -> dict[str, Any]:
        self.calls.append((api, dict(params)))
        method = getattr(self.client, re.sub(r"(?<!^)(?=[A-Z])", "_", api).lower())
        response: dict[str, Any] = await method(**params)
        return response

    def count(self, api: str) -> int:
        return sum(1 for name, _ in self.calls if name == api)


@pytest.fixture
async def caller(moto_endpoint: str) -> AsyncIterator[ClientCaller]:
    session = get_session()
    async with session.create_client(
        "iot",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ) as client:
        yield ClientCaller(client)


async def collect(source: AsyncIterator[Listed]) -> list[Listed]:
    return [item async for item in source]


class TestFromJobOnMoto:
    async def test_pages_through_600_executions_exactly_once(
        self, moto_endpoint: str, caller: ClientCaller
    ) -> None:
        """600 executions arrive in three pages of at most 250, none twice or missing."""
        names = create_fleet(moto_endpoint, "fw-600", 600)

        items = await collect(
            from_job(caller, "fw-600", destination=Destination(region="us-east-1"))
        )

        things = [item.target.thing_name or "" for item in items]
        assert sorted(things) == sorted(names)
        assert len(set(things)) == 600
        assert caller.count("ListJobExecutionsForJob") == 3
        assert all(params["maxResults"] == PAGE_SIZE for _, params in caller.calls)
        first = items[0]
        # moto numbers every execution 123.
        expected = Target(
            job_id="fw-600",
            thing_name=first.target.thing_name,
            execution_number=123,
            region="us-east-1",
        )
        assert first.target == expected
        assert first.status == "QUEUED"
        assert first.queued_at is not None and first.queued_at.tzinfo is not None

    async def test_status_listings_then_filter_and_dedup(
        self, moto_endpoint: str, caller: ClientCaller
    ) -> None:
        """One listing per status; the filter and de-duplication keep each once."""
        names = create_fleet(moto_endpoint, "fw-mixed", 10)
        for name in names[:3]:
            set_status("fw-mixed", name, "IN_PROGRESS")
        source = from_job(caller, "fw-mixed", ["IN_PROGRESS", "QUEUED"])
        selection = ListingFilter(statuses=["IN_PROGRESS"])
        dedup = Deduplicator()

        kept = [t async for t in dedup.afilter(selection.afilter(source))]

        assert sorted(t.thing_name or "" for t in kept) == names[:3]
        assert [params.get("status") for _, params in caller.calls] == ["IN_PROGRESS", "QUEUED"]
        assert selection.statistics().wrong_status == 7


class TestFromThingOnMoto:
    async def test_lists_the_executions_of_one_thing_across_jobs(
        self, moto_endpoint: str, caller: ClientCaller
    ) -> None:
        """Each job targeting the thing yields one execution, tagged with its job."""
        names = create_fleet(moto_endpoint, "job-a", 2)
        arn = iot_client(moto_endpoint).describe_thing(thingName=names[0])["thingArn"]
        iot_client(moto_endpoint).create_job(jobId="job-b", targets=[arn], document="{}")

        items = await collect(from_thing(caller, names[0]))

        assert sorted(item.target.job_id for item in items) == ["job-a", "job-b"]
        assert {item.target.thing_name for item in items} == {names[0]}


class TestFromThingGroupOnMoto:
    async def test_one_target_per_member(self, moto_endpoint: str, caller: ClientCaller) -> None:
        """Every thing in the group becomes a target of the given job."""
        names = create_fleet(moto_endpoint, "job-g", 5)
        client = iot_client(moto_endpoint)
        client.create_thing_group(thingGroupName="fleet")
        for name in names[:4]:
            client.add_thing_to_thing_group(thingGroupName="fleet", thingName=name)

        items = await collect(from_thing_group(caller, "fleet", "job-g"))

        assert sorted(item.target.thing_name or "" for item in items) == names[:4]
        assert {item.target.job_id for item in items} == {"job-g"}


class TestFromQueryOnMoto:
    async def test_one_target_per_thing_the_index_finds(
        self, moto_endpoint: str, caller: ClientCaller
    ) -> None:
        """SearchIndex's things become targets of the job; every page is asked for 100
        (moto answers all at once, without a nextToken: one call)."""
        names = create_fleet(moto_endpoint, "job-q", 6)
        client = iot_client(moto_endpoint)
        for n, name in enumerate(names):
            revision = "B2" if n % 2 else "A1"
            attributes = {"attributes": {"hwRev": revision}}
            client.update_thing(thingName=name, attributePayload=attributes)

        items = await collect(from_query(caller, "attributes.hwRev:B2", "job-q"))

        assert sorted(item.target.thing_name or "" for item in items) == names[1::2]
        assert {item.target.job_id for item in items} == {"job-q"}
        asked = {"indexName": "AWS_Things", "queryString": "attributes.hwRev:B2", "maxResults": 100}
        assert caller.calls == [("SearchIndex", asked)]
