"""S3 everywhere a path goes: manifests in, reports out, resume across invocations.

moto's S3 on loopback (AWS_ENDPOINT_URL_S3, as any SDK honours it) and the simulator for
the IoT calls, through the real ``main(argv)``.
"""

from __future__ import annotations

import importlib.util
import json
import math
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest

from bulkjobs import _s3 as s3_module
from bulkjobs._exceptions import ConfigurationError
from bulkjobs._report import ResultsWriter
from bulkjobs._s3 import JOURNAL_PREFIX, S3Location, S3Store, s3_client
from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, ThreadedSimulator
from tests.cli.conftest import JOB, statuses
from tests.report.pages import count, figures, render

BUCKET = "fleet-ops"


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A bucket in moto's S3, which every SDK client of the test process reaches."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client


def run(sim: ThreadedSimulator, *argv: str) -> int:
    return main([*argv, "--endpoint-url", sim.endpoint_url, "--region", "us-east-1", "-q"])


def put(s3: Any, key: str, text: str) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=text.encode())
    return f"s3://{BUCKET}/{key}"


def read(s3: Any, key: str) -> str:
    body: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return body.decode()


def keys(s3: Any, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def manifest(names: list[str]) -> str:
    return "\n".join(["thingName,jobId", *(f"{n},{JOB}" for n in names)]) + "\n"


def queued(sim: ThreadedSimulator) -> list[str]:
    return sorted(n for n, s in statuses(sim).items() if s is ExecutionStatus.QUEUED)


class TestManifestInS3:
    def test_a_csv_manifest_is_read_and_run(self, sim: ThreadedSimulator, s3: Any) -> None:
        """--things-file s3://bucket/key: the CSV's things are cancelled."""
        names = queued(sim)[:8]
        url = put(s3, "manifests/fw.csv", manifest(names))
        assert run(sim, "cancel-job-execution", "--things-file", url) == 0
        assert all(statuses(sim)[n] is ExecutionStatus.CANCELED for n in names)

    @pytest.mark.parametrize(
        ("key", "lines"),
        [
            ("manifests/fw.jsonl", lambda n: json.dumps({"thingName": n, "jobId": JOB})),
            ("manifests/fw.txt", lambda n: n),
        ],
        ids=["jsonl", "lines"],
    )
    def test_json_lines_and_plain_lines_are_read_by_extension(
        self, sim: ThreadedSimulator, s3: Any, key: str, lines: Any
    ) -> None:
        """An object's extension picks its format, as a local file's does: .jsonl is
        JSON Lines; .txt is sniffed from its first line (here thing names)."""
        before = queued(sim)
        names = before[:5]
        url = put(s3, key, "".join(lines(n) + "\n" for n in names))
        argv = ["cancel-job-execution", "--things-file", url, "--job-id", JOB]
        assert run(sim, *argv) == 0
        assert all(statuses(sim)[n] is ExecutionStatus.CANCELED for n in names)
        assert queued(sim) == before[5:]

    def test_a_batch_operations_manifest_without_a_header(
        self, sim: ThreadedSimulator, s3: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Rows of thingName,jobId with no header, as S3 Batch Operations keeps them: as
        a CSV the first row is refused as a header naming no column (exit 2, nothing
        sent, the way out named); with --input-format csv-noheader every row is run."""
        names = queued(sim)[:6]
        url = put(s3, "manifests/batch-ops.csv", "".join(f"{n},{JOB}\n" for n in names))
        before = sim.statistics().mutating_requests
        assert run(sim, "cancel-job-execution", "--things-file", url) == 2
        err = capsys.readouterr().err
        assert f"{url}:1: header" in err and "--input-format csv-noheader" in err
        assert sim.statistics().mutating_requests == before
        argv = ["cancel-job-execution", "--things-file", url, "--input-format", "csv-noheader"]
        assert run(sim, *argv) == 0
        assert sim.statistics().mutating_requests - before == len(names)
        assert all(statuses(sim)[n] is ExecutionStatus.CANCELED for n in names)

    @pytest.mark.parametrize("input_format", ["auto", "csv-noheader"])
    def test_a_manifest_of_s3_objects_is_refused_as_such(
        self,
        sim: ThreadedSimulator,
        s3: Any,
        capsys: pytest.CaptureFixture[str],
        input_format: str,
    ) -> None:
        """bucket,key rows (Batch Operations' manifest of objects): exit 2, nothing sent,
        the message saying it lists S3 objects rather than things."""
        rows = "fleet-ops,firmware/fw-1.bin\nfleet-ops,firmware/fw-2.bin\n"
        url = put(s3, "manifests/objects.csv", rows)
        before = sim.statistics().mutating_requests
        argv = ["cancel-job-execution", "--things-file", url, "--job-id", JOB]
        assert run(sim, *argv, "--input-format", input_format) == 2
        err = capsys.readouterr().err
        assert f"{url}:1:" in err and "manifest of S3 objects" in err
        assert sim.statistics().mutating_requests == before

    def test_a_bad_line_names_the_object_and_nothing_is_sent(
        self, sim: ThreadedSimulator, s3: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The first pass validates the manifest: exit 2, the S3 URL and line named."""
        url = put(s3, "manifests/bad.csv", manifest([queued(sim)[0], "bad thing!"]))
        before = sim.statistics().mutating_requests
        assert run(sim, "cancel-job-execution", "--things-file", url) == 2
        err = capsys.readouterr().err
        assert f"{url}:3: thingName" in err and "nothing was sent" in err
        assert sim.statistics().mutating_requests == before

    def test_a_missing_object_is_refused(
        self, sim: ThreadedSimulator, s3: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No such key: exit 2, saying what S3 answered."""
        url = f"s3://{BUCKET}/manifests/none.csv"
        assert run(sim, "cancel-job-execution", "--things-file", url) == 2
        assert "NoSuchKey" in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("url", "rule"),
        [("s3://Bad_Bucket/k", "not an S3 bucket name"), ("s3://bucket/", "must name an object")],
    )
    def test_a_malformed_url_is_refused_before_any_call(
        self, url: str, rule: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A URL that cannot name an object: exit 2 from the option checks alone."""
        argv = ["cancel-job-execution", "--job-id", JOB, "--things-file", url]
        assert main([*argv, "--endpoint-url", "http://127.0.0.1:9"]) == 2
        assert rule in capsys.readouterr().err


class TestReportInS3:
    def test_the_report_is_written_as_objects(self, sim: ThreadedSimulator, s3: Any) -> None:
        """summary.json, results.jsonl, report.html and the journal's segments, encrypted."""
        names = queued(sim)[:6]
        url = put(s3, "manifests/fw.csv", manifest(names))
        report = f"s3://{BUCKET}/runs/one/"
        argv = ["cancel-job-execution", "--things-file", url, "--report", report]
        assert run(sim, *argv, "--sse", "AES256") == 0
        found = keys(s3, "runs/one/")
        assert {"runs/one/summary.json", "runs/one/results.jsonl", "runs/one/report.html"} <= set(
            found
        )
        segments = [k for k in found if k.startswith(f"runs/one/{JOURNAL_PREFIX}")]
        assert segments
        summary = json.loads(read(s3, "runs/one/summary.json"))
        assert (
            summary["total"] == len(names) == len(read(s3, "runs/one/results.jsonl").splitlines())
        )
        journalled = "".join(read(s3, k) for k in segments).splitlines()
        assert sorted(json.loads(line)["thingName"] for line in journalled) == names
        head = s3.head_object(Bucket=BUCKET, Key="runs/one/summary.json")
        assert head["ServerSideEncryption"] == "AES256"
        page = s3.get_object(Bucket=BUCKET, Key="runs/one/report.html")
        assert page["ContentType"].startswith("text/html")
        assert count(figures(page["Body"].read().decode())["total"]) == len(names)

    def test_a_prefix_that_records_a_run_needs_resume(
        self, sim: ThreadedSimulator, s3: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The same prefix again: refused (exit 2, nothing sent); with --resume the journal
        in S3 is read back, finished targets skipped and carried into the report."""
        names = queued(sim)
        first = put(s3, "manifests/first.csv", manifest(names[:5]))
        whole = put(s3, "manifests/whole.csv", manifest(names))
        report = f"s3://{BUCKET}/runs/two"
        assert run(sim, "cancel-job-execution", "--things-file", first, "--report", report) == 0
        before = sim.statistics().mutating_requests
        assert run(sim, "cancel-job-execution", "--things-file", whole, "--report", report) == 2
        assert "already records a run" in capsys.readouterr().err
        assert sim.statistics().mutating_requests == before
        # Nor may a dry run replace that run's report there.
        kept = read(s3, "runs/two/summary.json")
        dry = ("cancel-job-execution", "--things-file", whole, "--report", report, "--dry-run")
        assert run(sim, *dry) == 2
        assert "a dry run too" in capsys.readouterr().err
        assert read(s3, "runs/two/summary.json") == kept
        argv = ["cancel-job-execution", "--things-file", whole, "--report", report, "--resume"]
        assert run(sim, *argv) == 0
        assert sim.statistics().mutating_requests - before == len(names) - 5
        summary = json.loads(read(s3, "runs/two/summary.json"))
        assert summary["total"] == len(names)
        assert summary["carriedFromJournal"] == 5
        assert len(summary["previousInvocations"]) == 1

    def test_kms_encryption_with_a_key_reaches_every_object(
        self, sim: ThreadedSimulator, s3: Any, moto_endpoint: str
    ) -> None:
        """--sse aws:kms --kms-key-id KEY: every object of the report, journal segments
        included, is written under that key."""
        kms = boto3.client("kms", region_name="us-east-1", endpoint_url=moto_endpoint)
        key = kms.create_key(Description="bulkjobs reports")["KeyMetadata"]["Arn"]
        url = put(s3, "manifests/fw.csv", manifest(queued(sim)[:4]))
        report = f"s3://{BUCKET}/runs/kms/"
        argv = ["cancel-job-execution", "--things-file", url, "--report", report]
        assert run(sim, *argv, "--sse", "aws:kms", "--kms-key-id", key) == 0
        found = keys(s3, "runs/kms/")
        assert {"runs/kms/summary.json", f"runs/kms/{JOURNAL_PREFIX}000001.jsonl"} <= set(found)
        for name in found:
            head = s3.head_object(Bucket=BUCKET, Key=name)
            assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key), name

    def test_kms_key_needs_kms_encryption(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--kms-key-id without --sse aws:kms is refused before anything is sent."""
        argv = ["cancel-job-execution", "--job-id", JOB, "--thing-name", "t1"]
        argv += ["--report", "s3://bucket/p/", "--kms-key-id", "alias/x"]
        assert main([*argv, "--endpoint-url", "http://127.0.0.1:9"]) == 2
        assert "needs --sse aws:kms" in capsys.readouterr().err


class TestJournalSegments:
    async def test_each_sync_sends_only_new_whole_lines(self, s3: Any, tmp_path: Path) -> None:
        """A sync sends what was journalled since the last one, whole lines only; a
        resume reassembles the segments in order."""
        location = S3Location.parse(f"s3://{BUCKET}/runs/seg/", prefix=True)
        journal = tmp_path / "journal.jsonl"
        async with s3_client(profile=None, region="us-east-1") as client:
            store = S3Store(client, location, staging=tmp_path)
            journal.write_text('{"n":1}\n{"n":2}\n{"n":')
            await store.sync()
            journal.write_text('{"n":1}\n{"n":2}\n{"n":3}\n')
            await store.sync()
            await store.sync()  # nothing new: no empty segment
            assert keys(s3, "runs/seg/") == [
                "runs/seg/journal/000001.jsonl",
                "runs/seg/journal/000002.jsonl",
            ]
            assert read(s3, "runs/seg/journal/000002.jsonl") == '{"n":3}\n'
            again = S3Store(client, location, staging=tmp_path / "again")
            (tmp_path / "again").mkdir()
            await again.prepare(resume=True)
            assert (tmp_path / "again" / "journal.jsonl").read_text() == journal.read_text()
            (tmp_path / "again" / "journal.jsonl").write_text(journal.read_text() + '{"n":4}\n')
            await again.sync()
            assert read(s3, "runs/seg/journal/000003.jsonl") == '{"n":4}\n'


class TestResultsSegments:
    """results.jsonl goes up in segments as the run writes it, and whole at the end."""

    async def test_segments_as_written_then_one_object_at_publish(
        self, s3: Any, tmp_path: Path
    ) -> None:
        """Each sync sends the results lines written since the last one (whole lines,
        from the writer's partial file, then from results.jsonl once it is renamed into
        place); publish puts results.jsonl — the segments' lines and the rest, in order
        — and removes the segments, which it supersedes; a later sync sends nothing."""
        location = S3Location.parse(f"s3://{BUCKET}/runs/res/", prefix=True)
        partial = tmp_path / f"{ResultsWriter.PARTIAL_PREFIX}x1"
        lines = [
            json.dumps({"thingName": f"thing-{n}", "outcome": "canceled"}) + "\n" for n in range(5)
        ]
        async with s3_client(profile=None, region="us-east-1") as client:
            store = S3Store(client, location, staging=tmp_path)
            partial.write_text(lines[0] + lines[1] + lines[2][:9])
            await store.sync()
            partial.write_text("".join(lines[:4]))
            await store.sync()
            sent = keys(s3, "runs/res/")
            assert sent == ["runs/res/results/000001.jsonl", "runs/res/results/000002.jsonl"]
            assert "".join(read(s3, key) for key in sent) == "".join(lines[:4])
            partial.write_text("".join(lines))
            partial.rename(tmp_path / "results.jsonl")
            await store.publish()
            await store.sync()  # published whole: nothing left to send again
        assert keys(s3, "runs/res/") == ["runs/res/results.jsonl"]
        assert read(s3, "runs/res/results.jsonl") == "".join(lines)

    async def test_a_segment_holds_a_bounded_number_of_bytes(
        self, s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A resume writes every carried result at once: the sync after it sends them
        in segments of at most SEGMENT_BYTES (whole lines), not one object in memory."""
        monkeypatch.setattr(s3_module, "SEGMENT_BYTES", 100)
        location = S3Location.parse(f"s3://{BUCKET}/runs/carried/", prefix=True)
        text = "".join(json.dumps({"thingName": f"thing-{n:03d}"}) + "\n" for n in range(20))
        (tmp_path / f"{ResultsWriter.PARTIAL_PREFIX}x2").write_text(text)
        async with s3_client(profile=None, region="us-east-1") as client:
            await S3Store(client, location, staging=tmp_path).sync()
        segments = [read(s3, key) for key in keys(s3, "runs/carried/results/")]
        assert len(segments) > 1
        assert all(len(seg) <= 100 and seg.endswith("\n") for seg in segments)
        assert "".join(segments) == text

    async def test_a_new_invocation_clears_the_segments_a_killed_one_left(
        self, s3: Any, tmp_path: Path
    ) -> None:
        """A resume carries what the journal finished into its own results: the killed
        invocation's results segments go. A refused prepare leaves everything as it was."""
        location = S3Location.parse(f"s3://{BUCKET}/runs/killed/", prefix=True)
        put(s3, "runs/killed/journal/000001.jsonl", '{"thingName":"t1","outcome":"canceled"}\n')
        put(s3, "runs/killed/results/000001.jsonl", '{"thingName":"t1","outcome":"canceled"}\n')
        async with s3_client(profile=None, region="us-east-1") as client:
            with pytest.raises(ConfigurationError, match="already records a run"):
                await S3Store(client, location, staging=tmp_path).prepare(resume=False)
            assert len(keys(s3, "runs/killed/")) == 2
            await S3Store(client, location, staging=tmp_path).prepare(resume=True)
        assert keys(s3, "runs/killed/") == ["runs/killed/journal/000001.jsonl"]


class TestKilledRun:
    @pytest.mark.slow
    def test_a_killed_run_leaves_segments_the_report_command_names_and_resume_finishes(
        self, s3: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A run killed (SIGKILL: no chance to publish) once its first segments are in
        S3 leaves journal and results segments but no summary. ``bulkjobs report`` on
        the prefix refuses (exit 2), saying what is missing and what the segments hold;
        ``--resume`` finishes the run and leaves one results.jsonl of every target."""
        from bulkjobs.sim import FleetSpec, SimConfig

        things = 300
        fleet = FleetSpec(things=things, job_ids=(JOB,), in_progress=0.0, terminal=0.0, seed=5)
        names = [f"thing-{n:06d}" for n in range(1, things + 1)]
        url = put(s3, "manifests/slow.csv", manifest(names))
        prefix = f"s3://{BUCKET}/runs/killed/"
        with ThreadedSimulator(SimConfig(quota=None, seed=5), fleet) as sim:
            argv = ["cancel-job-execution", "--things-file", url, "--report", prefix]
            argv += ["--rate", "40", "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"]
            command = [sys.executable, "-m", "bulkjobs", *argv, "--log-format", "json"]
            with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as proc:
                assert proc.stderr is not None
                synced = None
                for line in proc.stderr:
                    event = json.loads(line) if line.startswith("{") else {}
                    if event.get("event") == "report synced" and event["resultsSegment"]:
                        synced = event
                        proc.kill()
                        break
                proc.wait()
            assert synced is not None, "the run ended before its first sync"
            assert proc.returncode == -signal.SIGKILL
            found = keys(s3, "runs/killed/")
            assert "runs/killed/summary.json" not in found
            journal = [k for k in found if k.startswith(f"runs/killed/{JOURNAL_PREFIX}")]
            results = [k for k in found if k.startswith("runs/killed/results/")]
            assert journal and results
            finished = [json.loads(x) for k in journal for x in read(s3, k).splitlines()]
            written = [json.loads(x) for k in results for x in read(s3, k).splitlines()]
            assert 0 < len(finished) < things
            canceled = {n for n, st in statuses(sim).items() if st is ExecutionStatus.CANCELED}
            assert {r["thingName"] for r in written} <= canceled

            capsys.readouterr()
            assert main(["report", prefix]) == 2
            err = capsys.readouterr().err
            assert "summary.json does not exist" in err and "stopped before" in err
            assert f"{len(journal)} segment" in err
            assert f"records {len(finished)} finished targets ({len(finished)} canceled)" in err
            assert f"{len(results)} segment" in err and f"{len(written)} lines" in err
            assert "--resume" in err
            assert keys(s3, "runs/killed/") == found  # nothing drawn from part of a run

            assert run(sim, *argv[:5], "--resume", "--rate", "1000") == 0
            left = [n for n, st in statuses(sim).items() if st is not ExecutionStatus.CANCELED]
        assert not left
        after = keys(s3, "runs/killed/")
        assert not [k for k in after if k.startswith("runs/killed/results/")]
        # What the killed process cancelled after its last segment is done again by the
        # resume, which finds it already terminal: at most the last segment is lost.
        redone = len(canceled) - len(finished)
        summary = json.loads(read(s3, "runs/killed/summary.json"))
        assert summary["total"] == things
        assert summary["carriedFromJournal"] == len(finished)
        assert summary["outcomes"].get("already_terminal", 0) == redone
        assert summary["outcomes"]["canceled"] == things - redone
        lines = read(s3, "runs/killed/results.jsonl").splitlines()
        assert sorted(json.loads(x)["thingName"] for x in lines) == names


class TestLargeFiles:
    async def test_a_file_past_the_part_size_goes_up_in_parts(
        self, s3: Any, tmp_path: Path
    ) -> None:
        """results.jsonl larger than a part is a multipart upload: the object is whole."""
        location = S3Location.parse(f"s3://{BUCKET}/runs/big/", prefix=True)
        line = json.dumps({"thingName": "thing-000001", "outcome": "canceled"}) + "\n"
        data = line * (11 * (1 << 20) // len(line))
        (tmp_path / "results.jsonl").write_text(data)
        async with s3_client(profile=None, region="us-east-1") as client:
            store = S3Store(client, location, staging=tmp_path)
            store.part_size = 5 << 20
            await store.put_file("results.jsonl")
        head = s3.head_object(Bucket=BUCKET, Key="runs/big/results.jsonl")
        assert head["ContentLength"] == len(data)
        assert head["ETag"].strip('"').endswith("-3")  # three parts
        assert read(s3, "runs/big/results.jsonl") == data


class TestLambdaHandler:
    @pytest.mark.slow
    def test_two_invocations_finish_2000_targets_from_an_s3_manifest(
        self, s3: Any, tmp_path: Path
    ) -> None:
        """From a headerless S3 Batch Operations-style manifest, the first invocation
        stops on its deadline, the second resumes from the S3 journal; one report in S3
        whose report.html, opened in Chromium, shows the whole run: every figure the
        browser shows is the summary's."""
        from bulkjobs.sim import FleetSpec, SimConfig

        example = load_example("lambda_s3")

        things = 2000
        fleet = FleetSpec(things=things, job_ids=("fw-2026-11",), in_progress=0.2, seed=4)
        # As S3 Batch Operations keeps a manifest: thingName,jobId rows, no header.
        rows = [f"thing-{n:06d},fw-2026-11" for n in range(1, things + 1)]
        url = put(s3, "manifests/fw.csv", "\n".join(rows) + "\n")
        with ThreadedSimulator(SimConfig(quota=500, seed=4), fleet) as sim:
            event = {
                "manifest": url,
                "report": f"s3://{BUCKET}/runs/fw-2026-11/",
                "inputFormat": "csv-noheader",
                "force": True,
                "region": "us-east-1",
                "rate": "400",
                "marginSeconds": 0.5,
                "endpointUrl": sim.endpoint_url,
            }
            first = example.handler(event, example._Context(3.0))
            second = example.handler(event, example._Context(120.0))
            left = [n for n, s in statuses(sim, "fw-2026-11").items() if s in RUNNING]
        assert first["done"] is False and first["unfinished"] > 0
        assert second["done"] is True and second["exitCode"] == 0
        assert not left
        summary = json.loads(read(s3, "runs/fw-2026-11/summary.json"))
        assert summary["total"] == things
        assert summary["outcomes"] == {"canceled": things}
        assert len(summary["previousInvocations"]) == 1
        page = tmp_path / "report.html"
        page.write_text(read(s3, "runs/fw-2026-11/report.html"), encoding="utf-8")
        shown = figures(render(page, tmp_path / "profile"))
        runs = [*summary["previousInvocations"], summary]
        assert count(shown["total"]) == things
        assert count(shown["invocations"]) == len(runs) == 2
        for kind, n in summary["kinds"].items():
            assert count(shown[f"kind.{kind}"]) == n
        for outcome, n in summary["outcomes"].items():
            assert count(shown[f"outcome.{outcome}"]) == n
        assert count(shown["attempts"]) == sum(run["attempts"] for run in runs)
        assert count(shown["throttles"]) == sum(run["throttles"] for run in runs)
        assert count(shown["exitCode"]) == summary["exitCode"] == 0
        # Latency over every invocation: each target's ending call, carried ones too,
        # as results.jsonl records them.
        timed = sorted(
            line["latencyMs"]
            for line in map(json.loads, read(s3, "runs/fw-2026-11/results.jsonl").splitlines())
            if line["latencyMs"] is not None
        )
        whole = summary["wholeRunLatencyMs"]
        assert len(timed) == things
        assert whole["max"] == pytest.approx(timed[-1], abs=1e-3)
        assert whole["p50"] == pytest.approx(timed[math.ceil(len(timed) / 2) - 1], abs=1e-3)
        assert float(shown["latency.max"].replace(",", "")) == pytest.approx(whole["max"], abs=0.05)
        # The first invocation's plan, beside the second's.
        first_plan = summary["previousInvocations"][0]["plan"]
        assert count(shown["invocation.1.plan.targets"]) == first_plan["targets"] == things
        assert count(shown["plan.targets"]) == summary["plan"]["targets"]


RUNNING = (ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def load_example(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestReportCommandOnS3:
    def test_redraws_the_page_under_the_prefix(
        self, sim: ThreadedSimulator, s3: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """``bulkjobs report s3://…/`` draws report.html again beside the summary."""
        url = put(s3, "manifests/fw.csv", manifest(queued(sim)[:3]))
        report = f"s3://{BUCKET}/runs/redraw/"
        assert run(sim, "cancel-job-execution", "--things-file", url, "--report", report) == 0
        s3.delete_object(Bucket=BUCKET, Key="runs/redraw/report.html")
        capsys.readouterr()
        assert main(["report", report, "--output", "json"]) == 0
        printed = json.loads(capsys.readouterr().out)
        assert printed["total"] == 3
        assert count(figures(read(s3, "runs/redraw/report.html"))["total"]) == 3

    def test_a_prefix_without_a_summary_is_refused(
        self, s3: Any, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No summary.json under the prefix: exit 2, saying what S3 answered."""
        assert main(["report", f"s3://{BUCKET}/runs/none/"]) == 2
        assert "summary.json cannot be read" in capsys.readouterr().err
