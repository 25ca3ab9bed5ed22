"""The journal survives crashes and lets a resume skip exactly what finished."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bulkjobs import Outcome, Result, Target
from bulkjobs._journal import Journal, JournalReader, target_digest


def result(name: str, outcome: Outcome = Outcome.CANCELED, number: int | None = None) -> Result:
    return Result(
        target=Target(job_id="job", thing_name=name, execution_number=number),
        operation="cancel-job-execution",
        outcome=outcome,
        attempts=1,
        execution_number=number,
    )


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class TestJournal:
    def test_round_trip(self, tmp_path: Path) -> None:
        """What is recorded is read back as equal results."""
        path = tmp_path / "journal.jsonl"
        written = [result("a"), result("b", Outcome.NOT_FOUND), result("c", number=4)]
        with Journal(path) as journal:
            for r in written:
                journal.record(r)
        assert list(JournalReader(path)) == written

    def test_what_a_resume_carries_keeps_its_evidence(self, tmp_path: Path) -> None:
        """An unconfirmed cancel, the version sent and the version found survive the
        journal, so a resumed run's report says what the first one did."""
        path = tmp_path / "journal.jsonl"
        written = [
            Result(
                target=Target(job_id="job", thing_name="a", expected_version=3),
                operation="cancel-job-execution",
                outcome=Outcome.CANCELED,
                confirmed=False,
                message="unconfirmed: …",
                expected_version=3,
            ),
            Result(
                target=Target(job_id="job", thing_name="b", expected_version=7),
                operation="cancel-job-execution",
                outcome=Outcome.VERSION_CONFLICT,
                expected_version=7,
                version_found=9,
            ),
        ]
        with Journal(path) as journal:
            for r in written:
                journal.record(r)
        assert list(JournalReader(path)) == written

    def test_unfinished_outcomes_are_not_recorded(self, tmp_path: Path) -> None:
        """interrupted and dry_run targets must run again on resume."""
        path = tmp_path / "journal.jsonl"
        with Journal(path) as journal:
            journal.record(result("a", Outcome.INTERRUPTED))
            journal.record(result("b", Outcome.DRY_RUN))
            journal.record(result("c"))
        assert [r.target.thing_name for r in JournalReader(path)] == ["c"]

    def test_torn_last_line_is_ignored(self, tmp_path: Path) -> None:
        """A line cut by a crash is skipped and counted, never fatal."""
        path = tmp_path / "journal.jsonl"
        with Journal(path) as journal:
            journal.record(result("a"))
        with path.open("a") as fh:
            fh.write('{"jobId": "job", "thingNa')
        reader = JournalReader(path)
        assert [r.target.thing_name for r in reader] == ["a"]
        assert reader.torn_lines == 1

    def test_flushes_in_batches(self, tmp_path: Path) -> None:
        """Data reaches the file after ``batch`` results or ``interval`` seconds."""
        path = tmp_path / "journal.jsonl"
        clock = FakeClock()
        journal = Journal(path, batch=3, interval=10.0, clock=clock)
        journal.record(result("a"))
        journal.record(result("b"))
        assert path.read_text() == ""
        journal.record(result("c"))
        assert len(path.read_text().splitlines()) == 3
        journal.record(result("d"))
        clock.now = 11.0
        journal.record(result("e"))
        assert len(path.read_text().splitlines()) == 5
        journal.close()

    def test_appends_across_runs_and_counts_each_target_once(self, tmp_path: Path) -> None:
        """A resumed run appends; a target journalled twice is read once."""
        path = tmp_path / "journal.jsonl"
        for names in (["a", "b"], ["b", "c"]):
            with Journal(path) as journal:
                for name in names:
                    journal.record(result(name))
        reader = JournalReader(path)
        assert [r.target.thing_name for r in reader] == ["a", "b", "c"]
        assert reader.finished == {target_digest(Target(job_id="job", thing_name=n)) for n in "abc"}

    def test_missing_journal_reads_empty(self, tmp_path: Path) -> None:
        """Resuming with no journal yet is a fresh run."""
        assert list(JournalReader(tmp_path / "none.jsonl")) == []


class TestDurability:
    def test_each_batch_is_fsynced_to_disk(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A full batch, an elapsed interval and close each fsync the journal's own file:
        a flush to the OS alone would not survive a power cut."""
        synced: list[int] = []
        real_fsync = os.fsync

        def fsync(fd: int) -> None:
            synced.append(fd)
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", fsync)
        clock = FakeClock()
        path = tmp_path / "journal.jsonl"
        journal = Journal(path, batch=3, interval=10.0, clock=clock)
        fd = journal._fh.fileno()
        for name in "ab":
            journal.record(result(name))
        assert synced == []  # neither a full batch nor the interval yet
        journal.record(result("c"))
        assert synced == [fd]  # the batch of three
        journal.record(result("d"))
        clock.now = 10.0
        journal.record(result("e"))
        assert synced == [fd, fd]  # the interval
        journal.record(result("f"))
        journal.close()
        assert synced == [fd, fd, fd]  # the tail, on close
        assert len(path.read_text().splitlines()) == 6
