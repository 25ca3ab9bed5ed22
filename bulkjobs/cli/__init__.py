"""The ``bulkjobs`` command: a thin layer over the library.

``main(argv)`` parses, validates everything before the first call, runs the library,
and maps the outcome to an exit code (see ``bulkjobs --help``).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
from collections.abc import Sequence
from functools import partial

from bulkjobs import BulkJobsError, ConfigurationError, InvalidInputError
from bulkjobs.cli._parser import build_parser

__all__ = ["main"]

_MAX_SHOWN = 20


def _print_issues(exc: InvalidInputError) -> None:
    issues = exc.issues or ()
    for issue in issues[:_MAX_SHOWN]:
        print(f"bulkjobs: error: {issue}", file=sys.stderr)
    if len(issues) > _MAX_SHOWN:
        print(f"bulkjobs: … and {len(issues) - _MAX_SHOWN} more", file=sys.stderr)
    if not issues:
        print(f"bulkjobs: error: {exc}", file=sys.stderr)
    print("bulkjobs: nothing was sent.", file=sys.stderr)


class _StartUp:
    """The cyclic garbage collector, paused while the command starts.

    Start-up (imports, the parser, the options, the first client) makes some hundred
    thousand objects that live as long as the process; the collector would walk them
    again and again while they are being made, before the first request. It is paused
    until the run begins (:meth:`run_begins`); when ``main`` is the process's entry
    point, what start-up made is then frozen out of later collections (``gc.freeze``),
    as it would survive them anyway.
    """

    paused = False
    freeze = False

    @classmethod
    def begin(cls, *, freeze: bool) -> None:
        cls.paused, cls.freeze = gc.isenabled(), freeze
        if cls.paused:
            gc.disable()

    @classmethod
    def run_begins(cls) -> None:
        if cls.paused:
            cls.paused = False
            if cls.freeze:
                gc.freeze()
            gc.enable()


def main(argv: Sequence[str] | None = None) -> int:
    _StartUp.begin(freeze=argv is None)
    try:
        return _main(argv)
    except BrokenPipeError:
        return _reader_gone()
    finally:
        _StartUp.run_begins()


def _reader_gone() -> int:
    """The reader of our output went away (``bulkjobs … | head``): end quietly, as a
    process killed by SIGPIPE would (exit 141), instead of with a traceback."""
    # Later writes (the interpreter flushes stdout on exit) go nowhere instead of
    # raising again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(devnull, stream.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


def _main(argv: Sequence[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.version:
        from bulkjobs import __version__

        print(f"bulkjobs {__version__}")
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    if args.command == "simulate":
        from bulkjobs.sim._cli import run_simulate

        return run_simulate(args)
    if args.command == "demo":
        from bulkjobs.cli._demo import run_demo

        return run_demo(args)
    if args.command == "completion":
        from bulkjobs.cli._completion import completion_script

        print(completion_script(args.shell), end="")
        return 0
    if args.command == "report":
        from bulkjobs import Encryption
        from bulkjobs.cli._reportcmd import run_report

        encryption = Encryption(sse=args.sse, kms_key_id=args.kms_key_id)
        return run_report(
            args.dir,
            output=args.output,
            profile=args.profile,
            region=args.region,
            encryption=encryption,
        )
    if getattr(args, "generate_cli_skeleton", None):
        from bulkjobs.cli._inputs import skeleton

        print(skeleton(args.command, args.generate_cli_skeleton))
        return 0
    from bulkjobs.cli._tracebacks import import_structlog

    import_structlog()  # before anything imports it: rich waits for a traceback
    from bulkjobs.cli._inputs import apply_cli_input
    from bulkjobs.cli._options import resolve

    try:
        apply_cli_input(args)
        opts = resolve(args)
    except InvalidInputError as exc:
        _print_issues(exc)
        return 2
    return run_command(opts, args_list)


def run_command(opts: object, argv: list[str]) -> int:
    """Run validated options; shared by ``main`` and the demo."""
    import anyio

    from bulkjobs.cli._options import Options
    from bulkjobs.cli._output import configure_logging
    from bulkjobs.cli._run import execute

    assert isinstance(opts, Options)
    configure_logging(opts.log_format, verbose=opts.verbose, quiet=opts.quiet)
    _StartUp.run_begins()
    try:
        return anyio.run(partial(execute, opts, argv, stdout=sys.stdout, stderr=sys.stderr))
    except InvalidInputError as exc:
        _print_issues(exc)
        return 2
    except ConfigurationError as exc:
        print(f"bulkjobs: error: {exc}", file=sys.stderr)
        print("bulkjobs: nothing was sent.", file=sys.stderr)
        return 2
    except BulkJobsError as exc:
        print(f"bulkjobs: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bulkjobs: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
