"""Options are validated, merged with --cli-input-json, and turned into a run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulkjobs import CancelExecution, CancelJob, DeleteExecution, InvalidInputError, Outcome
from bulkjobs._report import Report
from bulkjobs.cli._confirm import _listings
from bulkjobs.cli._inputs import apply_cli_input, skeleton
from bulkjobs.cli._options import Options, parse_duration, resolve
from bulkjobs.cli._parser import build_parser


def parse(*argv: str) -> Options:
    args = build_parser().parse_args(list(argv))
    apply_cli_input(args)
    return resolve(args)


def issues_of(*argv: str) -> list[str]:
    with pytest.raises(InvalidInputError) as caught:
        parse(*argv)
    return [str(issue) for issue in caught.value.issues]


class TestDurations:
    @pytest.mark.parametrize(
        ("text", "seconds"),
        [("90", 90), ("90s", 90), ("15m", 900), ("1h30m", 5400), ("2d", 172800), ("0.5s", 0.5)],
    )
    def test_accepted(self, text: str, seconds: float) -> None:
        """Durations in s/m/h/d, combined or bare seconds."""
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize("text", ["", "0", "-5", "15x", "m15", "1h 30m", "soon"])
    def test_rejected(self, text: str) -> None:
        """Anything else is a ValueError with the accepted forms."""
        with pytest.raises(ValueError, match=r"duration|positive"):
            parse_duration(text)


class TestOperations:
    def test_cancel_execution_options(self) -> None:
        """Options map onto CancelExecution with the API's meanings."""
        opts = parse(
            "cancel-job-execution",
            "--job-id",
            "fw-1",
            "--thing-name",
            "t1",
            "--force",
            "--expected-version",
            "fresh",
            "--status-details",
            "reason=bad build,ticket=OPS-1",
        )
        assert opts.operation == CancelExecution(
            force=True,
            expected_version="fresh",
            status_details={"reason": "bad build", "ticket": "OPS-1"},
        )
        assert opts.thing_names == ("t1",)

    def test_status_details_as_json(self) -> None:
        """--status-details also takes a JSON object, as the AWS CLI does."""
        opts = parse(
            "cancel-job-execution",
            "--job-id",
            "j",
            "--thing-name",
            "t",
            "--status-details",
            '{"a": "b"}',
        )
        assert isinstance(opts.operation, CancelExecution)
        assert opts.operation.status_details == {"a": "b"}

    def test_delete_options(self) -> None:
        """--execution-number and --namespace-id reach DeleteExecution and targets."""
        opts = parse(
            "delete-job-execution",
            "--job-id",
            "j",
            "--thing-name",
            "t",
            "--execution-number",
            "3",
            "--namespace-id",
            "ns1",
        )
        assert opts.operation == DeleteExecution(namespace_id="ns1")
        assert opts.execution_number == 3

    @pytest.mark.parametrize(
        ("source", "named"),
        [
            (["--things-file", "-"], "--things-file"),
            (["--from-job"], "--from-job"),
            (["--thing-group", "g"], "--thing-group"),
            (["--thing-name", "t", "--from-thing", "t2"], "--from-thing"),
        ],
    )
    def test_execution_number_is_refused_where_it_would_not_apply(
        self, source: list[str], named: str
    ) -> None:
        """--execution-number sets --thing-name targets' number; beside a file or a
        listing it is refused by name rather than silently left out of their targets."""
        found = issues_of(
            "delete-job-execution", "--job-id", "j", "--execution-number", "1", *source
        )
        assert any(
            "--execution-number: applies to --thing-name targets only" in text
            and f"not to {named}:" in text
            for text in found
        ), found

    def test_cancel_job_takes_many_jobs(self) -> None:
        """cancel-job repeats --job-id."""
        opts = parse("cancel-job", "--job-id", "a", "--job-id", "b", "--reason-code", "BAD_FW")
        assert opts.job_ids == ("a", "b")
        assert opts.operation == CancelJob(reason_code="BAD_FW")

    def test_rate_and_report(self, tmp_path: Path) -> None:
        """--rate N fixes the rate; --report DIR journals there."""
        opts = parse(
            "cancel-job-execution",
            "--job-id",
            "j",
            "--thing-name",
            "t",
            "--rate",
            "25",
            "--report",
            str(tmp_path / "r"),
        )
        assert opts.config.rate == 25
        assert opts.journal == tmp_path / "r" / "journal.jsonl"
        assert not (tmp_path / "r").exists()  # validating creates nothing


class TestInvalidOptions:
    @pytest.mark.parametrize(
        ("argv", "expected"),
        [
            (["--job-id", "bad job", "--thing-name", "t"], "--job-id: must match [a-zA-Z0-9_-]+"),
            (["--job-id", "j", "--thing-name", "x" * 129], "must be at most 128 characters"),
            (["--job-id", "j", "--thing-name", "ok", "--thing-name", "no/slash"], "--thing-name:2"),
            (["--job-id", "j", "--thing-name", "t", "--rate", "fast"], "--rate"),
            (["--job-id", "j", "--thing-name", "t", "--rate", "0"], "--rate"),
            (["--job-id", "j", "--thing-name", "t", "--expected-version", "v2"], "integer"),
            (["--job-id", "j", "--thing-name", "t", "--status-details", "novalue"], "key=value"),
            (["--thing-name", "t"], "--job-id: is required"),
            (["--job-id", "j"], "targets: give"),
            (["--job-id", "j", "--thing-name", "t", "--deadline", "soon"], "--deadline"),
            (["--job-id", "j", "--from-job", "--status", "DONE"], "--status: must be one of"),
            (["--job-id", "j", "--thing-name", "t", "--status", "QUEUED"], "listing sources"),
            (["--job-id", "j", "--from-job", "--older-than", "30x"], "--older-than"),
            (["--job-id", "j", "--thing-name", "t", "--resume"], "--resume: needs"),
            (["--job-id", "j", "--things-file", "/nonexistent/x.txt"], "no such file"),
        ],
    )
    def test_each_problem_is_named(self, argv: list[str], expected: str) -> None:
        """Each broken rule is reported with the option (and position) that broke it."""
        found = issues_of("cancel-job-execution", *argv)
        assert any(expected in text for text in found), found

    def test_too_many_status_details(self) -> None:
        """More than 10 statusDetails pairs break the API's limit."""
        details = ",".join(f"k{i}=v" for i in range(11))
        found = issues_of(
            "cancel-job-execution",
            "--job-id",
            "j",
            "--thing-name",
            "t",
            "--status-details",
            details,
        )
        assert any("at most 10" in text for text in found)

    def test_reason_code_pattern(self) -> None:
        """reasonCode must be uppercase letters, digits and underscores."""
        found = issues_of("cancel-job", "--job-id", "j", "--reason-code", "bad-code")
        assert any("reasonCode" in text for text in found)


class TestRepeatedOptions:
    def test_status_details_are_merged(self) -> None:
        """--status-details twice: both pairs are sent, none dropped."""
        opts = parse(
            "cancel-job-execution", "--job-id", "j", "--thing-name", "t",
            "--status-details", "k0=v", "--status-details", '{"k1": "w"}',
        )  # fmt: skip
        assert isinstance(opts.operation, CancelExecution)
        assert opts.operation.status_details == {"k0": "v", "k1": "w"}

    def test_one_key_with_two_values_is_refused(self) -> None:
        """Merging cannot pick between two values of one key: it says so."""
        found = issues_of(
            "cancel-job-execution", "--job-id", "j", "--thing-name", "t",
            "--status-details", "k=a", "--status-details", "k=b",
        )  # fmt: skip
        assert any("--status-details" in i and "'k' given twice" in i for i in found)

    @pytest.mark.parametrize(
        "argv",
        [
            ["--rate", "5", "--rate", "6"],
            ["--region", "eu-west-1", "--region", "us-east-1"],
            ["--report", "a", "--report", "b"],
            ["--job-id", "j2"],
            ["--force", "--no-force"],
        ],
    )
    def test_other_repeats_are_refused(
        self, argv: list[str], capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A single-value option given twice with different values stops with exit 2."""
        with pytest.raises(SystemExit) as caught:
            parse("cancel-job-execution", "--job-id", "j", "--thing-name", "t", *argv)
        assert caught.value.code == 2
        err = capsys.readouterr().err
        assert "given twice" in err or "contradicts" in err

    def test_the_same_value_twice_is_harmless(self) -> None:
        """Nothing is dropped when both say the same."""
        opts = parse("cancel-job-execution", "--job-id", "j", "--thing-name", "t",
                     "--rate", "5", "--rate", "5")  # fmt: skip
        assert opts.config.rate == 5


class TestCliInput:
    def test_json_fills_what_flags_leave_out(self) -> None:
        """--cli-input-json supplies the API's parameter names; flags given win."""
        document = json.dumps(
            {"jobId": "from-json", "thingName": ["a", "b"], "force": True, "rate": 5}
        )
        opts = parse("cancel-job-execution", "--cli-input-json", document, "--job-id", "from-flag")
        assert opts.job_id == "from-flag"
        assert opts.thing_names == ("a", "b")
        assert opts.operation.force is True
        assert opts.config.rate == 5

    def test_yaml_from_a_file(self, tmp_path: Path) -> None:
        """--cli-input-yaml file://PATH works as the AWS CLI's does."""
        path = tmp_path / "in.yaml"
        path.write_text("jobId: j\nthingName: t\nexpectedVersion: 3\n")
        opts = parse("cancel-job-execution", "--cli-input-yaml", f"file://{path}")
        assert isinstance(opts.operation, CancelExecution)
        assert opts.operation.expected_version == 3

    @pytest.mark.parametrize(
        ("document", "expected"),
        [
            ('{"jobId": "j", "thingName": "t", "bogus": 1}', "bogus: unknown parameter"),
            ('{"jobId": 5, "thingName": "t"}', "jobId: must be string"),
            ('{"jobId": "j", "thingName": "t", "force": "yes"}', "force: must be bool"),
            ('{"jobId": "j", ', "unparseable"),
            ("[1, 2]", "must be an object"),
        ],
    )
    def test_bad_input_documents(self, document: str, expected: str) -> None:
        """Unknown keys, wrong types and broken JSON are named."""
        found = issues_of("cancel-job-execution", "--cli-input-json", document)
        assert any(expected in text for text in found), found


COMMANDS = ["cancel-job-execution", "delete-job-execution", "cancel-job"]
PLACEHOLDERS = ("", [""], {"KeyName": ""})


class TestSkeletons:
    @pytest.mark.parametrize("command", COMMANDS)
    def test_unedited_placeholders_are_refused_by_name(self, command: str) -> None:
        """Every placeholder left in is refused, naming its key; nothing else is wrong."""
        document = json.loads(skeleton(command, "input"))
        placeholders = {key for key, value in document.items() if value in PLACEHOLDERS}
        assert {"jobId"} <= placeholders
        found = issues_of(command, "--cli-input-json", json.dumps(document))
        assert len(found) == len(placeholders), found
        for key in placeholders:
            assert any(f" {key}: still holds the skeleton's placeholder" in t for t in found)

    @pytest.mark.parametrize(
        ("command", "filled", "argv"),
        [
            (
                "cancel-job-execution",
                {"jobId": "j", "fromJob": True, "force": True},
                ["--job-id", "j", "--from-job", "--force"],
            ),
            (
                "delete-job-execution",
                {"jobId": "j", "thingName": "t"},
                ["--job-id", "j", "--thing-name", "t"],
            ),
            ("cancel-job", {"jobId": "j"}, ["--job-id", "j"]),
        ],
    )
    def test_sample_values_never_narrow_a_run(
        self, command: str, filled: dict[str, object], argv: list[str]
    ) -> None:
        """The skeleton's non-placeholder samples are the defaults: a skeleton with only
        the wanted keys filled runs exactly as the same options given on the command
        line (no sample status narrows a listing, no sample version guards a cancel)."""
        document = json.loads(skeleton(command, "input"))
        kept = {k: v for k, v in document.items() if v not in PLACEHOLDERS}
        kept.update(filled)
        from_skeleton = parse(command, "--cli-input-json", json.dumps(kept))
        assert from_skeleton == parse(command, *argv)
        if command == "cancel-job-execution":
            assert from_skeleton.statuses is None

    @pytest.mark.parametrize("command", COMMANDS)
    def test_output_skeleton_is_the_commands_own(self, command: str) -> None:
        """--generate-cli-skeleton output names the command and the outcomes it can end
        a target in, with the keys summary.json has."""
        document = json.loads(skeleton(command, "output"))
        assert document["operation"] == command
        outcomes = set(document["outcomes"])
        assert outcomes <= {o.value for o in Outcome}
        done = {"deleted"} if command == "delete-job-execution" else {"canceled"}
        assert {o for o in outcomes if Outcome(o).kind.value == "done"} == done
        assert set(document["kinds"]) == {Outcome(o).kind.value for o in outcomes}
        report = Report(
            operation=command,
            total=0,
            outcomes={},
            kinds={},
            error_codes={},
            attempts=0,
            throttles=0,
            carried=0,
            latency_ms={},
            wall_time=1.0,
            achieved_rate=0.0,
            timeline=[],
        )
        assert set(document) == set(report.to_json())


class TestQueryOptions:
    def test_query_and_index_name(self) -> None:
        """--query and --index-name reach the options; AWS_Things is the default index."""
        opts = parse("cancel-job-execution", "--job-id", "j", "--query", "attributes.hwRev:B2")
        assert (opts.query, opts.index_name, opts.has_listing) == (
            "attributes.hwRev:B2",
            "AWS_Things",
            True,
        )
        other = parse(
            "delete-job-execution", "--job-id", "j", "--query", "*", "--index-name", "Custom_1"
        )
        assert other.index_name == "Custom_1"

    def test_the_prompt_names_the_query_bounded_by_the_job(self) -> None:
        """The confirmation describes the query; the job's count bounds what it changes."""
        opts = parse("cancel-job-execution", "--job-id", "j", "--query", "attributes.hwRev:B2")
        described, size = _listings(opts, 40, spread=1, across=False)
        assert described == (
            "the executions of job j on the things fleet indexing (AWS_Things) finds for "
            "'attributes.hwRev:B2', listed as the run goes",
        )
        assert size == 40
