"""Benchmarks: bulkjobs against its peers, on one machine, against the simulator.

    python -m benchmarks --quick            # about two minutes
    python -m benchmarks --full             # the sizes the README's figures quote
    python -m benchmarks --quick --only quota --only startup

Each scenario is a module with ``run(mode) -> ScenarioResult``:

* :mod:`benchmarks.quota` — quota saturation and a quota drop, peers included;
* :mod:`benchmarks.hotpath` — engine overhead against raw aiobotocore, plus a profile;
* :mod:`benchmarks.memory` — peak RSS for a million-line dry run and for real calls;
* :mod:`benchmarks.startup` — CLI launch to first request, and import costs.

The simulator runs in its own process (``python -m bulkjobs.sim``) so its CPU is not
charged to the client; on a machine with two or more CPUs the two are pinned apart.
Tables go to stdout, the same figures as JSON to ``benchmarks/results/``. Targets are
printed as pass/fail for information only: timings are never asserted in tests.
"""
