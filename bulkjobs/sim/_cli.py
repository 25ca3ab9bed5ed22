"""``bulkjobs simulate`` / ``python -m bulkjobs.sim``: run the simulator until stopped.

The first line on stdout is the endpoint URL, flushed at once, so a script can start the
simulator in the background and read where to point its client; the counters follow
when it stops (Ctrl-C or SIGTERM). The options themselves live in :mod:`._options`.
"""

from __future__ import annotations

import argparse
import json
import sys

from bulkjobs.sim._options import add_simulate_arguments, config_from_args
from bulkjobs.sim._serve import run_simulator
from bulkjobs.sim._simulator import Simulator, check_loopback
from bulkjobs.sim._stats import SimStatistics

__all__ = ["add_simulate_arguments", "format_statistics", "main", "run_simulate"]


def format_statistics(stats: SimStatistics) -> str:
    """The counters as a small table."""
    header = f"{'operation':<28}{'requests':>9}{'ok':>9}{'throttled':>10}{'503':>6}"
    header += f"{'resets':>7}{'lost':>6}{'other errors':>13}"
    lines = [header]
    for name, op in stats.operations.items():
        other = sum(op.errors.values()) - op.throttled - op.unavailable
        lines.append(
            f"{name:<28}{op.requests:>9}{op.accepted:>9}{op.throttled:>10}{op.unavailable:>6}"
            f"{op.resets:>7}{op.lost_responses:>6}{other:>13}"
        )
    lines.append(
        f"total requests {stats.total_requests}, in flight peak {stats.in_flight_peak}, "
        f"device updates {stats.device_updates}, "
        f"CancelJob updates {stats.job_cancellation_updates}, uptime {stats.uptime:.1f}s"
    )
    return "\n".join(lines)


def run_simulate(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C / SIGTERM; 0 on a clean stop, 2 on bad options, 1 if it cannot bind."""
    try:
        check_loopback(args.sim_host, allow_remote=args.sim_allow_remote)
        config, fleet = config_from_args(args)
    except ValueError as exc:
        print(f"bulkjobs simulate: error: {exc}", file=sys.stderr)
        return 2

    def announce(sim: Simulator) -> None:
        print(sim.endpoint_url, flush=True)
        where = ""
        if config.separate:
            regions = args.sim_regions or config.region
            where = (
                f" in each of accounts {', '.join((config.account_id, *config.accounts))} "
                f"(caller {config.account_id}; roles {', '.join(sorted(config.roles))}) "
                f"and regions {regions}"
            )
        more = f" and {fleet.jobs} more ({fleet.job_prefix}…)" if fleet.jobs else ""
        print(
            f"simulating {fleet.things} things, jobs {', '.join(fleet.job_ids)}{more}{where}; "
            "Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        if config.separate:
            url = sim.endpoint_url
            print(
                "point every service at it: export "
                + " ".join(
                    f"AWS_ENDPOINT_URL_{name}={url}"
                    for name in ("IOT", "STS", "ORGANIZATIONS", "SERVICE_QUOTAS")
                ),
                file=sys.stderr,
                flush=True,
            )

    try:
        stats = run_simulator(
            config,
            fleet,
            host=args.sim_host,
            port=args.sim_port,
            allow_remote=args.sim_allow_remote,
            on_ready=announce,
        )
    except OSError as exc:
        print(f"bulkjobs simulate: error: cannot listen: {exc}", file=sys.stderr)
        return 1
    print(format_statistics(stats), flush=True)
    if args.sim_stats_json is not None:
        args.sim_stats_json.write_text(json.dumps(stats.as_dict(), indent=2) + "\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m bulkjobs.sim``."""
    parser = argparse.ArgumentParser(
        prog="python -m bulkjobs.sim",
        description="Run the AWS IoT Jobs control-plane simulator on a local port.",
    )
    add_simulate_arguments(parser)
    return run_simulate(parser.parse_args(argv))
