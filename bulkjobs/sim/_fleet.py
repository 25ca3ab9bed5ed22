"""Seeded fleets: deterministic things, groups, jobs and executions to rehearse against.

A :class:`FleetSpec` plus a seed always yields the same statuses, execution numbers and
versions, and the same *ages*: timestamps are spread over the past ``max_age_days``
before the moment the fleet is built — a terminal execution's end evenly — so an
"older than 30 days" filter finds about the share of the span older than 30 days.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from bulkjobs.sim import _rules
from bulkjobs.sim._errors import ApiError
from bulkjobs.sim._manyjobs import seed_jobs
from bulkjobs.sim._model import Execution, ExecutionStatus, ThingProfile
from bulkjobs.sim._state import FleetState

_DAY = 86_400.0

#: Attributes seeded things get by default: a hardware revision, spread evenly.
DEFAULT_ATTRIBUTES: tuple[tuple[str, tuple[str, ...]], ...] = (("hwRev", ("A1", "B2", "C3")),)
# The registry's AttributeName and AttributeValue patterns (IoT service model).
_ATTRIBUTE_NAME = re.compile(r"[a-zA-Z0-9_.,@/:#-]{1,128}")
_ATTRIBUTE_VALUE = re.compile(r"[a-zA-Z0-9_.,@/:#=\[\]-]{0,800}")

#: Terminal states a seeded execution is drawn from, uniformly.
DEFAULT_TERMINAL_STATUSES: tuple[ExecutionStatus, ...] = (
    ExecutionStatus.SUCCEEDED,
    ExecutionStatus.FAILED,
    ExecutionStatus.CANCELED,
    ExecutionStatus.TIMED_OUT,
    ExecutionStatus.REJECTED,
    ExecutionStatus.REMOVED,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetSpec:
    """The fleet a simulator starts with.

    Every job targets every thing. Each execution is IN_PROGRESS with probability
    ``in_progress``, terminal with probability ``terminal`` (a status drawn from
    ``terminal_statuses``) and QUEUED otherwise. Things are named
    ``f"{thing_prefix}{i:06d}"`` for i = 1..things. Thing groups: a root group
    ``root_group`` that every job targets; with ``groups`` > 0 it holds no things itself
    but has ``groups`` child groups ``f"{root_group}-{k:02d}"`` sharing the things
    round-robin, so only a recursive listing of the root sees them all.

    Fleet indexing sees each thing with one value of every attribute in ``attributes``
    (name → values, drawn uniformly: by default ``hwRev`` among three revisions) and
    connected with probability ``connected``. These draws come from an RNG of their
    own, so adding attributes never changes a seed's statuses.

    ``jobs`` more jobs ``f"{job_prefix}{i:05d}"`` of varied statuses, targets and dates
    (see :mod:`bulkjobs.sim._manyjobs`), each with ``job_executions`` executions.
    """

    things: int = 100
    job_ids: tuple[str, ...] = ("job-1",)
    in_progress: float = 0.0
    terminal: float = 0.0
    terminal_statuses: tuple[ExecutionStatus, ...] = DEFAULT_TERMINAL_STATUSES
    thing_prefix: str = "thing-"
    groups: int = 0
    root_group: str = "fleet"
    max_age_days: float = 60.0
    # Execution numbers are drawn from 1..max_execution_number, so clients that assume
    # 1 (or reuse one thing's number for another) are caught.
    max_execution_number: int = 1
    attributes: tuple[tuple[str, tuple[str, ...]], ...] = DEFAULT_ATTRIBUTES
    connected: float = 0.5
    seed: int = 0
    jobs: int = 0
    job_executions: int = 20
    job_prefix: str = "sim-job-"

    def __post_init__(self) -> None:
        if self.things < 0:
            raise ValueError("things must be >= 0")
        if not self.job_ids:
            raise ValueError("at least one job id is needed")
        if len(set(self.job_ids)) != len(self.job_ids):
            raise ValueError("job ids must be distinct")
        for share, name in ((self.in_progress, "in_progress"), (self.terminal, "terminal")):
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        if self.in_progress + self.terminal > 1.0 + 1e-9:
            raise ValueError("in_progress + terminal must not exceed 1")
        if not self.terminal_statuses or any(
            status in (ExecutionStatus.QUEUED, ExecutionStatus.IN_PROGRESS)
            for status in self.terminal_statuses
        ):
            raise ValueError("terminal_statuses must be non-empty and terminal")
        if self.jobs < 0 or self.job_executions < 1:
            raise ValueError("jobs must be >= 0 and job_executions >= 1")
        if self.jobs > 99_999:
            raise ValueError("jobs must be <= 99999")
        named = set(self.job_ids)
        if any(f"{self.job_prefix}{i:05d}" in named for i in range(1, self.jobs + 1)):
            raise ValueError("generated job ids must not repeat a named job id")
        if not 0.0 <= self.connected <= 1.0:
            raise ValueError("connected must be between 0 and 1")
        object.__setattr__(
            self,
            "attributes",
            tuple((str(name), tuple(values)) for name, values in dict(self.attributes).items()),
        )
        for name, values in self.attributes:
            if not _ATTRIBUTE_NAME.fullmatch(name) or not values:
                raise ValueError(f"attribute {name!r}: a name [a-zA-Z0-9_.,@/:#-]+ and values")
            for value in values:
                if not _ATTRIBUTE_VALUE.fullmatch(value):
                    raise ValueError(f"attribute {name}: value {value!r} is not a valid value")
        if self.groups < 0 or self.max_age_days < 0 or self.max_execution_number < 1:
            raise ValueError("groups, max_age_days must be >= 0; max_execution_number >= 1")
        # The fleet must be reachable through the API it simulates.
        try:
            for job_id in self.job_ids:
                _rules.job_id(job_id)
            if self.jobs:
                _rules.job_id(f"{self.job_prefix}{self.jobs:05d}")
            _rules.thing_name(self.thing_name(max(self.things, 1)))
            _rules.thing_group_name(self.root_group)
            _rules.thing_group_name(self.group_name(max(self.groups, 1)))
        except ApiError as exc:
            raise ValueError(exc.message) from None

    def thing_name(self, index: int) -> str:
        """The name of thing number ``index`` (1-based)."""
        return f"{self.thing_prefix}{index:06d}"

    def group_name(self, index: int) -> str:
        """The name of child group number ``index`` (1-based) under the root group."""
        return f"{self.root_group}-{index:02d}"


def build_state(
    spec: FleetSpec, *, now: float, account_id: str = "123456789012", region: str = "us-east-1"
) -> FleetState:
    """A fleet state seeded from ``spec``, with timestamps in the past of ``now``."""
    state = FleetState(account_id=account_id, region=region)
    names = [spec.thing_name(index) for index in range(1, spec.things + 1)]
    profiles = _profiles(spec, names)
    state.add_group(spec.root_group)
    if spec.groups:
        for k in range(spec.groups):
            child = spec.group_name(k + 1)
            state.add_group(child, parent=spec.root_group)
            state.add_things(names[k :: spec.groups], group=child, profiles=profiles)
    else:
        state.add_things(names, group=spec.root_group, profiles=profiles)

    rng = random.Random(spec.seed)
    span = spec.max_age_days * _DAY
    in_progress_below = spec.in_progress
    terminal_below = spec.in_progress + spec.terminal
    targets = (state.group_arn(spec.root_group),)
    top_number = spec.max_execution_number
    terminal_statuses = spec.terminal_statuses
    for job_id in spec.job_ids:
        # All jobs share one listing order: the thing list itself.
        job = state.add_job(
            job_id,
            now=now - span,
            description=f"Simulated job {job_id}",
            targets=targets,
            order=names,
        )
        for name in names:
            draw = rng.random()
            queued_at = now - rng.random() * span
            number = 1 if top_number == 1 else rng.randint(1, top_number)
            if draw < in_progress_below:
                started_at = queued_at + rng.random() * (now - queued_at)
                updated_at = started_at + rng.random() * (now - started_at)
                # Devices report progress a few times: versions are not all equal.
                status, version = ExecutionStatus.IN_PROGRESS, 2 + int(rng.random() * 4)
            elif draw < terminal_below:
                # A terminal execution's last update (when it ended) is spread evenly
                # over the span, so an age filter finds its share: drawn from the
                # queue time forward, most would have ended in the last few days.
                oldest = now - span
                updated_at = now - rng.random() * span
                started_at = updated_at - rng.random() * (updated_at - oldest)
                queued_at = started_at - rng.random() * (started_at - oldest)
                status = terminal_statuses[int(rng.random() * len(terminal_statuses))]
                version = 3 + int(rng.random() * 4)
            else:
                status, version, started_at, updated_at = ExecutionStatus.QUEUED, 1, None, queued_at
            execution = Execution(
                job_id=job_id,
                thing_name=name,
                status=status,
                execution_number=number,
                version_number=version,
                queued_at=queued_at,
                started_at=started_at,
                last_updated_at=updated_at,
            )
            state.install(job, execution, append_to_order=False)
        state.settle_job(job, now)
    if spec.jobs:
        groups = [spec.group_name(k + 1) for k in range(spec.groups)] or [spec.root_group]
        seed_jobs(
            state,
            count=spec.jobs,
            executions=spec.job_executions,
            names=names,
            groups=groups,
            job_prefix=spec.job_prefix,
            max_age_days=spec.max_age_days,
            seed=spec.seed,
            now=now,
        )
    return state


def _profiles(spec: FleetSpec, names: list[str]) -> dict[str, ThingProfile]:
    """Each thing's attributes and connectivity, from an RNG of their own; alike things
    share one profile object."""
    rng = random.Random(f"profiles/{spec.seed}")
    shared: dict[tuple[tuple[str, ...], bool], ThingProfile] = {}
    keys = [name for name, _ in spec.attributes]
    found: dict[str, ThingProfile] = {}
    for name in names:
        values = tuple(choices[int(rng.random() * len(choices))] for _, choices in spec.attributes)
        connected = rng.random() < spec.connected
        profile = shared.get((values, connected))
        if profile is None:
            profile = shared[(values, connected)] = ThingProfile.of(
                dict(zip(keys, values, strict=True)), connected=connected
            )
        found[name] = profile
    return found
