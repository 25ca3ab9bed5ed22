"""The User-Agent header, built once per set of features instead of twice per request.

botocore assembles the header from scratch for every request, twice (when the request is
made and again just before it is sent, to include the features the call registered):
some twenty components, each sanitised character by character — about 0.05 ms of CPU a
request on this project's machines, about a tenth of what a whole CancelJobExecution costs
the client. Everything in it is fixed when the client is made except those features, so
:func:`memoize_user_agent` keeps the string built for each set of them and hands it back
the next time: the same bytes on the wire.

Like the trimmed model (:mod:`._iotmodel`), it applies only to the botocore release that
was checked (the one the model was made from), where ``to_string`` reads nothing else per
request; any other release builds its header as it always does.
"""

from __future__ import annotations

from typing import Any

import botocore
from botocore.context import get_context
from botocore.useragent import UserAgentString

__all__ = ["memoize_user_agent"]


def memoize_user_agent(client: Any, *, checked_release: str | None) -> bool:
    """Give ``client`` a User-Agent memo when its botocore is ``checked_release``.

    Returns whether it did. The memo is keyed by the features in the request's context
    (the client's own are fixed when it is made): a call that registers another feature
    gets the string built for that set, as botocore would build it.
    """
    creator: Any = getattr(client, "_user_agent_creator", None)
    if checked_release != botocore.__version__ or not isinstance(creator, UserAgentString):
        return False
    build = creator.to_string
    built: dict[frozenset[str], str] = {}

    def to_string() -> str:
        context = get_context()
        key = frozenset(()) if context is None else frozenset(context.features)
        found = built.get(key)
        if found is None:
            found = built[key] = build()
        return found

    # An instance attribute wins over the class's method: both of botocore's callers
    # (the request's first build and the handler that rebuilds it) go through it.
    creator.to_string = to_string
    return True
