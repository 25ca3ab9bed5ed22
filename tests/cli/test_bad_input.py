"""Bad input: a clear one-line error naming the problem, exit 2, nothing sent.

Each case runs the real entry point against a live simulator and checks its counters:
not a single request may reach it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulkjobs.cli import main
from bulkjobs.sim import ThreadedSimulator
from tests.cli.conftest import JOB

C = "cancel-job-execution"
D = "delete-job-execution"


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


# (id, argv builder, text expected in the error). The builder takes tmp_path.
CASES = [
    ("job-id-pattern", lambda t: [C, "--job-id", "bad job!", "--thing-name", "t"], "--job-id"),
    ("job-id-length", lambda t: [C, "--job-id", "j" * 65, "--thing-name", "t"], "at most 64"),
    ("thing-pattern", lambda t: [C, "--job-id", JOB, "--thing-name", "a/b"], "must match"),
    ("thing-length", lambda t: [C, "--job-id", JOB, "--thing-name", "t" * 129], "at most 128"),
    ("thing-empty", lambda t: [C, "--job-id", JOB, "--thing-name", ""], "at least 1"),
    (
        "status-details-11",
        lambda t: [
            C,
            "--job-id",
            JOB,
            "--thing-name",
            "t",
            "--status-details",
            ",".join(f"k{i}=v" for i in range(11)),
        ],
        "at most 10",
    ),
    (
        "status-details-key",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--status-details", "a.b=v"],
        "statusDetails key",
    ),
    (
        "status-details-control-char",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--status-details", 'k="a\x07b"'],
        "statusDetails[k]",
    ),
    (
        "status-details-shorthand",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--status-details", " k = v "],
        "AWS CLI shorthand",
    ),
    (
        "expected-version-text",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--expected-version", "v1"],
        "--expected-version",
    ),
    (
        "execution-number-text",
        lambda t: [D, "--job-id", JOB, "--thing-name", "t", "--execution-number", "x"],
        "--execution-number",
    ),
    (
        "namespace-pattern",
        lambda t: [D, "--job-id", JOB, "--thing-name", "t", "--namespace-id", "a b"],
        "namespaceId",
    ),
    (
        "reason-code",
        lambda t: ["cancel-job", "--job-id", JOB, "--reason-code", "lower"],
        "reasonCode",
    ),
    (
        "comment-too-long",
        lambda t: ["cancel-job", "--job-id", JOB, "--comment", "c" * 2029],
        "at most 2028",
    ),
    ("unknown-status", lambda t: [C, "--job-id", JOB, "--from-job", "--status", "DONE"], "DONE"),
    (
        "bad-age",
        lambda t: [D, "--job-id", JOB, "--from-job", "--older-than", "30y"],
        "--older-than",
    ),
    (
        "bad-deadline",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--deadline", "later"],
        "--deadline",
    ),
    ("bad-rate", lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--rate", "-3"], "--rate"),
    ("missing-file", lambda t: [C, "--job-id", JOB, "--things-file", "/nonexistent/x"], "no such"),
    (
        "empty-file",
        lambda t: [C, "--job-id", JOB, "--things-file", write(t, "empty.txt", "")],
        "empty.txt",
    ),
    (
        "binary-garbage",
        lambda t: [
            C,
            "--job-id",
            JOB,
            "--things-file",
            write(t, "g.txt", b"\xff\xfe\x00\x81" * 64),
        ],
        "g.txt:1",
    ),
    (
        "bad-line-3",
        lambda t: [C, "--job-id", JOB, "--things-file", write(t, "t.txt", "a\nb\nno good\nc\n")],
        "t.txt:3",
    ),
    (
        "jsonl-unparseable",
        lambda t: [
            C,
            "--things-file",
            write(t, "t.jsonl", '{"jobId": "j", "thingName": "a"}\n{oops\n'),
        ],
        "t.jsonl:2",
    ),
    (
        "csv-unknown-column",
        lambda t: [
            C,
            "--job-id",
            JOB,
            "--things-file",
            write(t, "t.csv", "thingName,colour\na,red\n"),
        ],
        "colour",
    ),
    (
        "jsonl-version-not-number",
        lambda t: [
            C,
            "--things-file",
            write(t, "v.jsonl", '{"jobId": "j", "thingName": "a", "expectedVersion": "x"}\n'),
        ],
        "v.jsonl:1",
    ),
    ("no-targets", lambda t: [C, "--job-id", JOB], "targets"),
    ("thing-without-job", lambda t: [C, "--thing-name", "t"], "--job-id"),
    (
        "unwritable-report",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--report", write(t, "f", "x") + "/r"],
        "--report",
    ),
    (
        "input-json-unknown-key",
        lambda t: [C, "--cli-input-json", json.dumps({"jobId": JOB, "thingNam": "t"})],
        "thingNam",
    ),
    (
        "input-json-file-missing",
        lambda t: [C, "--cli-input-json", "file:///nonexistent/in.json"],
        "--cli-input-json",
    ),
    (
        "input-json-bad-type",
        lambda t: [C, "--cli-input-json", json.dumps({"jobId": JOB, "thingName": "t", "force": 1})],
        "force",
    ),
    (
        "resume-without-journal",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--resume"],
        "--resume",
    ),
    (
        "recursive-without-group",
        lambda t: [C, "--job-id", JOB, "--thing-name", "t", "--recursive"],
        "--recursive",
    ),
]


@pytest.mark.parametrize(("build", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_any_request(
    build: object,
    expected: str,
    sim: ThreadedSimulator,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Exit 2, the problem named on stderr, zero requests at the server."""
    argv = build(tmp_path)  # type: ignore[operator]
    code = main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1", "--yes"])
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err, err
    first = err.splitlines()[0]
    assert first.startswith("bulkjobs: error: ")
    assert sim.statistics().total_requests == 0


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Unknown options are argparse usage errors: exit 2."""
    with pytest.raises(SystemExit) as caught:
        main(["cancel-job-execution", "--job-id", JOB, "--no-such-flag"])
    assert caught.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
