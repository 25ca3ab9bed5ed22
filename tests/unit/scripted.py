"""A scripted transport: answers each call from a function, with no network."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import anyio
import botocore.exceptions as bexc

from bulkjobs._client import CallError, CallFailure, translate
from bulkjobs._destination import Destination

Answer = dict[str, Any] | CallFailure
Handler = Callable[[str, dict[str, Any]], Answer]


_TRANSPORT = {
    "ConnectionClosedError": lambda: bexc.ConnectionClosedError(endpoint_url="http://127.0.0.1"),
    "ReadTimeoutError": lambda: bexc.ReadTimeoutError(endpoint_url="http://127.0.0.1"),
    "EndpointConnectionError": lambda: bexc.EndpointConnectionError(
        endpoint_url="http://127.0.0.1"
    ),
}


def failure(code: str, status: int = 400, message: str | None = None) -> CallFailure:
    """What the real translation boundary makes of a botocore error with this code."""
    if code in _TRANSPORT:
        return translate(_TRANSPORT[code]())
    error = bexc.ClientError(
        {
            "Error": {"Code": code, "Message": code if message is None else message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "AnyOperation",
    )
    return translate(error)


def execution(status: str, version: int = 1, number: int = 1) -> dict[str, Any]:
    return {"execution": {"status": status, "versionNumber": version, "executionNumber": number}}


class ScriptedTransport:
    """Records every call and answers it with ``handler(api, params)``."""

    default_destination = Destination(region="us-east-1")

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def apis(self) -> list[str]:
        return [api for api, _ in self.calls]

    async def call(
        self, api: str, params: Mapping[str, Any], *, destination: Destination
    ) -> dict[str, Any]:
        await anyio.lowlevel.checkpoint()
        self.calls.append((api, dict(params)))
        answer = self.handler(api, dict(params))
        if isinstance(answer, CallFailure):
            raise CallError(answer)
        return answer


def _next(queue: list[Answer]) -> Answer:
    """The next answer; the last one repeats."""
    return queue.pop(0) if len(queue) > 1 else queue[0]


def sequence(*answers: Answer) -> Handler:
    """Answer calls in order, whatever they are; the last answer repeats."""
    queue = list(answers)
    return lambda api, params: _next(queue)


def by_api(**answers: Answer | list[Answer]) -> Handler:
    """Answer each API from its own queue (the last answer repeats)."""
    queues = {api: list(a) if isinstance(a, list) else [a] for api, a in answers.items()}
    return lambda api, params: _next(queues[api])


class FakeSleep:
    """Records requested delays instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await anyio.lowlevel.checkpoint()
