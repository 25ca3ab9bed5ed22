"""``--cli-input-json`` / ``--cli-input-yaml`` and ``--generate-cli-skeleton``.

The keys are the AWS API's own parameter names (``jobId``, ``thingName``, ``force``,
``expectedVersion``, …) plus bulkjobs' bulk ones (``thingNames``, ``thingsFile``,
``rate``, …). A value given on the command line wins over the same key in the input.

The input skeleton's sample values never change a run: each is either the option's own
default (``"rate": "auto"``, ``"force": false``) or a placeholder — ``""``, ``[""]``,
``{"KeyName": ""}`` — that is refused when left in, naming the key, as the AWS CLI
refuses its unedited placeholders. A sample such as ``"status": ["QUEUED"]`` would
silently narrow a listing to QUEUED executions.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Final

from bulkjobs import InvalidInputError, Outcome, ValidationIssue

__all__ = ["apply_cli_input", "skeleton"]

_SOURCE = "--cli-input-json"

# key → (argparse dest, accepted JSON types, skeleton value)
_Spec = tuple[str, tuple[type, ...], Any]
_COMMON: Final[dict[str, _Spec]] = {
    "rate": ("rate", (str, int, float), "auto"),
    "concurrency": ("concurrency", (int,), 64),
    "maxAttempts": ("max_attempts", (int,), 10),
    "dryRun": ("dry_run", (bool,), False),
    "deadline": ("deadline", (str,), ""),
    "abortIfFailedPercent": ("abort_if_failed_percent", (int, float), ""),
    "abortMinExecuted": ("abort_min_executed", (int,), 100),
    "gracePeriod": ("grace_period", (int, float), 10),
    "journal": ("journal", (str,), ""),
    "region": ("region", (str,), ""),
    "endpointUrl": ("endpoint_url", (str,), ""),
    "report": ("report", (str,), ""),
    "logFormat": ("log_format", (str,), "console"),
}
_TARGETS: Final[dict[str, _Spec]] = {
    "jobId": ("job_id", (str,), ""),
    "thingName": ("thing_names", (str, list), ""),
    "thingNames": ("thing_names", (list,), [""]),
    "thingsFile": ("things_file", (str,), ""),
    "inputFormat": ("input_format", (str,), "auto"),
    "fromJob": ("from_job", (bool,), False),
    "thingGroup": ("thing_group", (str,), ""),
    "recursive": ("recursive", (bool,), False),
    "fromThings": ("from_things", (list,), [""]),
    "queryString": ("query", (str,), ""),
    "indexName": ("index_name", (str,), ""),
    "status": ("status", (str, list), [""]),
    "olderThan": ("older_than", (str,), ""),
    "skipInvalid": ("skip_invalid", (bool,), False),
    "force": ("force", (bool,), False),
}
#: --from-jobs and its filters (``olderThan``: the jobs' age with ``fromJobs``).
_SELECTION: Final[dict[str, _Spec]] = {
    "fromJobs": ("from_jobs", (bool,), False),
    "jobStatus": ("job_status", (str, list), [""]),
    "thingGroupName": ("thing_group_name", (str,), ""),
    "thingGroupId": ("thing_group_id", (str,), ""),
    "targetSelection": ("target_selection", (str,), ""),
    "jobIdPrefix": ("job_id_prefix", (str,), ""),
    "jobIdGlob": ("job_id_glob", (str,), ""),
    "olderThan": ("older_than", (str,), ""),
    "newerThan": ("newer_than", (str,), ""),
}
_BY_COMMAND: Final[dict[str, dict[str, _Spec]]] = {
    "cancel-job-execution": {
        **_TARGETS,
        **_SELECTION,
        "namespaceId": ("namespace_id", (str,), ""),
        "expectedVersion": ("expected_version", (int, str), ""),
        "statusDetails": ("status_details", (dict, str), {"KeyName": ""}),
        **_COMMON,
    },
    "delete-job-execution": {
        **_TARGETS,
        **_SELECTION,
        "executionNumber": ("execution_number", (int, str), ""),
        "namespaceId": ("namespace_id", (str,), ""),
        **_COMMON,
    },
    "cancel-job": {
        "jobId": ("job_ids", (str, list), ""),
        "jobIds": ("job_ids", (list,), [""]),
        "reasonCode": ("reason_code", (str,), ""),
        "comment": ("comment", (str,), ""),
        "force": ("force", (bool,), False),
        "wait": ("wait", (bool,), False),
        "waitTimeout": ("wait_timeout", (str,), ""),
        **_SELECTION,
        "namespaceId": ("namespace_id", (str,), ""),
        **_COMMON,
    },
    "delete-job": {
        "jobId": ("job_ids", (str, list), ""),
        "jobIds": ("job_ids", (list,), [""]),
        "force": ("force", (bool,), False),
        "namespaceId": ("namespace_id", (str,), ""),
        **_SELECTION,
        **_COMMON,
    },
}

#: What each command can end a target in (every kind has its outcomes listed).
_OUTCOMES: Final[dict[str, tuple[str, ...]]] = {
    "cancel-job-execution": (
        "canceled",
        "already_terminal",
        "not_found",
        "in_progress_needs_force",
        "version_conflict",
        "invalid_request",
        "retries_exhausted",
        "conflict_exhausted",
        "error",
        "interrupted",
        "dry_run",
    ),
    "delete-job-execution": (
        "deleted",
        "not_found",
        "not_terminal_needs_force",
        "invalid_request",
        "retries_exhausted",
        "conflict_exhausted",
        "error",
        "interrupted",
        "dry_run",
    ),
    "cancel-job": (
        "canceled",
        "already_terminal",
        "not_found",
        "invalid_request",
        "retries_exhausted",
        "error",
        "interrupted",
        "dry_run",
    ),
    "delete-job": (
        "deleted",
        "already_terminal",
        "not_found",
        "in_progress_needs_force",
        "invalid_request",
        "retries_exhausted",
        "conflict_exhausted",
        "error",
        "interrupted",
        "dry_run",
    ),
}
_APIS: Final = {
    "cancel-job-execution": "CancelJobExecution",
    "delete-job-execution": "DeleteJobExecution",
    "cancel-job": "CancelJob",
    "delete-job": "DeleteJob",
}
_ERROR_CODES: Final = {
    "cancel-job-execution": "InvalidStateTransitionException",
    "delete-job-execution": "InvalidStateTransitionException",
    "cancel-job": "LimitExceededException",
    "delete-job": "InvalidStateTransitionException",
}


def _output_skeleton(command: str) -> dict[str, Any]:
    outcomes = _OUTCOMES[command]
    kinds = dict.fromkeys(dict.fromkeys(Outcome(o).kind.value for o in outcomes), 0)
    return {
        "operation": command,
        "total": 0,
        "dryRun": False,
        "outcomes": dict.fromkeys(outcomes, 0),
        "kinds": kinds,
        "errorCodes": {_ERROR_CODES[command]: 0},
        "unconfirmed": 0,
        "attempts": 0,
        "callsSaved": 0,
        "throttles": 0,
        "carriedFromJournal": 0,
        "latencyMs": {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0},
        "wholeRunLatencyMs": {"p50": 0.0, "p90": 0.0, "p99": 0.0, "max": 0.0, "mean": 0.0},
        "wallTimeSeconds": 0.0,
        "achievedRatePerSecond": 0.0,
        "activeSeconds": 0.0,
        "executedTargets": 0,
        "stopReason": None,
        "stoppedBySignal": False,
        "exitCode": 0,
        "rateControl": {
            "mode": "auto",
            "start": [
                {
                    "region": "us-east-1",
                    "api": _APIS[command],
                    "source": "service-quotas",
                    "rate": 0.0,
                    "quotaCode": "L-00000000",
                    "quotaName": f"{_APIS[command]} throttle limit",
                }
            ],
        },
        "timeline": [{"second": 0, "finished": 0, "throttles": 0, "failed": 0}],
    }


def skeleton(command: str, kind: str) -> str:
    """The text ``--generate-cli-skeleton KIND`` prints for ``command``."""
    if kind == "output":
        return json.dumps(_output_skeleton(command), indent=4)
    values = {key: spec[2] for key, spec in _BY_COMMAND[command].items()}
    if kind == "yaml-input":
        import yaml

        return str(yaml.safe_dump(values, sort_keys=False))
    return json.dumps(values, indent=4)


def _load(text: str, *, yaml_input: bool) -> tuple[str, Any]:
    source = "--cli-input-yaml" if yaml_input else _SOURCE
    if text.startswith("file://"):
        path = Path(text.removeprefix("file://"))
        source = f"{source} {path}"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInputError(
                [ValidationIssue(source=source, line=None, field="file", rule=exc.strerror or "")]
            ) from exc
        except UnicodeDecodeError as exc:
            raise InvalidInputError(
                [ValidationIssue(source=source, line=None, field="file", rule="not UTF-8 text")]
            ) from exc
    try:
        if yaml_input:
            import yaml

            return source, yaml.safe_load(text)
        return source, json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            [
                ValidationIssue(
                    source=source, line=exc.lineno, field="JSON", rule=f"unparseable: {exc.msg}"
                )
            ]
        ) from exc
    except Exception as exc:  # yaml.YAMLError, without importing yaml eagerly
        raise InvalidInputError(
            [ValidationIssue(source=source, line=None, field="YAML", rule=f"unparseable: {exc}")]
        ) from exc


def apply_cli_input(args: argparse.Namespace) -> None:
    """Fill options the command line left unset from --cli-input-json/yaml."""
    raw_json = getattr(args, "cli_input_json", None)
    raw_yaml = getattr(args, "cli_input_yaml", None)
    if raw_json is None and raw_yaml is None:
        return
    if raw_json is not None and raw_yaml is not None:
        raise InvalidInputError(
            [
                ValidationIssue(
                    source="options",
                    line=None,
                    field="--cli-input-json",
                    rule="cannot be combined with --cli-input-yaml",
                )
            ]
        )
    text = str(raw_json if raw_json is not None else raw_yaml)
    source, data = _load(text, yaml_input=raw_json is None)
    if not isinstance(data, dict):
        raise InvalidInputError(
            [ValidationIssue(source=source, line=None, field="input", rule="must be an object")]
        )
    specs = _BY_COMMAND[args.command]
    issues: list[ValidationIssue] = []
    for key, value in data.items():
        spec = specs.get(key)
        if spec is None:
            issues.append(
                ValidationIssue(
                    source=source,
                    line=None,
                    field=key,
                    rule="unknown parameter; valid: " + ", ".join(specs),
                )
            )
            continue
        dest, types, _ = spec
        if value is None:
            continue
        if _is_placeholder(value):
            issues.append(
                ValidationIssue(
                    source=source,
                    line=None,
                    field=key,
                    rule="still holds the skeleton's placeholder: fill it in or remove the key",
                    value=json.dumps(value),
                )
            )
            continue
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            names = " or ".join(t.__name__.replace("str", "string") for t in types)
            issues.append(
                ValidationIssue(
                    source=source, line=None, field=key, rule=f"must be {names}", value=repr(value)
                )
            )
            continue
        if getattr(args, dest, None) is not None:
            continue  # the command line wins
        setattr(args, dest, _normalise(dest, value))
    if issues:
        raise InvalidInputError(issues)


def _is_placeholder(value: Any) -> bool:
    """The skeleton's empty samples; no option takes them as a real value."""
    return bool(value == "" or value == [""] or value == {"KeyName": ""})


def _normalise(dest: str, value: Any) -> Any:
    if dest in ("thing_names", "job_ids", "from_things") and isinstance(value, str):
        return [value]
    if dest in ("status", "job_status") and isinstance(value, list):
        return ",".join(str(v) for v in value)
    if dest == "status_details":
        return [json.dumps(value) if isinstance(value, dict) else value]
    if dest in ("expected_version", "execution_number", "rate"):
        return str(value)
    return value
