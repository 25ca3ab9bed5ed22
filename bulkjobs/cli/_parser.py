"""The command line's shape: the AWS CLI's commands and option names, made for bulk.

Every option's default is None here so that ``--cli-input-json`` can fill what the
command line left out (explicit flags win, as in the AWS CLI); the real defaults are
applied afterwards from :data:`DEFAULTS`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, Final

from bulkjobs.cli._accountopts import add_account_arguments

__all__ = ["DEFAULTS", "EXIT_CODES_HELP", "VERIFY_EXIT_CODES_HELP", "build_parser"]

EXIT_CODES_HELP: Final = """\
exit codes:
  0    every target done or a no-op (already terminal, not found)
  1    some targets failed, were skipped by a rule (needs --force, or the
       --expected-version guard did not match), or were left unfinished by
       --deadline, --abort-if-failed-percent or a fatal error; with --verify,
       also when something is still QUEUED or IN_PROGRESS afterwards
  2    usage error, invalid input, or a forced run not confirmed: nothing was sent
  130  interrupted (Ctrl-C / SIGTERM): finished targets are journalled; resume
       with the command printed on stderr
"""

DEFAULTS: Final[dict[str, Any]] = {
    "force": False,
    "rate": "auto",
    "concurrency": 64,
    "max_attempts": 10,
    "dry_run": False,
    "yes": False,
    "log_format": "console",
    "quiet": False,
    "input_format": "auto",
    "recursive": False,
    "ou_recursive": False,
    "skip_invalid": False,
    "resume": False,
    "abort_min_executed": 100,
    "grace_period": 10.0,
    "verbose": False,
    "wait": False,
    "verify": False,
}

_DESCRIPTIONS: Final = {
    "cancel-job-execution": "Cancel the executions of a job on many things "
    "(CancelJobExecution for each target).",
    "delete-job-execution": "Delete job executions on many things "
    "(DeleteJobExecution for each target; execution numbers resolved when not given).",
    "cancel-job": "Cancel whole jobs server-side (CancelJob: one call per job; AWS "
    "cancels its executions at about 1,000 devices a minute).",
    "delete-job": "Delete whole jobs with their executions (DeleteJob: one call per job; "
    "at most 10 deletions in progress per account and region, each followed with "
    "DescribeJob until the job is gone; LimitExceeded means wait, never fail).",
}


_VERIFY_DESCRIPTION: Final = (
    "Read what is still running (QUEUED or IN_PROGRESS) among the targets: the same "
    "selection as the other commands, or --report-dir DIR to re-check every target of an "
    "earlier run. Executions are read with DescribeJobExecution (or from the listing "
    "itself), whole jobs with DescribeJob's counters; nothing is changed, so nothing is "
    "asked. Exit 1 if anything is still running."
)

VERIFY_EXIT_CODES_HELP: Final = """\
exit codes:
  0    nothing is QUEUED or IN_PROGRESS, and every target was read
  1    something is still running (the table and summary.json name it), or some
       target could not be read (it may be running)
  2    usage error or invalid input: nothing was sent
  130  interrupted (Ctrl-C / SIGTERM)
"""


class _StoreOnce(argparse.Action):
    """A single-value option given twice is refused: which one was meant is a guess,
    and keeping the last silently drops the other (the same value twice is harmless)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        previous = getattr(namespace, self.dest, None)
        if previous is not None and previous != values:
            parser.error(
                f"argument {option_string}: given twice ({previous!r} and {values!r}); give it once"
            )
        setattr(namespace, self.dest, values)


class _FlagOnce(argparse.BooleanOptionalAction):
    """``--force --no-force``: a contradiction is refused rather than settled by order."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        previous = getattr(namespace, self.dest, None)
        super().__call__(parser, namespace, values, option_string)
        if previous is not None and previous != getattr(namespace, self.dest):
            parser.error(f"argument {option_string}: contradicts an earlier {self.dest} flag")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose arguments can be added when it is first used.

    ``simulate``'s options are defined next to the simulator and need its configuration
    to build; every other command would pay for importing it at start-up. A parser made
    with ``deferred=`` runs it the first time anything reads its actions: parsing its
    command line, printing its help, or a tool (shell completion, the CLI reference)
    walking its options — so it looks complete to everything that looks.
    """

    def __init__(
        self,
        *args: Any,
        deferred: Callable[[argparse.ArgumentParser], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__["_deferred"] = deferred

    @property
    def _actions(self) -> list[argparse.Action]:
        add = self.__dict__.pop("_deferred", None)
        if add is not None:
            add(self)  # its add_argument calls see the list below, filling it
        actions: list[argparse.Action] = self.__dict__["_actions"]
        return actions

    @_actions.setter
    def _actions(self, value: list[argparse.Action]) -> None:
        self.__dict__["_actions"] = value


def _simulate_arguments(parser: argparse.ArgumentParser) -> None:
    from bulkjobs.sim._options import add_simulate_arguments

    add_simulate_arguments(parser)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=34, width=100)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bulkjobs",
        description="Cancel and delete AWS IoT job executions in bulk — fast, rate-aware, "
        "and accounting for every target.",
        epilog=EXIT_CODES_HELP,
        formatter_class=_Formatter,
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    for name in ("cancel-job-execution", "delete-job-execution", "cancel-job", "delete-job"):
        sub = commands.add_parser(
            name,
            help=_DESCRIPTIONS[name],
            description=_DESCRIPTIONS[name],
            epilog=EXIT_CODES_HELP,
            formatter_class=_Formatter,
        )
        # Every option that takes one value, here and in the helpers below.
        sub.register("action", None, _StoreOnce)
        sub.register("action", "store", _StoreOnce)
        _add_operation_options(sub, name)
        if name not in ("cancel-job", "delete-job"):
            _add_target_options(sub)
        _add_job_selection_options(sub, name)
        _add_run_options(sub)
        _add_aws_options(sub)
        add_account_arguments(sub)
        _add_output_options(sub)

    verify = commands.add_parser(
        "verify",
        help="Read what is still QUEUED or IN_PROGRESS among the targets (read-only; exit 1 "
        "if anything is): the proof after a cancel.",
        description=_VERIFY_DESCRIPTION,
        epilog=VERIFY_EXIT_CODES_HELP,
        formatter_class=_Formatter,
    )
    verify.register("action", None, _StoreOnce)
    verify.register("action", "store", _StoreOnce)
    _add_verify_options(verify)
    _add_target_options(verify)
    _add_job_selection_options(verify, "verify")
    _add_run_options(verify, read_only=True)
    _add_aws_options(verify, skeleton=False)
    add_account_arguments(verify)
    _add_output_options(verify, read_only=True)

    demo = commands.add_parser(
        "demo",
        help="rehearse an emergency cancel against the built-in simulator",
        description="Start the simulator in-process with a small fleet (some executions "
        "IN_PROGRESS, devices churning, a quota the client does not know) and cancel "
        "them all with force, showing the progress and the report.",
        formatter_class=_Formatter,
    )
    demo.add_argument("--things", type=int, default=1500, help="fleet size (default 1500)")
    demo.add_argument(
        "--quota", type=float, default=150.0, help="simulated API quota, req/s (default 150)"
    )
    demo.add_argument("--report", metavar="DIR", help="also write the report files to DIR")
    demo.add_argument("--seed", type=int, default=7, help="fleet seed (default 7)")

    report = commands.add_parser(
        "report",
        help="redraw report.html for a report directory and print its summary",
        description="Rebuild DIR/report.html from DIR's summary.json and results.jsonl (any "
        "report directory, also one written by an older bulkjobs) and print the summary, as "
        "the run printed it.",
        formatter_class=_Formatter,
    )
    report.add_argument(
        "dir", metavar="DIR|s3://B/P/", help="a report directory or S3 prefix (a run's --report)"
    )
    report.add_argument(
        "--output",
        choices=["table", "json"],
        default="table",
        help="summary as a table (default) or one JSON line",
    )
    report.add_argument("--profile", help="named profile, for an S3 prefix")
    report.add_argument("--region", help="region of the S3 client")
    report.add_argument(
        "--sse", choices=["AES256", "aws:kms"], help="server-side encryption of report.html"
    )
    report.add_argument("--kms-key-id", metavar="KEY", help="with --sse aws:kms: the KMS key")

    completion = commands.add_parser(
        "completion",
        help="print a shell completion script (bash or zsh)",
        description="Print the completion script for SHELL, generated from this parser. "
        "bash: add `source <(bulkjobs completion bash)` to ~/.bashrc, or save it as "
        "~/.local/share/bash-completion/completions/bulkjobs. zsh: save it as _bulkjobs in a "
        "directory of your $fpath (e.g. ~/.zfunc, with `fpath+=~/.zfunc; autoload -Uz "
        "compinit; compinit` in ~/.zshrc).",
        formatter_class=_Formatter,
    )
    completion.add_argument("shell", metavar="SHELL", choices=["bash", "zsh"], help="bash or zsh")

    commands.add_parser(
        "simulate",
        help="serve the AWS IoT Jobs simulator on loopback until Ctrl-C",
        description="Serve bulkjobs' AWS IoT Jobs control-plane simulator (quotas, faults, "
        "device churn) for rehearsals and benchmarks. Point any AWS SDK or bulkjobs at the "
        "URL it prints with --endpoint-url.",
        formatter_class=_Formatter,
        deferred=_simulate_arguments,
    )
    return parser


def _add_operation_options(sub: argparse.ArgumentParser, name: str) -> None:
    group = sub.add_argument_group("operation (as in aws iot " + name + ")")
    if name == "delete-job":
        group.add_argument(
            "--job-id",
            dest="job_ids",
            action="append",
            metavar="J",
            help="job to delete (repeatable; or select them with --from-jobs)",
        )
        group.add_argument(
            "--force",
            action=_FlagOnce,
            help="also delete IN_PROGRESS jobs (default: --no-force: such a job is skipped)",
        )
        group.add_argument("--namespace-id", metavar="NS", help="namespaceId")
        return
    if name == "cancel-job":
        group.add_argument(
            "--job-id",
            dest="job_ids",
            action="append",
            metavar="J",
            help="job to cancel (repeatable; or select them with --from-jobs)",
        )
        group.add_argument("--reason-code", metavar="R", help="reasonCode, e.g. BAD_FIRMWARE")
        group.add_argument("--comment", metavar="C", help="comment (≤ 2028 characters)")
        group.add_argument(
            "--force",
            action=_FlagOnce,
            help="also cancel IN_PROGRESS executions (default: --no-force)",
        )
        group.add_argument(
            "--wait",
            action="store_true",
            default=None,
            help="follow each job with DescribeJob until AWS has cancelled its executions "
            "server-side (none QUEUED, nor IN_PROGRESS with --force), and say how long it took",
        )
        group.add_argument(
            "--wait-timeout",
            metavar="DURATION",
            help="with --wait: stop waiting after this long (default 1h); AWS goes on",
        )
        return
    group.add_argument(
        "--job-id", metavar="J", help="job of the targets (files may carry their own jobId)"
    )
    group.add_argument(
        "--force",
        action=_FlagOnce,
        help=(
            "also cancel IN_PROGRESS executions"
            if name == "cancel-job-execution"
            else "also delete executions that are not terminal (QUEUED, IN_PROGRESS)"
        )
        + " (asks for confirmation unless --yes; default: --no-force)",
    )
    if name == "cancel-job-execution":
        group.add_argument(
            "--expected-version",
            metavar="N|fresh",
            help="expectedVersion for every target: a guard, a mismatch ends the target as "
            "version_conflict; or 'fresh' to describe each first and retry conflicts",
        )
        group.add_argument(
            "--status-details",
            action="append",
            metavar="k=v,...|JSON",
            help='statusDetails (≤ 10 pairs; repeats are merged): AWS CLI shorthand, k=v,k2="a,b" '
            "(quote values with commas), or a JSON object",
        )
    else:
        group.add_argument(
            "--execution-number",
            type=str,
            metavar="N",
            help="executionNumber of every --thing-name (default: resolved per target)",
        )
        group.add_argument("--namespace-id", metavar="NS", help="namespaceId")


def _add_target_options(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("targets (combine as needed)")
    group.add_argument(
        "--thing-name", dest="thing_names", action="append", metavar="T", help="repeatable"
    )
    group.add_argument(
        "--things-file",
        metavar="PATH|-|s3://B/K",
        help="thing names one per line, CSV with a header, or JSON Lines (- for stdin; "
        "s3://bucket/key for an object in S3)",
    )
    group.add_argument(
        "--input-format",
        choices=["auto", "lines", "csv", "csv-noheader", "jsonl"],
        help="format of --things-file (default: by extension); csv-noheader: a CSV "
        "without a header row, as S3 Batch Operations manifests, rows of "
        "thingName,jobId[,executionNumber[,expectedVersion]]",
    )
    group.add_argument(
        "--from-job",
        action="store_true",
        default=None,
        help="every execution of --job-id (ListJobExecutionsForJob)",
    )
    group.add_argument(
        "--thing-group", metavar="G", help="things of a thing group (ListThingsInThingGroup)"
    )
    group.add_argument(
        "--recursive",
        action="store_true",
        default=None,
        help="with --thing-group: include its child groups (for --ou's units: --ou-recursive)",
    )
    group.add_argument(
        "--from-thing",
        dest="from_things",
        action="append",
        metavar="T",
        help="executions of a thing across jobs (ListJobExecutionsForThing; repeatable)",
    )
    group.add_argument(
        "--query",
        metavar="QUERY",
        help="things fleet indexing finds (SearchIndex), e.g. "
        "'attributes.hwRev:B2 AND connectivity.connected:false': their executions of --job-id",
    )
    group.add_argument(
        "--index-name",
        metavar="NAME",
        help="with --query: the index to search (default AWS_Things)",
    )
    group.add_argument(
        "--status",
        metavar="S1,S2",
        help="only executions in these statuses (listing sources, --from-jobs too)",
    )
    group.add_argument(
        "--older-than",
        metavar="AGE",
        help="only executions last updated before AGE ago (30d, 12h, 90m) or an ISO date; "
        "with --from-jobs: only jobs dated before it",
    )
    group.add_argument(
        "--skip-invalid",
        action="store_true",
        default=None,
        help="record malformed input lines as invalid_request instead of refusing to run",
    )


def _add_job_selection_options(sub: argparse.ArgumentParser, name: str) -> None:
    whole_job = name in ("cancel-job", "delete-job")
    group = sub.add_argument_group(
        "job selection (ListJobs)",
        "--from-jobs selects "
        + ("the jobs to act on" if whole_job else "jobs whose executions are the targets")
        + " by ListJobs' filters and by ID and age; the plan and the confirmation list "
        "them, each with DescribeJob's counts, before anything is sent.",
    )
    group.add_argument(
        "--from-jobs",
        action="store_true",
        default=None,
        help="jobs ListJobs finds, narrowed by the options below"
        + ("" if whole_job else "; their executions (in --status, if given) are the targets"),
    )
    group.add_argument(
        "--job-status",
        metavar="S1,S2",
        help="only jobs in these statuses: IN_PROGRESS, CANCELED, COMPLETED, "
        "DELETION_IN_PROGRESS, SCHEDULED",
    )
    group.add_argument(
        "--thing-group-name", metavar="G", help="only jobs that target thing group G"
    )
    group.add_argument(
        "--thing-group-id", metavar="ID", help="only jobs that target the thing group of this ID"
    )
    group.add_argument(
        "--target-selection",
        metavar="CONTINUOUS|SNAPSHOT",
        help="only continuous or only snapshot jobs",
    )
    group.add_argument("--job-id-prefix", metavar="P", help="only jobs whose ID starts with P")
    group.add_argument(
        "--job-id-glob",
        metavar="GLOB",
        help="only jobs whose ID matches GLOB (* any run, ? one character, [abc] a set), "
        "e.g. 'ci-*-2024*' (quote it from the shell)",
    )
    if whole_job:
        group.add_argument(
            "--older-than",
            metavar="AGE",
            help="only jobs dated before AGE ago (30d, 12h, 90m) or an ISO date; a job's "
            "date is when it completed, or, while it runs, when it was created",
        )
    group.add_argument(
        "--newer-than",
        metavar="AGE",
        help="only jobs dated at or after AGE ago (or an ISO date)"
        + ("" if whole_job else "; with --from-jobs, --older-than applies to jobs too"),
    )
    if name in ("cancel-job", "cancel-job-execution"):
        group.add_argument(
            "--namespace-id", metavar="NS", help="only jobs of this namespace (namespaceId)"
        )


def _add_verify_options(sub: argparse.ArgumentParser) -> None:
    group = sub.add_argument_group("what to verify")
    group.add_argument(
        "--job-id",
        dest="job_ids",
        action="append",
        metavar="J",
        help="job to verify (repeatable). Alone: each job's executions by DescribeJob's "
        "counters; with --from-job: each of its executions, listed; with --thing-name, "
        "--things-file, --thing-group or --from-thing (one job): those things' executions",
    )
    group.add_argument(
        "--report-dir",
        metavar="DIR",
        help="re-check every target of an earlier run: the report directory its --report "
        "wrote (its results.jsonl)",
    )


def _add_run_options(sub: argparse.ArgumentParser, *, read_only: bool = False) -> None:
    group = sub.add_argument_group("run control")
    group.add_argument(
        "--rate",
        metavar="auto|TPS",
        help="requests/s per API and region; auto (default) discovers the quota",
    )
    group.add_argument(
        "--concurrency",
        type=int,
        metavar="N",
        help="most calls in flight, per account and region (default 64)",
    )
    group.add_argument(
        "--max-attempts", type=int, metavar="N", help="attempts per call (default 10)"
    )
    if read_only:
        group.add_argument(
            "--deadline", metavar="DURATION", help="stop cleanly after this long (e.g. 15m)"
        )
        group.add_argument(
            "--grace-period",
            type=float,
            metavar="S",
            help="seconds in-flight calls get after Ctrl-C (default 10)",
        )
        return
    group.add_argument(
        "--verify",
        action="store_true",
        default=None,
        help="after the run, read every target again and report what is still QUEUED or "
        "IN_PROGRESS (as `bulkjobs verify --report-dir DIR` does); exit 1 if anything is, "
        "summary.json's verify section counts it",
    )
    group.add_argument(
        "--dry-run",
        action="store_true",
        default=None,
        help="send no mutating call; print the plan and what would be done",
    )
    group.add_argument(
        "--yes", "-y", action="store_true", default=None, help="do not ask for confirmation"
    )
    group.add_argument(
        "--deadline", metavar="DURATION", help="stop cleanly after this long (e.g. 15m)"
    )
    group.add_argument(
        "--abort-if-failed-percent",
        type=float,
        metavar="P",
        help="stop when more than P%% of finished targets failed …",
    )
    group.add_argument(
        "--abort-min-executed",
        type=int,
        metavar="N",
        help="… once at least N have finished (default 100)",
    )
    group.add_argument(
        "--grace-period",
        type=float,
        metavar="S",
        help="seconds in-flight calls get after Ctrl-C (default 10)",
    )
    group.add_argument("--journal", metavar="PATH", help="journal finished targets to PATH")
    group.add_argument(
        "--resume",
        action="store_true",
        default=None,
        help="skip targets the journal records as finished; carry them into the report",
    )


def _add_aws_options(sub: argparse.ArgumentParser, *, skeleton: bool = True) -> None:
    group = sub.add_argument_group("AWS")
    group.add_argument("--region", help="default region (targets may carry their own)")
    group.add_argument("--profile", help="named profile (credentials never leave the SDK)")
    group.add_argument("--endpoint-url", metavar="URL", help="e.g. the simulator's URL")
    if not skeleton:
        return
    group.add_argument(
        "--cli-input-json",
        metavar="JSON|file://PATH",
        help="parameters as JSON (see --generate-cli-skeleton); flags given win",
    )
    group.add_argument("--cli-input-yaml", metavar="YAML|file://PATH", help="parameters as YAML")
    group.add_argument(
        "--generate-cli-skeleton",
        nargs="?",
        const="input",
        choices=["input", "output", "yaml-input"],
        help="print a parameter skeleton (input) or the report's shape (output), and exit",
    )


def _add_output_options(sub: argparse.ArgumentParser, *, read_only: bool = False) -> None:
    group = sub.add_argument_group("output")
    if read_only:
        group.add_argument(
            "--report",
            metavar="DIR",
            help="write this verify's summary.json (its verify section), results.jsonl and "
            "report.html to DIR (a directory of its own; strftime codes allowed)",
        )
        _add_log_options(group)
        return
    group.add_argument(
        "--report",
        metavar="DIR|s3://B/P/",
        help="write summary.json, results.jsonl and report.html to DIR (and journal there), "
        "or as objects under an S3 prefix; strftime codes make a directory per run, e.g. "
        "reports/%%Y-%%m-%%dT%%H%%M",
    )
    group.add_argument(
        "--sse",
        choices=["AES256", "aws:kms"],
        help="server-side encryption of the report's S3 objects",
    )
    group.add_argument("--kms-key-id", metavar="KEY", help="with --sse aws:kms: the KMS key")
    group.add_argument(
        "--metrics-textfile",
        metavar="PATH.prom",
        help="keep the run's counters in PATH.prom in the Prometheus text format (every few "
        "seconds and at the end), e.g. in node_exporter's textfile directory",
    )
    _add_log_options(group)


def _add_log_options(group: argparse._ArgumentGroup) -> None:
    group.add_argument(
        "--log-format",
        choices=["console", "json"],
        help="console (default) or JSON lines on stderr, for schedulers",
    )
    group.add_argument(
        "--quiet", "-q", action="store_true", default=None, help="no progress, only errors"
    )
    group.add_argument(
        "--verbose", "-v", action="store_true", default=None, help="log every target"
    )
