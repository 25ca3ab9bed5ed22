"""The library's run session: report directory, journal and resume, as the CLI has them."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio
import pytest

import bulkjobs
from bulkjobs.cli import main
from bulkjobs.sim import ExecutionStatus, FleetSpec, Operation, SimConfig, ThreadedSimulator

JOB = "j"


@pytest.fixture
def sim() -> Iterator[ThreadedSimulator]:
    fleet = FleetSpec(things=24, job_ids=(JOB,), in_progress=0.25, seed=3)
    with ThreadedSimulator(SimConfig(quota=None, seed=3), fleet) as s:
        yield s


def config(sim: ThreadedSimulator, **settings: Any) -> bulkjobs.RunConfig:
    return bulkjobs.RunConfig(
        endpoint_url=sim.endpoint_url, region="us-east-1", rate=500, **settings
    )


def names(sim: ThreadedSimulator) -> list[str]:
    return sorted(e.thing_name for e in sim.call(lambda s: s.executions(JOB)))


def summary(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "summary.json").read_text())
    return data


def results(directory: Path) -> list[dict[str, Any]]:
    text = (directory / "results.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


class TestReportDirectory:
    def test_the_library_writes_what_the_cli_writes(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """run_sync(report=DIR) and the CLI's --report DIR: the same files, same fields."""
        things = names(sim)
        library, cli = tmp_path / "library", tmp_path / "cli"
        bulkjobs.run_sync(
            [bulkjobs.Target(job_id=JOB, thing_name=n) for n in things[:12]],
            bulkjobs.CancelExecution(force=True),
            config(sim),
            report=library,
        )
        argv = ["cancel-job-execution", "--job-id", JOB, "--force", "--yes", "--quiet"]
        argv += [a for n in things[12:] for a in ("--thing-name", n)]
        argv += ["--report", str(cli), "--endpoint-url", sim.endpoint_url, "--region", "us-east-1"]
        assert main(argv) == 0
        for name in ("summary.json", "results.jsonl", "journal.jsonl", "report.html"):
            assert (library / name).is_file() and (cli / name).is_file(), name
        assert set(summary(library)) == set(summary(cli))
        assert {frozenset(r) for r in results(library)} == {frozenset(r) for r in results(cli)}
        assert summary(library)["total"] == 12

    def test_a_used_directory_is_refused_without_resume(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Two runs never mix in one directory: the second raises and sends nothing."""
        targets = [bulkjobs.Target(job_id=JOB, thing_name=n) for n in names(sim)[:3]]
        op = bulkjobs.CancelExecution(force=True)
        bulkjobs.run_sync(targets, op, config(sim), report=tmp_path)
        sent = sim.statistics().total_requests
        with pytest.raises(bulkjobs.ConfigurationError, match="already records a run"):
            bulkjobs.run_sync(targets, op, config(sim), report=tmp_path)
        assert sim.statistics().total_requests == sent

    def test_a_dry_run_never_overwrites_a_runs_report(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """A dry run into the directory of a real run is refused: its summary.json,
        results.jsonl and report.html would replace the ones of the run recorded there."""
        targets = [bulkjobs.Target(job_id=JOB, thing_name=n) for n in names(sim)[:3]]
        op = bulkjobs.CancelExecution(force=True)
        bulkjobs.run_sync(targets, op, config(sim), report=tmp_path)
        before = {f.name: f.read_bytes() for f in tmp_path.iterdir()}
        dry = replace(config(sim), dry_run=True)
        with pytest.raises(bulkjobs.ConfigurationError, match="dry run would overwrite"):
            bulkjobs.run_sync(targets, op, dry, report=tmp_path)
        assert {f.name: f.read_bytes() for f in tmp_path.iterdir()} == before

    def test_resume_needs_somewhere_to_resume_from(self, sim: ThreadedSimulator) -> None:
        """resume=True without a report directory or journal is a configuration error."""
        target = bulkjobs.Target(job_id=JOB, thing_name="thing-000001")
        with pytest.raises(bulkjobs.ConfigurationError, match="resume"):
            bulkjobs.run_sync([target], bulkjobs.CancelExecution(), config(sim), resume=True)


class TestResume:
    def test_targets_a_fatal_error_refused_are_done_by_the_resumed_run(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Mid-run the server starts refusing every signature (this machine's clock an
        hour off): the run stops, and the targets whose calls were refused end
        interrupted, not failed, so nothing of them is journalled. With the clock fixed,
        the resumed run does each of them: every target is in the report once, and the
        server holds none of them still running."""
        things = names(sim)
        targets = [bulkjobs.Target(job_id=JOB, thing_name=n) for n in things]
        op = bulkjobs.CancelExecution(force=True)
        paced = config(sim, concurrency=4)
        seen: list[bulkjobs.Result] = []

        def clock_goes_off(result: bulkjobs.Result) -> None:
            seen.append(result)
            if len(seen) == 3:
                sim.call(lambda s: s.reconfigure(clock_skew=3600.0))

        session = bulkjobs.RunSession(targets, op, paced, report=tmp_path)
        first = anyio.run(lambda: session.run(on_result=clock_goes_off))
        assert first.stop_reason is not None
        assert first.stop_reason.startswith("InvalidSignatureException")
        assert first.count_kind(bulkjobs.OutcomeKind.FAILED) == 0
        refused = [r for r in seen if r.error_code == "InvalidSignatureException"]
        assert refused and {r.outcome for r in refused} == {bulkjobs.Outcome.INTERRUPTED}
        lines = (tmp_path / "journal.jsonl").read_text().splitlines()
        journalled = {json.loads(line)["thingName"] for line in lines}
        done = {r.target.thing_name for r in seen if r.outcome is not bulkjobs.Outcome.INTERRUPTED}
        assert journalled == done and len(done) < len(things)

        sim.call(lambda s: s.reconfigure(clock_skew=0.0))
        second = bulkjobs.run_sync(targets, op, config(sim), report=tmp_path, resume=True)
        rows = results(tmp_path)
        assert sorted(r["thingName"] for r in rows) == things
        assert second.count_kind(bulkjobs.OutcomeKind.INTERRUPTED) == 0
        assert second.count_kind(bulkjobs.OutcomeKind.FAILED) == 0
        running = (ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS)
        left = [e.thing_name for e in sim.call(lambda s: s.executions(JOB)) if e.status in running]
        assert left == []

    def test_a_stopped_run_resumes_from_its_directory(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Stopped after a few targets, then resumed: the second run skips what the
        journal finished, carries it, and the summary counts every target once."""
        things = names(sim)
        targets = [bulkjobs.Target(job_id=JOB, thing_name=n) for n in things]
        op = bulkjobs.CancelExecution(force=True)
        # A fixed 5/s lets about four through at once: a stop after three leaves the
        # rest unsent, whatever the machine's speed.
        paced = bulkjobs.RunConfig(endpoint_url=sim.endpoint_url, region="us-east-1", rate=5)
        session = bulkjobs.RunSession(targets, op, paced, report=tmp_path)
        seen: list[bulkjobs.Result] = []

        def stop_early(result: bulkjobs.Result) -> None:
            seen.append(result)
            if len(seen) == 3:
                session.stop("stopped by the test")

        first = anyio.run(lambda: session.run(on_result=stop_early))
        assert first.count_kind(bulkjobs.OutcomeKind.INTERRUPTED) > 0
        journalled = len((tmp_path / "journal.jsonl").read_text().splitlines())

        second = bulkjobs.run_sync(targets, op, config(sim), report=tmp_path, resume=True)
        data = summary(tmp_path)
        assert data["total"] == second.total == len(things)
        assert data["carriedFromJournal"] == journalled
        assert data["skippedAsFinishedInJournal"] == journalled
        assert second.count_kind(bulkjobs.OutcomeKind.INTERRUPTED) == 0
        assert sorted(r["thingName"] for r in results(tmp_path)) == things
        left = {e.status for e in sim.call(lambda s: s.executions(JOB))}
        assert ExecutionStatus.QUEUED not in left and ExecutionStatus.IN_PROGRESS not in left


class TestSources:
    def test_targets_a_file_and_a_listing_combine_once_each(
        self, sim: ThreadedSimulator, tmp_path: Path
    ) -> None:
        """Any mix of sources: every execution once, the overlaps counted as duplicates."""
        things = names(sim)
        listed = tmp_path / "things.txt"
        listed.write_text("\n".join(things[:10]) + "\n")
        sources: list[bulkjobs.Source] = [
            *(bulkjobs.Target(job_id=JOB, thing_name=n) for n in things[:4]),
            bulkjobs.FromFile(path=str(listed), job_id=JOB),
            bulkjobs.FromJob(job_id=JOB, statuses=("QUEUED", "IN_PROGRESS")),
        ]
        report = bulkjobs.run_sync(
            sources,
            bulkjobs.CancelExecution(force=True),
            config(sim),
            report=tmp_path / "report",
        )
        data = summary(tmp_path / "report")
        lines = results(tmp_path / "report")
        keys = [(r["thingName"], r["targetExecutionNumber"]) for r in lines]
        assert report.total == len(lines) == data["total"]
        assert data["duplicatesRemoved"] > 0
        assert {r["thingName"] for r in lines} == set(things)
        assert data["plan"]["targets"] == report.total
        assert len(keys) == len(set(keys))
        # The four named things are also in the file: removed, not sent twice.
        assert data["duplicatesRemoved"] >= 4

    def test_a_whole_job_operation_refuses_listings(self) -> None:
        """CancelJob acts on jobs, not executions: a listing source is a mistake."""
        with pytest.raises(bulkjobs.ConfigurationError, match="whole jobs"):
            bulkjobs.RunSession([bulkjobs.FromJob(job_id=JOB)], bulkjobs.CancelJob())

    def test_a_bad_listing_is_refused_on_construction(self) -> None:
        """A listing's job ID and statuses are checked before anything runs."""
        with pytest.raises(bulkjobs.InvalidInputError) as caught:
            bulkjobs.FromJob(job_id="bad job!", statuses=("DONE",))
        assert {i.field for i in caught.value.issues} == {"jobId", "status"}

    def test_anything_else_is_refused(self) -> None:
        """A stray value in the list of sources is named, not silently skipped."""
        with pytest.raises(bulkjobs.ConfigurationError, match="not a target or a source"):
            bulkjobs.RunSession(["thing-000001"], bulkjobs.CancelExecution())  # type: ignore[arg-type]


@contextlib.contextmanager
def fresh(
    config: SimConfig, **jobs: tuple[list[str], ExecutionStatus]
) -> Iterator[ThreadedSimulator]:
    """A simulator holding ``jobs`` (job id → things and their status): one for each
    side of a comparison, so both start from the same fleet."""
    with ThreadedSimulator(config) as simulator:

        def seed(sim: Any) -> None:
            for job_id, (things, status) in jobs.items():
                sim.add_job(job_id, things, status=status)

        simulator.call(seed)
        yield simulator


def both(
    sim_config: SimConfig,
    jobs: dict[str, tuple[list[str], ExecutionStatus]],
    tmp_path: Path,
    library: Any,
    argv: list[str],
    *,
    region: str | None = "us-east-1",
) -> tuple[tuple[int, dict[str, Any]], tuple[int, dict[str, Any]]]:
    """The same case run by the library (``library(sim, config, report_dir)``) and by
    the CLI (``argv``), each on a simulator of its own: (exit code, summary.json) each."""
    where = ["--region", region] if region is not None else []
    with fresh(sim_config, **jobs) as sim:
        cfg = bulkjobs.RunConfig(
            endpoint_url=sim.endpoint_url, region=region, max_attempts=2, base_delay=0.01
        )
        report: bulkjobs.Report = library(cfg, tmp_path / "library")
        by_library = (report.exit_code, summary(tmp_path / "library"))
    with fresh(sim_config, **jobs) as sim:
        common = ["--endpoint-url", sim.endpoint_url, *where, "--max-attempts", "2", "--yes"]
        code = main([*argv, *common, "-q", "--report", str(tmp_path / "cli")])
        by_cli = (code, summary(tmp_path / "cli"))
    return by_library, by_cli


QUICK = SimConfig(quota=None, job_deletion_seconds=0.05, job_deletion_seconds_per_execution=0.0)
FINISHED = {
    "old-1": (["a", "b"], ExecutionStatus.SUCCEEDED),
    "old-2": (["c"], ExecutionStatus.CANCELED),
}
ROLLING = {JOB: ([f"t{n}" for n in range(6)], ExecutionStatus.QUEUED)}


class TestTheLibraryReportsWhatTheCliReports:
    """summary.json and the exit code come from the session: the CLI adds nothing."""

    def test_delete_job_records_how_long_the_deletions_took(self, tmp_path: Path) -> None:
        (code, lib), (cli_code, cli) = both(
            QUICK,
            FINISHED,
            tmp_path,
            lambda cfg, d: bulkjobs.run_sync(
                [bulkjobs.Target(job_id=j) for j in FINISHED], bulkjobs.DeleteJob(), cfg, report=d
            ),
            ["delete-job", "--job-id", "old-1", "--job-id", "old-2"],
        )
        assert code == cli_code == lib["exitCode"] == cli["exitCode"] == 0
        assert set(lib) == set(cli)
        assert lib["deletions"]["followed"] == cli["deletions"]["followed"] == len(FINISHED)

    def test_a_failed_listing_makes_the_exit_code_1(self, tmp_path: Path) -> None:
        """No target failed, but the listing did: what it would have found is not done."""
        failing = SimConfig(
            quota=None,
            p503=1.0,
            faulty_operations=frozenset({Operation.LIST_JOB_EXECUTIONS_FOR_JOB}),
        )
        (code, lib), (cli_code, cli) = both(
            failing,
            ROLLING,
            tmp_path,
            lambda cfg, d: bulkjobs.run_sync(
                bulkjobs.FromJob(job_id=JOB), bulkjobs.CancelExecution(), cfg, report=d
            ),
            ["cancel-job-execution", "--job-id", JOB, "--from-job"],
        )
        assert code == cli_code == lib["exitCode"] == cli["exitCode"] == 1
        assert set(lib) == set(cli)
        assert "ServiceUnavailable" in lib["listingError"]
        assert lib["total"] == cli["total"] == 0

    @pytest.mark.parametrize("wait", [None, 30.0])
    def test_cancel_job_says_how_the_server_side_cancel_stands(
        self, tmp_path: Path, wait: float | None
    ) -> None:
        """Counted once after the call, or (waited for) followed until none is left."""
        argv = ["cancel-job", "--job-id", JOB]
        if wait is not None:
            argv += ["--wait", "--wait-timeout", f"{wait:g}"]
        (code, lib), (cli_code, cli) = both(
            QUICK,
            ROLLING,
            tmp_path,
            lambda cfg, d: bulkjobs.run_sync(
                bulkjobs.Target(job_id=JOB), bulkjobs.CancelJob(), cfg, report=d, wait_timeout=wait
            ),
            argv,
        )
        assert code == cli_code == lib["exitCode"] == cli["exitCode"] == 0
        assert set(lib) == set(cli)
        for side in (lib, cli):
            followed = side["serverSideCancel"]
            assert followed["waited"] is (wait is not None)
            assert [job["jobId"] for job in followed["jobs"]] == [JOB]
        if wait is not None:
            assert lib["serverSideCancel"]["jobs"][0]["finished"] is True
            assert cli["serverSideCancel"]["jobs"][0]["finished"] is True

    def test_the_default_region_is_named(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No region given: both resolve the SDK's (here AWS_DEFAULT_REGION) and name it
        in every result and in the per-destination table — never null."""
        monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-3")
        monkeypatch.delenv("AWS_REGION", raising=False)
        things = ROLLING[JOB][0]
        (_, lib), (_, cli) = both(
            QUICK,
            ROLLING,
            tmp_path,
            lambda cfg, d: bulkjobs.run_sync(
                [bulkjobs.Target(job_id=JOB, thing_name=t) for t in things],
                bulkjobs.CancelExecution(),
                cfg,
                report=d,
            ),
            [
                "cancel-job-execution",
                "--job-id",
                JOB,
                *(a for t in things for a in ("--thing-name", t)),
            ],
            region=None,
        )
        for side in ("library", "cli"):
            assert {r["region"] for r in results(tmp_path / side)} == {"eu-west-3"}
        assert [row["region"] for row in lib["byDestination"]] == ["eu-west-3"]
        assert lib["byDestination"][0].keys() == cli["byDestination"][0].keys()
        assert [row["region"] for row in cli["byDestination"]] == ["eu-west-3"]


BUCKET = "fleet-ops"


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A bucket in moto's S3 on loopback, which every SDK client of the process reaches."""
    import boto3

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", moto_endpoint)
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=moto_endpoint)
    client.create_bucket(Bucket=BUCKET)
    return client


def objects(s3: Any, prefix: str) -> set[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return {item["Key"] for page in pages for item in page.get("Contents", [])}


def s3_json(s3: Any, key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())
    return data


class TestS3:
    """The library stages S3 itself: the CLI passes the s3:// strings through."""

    def test_a_manifest_and_a_report_in_s3_resume_across_runs(
        self, sim: ThreadedSimulator, s3: Any
    ) -> None:
        """Run on the first half, refused on a used prefix, resumed over the whole:
        one report under the prefix, every target once, the first half carried."""
        things = names(sim)
        half = len(things) // 2
        for key, chosen in (("first.txt", things[:half]), ("all.txt", things)):
            s3.put_object(Bucket=BUCKET, Key=f"m/{key}", Body="\n".join(chosen).encode())
        report = f"s3://{BUCKET}/runs/lib"
        op = bulkjobs.CancelExecution(force=True)

        def source(key: str) -> bulkjobs.FromFile:
            return bulkjobs.FromFile(path=f"s3://{BUCKET}/m/{key}", job_id=JOB)

        aes = bulkjobs.Encryption(sse="AES256")
        first = bulkjobs.run_sync(
            source("first.txt"), op, config(sim), report=report, encryption=aes
        )
        assert first.total == half
        assert {"runs/lib/summary.json", "runs/lib/results.jsonl", "runs/lib/report.html"} <= (
            objects(s3, "runs/lib/")
        )
        assert any(key.startswith("runs/lib/journal/") for key in objects(s3, "runs/lib/"))
        head = s3.head_object(Bucket=BUCKET, Key="runs/lib/summary.json")
        assert head["ServerSideEncryption"] == "AES256"
        sent = sim.statistics().mutating_requests
        with pytest.raises(bulkjobs.ConfigurationError, match="already records a run"):
            bulkjobs.run_sync(source("all.txt"), op, config(sim), report=report)
        assert sim.statistics().mutating_requests == sent
        whole = bulkjobs.run_sync(source("all.txt"), op, config(sim), report=report, resume=True)
        data = s3_json(s3, "runs/lib/summary.json")
        assert whole.total == data["total"] == len(things)
        assert data["carriedFromJournal"] == half
        assert sim.statistics().mutating_requests - sent == len(things) - half
        assert len(data["previousInvocations"]) == 1

    def test_a_bad_manifest_line_is_named_by_its_url(self, sim: ThreadedSimulator, s3: Any) -> None:
        """Checked before anything is sent, like a local file, the URL and line named."""
        s3.put_object(Bucket=BUCKET, Key="m/bad.txt", Body=b"thing-000001\nbad thing!\n")
        url = f"s3://{BUCKET}/m/bad.txt"
        sent = sim.statistics().total_requests
        with pytest.raises(bulkjobs.InvalidInputError, match=re.escape(f"{url}:2: thingName")):
            bulkjobs.run_sync(
                bulkjobs.FromFile(path=url, job_id=JOB), bulkjobs.CancelExecution(), config(sim)
            )
        assert sim.statistics().total_requests == sent

    def test_a_missing_manifest_says_what_s3_answered(
        self, sim: ThreadedSimulator, s3: Any
    ) -> None:
        with pytest.raises(bulkjobs.ConfigurationError, match="NoSuchKey"):
            bulkjobs.run_sync(
                bulkjobs.FromFile(path=f"s3://{BUCKET}/m/none.csv", job_id=JOB),
                bulkjobs.CancelExecution(),
                config(sim),
            )

    @pytest.mark.parametrize(
        ("settings", "rule"),
        [
            ({"report": "s3://Bad_Bucket/runs/"}, "not an S3 bucket name"),
            ({"report": f"s3://{BUCKET}/runs/", "journal": "j.jsonl"}, "journal cannot"),
            ({"encryption": bulkjobs.Encryption(sse="AES256")}, "applies to an s3:// report"),
        ],
    )
    def test_impossible_s3_settings_are_refused_on_construction(
        self, settings: dict[str, Any], rule: str
    ) -> None:
        target = bulkjobs.Target(job_id=JOB, thing_name="thing-000001")
        with pytest.raises(bulkjobs.ConfigurationError, match=rule):
            bulkjobs.RunSession([target], bulkjobs.CancelExecution(), **settings)


class TestListingErrors:
    @pytest.mark.parametrize("mode", ["stop", "continue"])
    def test_a_failed_listing_stops_the_run_or_the_next_one_goes_on(
        self, sim: ThreadedSimulator, tmp_path: Path, mode: str
    ) -> None:
        """A job that cannot be listed comes first: by default the run stops there;
        with ``listing_errors="continue"`` it is recorded and the next job is done.
        Either way the exit code is 1: what the failed listing would have found is not
        done."""
        sources = [bulkjobs.FromJob(job_id="no-such-job"), bulkjobs.FromJob(job_id=JOB)]
        report = bulkjobs.run_sync(
            sources,
            bulkjobs.CancelExecution(force=True),
            config(sim, max_attempts=2),
            report=tmp_path,
            listing_errors=mode,  # type: ignore[arg-type]
        )
        data = summary(tmp_path)
        assert report.exit_code == data["exitCode"] == 1
        if mode == "stop":
            assert "no-such-job" in data["listingError"]
            assert report.total == 0 and "failedListings" not in data
        else:
            (failed,) = data["failedListings"]
            assert failed["listing"] == "executions of job no-such-job"
            assert failed["errorCode"] == "ResourceNotFoundException"
            assert report.total == len(names(sim)) and "listingError" not in data

    def test_anything_else_is_refused(self) -> None:
        with pytest.raises(bulkjobs.ConfigurationError, match="listing_errors"):
            bulkjobs.RunSession(
                bulkjobs.FromJob(job_id=JOB),
                bulkjobs.CancelExecution(),
                listing_errors="skip",  # type: ignore[arg-type]
            )
