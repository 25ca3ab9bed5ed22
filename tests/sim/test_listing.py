"""Paginated listings over the pure model: complete, stable, and strict about tokens."""

from __future__ import annotations

import pytest

from bulkjobs.sim import _listing
from bulkjobs.sim._errors import ApiError, ErrorCode
from bulkjobs.sim._fleet import FleetSpec, build_state
from bulkjobs.sim._model import ExecutionStatus
from bulkjobs.sim._state import FleetState

NOW = 1_700_000_000.0


def all_pages(state: FleetState, job_id: str, size: int, **kwargs: object) -> list[list[str]]:
    """Thing names of every page of a job listing, page by page."""
    pages: list[list[str]] = []
    token: str | None = None
    while True:
        page = _listing.executions_for_job(
            state,
            job_id,
            max_results=size,
            next_token=token,
            **kwargs,  # type: ignore[arg-type]
        )
        pages.append([execution.thing_name for execution in page.items])
        token = page.next_token
        if token is None:
            return pages


class TestExecutionsForJob:
    def test_pages_cover_every_execution_once(self) -> None:
        """Pages of 3 over 10 executions: 4 pages, every thing exactly once, in order."""
        state = build_state(FleetSpec(things=10), now=NOW)
        pages = all_pages(state, "job-1", 3, status=None)
        assert [len(page) for page in pages] == [3, 3, 3, 1]
        assert [name for page in pages for name in page] == [f"thing-{i:06d}" for i in range(1, 11)]

    def test_status_filter(self) -> None:
        """A status filter lists only executions in that status."""
        state = build_state(FleetSpec(things=50, in_progress=0.5, seed=3), now=NOW)
        pages = all_pages(state, "job-1", 7, status=ExecutionStatus.IN_PROGRESS)
        names = [name for page in pages for name in page]
        job = state.job("job-1")
        assert len(names) == job.counts[ExecutionStatus.IN_PROGRESS]
        assert all(job.executions[name].status is ExecutionStatus.IN_PROGRESS for name in names)

    def test_deleting_while_paging_skips_nothing(self) -> None:
        """Deleting already-listed executions does not shift the next page."""
        state = build_state(FleetSpec(things=6, terminal=1.0), now=NOW)
        first = _listing.executions_for_job(
            state, "job-1", status=None, max_results=3, next_token=None
        )
        for execution in first.items:
            state.delete_execution("job-1", execution.thing_name, 1, force=False, now=NOW)
        second = _listing.executions_for_job(
            state, "job-1", status=None, max_results=3, next_token=first.next_token
        )
        assert [e.thing_name for e in second.items] == [
            "thing-000004",
            "thing-000005",
            "thing-000006",
        ]
        assert second.next_token is None

    @pytest.mark.parametrize(
        "token",
        [
            "not base64 !",
            "Z2FyYmFnZQ",  # valid base64, not a token
            _listing.encode_token("job", "job-1/QUEUED", 2),  # another filter's token
            _listing.encode_token("thing", "job-1/", 2),  # another listing's token
        ],
    )
    def test_foreign_tokens_are_invalid_requests(self, token: str) -> None:
        """A token that is not this listing's own: InvalidRequestException."""
        state = build_state(FleetSpec(things=3), now=NOW)
        with pytest.raises(ApiError) as excinfo:
            _listing.executions_for_job(
                state, "job-1", status=None, max_results=2, next_token=token
            )
        assert excinfo.value.code is ErrorCode.INVALID_REQUEST

    def test_missing_job_is_not_found(self) -> None:
        """Listing a job that does not exist: ResourceNotFoundException."""
        state = build_state(FleetSpec(things=1), now=NOW)
        with pytest.raises(ApiError) as excinfo:
            _listing.executions_for_job(state, "nope", status=None, max_results=2, next_token=None)
        assert excinfo.value.code is ErrorCode.RESOURCE_NOT_FOUND


class TestExecutionsForThing:
    def test_one_execution_per_job_in_job_order(self) -> None:
        """A thing lists its execution of every job, paginated, filterable by job."""
        state = build_state(FleetSpec(things=2, job_ids=("a", "b", "c")), now=NOW)
        page = _listing.executions_for_thing(
            state, "thing-000001", status=None, job_id=None, max_results=2, next_token=None
        )
        assert [e.job_id for e in page.items] == ["a", "b"]
        rest = _listing.executions_for_thing(
            state,
            "thing-000001",
            status=None,
            job_id=None,
            max_results=2,
            next_token=page.next_token,
        )
        assert [e.job_id for e in rest.items] == ["c"] and rest.next_token is None
        only_b = _listing.executions_for_thing(
            state, "thing-000001", status=None, job_id="b", max_results=5, next_token=None
        )
        assert [e.job_id for e in only_b.items] == ["b"]

    def test_missing_thing_is_not_found(self) -> None:
        """A thing that does not exist: ResourceNotFoundException."""
        state = build_state(FleetSpec(things=1), now=NOW)
        with pytest.raises(ApiError) as excinfo:
            _listing.executions_for_thing(
                state, "ghost", status=None, job_id=None, max_results=5, next_token=None
            )
        assert excinfo.value.code is ErrorCode.RESOURCE_NOT_FOUND


class TestThingsInGroup:
    def test_recursive_pages_walk_the_subtree(self) -> None:
        """Recursive listing pages through every thing under the root exactly once."""
        state = build_state(FleetSpec(things=7, groups=2), now=NOW)
        seen: list[str] = []
        token: str | None = None
        while True:
            page = _listing.things_in_group(
                state, "fleet", recursive=True, max_results=3, next_token=token
            )
            seen.extend(page.items)
            token = page.next_token
            if token is None:
                break
        assert sorted(seen) == [f"thing-{i:06d}" for i in range(1, 8)]

    def test_missing_group_is_not_found(self) -> None:
        """A group that does not exist: ResourceNotFoundException."""
        state = build_state(FleetSpec(things=1), now=NOW)
        with pytest.raises(ApiError) as excinfo:
            _listing.things_in_group(state, "nope", recursive=False, max_results=5, next_token=None)
        assert excinfo.value.code is ErrorCode.RESOURCE_NOT_FOUND
