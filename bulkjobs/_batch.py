"""Targets and results in bulk: a million-line dry run without a million objects.

A plain file of thing names gives long runs of targets that differ in nothing but the
thing name: same job, same destination, no executionNumber or expectedVersion. The
first pass validates such a run with one regular expression over a block of bytes
(:mod:`bulkjobs._fileformats`), and a dry run turns it into ``results.jsonl`` lines
without building a :class:`Target` or a :class:`Result` per line:

- :class:`TargetBatch` is the run of targets: the shared fields once, the names as a
  list of strings;
- :class:`ResultBatch` is their results, which share everything but the name too: one
  prototype :class:`Result`, made by the same code as the per-target path for a target
  whose thing name is a sentinel, serialised once; each line is that serialisation
  with the name put where the sentinel was. The lines are therefore byte for byte what
  :meth:`Result.to_line` writes (``tests/unit/test_batch.py`` holds the two paths to it).

Only names that match the API's ``ThingName`` rule (``[a-zA-Z0-9:_-]{1,128}``) go into a
batch: they need no escaping in JSON, and ``repr`` quotes them plainly, which the
de-duplication digests below rely on.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Final

from bulkjobs._destination import Destination
from bulkjobs._models import Result, Target

__all__ = ["ResultBatch", "TargetBatch"]

#: Stands for the thing name in a prototype: no valid thing name contains a NUL.
SENTINEL: Final = "\x00"
#: The sentinel as the compact JSON encoder writes it (``ensure_ascii``).
_SENTINEL_JSON: Final = "\\u0000"


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetBatch:
    """Consecutive targets of one job and destination, known only by thing name.

    Stands for ``Target(job_id=job_id, thing_name=name, destination=destination)`` for
    each name, in order; every name matches the ``ThingName`` rule.
    """

    job_id: str
    destination: Destination
    names: Sequence[str]

    def __len__(self) -> int:
        return len(self.names)

    def target(self, index: int) -> Target:
        return Target(
            job_id=self.job_id, thing_name=self.names[index], destination=self.destination
        )

    def targets(self) -> Iterator[Target]:
        """The targets one by one (for consumers that need the objects)."""
        job_id, destination = self.job_id, self.destination
        for name in self.names:
            yield Target(job_id=job_id, thing_name=name, destination=destination)

    def prototype(self) -> Target:
        """The batch's target with the sentinel for a name."""
        return Target(job_id=self.job_id, thing_name=SENTINEL, destination=self.destination)

    def with_names(self, names: Sequence[str]) -> TargetBatch:
        return TargetBatch(job_id=self.job_id, destination=self.destination, names=names)

    def digests(self) -> Iterator[bytes]:
        """:func:`~bulkjobs._models.target_digest` of each target, from one ``repr``
        of the key: a valid thing name's ``repr`` is the name in single quotes."""
        head, tail = repr(self.prototype().key).split(repr(SENTINEL))
        blake2b = hashlib.blake2b
        for name in self.names:
            yield blake2b(f"{head}'{name}'{tail}".encode(), digest_size=16).digest()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultBatch:
    """The results of a :class:`TargetBatch`: ``prototype`` (a :class:`Result` for
    the batch's prototype target) with each name in turn for the sentinel."""

    prototype: Result
    names: Sequence[str]

    def __len__(self) -> int:
        return len(self.names)

    def results(self) -> Iterator[Result]:
        """The results one by one (for consumers that need the objects)."""
        proto = self.prototype
        request = proto.request
        for name in self.names:
            named = None
            if request is not None:
                params = {k: name if v == SENTINEL else v for k, v in request.params.items()}
                named = replace(request, params=params)
            yield replace(proto, target=replace(proto.target, thing_name=name), request=named)

    def lines(self) -> str:
        """The batch's ``results.jsonl`` lines, as :meth:`Result.to_line` writes them."""
        parts = self.prototype.to_line().split(_SENTINEL_JSON)
        return "".join([name.join(parts) for name in self.names])
