"""What the confirmation asks for, and what it shows (pure: no terminal, no calls)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bulkjobs._destination import Destination
from bulkjobs._jobstatus import JobCounts
from bulkjobs._models import CancelExecution, CancelJob, DeleteExecution, Operation
from bulkjobs._survey import DestinationJobs
from bulkjobs.cli._confirm import (
    TYPE_JOB_ID_ABOVE,
    BlastRadius,
    UnreachableAccount,
    acted_statuses,
)


def radius(
    *,
    operation: Operation | None = None,
    at_most: int | None,
    jobs: tuple[JobCounts, ...] = (),
    given_by_job: dict[str, int] | None = None,
    given: int = 0,
) -> BlastRadius:
    return BlastRadius(
        operation=operation or CancelExecution(force=True),
        region="eu-west-1",
        endpoint_url=None,
        given=given,
        given_by_job=given_by_job or {},
        given_by_region={"eu-west-1": given} if given else {},
        jobs=jobs,
        statuses=("QUEUED", "IN_PROGRESS"),
        at_most=at_most,
    )


def job(job_id: str = "fw-1", **counts: int) -> JobCounts:
    return JobCounts(job_id=job_id, status="IN_PROGRESS", counts=counts)


class TestTheAnswerAskedFor:
    def test_a_small_run_is_confirmed_with_yes(self) -> None:
        """Up to the threshold, "yes" confirms."""
        assert radius(at_most=TYPE_JOB_ID_ABOVE, jobs=(job(),)).answer == "yes"

    def test_a_big_run_needs_the_job_id(self) -> None:
        """Over the threshold, the job id is the answer."""
        assert radius(at_most=TYPE_JOB_ID_ABOVE + 1, jobs=(job(),)).answer == "fw-1"

    def test_an_unknown_size_needs_the_job_id(self) -> None:
        """A size not known before listing is treated as big."""
        assert radius(at_most=None, jobs=(job(),)).answer == "fw-1"

    def test_a_big_run_over_several_jobs_needs_the_count(self) -> None:
        """Several jobs: the number of targets is typed instead."""
        found = radius(at_most=500, given=500, given_by_job={"a": 250, "b": 250})
        assert found.answer == "500"
        assert 'Type the number of targets "500"' in found.question()

    def test_an_unknown_size_over_several_jobs_needs_the_number_of_jobs(self) -> None:
        """No count to type and no single job id: never a reflex "yes"."""
        found = radius(at_most=None, jobs=(job("a"), job("b"), job("c")))
        assert found.answer == "3"
        assert 'Type the number of jobs "3"' in found.question()

    def test_a_bound_a_query_narrows_is_not_typed_as_a_count(self) -> None:
        """Up to 500 is what the jobs hold, not how many the query finds: the number
        of jobs is typed, not a number of targets nobody will see."""
        found = replace(radius(at_most=500, jobs=(job("a"), job("b"))), narrowed=True)
        assert found.answer == "2"
        assert 'Type the number of jobs "2"' in found.question()
        assert replace(found, at_most=TYPE_JOB_ID_ABOVE).answer == "yes"


class TestActedStatuses:
    @pytest.mark.parametrize(
        ("operation", "statuses", "expected"),
        [
            (CancelExecution(force=True), None, ("QUEUED", "IN_PROGRESS")),
            (CancelExecution(force=False), None, ("QUEUED",)),
            (CancelExecution(force=True), ("IN_PROGRESS", "FAILED"), ("IN_PROGRESS",)),
            (CancelJob(force=True), None, ("QUEUED", "IN_PROGRESS")),
            (DeleteExecution(force=False), ("QUEUED", "FAILED"), ("FAILED",)),
        ],
    )
    def test_statuses_the_operation_changes(
        self,
        operation: Operation,
        statuses: tuple[str, ...] | None,
        expected: tuple[str, ...],
    ) -> None:
        """Force widens what changes; --status narrows it."""
        assert acted_statuses(operation, statuses) == expected

    def test_a_forced_delete_changes_every_status(self) -> None:
        """delete --force deletes executions in any status."""
        assert len(acted_statuses(DeleteExecution(force=True), None)) == 8


class TestTheBlastRadiusShown:
    def test_counts_by_status_and_what_changes(self) -> None:
        """The job's counts per status, and how many executions change at most."""
        lines = radius(at_most=37, jobs=(job(QUEUED=32, IN_PROGRESS=5, FAILED=3),)).lines()
        text = "\n".join(lines)
        assert "in eu-west-1" in lines[0]
        assert "32 QUEUED, 5 IN_PROGRESS, 3 FAILED" in text
        assert "up to 37 executions (QUEUED or IN_PROGRESS)" in text

    def test_given_targets_by_job_and_region(self) -> None:
        """Targets given outright are counted by job and region, singular when one."""
        text = "\n".join(radius(at_most=1, given=1, given_by_job={"fw-1": 1}).lines())
        assert "given: 1 target — by job: fw-1 1; by region: eu-west-1 1" in text
        assert "up to 1 execution " in text

    def test_cancel_job_counts_the_executions_aws_will_cancel(self) -> None:
        """cancel-job: the jobs, and the executions cancelled server-side."""
        shown = radius(
            operation=CancelJob(force=True),
            at_most=1,
            given=1,
            jobs=(job(QUEUED=71, IN_PROGRESS=95, SUCCEEDED=4),),
        )
        assert "1 job; 166 executions QUEUED or IN_PROGRESS canceled server-side" in "\n".join(
            shown.lines()
        )

    def test_an_unknown_size_says_so(self) -> None:
        """No count: the prompt says it is not known yet rather than guess."""
        assert "not known until the listing runs" in "\n".join(radius(at_most=None).lines())


class TestAcrossAccountsAndRegions:
    def test_the_prompt_counts_targets_per_account_and_region(self) -> None:
        """The header names the destinations; given targets are counted per account/region."""
        destinations = tuple(
            Destination(account=a, region=r)
            for a in ("111111111111", "222222222222")
            for r in ("us-east-1", "eu-west-1")
        )
        shown = BlastRadius(
            operation=CancelJob(force=True),
            region="us-east-1",
            endpoint_url=None,
            given=4,
            given_by_region={f"{d.account}/{d.region}": 1 for d in destinations},
            statuses=("QUEUED", "IN_PROGRESS"),
            at_most=4,
            destinations=destinations,
        ).lines()
        text = "\n".join(shown)
        assert "in 4 destinations: 2 accounts (111111111111, 222222222222) × 2 regions" in text
        assert "by account/region: 111111111111/us-east-1 1, 111111111111/eu-west-1 1" in text
        assert "a CancelJob per job and destination" in text


A, B, DENIED = "111111111111", "222222222222", "333333333333"
SPREAD = tuple(
    Destination(account=a, region=r) for a in (A, B, DENIED) for r in ("us-east-1", "eu-west-1")
)
REACHABLE = tuple(d for d in SPREAD if d.account != DENIED)
DENIED_HERE = UnreachableAccount(account=DENIED, code="AccessDenied", message="no", destinations=2)


def across(
    *,
    operation: Operation | None = None,
    at_most: int | None,
    per_destination: tuple[DestinationJobs, ...] = (),
    run_jobs: tuple[str, ...] = ("fw-1",),
    given: int = 0,
) -> BlastRadius:
    return BlastRadius(
        operation=operation or CancelExecution(force=True),
        region="us-east-1",
        endpoint_url=None,
        given=given,
        statuses=("QUEUED", "IN_PROGRESS"),
        at_most=at_most,
        destinations=SPREAD,
        run_jobs=run_jobs,
        per_destination=per_destination,
        unreachable=(DENIED_HERE,),
    )


def counted(queued: int, in_progress: int = 0) -> tuple[DestinationJobs, ...]:
    """DescribeJob's answer for fw-1 in each reachable destination, the n-th one
    ``queued + n`` QUEUED: no two alike, so a sum cannot come out right by chance."""
    return tuple(
        DestinationJobs(
            destination=d, jobs=(job(QUEUED=queued + n, IN_PROGRESS=in_progress, FAILED=7),)
        )
        for n, d in enumerate(REACHABLE)
    )


class TestTheAnswerAcrossDestinations:
    def test_an_unknown_size_needs_the_job_id_though_none_was_described(self) -> None:
        """Over many destinations the job the run names is the answer, described or not."""
        assert across(at_most=None).answer == "fw-1"

    def test_without_a_job_the_number_of_destinations_is_typed(self) -> None:
        """No job to name and no size known: never a plain "yes" — the reachable
        destinations are counted out instead."""
        found = across(at_most=None, run_jobs=())
        assert found.answer == str(len(REACHABLE))
        assert f'Type the number of destinations "{len(REACHABLE)}"' in found.question()

    def test_a_known_small_size_is_still_a_yes(self) -> None:
        """What DescribeJob counted everywhere decides, as in one destination."""
        assert across(at_most=TYPE_JOB_ID_ABOVE, per_destination=counted(1)).answer == "yes"


class TestCountsPerDestination:
    def test_each_reachable_destination_has_its_line(self) -> None:
        """DescribeJob's counts are shown per account/region."""
        text = "\n".join(across(at_most=50, per_destination=counted(3, 2)).lines())
        for n, d in enumerate(REACHABLE):
            assert f"{d.label}: {3 + n} QUEUED, 2 IN_PROGRESS, 7 FAILED" in text

    def test_the_unreachable_account_is_shown_and_not_counted(self) -> None:
        """The refused account says so; 'to change' counts the reachable destinations."""
        text = "\n".join(across(at_most=50, per_destination=counted(3)).lines())
        assert f"account {DENIED}: unreachable (AccessDenied), not counted" in text
        assert f"{DENIED}/us-east-1:" not in text
        assert f"in {len(REACHABLE)} reachable destinations" in text

    def test_cancel_job_sums_the_executions_of_every_destination(self) -> None:
        """cancel-job: the executions AWS cancels are the sum over the destinations."""
        per = counted(10, 4)
        total = sum(d.jobs[0].of(("QUEUED", "IN_PROGRESS")) for d in per)
        text = "\n".join(
            across(operation=CancelJob(force=True), at_most=len(per), per_destination=per).lines()
        )
        assert f"{total} executions QUEUED or IN_PROGRESS canceled server-side" in text

    def test_a_job_missing_somewhere_counts_nothing_there(self) -> None:
        """No such job in a destination: 0 there, said so, and the sum is still known."""
        per = counted(5)
        gone = DestinationJobs(destination=per[0].destination, missing=("fw-1",))
        shown = across(operation=CancelJob(), at_most=4, per_destination=(gone, *per[1:]))
        text = "\n".join(shown.lines())
        assert f"{per[0].destination.label}: no such job there" in text
        total = sum(d.jobs[0].active for d in per[1:])
        assert f"{total} executions QUEUED or IN_PROGRESS canceled" in text

    def test_an_uncounted_destination_makes_the_sum_unknown(self) -> None:
        """One destination that did not answer: its reason shown, no total claimed."""
        per = counted(5)
        slow = DestinationJobs(
            destination=per[0].destination, uncounted=(("fw-1", "did not answer in time"),)
        )
        text = "\n".join(
            across(operation=CancelJob(), at_most=4, per_destination=(slow, *per[1:])).lines()
        )
        assert "not counted (did not answer in time)" in text
        assert "executions QUEUED or IN_PROGRESS canceled" not in text
