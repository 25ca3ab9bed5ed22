"""Destinations with an account, the role to assume, and the per-destination tally."""

from __future__ import annotations

import pytest

from bulkjobs import AssumeRole, ConfigurationError, Destination, InvalidInputError, Target
from bulkjobs._bydestination import DestinationTally
from bulkjobs._models import Outcome, Result
from bulkjobs._roles import default_session_name

A = "111111111111"


class TestDestination:
    @pytest.mark.parametrize(
        ("destination", "label"),
        [
            (Destination(), "default"),
            (Destination(region="eu-west-1"), "eu-west-1"),
            (Destination(account=A, region="eu-west-1"), f"{A}/eu-west-1"),
            (Destination(account=A), f"{A}/default"),
        ],
    )
    def test_labels(self, destination: Destination, label: str) -> None:
        """The region alone in the caller's account; account/region otherwise."""
        assert destination.label == label

    @pytest.mark.parametrize(
        ("own", "default", "resolved"),
        [
            (
                Destination(),
                Destination(account=A, region="r-1"),
                Destination(account=A, region="r-1"),
            ),
            (
                Destination(region="eu-west-1"),
                Destination(account=A, region="r-1"),
                Destination(account=A, region="eu-west-1"),
            ),
            (
                Destination(account=A),
                Destination(region="r-1"),
                Destination(account=A, region="r-1"),
            ),
            (
                Destination(region="eu-west-1"),
                Destination(region="r-1"),
                Destination(region="eu-west-1"),
            ),
        ],
    )
    def test_resolve_fills_each_unset_field(
        self, own: Destination, default: Destination, resolved: Destination
    ) -> None:
        assert own.resolve(default) == resolved

    def test_json_round_trip(self) -> None:
        """What results.jsonl and the journal carry comes back the same."""
        for destination in (Destination(), Destination(account=A, region="eu-west-1")):
            assert Destination.from_json(destination.to_json()) == destination

    def test_the_account_is_part_of_the_identity(self) -> None:
        """The same thing in two accounts: two targets (journal, de-duplication)."""
        one = Target(job_id="j", thing_name="t", account=A, region="us-east-1")
        two = Target(job_id="j", thing_name="t", account="222222222222", region="us-east-1")
        assert one.key != two.key

    def test_a_contradicting_shorthand_is_refused(self) -> None:
        with pytest.raises(ConfigurationError):
            Target(
                job_id="j",
                thing_name="t",
                account=A,
                destination=Destination(account="222222222222"),
            )


class TestAssumeRole:
    def test_named_builds_the_template(self) -> None:
        role = AssumeRole.named("OrganizationAccountAccessRole")
        assert role.arn(A) == f"arn:aws:iam::{A}:role/OrganizationAccountAccessRole"

    @pytest.mark.parametrize(
        ("settings", "field"),
        [
            ({"role_arn": "arn:aws:iam::111111111111:role/X"}, "roleArn"),
            ({"role_arn": "arn:aws:iam::{account}:user/X"}, "roleArn"),
            (
                {"role_arn": "arn:aws:iam::{account}:role/X", "duration_seconds": 899},
                "durationSeconds",
            ),
            (
                {"role_arn": "arn:aws:iam::{account}:role/X", "duration_seconds": 43_201},
                "durationSeconds",
            ),
            (
                {"role_arn": "arn:aws:iam::{account}:role/X", "session_name": "a b"},
                "roleSessionName",
            ),
            ({"role_arn": "arn:aws:iam::{account}:role/X", "external_id": "x"}, "externalId"),
        ],
    )
    def test_broken_rules_are_invalid_input(self, settings: dict[str, object], field: str) -> None:
        with pytest.raises(InvalidInputError) as caught:
            AssumeRole(**settings)  # type: ignore[arg-type]
        assert [issue.field for issue in caught.value.issues] == [field]

    def test_the_external_id_stays_out_of_repr(self) -> None:
        role = AssumeRole.named("R", external_id="very-secret-id")
        assert "very-secret-id" not in repr(role)
        assert role.extra_args()["ExternalId"] == "very-secret-id"

    @pytest.mark.parametrize(
        ("user", "name"), [("ops", "bulkjobs-ops"), ("a b/c", "bulkjobs-a-b-c")]
    )
    def test_the_default_session_name_names_tool_and_user(self, user: str, name: str) -> None:
        assert default_session_name(user) == name
        assert len(default_session_name("x" * 100)) == 64


class TestDestinationTally:
    def test_one_row_per_destination(self) -> None:
        """Outcomes, throttles and the rate measured from the run's start."""
        tally = DestinationTally(started=100.0)
        for n in range(4):
            target = Target(job_id="j", thing_name=f"t{n}", account=A, region="us-east-1")
            tally.add(
                Result(
                    target=target,
                    operation="cancel-job-execution",
                    outcome=Outcome.CANCELED,
                    attempts=2,
                    throttles=1,
                    started_at=100.0,
                    finished_at=100.0 + (n + 1) / 2,
                )
            )
        (row,) = tally.to_json()
        assert (row["account"], row["region"]) == (A, "us-east-1")
        assert row["outcomes"] == {"canceled": 4} and row["throttles"] == 4
        assert row["achievedRatePerSecond"] == 2.0
