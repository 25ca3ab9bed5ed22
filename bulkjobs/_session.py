"""A run session: the whole unit of work, from sources to the report directory.

What to act on (named targets, files, listings — in any combination), the operation,
the config and where the report goes; the session does the rest, in this order::

    sources ─► listing filter ─► resume skip ─► exact de-duplication ─► plan ─► engine
                                                                          │
              DIR/summary.json ◄── DIR/results.jsonl ◄── DIR/journal.jsonl ◄┘

Built, it has scanned every file and checked the report directory — nothing is sent —
so a caller can show the plan's size or ask for confirmation before :meth:`run`.
:func:`bulkjobs.run` and :func:`bulkjobs.run_sync` are one session in one call; the
CLI is a session with a progress display and a confirmation prompt around it.

The report directory is the run's identity: a second session on it with
``resume=True`` skips every target its journal records as finished and carries their
results into its report, so ``summary.json`` accounts for every target exactly once.
Without ``resume=True`` a directory whose journal records a run is refused.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import replace
from pathlib import Path
from typing import Any, Final, Literal, TypeAlias

import anyio

from bulkjobs._accounts import AccessFailure, AccountAccess, AccountState
from bulkjobs._batch import ResultBatch, TargetBatch
from bulkjobs._bydestination import DestinationTally
from bulkjobs._caller import ApiCaller
from bulkjobs._client import Clients
from bulkjobs._config import RunConfig
from bulkjobs._deletejob import DeletionTimes
from bulkjobs._destination import Destination
from bulkjobs._engine import Engine, EngineStatistics
from bulkjobs._exceptions import (
    ApiError,
    ConfigurationError,
    InvalidInputError,
    RunInterrupted,
    ValidationIssue,
)
from bulkjobs._filters import Deduplicator, ListingFilter
from bulkjobs._follow import CancelWatch, ServerSideCancel, after_cancel_job
from bulkjobs._joblisting import ListedJob
from bulkjobs._jobstatus import PROCESS_COUNTERS
from bulkjobs._journal import Journal, JournalReader
from bulkjobs._listing import Listed
from bulkjobs._log import get_logger
from bulkjobs._models import (
    InvalidTarget,
    Operation,
    Outcome,
    Result,
    Target,
    Verify,
    target_digest,
)
from bulkjobs._plan import Plan, covers_whole_job
from bulkjobs._preflight import check_queries as ask_fleet_indexing
from bulkjobs._report import Report, ResultsWriter, write_summary
from bulkjobs._reportfiles import ReportPage
from bulkjobs._s3 import Encryption, S3Location, S3Store, is_s3_url
from bulkjobs._selectors import (
    FromFile,
    FromJob,
    FromJobs,
    FromQuery,
    FromThing,
    FromThingGroup,
)
from bulkjobs._sources import FileSource
from bulkjobs._staging import Staging
from bulkjobs._validation import check_operation, check_target
from bulkjobs._verify import Verification, report_targets, verify_again

__all__ = ["DEFAULT_QUOTA", "RunSession", "Source", "Sources"]

log = get_logger("bulkjobs")

#: What a plan assumes without a fixed rate: AWS's published default quota.
DEFAULT_QUOTA: Final = 10.0

Listing: TypeAlias = FromJob | FromJobs | FromThing | FromThingGroup | FromQuery
Source: TypeAlias = Target | InvalidTarget | FileSource | FromFile | Listing
#: What a session takes: one source, a list of them, or a stream of targets.
Sources: TypeAlias = (
    Source
    | Sequence[Source]
    | Iterable[Target | InvalidTarget]
    | AsyncIterable[Target | InvalidTarget]
)

_LISTINGS = (FromJob, FromJobs, FromThing, FromThingGroup, FromQuery)
_ONE_SOURCE = (Target, InvalidTarget, FileSource, FromFile, *_LISTINGS)
#: Outcomes after which AWS may still be cancelling the job's executions.
_FOLLOWED = frozenset({Outcome.CANCELED, Outcome.ALREADY_TERMINAL})


class RunSession:
    """One run over ``targets``, with its journal and report directory.

    ``targets`` is one source or a list of them — :class:`Target`, :class:`FromFile`
    (or a :class:`FileSource` already scanned), :class:`FromJob`, :class:`FromJobs`,
    :class:`FromThing`, :class:`FromThingGroup`, :class:`FromQuery` — or any (async)
    iterable of :class:`Target` to stream. A whole-job operation takes jobs: named
    ``Target(job_id=...)`` and :class:`FromJobs`.
    ``report="DIR"`` writes ``summary.json``, ``results.jsonl`` and ``journal.jsonl``
    there (``journal=`` puts the journal elsewhere); ``resume=True`` continues the run
    that journal records. ``listing_filter`` selects among what listings find; a
    listing that fails past its retries stops the run (``listing_errors="stop"``: the
    targets it would have found cannot be known), or with ``"continue"`` is recorded in
    :attr:`failed_listings` while the other listings go on (the exit code is 1 either
    way).

    S3 works wherever a path goes: ``report="s3://bucket/prefix/"`` keeps the report
    under the prefix (the journal sent in segments as the run goes, ``encryption``
    applied to every object), and ``FromFile(path="s3://bucket/key")`` reads a manifest
    from S3. Both need I/O before the run: :meth:`open` (or ``async with``) does it —
    downloads and checks the manifests, refuses a used prefix without ``resume`` or
    brings its journal back — and :meth:`run` does it if the caller did not.

    ``destinations`` spreads the run over accounts and regions: every target and
    listing that does not name its own account (or region) is done in each of them —
    ``[Destination(account=a, region=r) for a in accounts for r in regions]`` (the
    attribute may be set until the run starts). ``access`` holds the sessions per
    account (made from the config when not given). Accounts
    other than the caller's are reached with ``config.role`` (see
    :class:`~bulkjobs._roles.AssumeRole`); :meth:`prepare_access` checks them all before
    anything is sent (:meth:`run` does it if the caller did not).

    Use it once, as a context manager or by awaiting :meth:`run` (which closes it).
    """

    def __init__(
        self,
        targets: Sources,
        operation: Operation,
        config: RunConfig | None = None,
        *,
        report: str | os.PathLike[str] | None = None,
        journal: str | os.PathLike[str] | None = None,
        resume: bool = False,
        listing_filter: ListingFilter | None = None,
        command: Sequence[str] | None = None,
        engine: Engine | None = None,
        destinations: Sequence[Destination] | None = None,
        access: AccountAccess | None = None,
        wait_timeout: float | None = None,
        on_cancel_progress: Callable[[Sequence[CancelWatch]], object] | None = None,
        encryption: Encryption | None = None,
        listing_errors: Literal["stop", "continue"] = "stop",
        verify: bool = False,
    ) -> None:
        self.operation = operation
        #: After the run, read every target again for what is still running.
        self.verify = verify
        #: The read-again session while it runs (stop and statistics go to it).
        self._verifying: RunSession | None = None
        config = config or (engine.config if engine is not None else RunConfig())
        if engine is None and config.region is None:
            # The region the calls go to (the profile's, or the SDK's default), named in
            # every target: results.jsonl and the plan say where each call went.
            config = replace(config, region=Clients(config).default_destination.region)
        self.config = config
        #: cancel-job: follow the server-side cancel for at most this many seconds
        #: (None: one DescribeJob per job says how it stands).
        self.wait_timeout = wait_timeout
        self._on_cancel_progress = on_cancel_progress
        self._cancelled: list[tuple[str, float, Destination]] = []
        #: What became of cancel-job's server-side cancel, once :meth:`run` followed it.
        self.server_side_cancel: ServerSideCancel | None = None
        #: delete-job: how long each job took to be gone, for the summary.
        self.deletions = DeletionTimes()
        self._follow_scope: anyio.CancelScope | None = None
        #: The S3 prefix the report goes to (``report="s3://…"``), normalised.
        self.report_url: str | None = None
        if isinstance(report, str) and is_s3_url(report):
            if journal is not None:
                raise ConfigurationError(
                    "journal cannot be combined with an s3:// report (the journal goes there)"
                )
            self.report_url = str(S3Location.parse(report, prefix=True))
            report = None
        self.report_dir = None if report is None else Path(report)
        self._encryption = encryption
        if (
            encryption is not None
            and self.report_url is None
            and (encryption.sse or encryption.kms_key_id)
        ):
            raise ConfigurationError("encryption applies to an s3:// report")
        self._staging: Staging | None = None
        self._store: S3Store | None = None
        #: Manifests in S3, read by :meth:`open`: (their place among the files, source).
        self._remote: list[tuple[int, FromFile]] = []
        self._opened = False
        if journal is not None:
            self.journal_path: Path | None = Path(journal)
        else:
            self.journal_path = (
                None if self.report_dir is None else self.report_dir / "journal.jsonl"
            )
        self.resume = resume
        self.listing_filter = listing_filter
        self._command = None if command is None else list(command)
        if engine is None:
            cfg = self.config
            if access is None:
                access = AccountAccess(
                    cfg.role, profile=cfg.profile, region=cfg.region, endpoint_url=cfg.endpoint_url
                )
            engine = Engine(operation, cfg, access=access)
        self._engine = engine
        #: The sessions per account; None when the engine was given without them.
        self.access: AccountAccess | None = engine.access
        self._default = self.config.destination
        self.destinations: tuple[Destination, ...] = tuple(dict.fromkeys(destinations or ()))
        #: How each account is reached, once :meth:`prepare_access` ran.
        self.account_states: list[AccountState] | None = None
        self._queries_checked = False
        #: Listings not run because their account could not be reached, and why.
        self.unreached_listings: list[tuple[Listing, AccessFailure]] = []
        self._tally = DestinationTally(started=time.time())
        self._named: list[Target | InvalidTarget] = []
        self._files: list[tuple[FileSource, bool]] = []
        self._owned: list[FileSource] = []
        self._listings: list[Listing] = []
        self._stream: (
            Iterable[Target | InvalidTarget] | AsyncIterable[Target | InvalidTarget] | None
        ) = None
        self._used = False
        self._finished: set[bytes] = set()
        self._dedup = Deduplicator()
        #: What the run would act on, counted as the sources stream (the dry-run plan).
        self.plan = Plan(operation)
        self.resumed_skips = 0
        #: A listing failed past its retries: the run stopped, its targets are unknown.
        self.listing_error: ApiError | None = None
        if listing_errors not in ("stop", "continue"):
            raise ConfigurationError("listing_errors must be 'stop' or 'continue'")
        #: ``continue``: a listing that fails past its retries is recorded and the next
        #: listing runs (its targets are still not done: the exit code is 1).
        self.listing_errors = listing_errors
        #: The listings that failed when the run went on past them (``continue``).
        self.failed_listings: list[tuple[Listing, ApiError]] = []
        #: The run stopped before a listing reached its end (a resume lists again).
        self.listing_stopped_early = False
        #: The total DescribeJob's counters promised before a whole-job listing: an
        #: estimate (``summary.json`` says so), None when there was none.
        self.expected_total: int | None = None
        #: ``summary.json`` as written, once :meth:`run` has finished.
        self.summary: dict[str, Any] | None = None
        try:
            self._classify(targets)
            self._check()
        except BaseException:
            self.close()
            raise

    # -- before the run ------------------------------------------------------------------

    def _classify(self, targets: Sources) -> None:
        if isinstance(targets, _ONE_SOURCE):
            items: Sequence[object] = [targets]
        elif isinstance(targets, list | tuple):
            items = targets
        else:
            self._stream = targets  # type: ignore[assignment]
            return
        for item in items:
            if isinstance(item, Target | InvalidTarget):
                self._named.append(item)
            elif isinstance(item, FileSource):
                self._files.append((item, False))
            elif isinstance(item, FromFile) and is_s3_url(item.path):
                S3Location.parse(item.path)
                self._remote.append((len(self._files), item))
            elif isinstance(item, FromFile):
                scanned = item.scan(self.operation)
                self._owned.append(scanned)
                self._files.append((scanned, item.skip_invalid))
            elif isinstance(item, _LISTINGS):
                self._listings.append(item)
            else:
                raise ConfigurationError(
                    f"not a target or a source: {item!r} (give Target, FromFile, FileSource, "
                    "FromJob, FromJobs, FromThing, FromThingGroup or FromQuery)"
                )

    def _check(self) -> None:
        op, config = self.operation, self.config
        if op.whole_job and any(not isinstance(s, FromJobs) for s in self._listings):
            raise ConfigurationError(
                f"{op.api} acts on whole jobs: name them as Target(job_id=...) or select "
                "them with FromJobs, not with listings of executions"
            )
        if self.resume and self.journal_path is None and self.report_url is None:
            raise ConfigurationError(
                "resume needs a report directory (or a journal) to resume from"
            )
        if self.resume and config.dry_run:
            raise ConfigurationError("resume cannot be combined with a dry run")
        if self.verify and (config.dry_run or isinstance(op, Verify)):
            raise ConfigurationError(
                "verify=True reads again what a run changed: not for a dry run or a verify"
            )
        issues = list(check_operation(op))
        named = (t for t in self._named if isinstance(t, Target))
        for n, target in enumerate(named, start=1):
            issues.extend(check_target(target, op, source="targets", line=n))
        if issues:
            raise InvalidInputError(issues)
        for source, skip_invalid in self._files:
            source.check(skip_invalid=skip_invalid)
        path = self.journal_path
        if path is not None and not self.resume and path.exists() and path.stat().st_size > 0:
            if config.dry_run:
                # Its summary.json, results.jsonl and report.html would replace that
                # run's: the report people trust after an incident.
                raise ConfigurationError(
                    f"journal {path} records a run whose report a dry run would "
                    "overwrite: give the dry run a --report/--journal of its own"
                )
            raise ConfigurationError(
                f"journal {path} already records a run: add --resume (resume=True) to "
                "continue it, or choose another --report/--journal"
            )

    @property
    def file_sources(self) -> tuple[FileSource, ...]:
        """The files of this run, scanned (their ``scan`` says what the first pass found)."""
        return tuple(source for source, _ in self._files)

    @property
    def has_listings(self) -> bool:
        return bool(self._listings)

    @property
    def fixed_total(self) -> int:
        """Targets named or in files (before de-duplication); listings not counted."""
        return len(self._named) + sum(source.scan.items for source, _ in self._files)

    @property
    def known_total(self) -> int | None:
        """The number of targets if it is known before the run (no listing, no stream)."""
        if self._listings or self._stream is not None or self.destinations:
            return None
        return self.fixed_total

    @property
    def plan_rate(self) -> float:
        """The rate the plan's duration assumes: the fixed rate, or AWS's default."""
        return self.config.rate or DEFAULT_QUOTA

    def whole_job_alternative(self) -> str | None:
        """The job whose every cancellable execution this run cancels one call at a
        time — where one CancelJob would do it server-side — or None."""
        age_filtered = self.listing_filter is not None and self.listing_filter.cutoff is not None
        for listing in self._listings:
            if isinstance(listing, FromJob) and covers_whole_job(
                self.operation, listing.statuses, age_filtered=age_filtered
            ):
                return listing.job_id
        return None

    @property
    def accounts(self) -> frozenset[str]:
        """Every account the run names before it starts: targets, files' ``account``
        column, listings and ``destinations`` (the caller's own account is implied by
        targets that name none)."""
        found: set[str] = set()
        for item in self._named:
            target = item if isinstance(item, Target) else item.target
            if target.destination.account is not None:
                found.add(target.destination.account)
        for source, _ in self._files:
            found.update(source.scan.accounts)
        for listing in self._listings:
            if listing.destination is not None and listing.destination.account is not None:
                found.add(listing.destination.account)
        found.update(d.account for d in self.destinations if d.account is not None)
        return frozenset(found)

    @property
    def needs_access(self) -> bool:
        """Whether accounts are in play: then the caller's identity is checked first."""
        return self.access is not None and (bool(self.accounts) or self.config.role is not None)

    async def prepare_access(self) -> list[AccountState]:
        """Check the caller's identity and reach every account named, before anything
        is sent: a role is assumed in each (a dry run proves access this way).

        Raises :class:`ApiError` when the base credentials do not work, and
        :class:`InvalidInputError` when an account other than the caller's is named
        without a role to assume there. An account whose role is refused is recorded
        (its targets will fail with the error code); the others go on.
        """
        if self.account_states is not None:
            return self.account_states
        if not self.needs_access or self.access is None:
            self.account_states = []
            return self.account_states
        access = self.access
        caller = await access.caller_account()
        # Targets naming no account are the caller's: the same destination (and rate
        # controller) as those naming it.
        self._default = Destination(account=caller, region=self._default.region)
        states = await access.prepare(self.accounts)
        if self.config.role is None:
            strangers = [s.account for s in states if s.status != "own"]
            if strangers:
                rule = (
                    f"is not the caller's own account ({caller}), and no role to assume "
                    "there was given (--role-name or --role-arn)"
                )
                raise InvalidInputError(
                    [
                        ValidationIssue(
                            source="targets", line=None, field="account", rule=rule, value=a
                        )
                        for a in strangers
                    ]
                )
        self.account_states = states
        return states

    @property
    def queries(self) -> tuple[FromQuery, ...]:
        """The fleet-indexing queries that select this run's things."""
        return tuple(spec for spec in self._listings if isinstance(spec, FromQuery))

    async def check_queries(self) -> None:
        """Ask fleet indexing about each query in each destination it runs in, before
        anything is sent (:meth:`run` does it if the caller did not), through
        :meth:`reader`: the run's credentials, SearchIndex's own rate controller and
        the run's retries. Call after :meth:`prepare_access`, once :attr:`destinations`
        is set; destinations whose role was refused are not asked.

        Raises :class:`InvalidInputError` for a query the service refuses and
        :class:`ConfigurationError` for an index that is off or not ready.
        """
        if self._queries_checked:
            return
        checks: list[tuple[FromQuery, Destination]] = []
        for spec in self._listing_specs():
            if isinstance(spec, FromQuery):
                where = (spec.destination or Destination()).resolve(self._default)
                if self.unreachable(where) is None:
                    checks.append((spec, where))
        if checks:
            async with self.reader() as call:
                await ask_fleet_indexing(checks, call)
        self._queries_checked = True

    @property
    def default_destination(self) -> Destination:
        """Where targets naming no destination go: the caller's account, once
        :meth:`prepare_access` asked for it, in the run's region."""
        return self._default

    @property
    def resolved_destinations(self) -> tuple[Destination, ...]:
        """:attr:`destinations` with the defaults filled in (the caller's account
        where none is named), each once; the default destination alone without them."""
        if not self.destinations:
            return (self._default,)
        return tuple(dict.fromkeys(d.resolve(self._default) for d in self.destinations))

    def unreachable(self, destination: Destination) -> AccountState | None:
        """The state of ``destination``'s account if it is known to be unreachable
        (its role was refused when :meth:`prepare_access` tried it), else None."""
        if self.access is None or destination.account is None:
            return None
        state = self.access.state(destination.account)
        return state if state is not None and state.error is not None else None

    def reader(self) -> contextlib.AbstractAsyncContextManager[ApiCaller]:
        """Read calls before or after :meth:`run` with the run's own credentials and
        rate controllers (see :meth:`Engine.reader`): a prompt sizing the run, a
        follow-up of what it started."""
        return self._engine.reader()

    # -- control, for progress displays and signal handlers ------------------------------

    def statistics(self) -> EngineStatistics:
        if self._verifying is not None:
            return self._verifying.statistics()
        return self._engine.statistics()

    def stop(self, reason: str, *, hard: bool = False, signalled: bool = False) -> None:
        """Stop taking targets (see :meth:`Engine.stop`); the report stays complete.
        While following a server-side cancel, stop waiting (the report says so)."""
        if self._follow_scope is not None:
            self._follow_scope.cancel()
            return
        if self._verifying is not None:
            self._verifying.stop(reason, hard=hard, signalled=signalled)
            return
        self._engine.stop(reason, hard=hard, signalled=signalled)

    @property
    def following(self) -> bool:
        """The targets are done and the server-side cancel is being followed."""
        return self._follow_scope is not None

    @property
    def stop_reason(self) -> str | None:
        return self._engine.stop_reason

    # -- the run -------------------------------------------------------------------------

    async def run(
        self,
        *,
        on_result: Callable[[Result], object] | None = None,
        on_carried: Callable[[Result], object] | None = None,
    ) -> Report:
        """Run to the end (or the stop), write the report directory, return the report.

        ``on_result`` sees each result of this run as it finishes; ``on_carried`` each
        result carried from the journal on resume, before the run starts. An S3 report
        gets the journal every few seconds as the run goes, whatever it holds when the
        run fails, and every file at the end. Closes the session.
        """
        if self._used:
            raise ConfigurationError("a RunSession runs once; create a new one")
        self._used = True
        try:
            await self.open()
            await self.prepare_access()
            await self.check_queries()
            store = self._store
            if store is None:
                return await self._run(on_result, on_carried)
            try:
                async with anyio.create_task_group() as tg:
                    tg.start_soon(store.run_sync)
                    report = await self._run(on_result, on_carried)
                    tg.cancel_scope.cancel()
            except BaseException:
                # The session has closed the journal: what it holds must reach where
                # a resume reads it.
                with anyio.CancelScope(shield=True), anyio.move_on_after(30):
                    await store.sync()
                raise
            await store.publish()
            return report
        finally:
            await self.aclose()

    async def _run(
        self,
        on_result: Callable[[Result], object] | None,
        on_carried: Callable[[Result], object] | None,
    ) -> Report:
        self._tally = DestinationTally(started=time.time())
        engine = self._engine
        directory = self.report_dir
        writer = None if directory is None else ResultsWriter(directory)
        page = (
            None
            if directory is None
            else ReportPage(directory, resume=self.resume, rate_limit=self.config.rate)
        )
        journal: Journal | None = None
        # verify: what this run reads; verify=True without a report directory: the
        # targets to read again (with one, its results.jsonl holds them).
        verification = Verification() if isinstance(self.operation, Verify) else None
        kept: list[Target] | None = [] if self.verify and directory is None else None
        try:
            if self.resume and self.journal_path is not None:
                reader = JournalReader(self.journal_path)
                for carried in reader:
                    engine.carry(carried)
                    if verification is not None:
                        verification.add(carried)
                    if kept is not None and (again := Verify.recheck(carried)) is not None:
                        kept.append(again)
                    self._tally.add(carried, carried=True)
                    self.deletions.add(carried)
                    if writer is not None:
                        writer.write(carried)
                    if page is not None:
                        page.add(carried)
                    if on_carried is not None:
                        on_carried(carried)
                self._finished = reader.finished
            if self.journal_path is not None and not self.config.dry_run:
                journal = Journal(self.journal_path)

            tally = self._tally
            track = self._tracker()

            def record(result: Result) -> None:
                # Serialised once for both files: this runs for every target.
                line = result.to_line()
                tally.add(result)
                if track is not None:
                    track(result)
                if verification is not None:
                    verification.add(result)
                if kept is not None and (again := Verify.recheck(result)) is not None:
                    kept.append(again)
                if journal is not None:
                    journal.record(result, line)
                if writer is not None:
                    writer.write(result, line)
                if page is not None:
                    page.add(result)
                if on_result is not None:
                    on_result(result)

            # A sorted file as the only source de-duplicates in O(1) memory.
            only_file = len(self._files) == 1 and not (
                self._named or self._listings or self._stream
            )
            self._dedup = Deduplicator(assume_sorted=only_file and self._files[0][0].scan.sorted)

            def record_batch(batch: ResultBatch) -> None:
                tally.add_batch(batch.prototype, len(batch))
                if writer is not None:
                    writer.write_lines(batch.lines(), len(batch))
                if page is not None:
                    page.add_batch(batch)
                if on_result is not None:
                    for result in batch.results():
                        on_result(result)

            total = self.known_total
            lane_keys = self._lane_keys()
            if lane_keys is not None:
                # Interleaved sources are not in order: de-duplicate by digest.
                self._dedup = Deduplicator()
                main, lanes = self._lanes(lane_keys)
                report = await engine.run(main, total=None, on_result=record, lanes=lanes)
            elif self._listings or isinstance(self._stream, AsyncIterable):
                report = await engine.run(self._async_feed(), total=total, on_result=record)
            elif self.config.dry_run and not self.destinations:
                # Nothing to call: plain lines of a file stay batches from the read to
                # results.jsonl (a million-line plan in seconds, not minutes).
                report = await engine.run_batches(
                    self._batched_feed(), total=total, on_result=record, on_batch=record_batch
                )
            else:
                report = await engine.run(self._sync_feed(), total=total, on_result=record)
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        finally:
            if journal is not None:
                journal.close()
            self.close()
        if writer is not None:
            writer.close()
        report = replace(report, listing_incomplete=self.listing_incomplete)
        if self._cancelled:
            self.server_side_cancel = await self._follow_cancelled()
            report = replace(report, server_side_cancel=self.server_side_cancel)
        if verification is not None:
            verification.incomplete = self._unreached_why(report)
            report = replace(report, verification=verification)
        elif self.verify and not report.stopped_by_signal:
            targets = kept if kept is not None else report_targets(self.report_dir or "")
            report = replace(report, verification=await self._verify_again(targets))
        extra = self._extra()
        if page is not None:
            extra.update(page.extra())
        self.summary = {**report.to_json(), **extra}
        if directory is not None:
            write_summary(report, directory, extra)
        if page is not None:
            page.write(self.summary)
        return report

    def _unreached_why(self, report: Report) -> str | None:
        """Why some targets of a verify were never read (None: every one was)."""
        if self.listing_error is not None:
            return f"a listing failed: {self.listing_error}"
        if self.listing_incomplete:
            return "a listing stopped before its end or was not run"
        if report.stop_reason is not None:
            return f"stopped: {report.stop_reason}"
        return None

    async def _verify_again(self, targets: Iterable[Target]) -> Verification:
        """Every target of the run read again (``verify=True``), in a session of its
        own over the same accounts: :meth:`stop` and :meth:`statistics` reach it."""

        def started(session: RunSession) -> None:
            self._verifying = session

        try:
            return await verify_again(targets, self.config, access=self.access, on_session=started)
        finally:
            self._verifying = None

    @property
    def listing_incomplete(self) -> bool:
        """A listing failed, stopped before its end, or was not run: what it would have
        found is not done (the report's exit code says 1)."""
        return (
            self.listing_stopped_early
            or self.listing_error is not None
            or bool(self.failed_listings)
            or bool(self.unreached_listings)
        )

    def _tracker(self) -> Callable[[Result], None] | None:
        """What the session notes of each result besides the files: deletion times,
        and the jobs whose CancelJob AWS carries on server-side."""
        op = self.operation
        if self.config.dry_run or not op.whole_job:
            return None
        deletions, cancelled = self.deletions, self._cancelled
        follow = op.cancels_server_side

        def track(result: Result) -> None:
            deletions.add(result)
            if follow and result.outcome in _FOLLOWED:
                target = result.target
                since = result.finished_at or time.time()
                cancelled.append((target.job_id, since, target.destination))

        return track

    async def _follow_cancelled(self) -> ServerSideCancel:
        """DescribeJob for the jobs CancelJob was sent for, each in its destination
        through the run's roles and rate controllers (followed to the end with
        :attr:`wait_timeout`); :meth:`stop` ends the wait."""
        self._follow_scope = scope = anyio.CancelScope()
        try:
            async with self.reader() as call:

                async def describe(job_id: str, where: Destination) -> Mapping[str, Any]:
                    return await call("DescribeJob", {"jobId": job_id}, destination=where)

                return await after_cancel_job(
                    describe,
                    self._cancelled,
                    force=self.operation.force,
                    wait_timeout=self.wait_timeout,
                    on_update=self._on_cancel_progress,
                    scope=scope,
                )
        finally:
            self._follow_scope = None

    def _placed(self, item: Target | InvalidTarget) -> Target | InvalidTarget:
        """``item`` at the run's default destination where it names none: a target's
        identity (journal, de-duplication, report) must not depend on whether its
        region or account came from the config or from the target."""
        default = self._default
        if default.is_default:
            return item
        target = item if isinstance(item, Target) else item.target
        where = target.destination.resolve(default)
        if where == target.destination:
            return item
        if isinstance(item, Target):
            return replace(item, destination=where)
        return replace(item, target=replace(target, destination=where))

    def _spread(self, item: Target | InvalidTarget) -> Iterator[Target | InvalidTarget]:
        """``item`` in each of :attr:`destinations` it does not override (once per
        distinct destination), placed; just placed without destinations."""
        if not self.destinations:
            yield self._placed(item)
            return
        target = item if isinstance(item, Target) else item.target
        own = target.destination
        if own.account is not None and own.region is not None:
            yield self._placed(item)
            return
        seen: set[Destination] = set()
        for destination in self.destinations:
            where = own.resolve(destination)
            if where in seen:
                continue
            seen.add(where)
            spread = replace(target, destination=where)
            yield self._placed(spread if isinstance(item, Target) else replace(item, target=spread))

    def _listing_specs(self) -> list[Listing]:
        """Every listing once per destination it runs in (see :attr:`destinations`)."""
        specs: list[Listing] = []
        for spec in self._listings:
            base = spec.destination or Destination()
            wheres = [base.resolve(d) for d in self.destinations] or [base]
            for where in dict.fromkeys(w.resolve(self._default) for w in wheres):
                placed = replace(spec, destination=None if where.is_default else where)
                specs.append(self._pinned_at(placed, where))
        return specs

    def _pinned_at(self, spec: Listing, where: Destination) -> Listing:
        """``spec`` with a pinned job selection narrowed to the jobs listed at ``where``
        (their destination set to the spec's). An account whose role was refused keeps
        its listing, so the run records it as not reached, as without a pin."""
        jobs = spec.jobs if isinstance(spec, FromQuery) else spec
        if not isinstance(jobs, FromJobs) or (listed := jobs.listed) is None:
            return spec
        if self.unreachable(where) is not None:
            jobs = replace(jobs, listed=None)
        else:
            jobs = jobs.pin(
                replace(job, destination=spec.destination)
                for job in listed
                if (job.destination or Destination()).resolve(self._default) == where
            )
        return replace(spec, jobs=jobs) if isinstance(spec, FromQuery) else jobs

    def pin_jobs(self, jobs: Sequence[ListedJob]) -> None:
        """Fix every job selection of this run (:class:`FromJobs`, alone or in a
        :class:`FromQuery`) to ``jobs`` — the jobs an operator was shown and
        confirmed — so the run acts on exactly those (see :meth:`FromJobs.pin`).
        Call before :meth:`run`."""
        if self._used:
            raise ConfigurationError("pin_jobs comes before the run")
        pinned: list[Listing] = []
        for spec in self._listings:
            if isinstance(spec, FromJobs):
                spec = spec.pin(jobs)
            elif isinstance(spec, FromQuery) and spec.jobs is not None:
                spec = replace(spec, jobs=spec.jobs.pin(jobs))
            pinned.append(spec)
        self._listings = pinned

    def _keep(self, item: Target | InvalidTarget, status: str | None = None) -> bool:
        target = item if isinstance(item, Target) else item.target
        if self._finished and target_digest(target) in self._finished:
            self.resumed_skips += 1
            return False
        if isinstance(item, Target) and not self._dedup.is_new(item):
            return False
        self.plan.add(item, status=status)
        return True

    def _fixed(self) -> Iterator[Target | InvalidTarget]:
        yield from self._named
        for source, _ in self._files:
            yield from source
        if self._stream is not None and not isinstance(self._stream, AsyncIterable):
            yield from self._stream

    def _placed_all(self) -> Iterator[Target | InvalidTarget]:
        if not self.destinations:
            return map(self._placed, self._fixed())
        return (placed for item in self._fixed() for placed in self._spread(item))

    def _batched_feed(self) -> Iterator[Target | InvalidTarget | TargetBatch]:
        """:meth:`_sync_feed` with the files' runs of plain lines as batches."""
        for item in map(self._placed, self._named):
            if self._keep(item):
                yield item
        for source, _ in self._files:
            for found in source._batches():
                if isinstance(found, TargetBatch):
                    batch = self._keep_batch(self._placed_batch(found))
                    if batch.names:
                        yield batch
                else:
                    item = self._placed(found)
                    if self._keep(item):
                        yield item
        if self._stream is not None and not isinstance(self._stream, AsyncIterable):
            for item in map(self._placed, self._stream):
                if self._keep(item):
                    yield item

    def _placed_batch(self, batch: TargetBatch) -> TargetBatch:
        """:meth:`_placed` for a batch."""
        if self._default.is_default:
            return batch
        where = batch.destination.resolve(self._default)
        return batch if where == batch.destination else replace(batch, destination=where)

    def _keep_batch(self, batch: TargetBatch) -> TargetBatch:
        """:meth:`_keep` for a batch: what it keeps of it, counted in the plan."""
        if self._finished:
            # Resume skips are per target (a dry run never resumes; kept exact anyway).
            kept = [t.thing_name or "" for t in batch.targets() if self._keep(t)]
            return batch.with_names(kept)
        batch = self._dedup._new_in(batch)
        self.plan.add_batch(batch)
        return batch

    def _sync_feed(self) -> Iterator[Target | InvalidTarget]:
        # Synchronous, so the engine's workers read it directly (no queue hop a target).
        for item in self._placed_all():
            if self._keep(item):
                yield item

    async def _async_feed(self) -> AsyncIterator[Target | InvalidTarget]:
        await self._expect_listed()
        for n, item in enumerate(self._placed_all()):
            if self._keep(item):
                yield item
            if n % 256 == 255:
                await anyio.lowlevel.checkpoint()
        if isinstance(self._stream, AsyncIterable):
            async for streamed in self._stream:
                for item in self._spread(streamed):
                    if self._keep(item):
                        yield item
        async for item in self._listed(self._listing_specs()):
            yield item

    async def _listed(self, specs: Sequence[Listing]) -> AsyncIterator[Target]:
        """What ``specs`` list, one after the other, filtered and placed."""
        engine, selection = self._engine, self.listing_filter
        for spec in specs:
            try:
                async for listed in self._open(spec):
                    if engine.stop_reason is not None:
                        # Listing on would cost read calls for targets that will not run;
                        # a resume lists again and skips what the journal finished.
                        self.listing_stopped_early = True
                        return
                    if selection is not None and not selection.accept(listed):
                        continue
                    target = self._placed(listed.target)
                    if self._keep(target, listed.status):
                        assert isinstance(target, Target)
                        yield target
            except RunInterrupted:
                self.listing_stopped_early = True
                return
            except ApiError as exc:
                if self._unreached(spec, exc):
                    continue
                if self.listing_errors == "continue":
                    self.failed_listings.append((spec, exc))
                    log.error("listing.failed", listing=spec.label, error=str(exc))
                    continue
                # Targets already handed out finish normally; the rest cannot be known.
                self.listing_error = exc
                log.error("listing.failed", error=str(exc))
                engine.stop(f"listing failed: {exc}")
                return

    def _open(self, spec: Listing) -> AsyncIterator[Listed]:
        if isinstance(spec, FromQuery) and spec.jobs is not None:
            # As for FromJobs below: the plan lists the jobs the selection found.
            return spec.open(
                self._engine.call, describe=self.config.dry_run, on_job=self.plan.add_job
            )
        if not isinstance(spec, FromJobs):
            return spec.open(self._engine.call)
        # The plan lists the jobs a selection found (a dry run with DescribeJob's
        # counters) before their targets come.
        return spec.open(
            self._engine.call,
            whole_job=self.operation.whole_job,
            describe=self.config.dry_run,
            on_job=self.plan.add_job,
        )

    def _lane_keys(self) -> list[Destination] | None:
        """The destinations that get a lane of their own (see :meth:`Engine.results`),
        or None for one source: a single destination, or a stream (read once)."""
        if self._stream is not None:
            return None
        keys = list(dict.fromkeys(d.resolve(self._default) for d in self.destinations))
        return keys if len(keys) > 1 else None

    def _lanes(
        self, keys: list[Destination]
    ) -> tuple[Iterable[Target | InvalidTarget] | AsyncIterable[Target | InvalidTarget], list[Any]]:
        """One feed per destination (its share of the named targets and files, then its
        listings), and the main feed with whatever falls outside them."""
        chosen = set(keys)

        def where(item: Target | InvalidTarget) -> Destination:
            return (item if isinstance(item, Target) else item.target).destination

        def fixed(keep: Callable[[Destination], bool]) -> Iterator[Target | InvalidTarget]:
            # Each lane reads the files again (a FileSource is a second pass each time):
            # memory stays flat, and no lane waits for another's targets to go by.
            for item in self._fixed():
                for placed in self._spread(item):
                    if keep(where(placed)) and self._keep(placed):
                        yield placed

        specs = self._listing_specs()

        def lane(key: Destination) -> Any:
            mine = [
                s for s in specs if (s.destination or Destination()).resolve(self._default) == key
            ]
            if not mine:
                return fixed(lambda d: d == key)

            async def feed() -> AsyncIterator[Target | InvalidTarget]:
                for n, item in enumerate(fixed(lambda d: d == key)):
                    yield item
                    if n % 256 == 255:
                        await anyio.lowlevel.checkpoint()
                async for listed in self._listed(mine):
                    yield listed

            return feed()

        others = [
            s
            for s in specs
            if (s.destination or Destination()).resolve(self._default) not in chosen
        ]

        async def rest() -> AsyncIterator[Target | InvalidTarget]:
            for item in fixed(lambda d: d not in chosen):
                yield item
            async for listed in self._listed(others):
                yield listed

        main = rest() if others else fixed(lambda d: d not in chosen)
        return main, [lane(key) for key in keys]

    def _unreached(self, spec: Listing, exc: ApiError) -> bool:
        """A listing in an account whose role was refused: that account's loss alone
        (recorded, the run goes on); any other failure stops the run as before."""
        account = None if spec.destination is None else spec.destination.account
        state = None if account is None or self.access is None else self.access.state(account)
        if state is None or state.error is None:
            return False
        failure = state.error
        self.unreached_listings.append((spec, failure))
        where = (spec.destination or Destination()).resolve(self._default)
        self._tally.not_listed(where, code=failure.code, message=failure.message)
        log.error("listing.unreached", account=account, error=str(exc))
        return True

    async def _expect_listed(self) -> None:
        """A whole-job listing's size is in DescribeJob's counters: one call buys the
        progress display a total and an ETA. An estimate (devices move as we run)."""
        specs = self._listing_specs()
        if len(specs) != 1 or not isinstance(spec := specs[0], FromJob):
            return
        if self.listing_filter is not None and self.listing_filter.cutoff is not None:
            return
        try:
            job = await self._engine.call(
                "DescribeJob", {"jobId": spec.job_id}, destination=spec.destination
            )
        except (ApiError, RunInterrupted):
            return  # the listing itself will report what is wrong
        details = job.get("job", {}).get("jobProcessDetails", {})
        statuses = spec.statuses or tuple(PROCESS_COUNTERS)
        listed = sum(int(details.get(PROCESS_COUNTERS[s], 0)) for s in statuses)
        self.expected_total = self.fixed_total + listed
        self._engine.expect(self.expected_total)

    def _extra(self) -> dict[str, Any]:
        """What ``summary.json`` holds besides the engine's report."""
        extra: dict[str, Any] = {
            "command": self._command,
            "duplicatesRemoved": self._dedup.statistics().duplicates,
            "skippedAsFinishedInJournal": self.resumed_skips,
            "plan": self.plan.to_json(rate=self.plan_rate),
        }
        if self.listing_filter is not None:
            stats = self.listing_filter.statistics()
            extra["listingFilter"] = {
                "seen": stats.seen,
                "kept": stats.kept,
                "wrongStatus": stats.wrong_status,
                "tooRecent": stats.too_recent,
                "unknownStatus": stats.unknown_status,
                "unknownAge": stats.unknown_age,
            }
        if self.queries:
            extra["queries"] = [
                {
                    "queryString": spec.query,
                    "indexName": spec.index_name,
                    "jobId": spec.job_id,
                    "jobs": None if spec.jobs is None else spec.jobs.label,
                    **(spec.destination or Destination()).to_json(),
                }
                for spec in self.queries
            ]
        if (deleted := self.deletions.to_json()) is not None:
            extra["deletions"] = deleted
        rows = self._tally.to_json()
        if self.server_side_cancel is not None:
            # Per account and region, beside what the run did there.
            cancels = self.server_side_cancel.by_destination()
            for row in rows:
                if (cancel := cancels.get(Destination.from_json(row))) is not None:
                    row["serverSideCancel"] = cancel
        extra["byDestination"] = rows
        if self.needs_access and self.access is not None:
            extra["access"] = self.access.to_json()
        if self.unreached_listings:
            extra["unreachedListings"] = [
                {
                    **(spec.destination or Destination()).resolve(self._default).to_json(),
                    "listing": spec.label,
                    "errorCode": failure.code,
                    "error": failure.message,
                }
                for spec, failure in self.unreached_listings
            ]
        if self.listing_error is not None:
            extra["listingError"] = str(self.listing_error)
        if self.failed_listings:
            extra["failedListings"] = [
                {
                    "listing": spec.label,
                    **(spec.destination or Destination()).to_json(),
                    "errorCode": exc.code,
                    "error": str(exc),
                }
                for spec, exc in self.failed_listings
            ]
        if self.listing_stopped_early:
            extra["listingStoppedEarly"] = True
        # Which figures are estimates rather than counts or measurements.
        estimates = {"plan.estimatedSeconds": "targets ÷ rate, computed before the run"}
        if self.expected_total is not None:
            extra["expectedTotal"] = self.expected_total
            estimates["expectedTotal"] = (
                "DescribeJob's counters before the listing (devices move while a run goes); "
                "total is the count"
            )
        extra["estimates"] = estimates
        return extra

    # -- resources -----------------------------------------------------------------------

    async def open(self) -> None:
        """The S3 ends, staged before anything is sent (safe to repeat): each manifest
        downloaded and checked like a local file (its lines named by its URL), and an
        S3 report prepared — refused when its journal records a run and ``resume`` was
        not given, or its journal and summary brought back to resume from.

        Raises :class:`InvalidInputError` for a bad manifest line and
        :class:`ConfigurationError` when S3 refuses (the answer is in the message).
        """
        if self._opened:
            return
        self._opened = True
        if not (self._remote or self.report_url):
            return
        self._staging = staging = Staging(
            profile=self.config.profile, region=self.config.region, encryption=self._encryption
        )
        try:
            for placed, (index, spec) in enumerate(self._remote):
                path = await staging.download(spec.path)
                local = replace(spec, path=str(path), name=spec.name or spec.path)
                scanned = local.scan(self.operation)
                self._owned.append(scanned)
                self._files.insert(index + placed, (scanned, spec.skip_invalid))
                scanned.check(skip_invalid=spec.skip_invalid)
            if self.report_url is not None:
                self._store = await staging.report(self.report_url, resume=self.resume)
                self.report_dir = self._store.directory
                self.journal_path = self.report_dir / "journal.jsonl"
        except BaseException:
            await self.aclose()
            raise

    def close(self) -> None:
        """Remove the copies of stdin or pipes this session made (safe to repeat)."""
        for source in self._owned:
            source.close()

    async def aclose(self) -> None:
        """:meth:`close`, and the S3 client and local copies :meth:`open` made."""
        self.close()
        if self._staging is not None:
            await self._staging.aclose()
            self._staging = None

    async def __aenter__(self) -> RunSession:
        try:
            await self.open()
        except BaseException:
            await self.aclose()
            raise
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __enter__(self) -> RunSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
