"""The public surface keeps its promises: one error root, public types, honest docs."""

from __future__ import annotations

import ast
import inspect
import re
import typing
from pathlib import Path
from typing import Any

import pytest

import bulkjobs
from bulkjobs import (
    ConfigurationError,
    Destination,
    InvalidInputError,
    Result,
    RunConfig,
    S3Location,
    Target,
)

ROOT = Path(__file__).resolve().parent.parent


class TestRunConfigErrors:
    @pytest.mark.parametrize(
        "settings",
        [
            {"base_delay": 5.0, "max_delay": 1.0},
            {"max_conflict_retries": -1},
            {"max_attempts": 0},
            {"concurrency": 0},
            {"concurrency": 2.5},
            {"retry_budget_ratio": -0.1},
            {"retry_budget_floor": -1},
            {"connect_timeout": 0},
            {"read_timeout": -1},
            {"grace_period": -1},
            {"abort_min_executed": -1},
            {"base_delay": float("nan")},
            {"rate": 0},
            {"deadline": 0},
            {"abort_failed_percent": 101},
        ],
    )
    def test_impossible_settings_raise_configuration_error(self, settings: dict[str, Any]) -> None:
        """Caught at construction, inside the one root: never a ValueError from deeper."""
        with pytest.raises(ConfigurationError):
            RunConfig(**settings)

    def test_the_defaults_are_valid(self) -> None:
        """The defaults build, and their destination is the default one."""
        assert RunConfig().destination == Destination()


class TestErrorRoot:
    def test_every_exported_exception_is_raised_somewhere(self) -> None:
        """An exported exception nobody raises would be a promise the library breaks."""
        exported = {
            name
            for name in bulkjobs.__all__
            if isinstance(getattr(bulkjobs, name), type)
            and issubclass(getattr(bulkjobs, name), BaseException)
        }
        raised: set[str] = set()
        for path in (ROOT / "bulkjobs").rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Raise) and node.exc is not None:
                    call = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                    if isinstance(call, ast.Name):
                        raised.add(call.id)
        assert exported - {"BulkJobsError"} <= raised, exported - raised

    @pytest.mark.parametrize(
        ("url", "prefix", "rule"),
        [
            ("bucket/key", False, "must start with s3://"),
            ("s3://Bad_Bucket/key", False, "not an S3 bucket name"),
            ("s3://a..b/key", False, "not an S3 bucket name"),
            ("s3://bucket/", False, "must name an object"),
            ("s3://bucket/folder/", False, "must name an object"),
            ("http://bucket/prefix/", True, "must start with s3://"),
        ],
    )
    def test_a_malformed_s3_url_is_a_configuration_error(
        self, url: str, prefix: bool, rule: str
    ) -> None:
        """S3Location.parse names the URL and the rule; :meth:`problem` the rule alone."""
        with pytest.raises(ConfigurationError, match=re.escape(url)) as caught:
            S3Location.parse(url, prefix=prefix)
        assert rule in str(caught.value)
        assert rule in (S3Location.problem(url, prefix=prefix) or "")

    def test_a_well_formed_s3_url_parses(self) -> None:
        """A prefix gains its trailing slash; an object keeps its key."""
        assert S3Location.problem("s3://bucket/runs/one", prefix=True) is None
        assert str(S3Location.parse("s3://bucket/runs/one", prefix=True)) == "s3://bucket/runs/one/"
        assert S3Location.parse("s3://bucket/m.csv").key == "m.csv"

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({}, "jobId"),
            ({"jobId": "j", "outcome": "canceled"}, "operation"),
            ({"jobId": "j", "operation": "cancel-job-execution", "outcome": "gone"}, "outcome"),
            (
                {"jobId": "j", "operation": "x", "outcome": "canceled", "attempts": "many"},
                "attempts",
            ),
            ([], "line"),
        ],
    )
    def test_a_malformed_result_line_is_invalid_input(self, data: Any, field: str) -> None:
        """Not a KeyError or ValueError from inside: the field that is wrong is named."""
        with pytest.raises(InvalidInputError) as caught:
            Result.from_json(data)
        assert [issue.field for issue in caught.value.issues] == [field]


def _classes_in(annotation: Any) -> set[type]:
    found: set[type] = set()
    if isinstance(annotation, type):
        found.add(annotation)
    for arg in typing.get_args(annotation):
        found |= _classes_in(arg)
    origin = typing.get_origin(annotation)
    if isinstance(origin, type):
        found.add(origin)
    return found


def _public_callables() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name in bulkjobs.__all__:
        value = getattr(bulkjobs, name)
        if inspect.isfunction(value):
            found.append((name, value))
        elif isinstance(value, type):
            for attr, member in vars(value).items():
                if attr.startswith("_") or not inspect.isfunction(member):
                    continue
                found.append((f"{name}.{attr}", member))
    return found


class TestPublicTypes:
    @pytest.mark.parametrize(("name", "function"), _public_callables())
    def test_public_calls_return_public_types(self, name: str, function: Any) -> None:
        """What a public call returns is itself in ``bulkjobs.__all__`` (or not ours)."""
        hints = typing.get_type_hints(function, vars(inspect.getmodule(function)))
        ours = {
            cls for cls in _classes_in(hints.get("return")) if cls.__module__.startswith("bulkjobs")
        }
        private = {cls.__name__ for cls in ours if cls.__name__ not in bulkjobs.__all__}
        assert not private, f"{name} returns {private}"


class TestDestination:
    def test_region_is_shorthand_for_a_destination(self) -> None:
        """``region=`` builds the same target as ``destination=Destination(region=)``."""
        west = Destination(region="eu-west-1")
        assert Target(job_id="j", region="eu-west-1") == Target(job_id="j", destination=west)
        assert Target(job_id="j").destination == Destination()

    def test_a_contradiction_is_refused(self) -> None:
        """Two different answers to "where" are an error, not a guess."""
        with pytest.raises(ConfigurationError):
            Target(job_id="j", region="us-east-1", destination=Destination(region="eu-west-1"))

    def test_destination_is_part_of_the_key(self) -> None:
        """The same execution at two destinations is two targets."""
        a = Target(job_id="j", thing_name="t", region="eu-west-1")
        assert a.key != Target(job_id="j", thing_name="t").key

    def test_survives_the_journal(self) -> None:
        """results.jsonl and the journal carry the destination's fields, and read back."""
        result = Result(
            target=Target(job_id="j", thing_name="t", region="eu-west-1"),
            operation="cancel-job-execution",
            outcome=bulkjobs.Outcome.CANCELED,
        )
        line = result.to_json()
        assert line["region"] == "eu-west-1"
        assert Result.from_json(line).target == result.target


_CITATION = re.compile(r"DESIGN\.md|\b[Ii]ssues? #?\d+")


def test_comments_cite_nothing_outside_the_repository() -> None:
    """Docs and comments point at what a reader of the repository can open."""
    offenders = []
    for folder in ("bulkjobs", "benchmarks", "examples", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == Path(__file__).name:
                continue
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if _CITATION.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


_OPERATIONS = r"(?:CancelExecution|DeleteExecution|CancelJob|DeleteJob)"
_NAMES = r'"(?:cancel|delete)-job(?:-execution)?"|"(?:Cancel|Delete)Job(?:Execution)?"'
_OPERATION_BRANCH = re.compile(
    rf"isinstance\([^)]*\b{_OPERATIONS}\b"
    rf"|\bcase\s+{_OPERATIONS}\b|\|\s*{_OPERATIONS}\("
    rf"|(?:==|!=)\s*(?:{_NAMES})|(?:{_NAMES})\s*(?:==|!=)"
    rf"|\btype\([^)]*\)\s*(?:is|==)"
)
#: Where each operation's facts and calls live, one entry per operation type.
_TABLES = ("_models.py", "_flows.py")


def test_operations_carry_their_own_facts() -> None:
    """Code asks the operation (``whole_job``, ``acted_statuses``, ``destructive``,
    ``action``, …); the tables in the models and the flows hold what differs. No
    ``isinstance``, ``match`` or ``==`` on an operation's type or name anywhere else.
    (The parser builds each command's options by its name, which is no branch on the
    operation.)"""
    offenders = []
    for path in (ROOT / "bulkjobs").rglob("*.py"):
        if "sim" in path.parts or path.name in (*_TABLES, "_parser.py"):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _OPERATION_BRANCH.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize(
    "line",
    [
        "if isinstance(op, DeleteJob):",
        "destructive = force or isinstance(operation, (CancelJob, DeleteExecution))",
        "    case CancelExecution(force=force):",
        "    case DeleteExecution(namespace_id=ns) | DeleteJob(namespace_id=ns):",
        'if opts.operation.name == "delete-job":',
        'if "cancel-job-execution" != command:',
        'elif api == "DeleteJobExecution":',
        "if type(operation) is CancelJob:",
    ],
)
def test_the_check_sees_each_kind_of_branch(line: str) -> None:
    """The pattern above catches every form such a branch takes."""
    assert _OPERATION_BRANCH.search(line)


def test_every_operation_states_its_facts() -> None:
    """The facts the prompt, the plan and the session read, for every operation."""
    for op in (
        bulkjobs.CancelExecution(force=True),
        bulkjobs.DeleteExecution(),
        bulkjobs.CancelJob(force=True),
        bulkjobs.DeleteJob(),
    ):
        assert op.acted_statuses and set(op.acted_statuses) <= set(bulkjobs.JobCounts.STATUSES)
        assert op.action and op.consequence and op.past in ("canceled", "deleted")
        assert isinstance(op.destructive, bool)
    # Deleting a job is destructive even without force; a plain cancel is not.
    assert bulkjobs.DeleteJob().destructive and not bulkjobs.CancelExecution().destructive
