"""STS for the simulator: AssumeRole and GetCallerIdentity, and whose key is whose.

STS speaks the query protocol: ``POST /`` with a form body (``Action=AssumeRole&…``)
and XML answers. As at AWS, the access key a request is signed with identifies the
account it acts in: :class:`TokenBook` issues session credentials for roles that the
configuration lets the caller assume (``SimConfig.roles`` in the caller's account and
in every ``SimConfig.accounts``, except ``denied_accounts``) and answers every later
request with the role's account — or with ``ExpiredToken`` once the session is over.
Any key it did not issue is the caller's own (``SimConfig.account_id``): the simulator
never sees a real secret, and must not need one.

Sessions last ``DurationSeconds`` (900 s – 12 h, default one hour), cut to
``SimConfig.session_seconds`` when that is set, so a test can watch a client renew them.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from bulkjobs.sim._config import SimConfig

__all__ = [
    "CONTENT_TYPE",
    "Issued",
    "StsError",
    "TokenBook",
    "access_key_of",
    "answer",
    "error_document",
    "identity",
]

CONTENT_TYPE: Final = "text/xml"
_NS: Final = "https://sts.amazonaws.com/doc/2011-06-15/"
_ROLE_ARN = re.compile(
    r"arn:aws(?:-[a-z]+)*:iam::([0-9]{12}):role/((?:[\x21-\x7e]+/)*)([\w+=,.@-]{1,64})"
)
_SESSION_NAME = re.compile(r"[\w+=,.@-]{2,64}")
DEFAULT_DURATION: Final = 3600
MIN_DURATION: Final = 900
MAX_DURATION: Final = 43_200


@dataclass(frozen=True, slots=True, kw_only=True)
class Issued:
    """One role session: the credentials handed out and whose they are."""

    access_key: str
    secret_key: str
    token: str
    account: str
    role_name: str
    session_name: str
    expires_at: float

    @property
    def arn(self) -> str:
        return f"arn:aws:sts::{self.account}:assumed-role/{self.role_name}/{self.session_name}"


class StsError(Exception):
    """An STS error answer: code, message, HTTP status (Sender faults are 4xx)."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def access_key_of(authorization: str | None) -> str | None:
    """The access key of a SigV4 ``Authorization`` header (``Credential=AKID/…``)."""
    if not authorization:
        return None
    _, found, rest = authorization.partition("Credential=")
    if not found:
        return None
    return rest.split("/", 1)[0] or None


class TokenBook:
    """The sessions issued so far, by access key; and the counts tests look at."""

    def __init__(self) -> None:
        self._issued: dict[str, Issued] = {}
        self._serial = itertools.count(1)
        #: AssumeRole calls answered with credentials, per account.
        self.assumed: dict[str, int] = {}
        #: AssumeRole calls refused, per account.
        self.refused: dict[str, int] = {}

    def lookup(self, access_key: str | None) -> Issued | None:
        return None if access_key is None else self._issued.get(access_key)

    def issue(
        self, *, account: str, role_name: str, session_name: str, seconds: float, now: float
    ) -> Issued:
        serial = next(self._serial)
        digest = hashlib.sha256(f"{account}/{role_name}/{serial}".encode()).hexdigest().upper()
        issued = Issued(
            access_key="ASIA" + digest[:16],
            # Not a secret: the simulator checks no signature, and tests must not
            # need a real one. Shaped like one so clients treat it alike.
            secret_key="sim" + digest[16:53],
            token="FwoGZXIvYXdzE" + digest,
            account=account,
            role_name=role_name,
            session_name=session_name,
            expires_at=now + seconds,
        )
        self._issued[issued.access_key] = issued
        self.assumed[account] = self.assumed.get(account, 0) + 1
        return issued

    def expire(self, account: str | None = None, *, now: float) -> int:
        """End every live session (of ``account``), as a revoked role would; how many."""
        ended = 0
        for key, issued in list(self._issued.items()):
            if (account is None or issued.account == account) and issued.expires_at > now:
                self._issued[key] = _replace_expiry(issued, now)
                ended += 1
        return ended


def _replace_expiry(issued: Issued, when: float) -> Issued:
    return Issued(
        access_key=issued.access_key,
        secret_key=issued.secret_key,
        token=issued.token,
        account=issued.account,
        role_name=issued.role_name,
        session_name=issued.session_name,
        expires_at=when,
    )


def identity(
    book: TokenBook, config: SimConfig, access_key: str | None, token: str | None, now: float
) -> Issued | None:
    """The session a request's key belongs to (None: the caller's own identity).

    Raises :class:`StsError` (``ExpiredToken``, ``InvalidClientTokenId``) for a session
    that is over or a key presented without its token.
    """
    issued = book.lookup(access_key)
    if issued is None:
        return None
    if token != issued.token:
        raise StsError(
            "InvalidClientTokenId", "The security token included in the request is invalid.", 403
        )
    if now >= issued.expires_at:
        raise StsError("ExpiredToken", "The security token included in the request is expired", 403)
    return issued


def answer(
    body: bytes,
    *,
    book: TokenBook,
    config: SimConfig,
    caller: Issued | None,
    now: float,
    request_id: str,
) -> tuple[int, str]:
    """(HTTP status, XML) for one STS request whose signer is ``caller``."""
    try:
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
    except UnicodeDecodeError:
        form = {}
    action = form.get("Action", "")
    try:
        if action == "GetCallerIdentity":
            return 200, _caller_identity(config, caller, request_id)
        if action == "AssumeRole":
            return 200, _assume_role(
                form, book=book, config=config, caller=caller, now=now, request_id=request_id
            )
        raise StsError(
            "InvalidAction", f"Could not find operation {action!r} for version 2011-06-15"
        )
    except StsError as exc:
        return exc.status, error_document(exc, request_id)


def _caller_identity(config: SimConfig, caller: Issued | None, request_id: str) -> str:
    if caller is None:
        account = config.account_id
        arn = f"arn:aws:iam::{account}:user/simulator"
        user_id = "AIDASIMULATOR0000000"
    else:
        account, arn = caller.account, caller.arn
        user_id = f"AROASIMULATOR{caller.account[-7:]}:{caller.session_name}"
    result = (
        f"<Arn>{escape(arn)}</Arn><UserId>{escape(user_id)}</UserId><Account>{account}</Account>"
    )
    return _response("GetCallerIdentity", result, request_id)


def _assume_role(
    form: Mapping[str, str],
    *,
    book: TokenBook,
    config: SimConfig,
    caller: Issued | None,
    now: float,
    request_id: str,
) -> str:
    role_arn = form.get("RoleArn", "")
    session_name = form.get("RoleSessionName", "")
    if not _SESSION_NAME.fullmatch(session_name):
        raise StsError(
            "ValidationError",
            "1 validation error detected: Value at 'roleSessionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*",
        )
    try:
        duration = int(form.get("DurationSeconds", DEFAULT_DURATION))
    except ValueError:
        duration = -1
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise StsError(
            "ValidationError",
            "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        )
    match = _ROLE_ARN.fullmatch(role_arn)
    if match is None:
        raise StsError("ValidationError", f"{role_arn!r} is not a valid role ARN.")
    account, role_name = match.group(1), match.group(3)
    who = caller.arn if caller is not None else f"arn:aws:iam::{config.account_id}:user/simulator"
    known = account == config.account_id or account in config.accounts
    allowed = known and role_name in config.roles and account not in config.denied_accounts
    external = config.role_external_id
    if allowed and external is not None and form.get("ExternalId") != external:
        allowed = False
    if not allowed:
        book.refused[account] = book.refused.get(account, 0) + 1
        raise StsError(
            "AccessDenied",
            f"User: {who} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
            403,
        )
    seconds = float(duration)
    if config.session_seconds is not None:
        seconds = min(seconds, config.session_seconds)
    issued = book.issue(
        account=account, role_name=role_name, session_name=session_name, seconds=seconds, now=now
    )
    expiration = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(issued.expires_at))
    result = (
        "<Credentials>"
        f"<AccessKeyId>{issued.access_key}</AccessKeyId>"
        f"<SecretAccessKey>{issued.secret_key}</SecretAccessKey>"
        f"<SessionToken>{issued.token}</SessionToken>"
        f"<Expiration>{expiration}</Expiration>"
        "</Credentials>"
        "<AssumedRoleUser>"
        f"<AssumedRoleId>AROASIMULATOR{account[-7:]}:{escape(session_name)}</AssumedRoleId>"
        f"<Arn>{escape(issued.arn)}</Arn>"
        "</AssumedRoleUser>"
    )
    return _response("AssumeRole", result, request_id)


def _response(action: str, result: str, request_id: str) -> str:
    return (
        f'<{action}Response xmlns="{_NS}"><{action}Result>{result}</{action}Result>'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )


def error_document(exc: StsError, request_id: str) -> str:
    kind = "Sender" if exc.status < 500 else "Receiver"
    return (
        f'<ErrorResponse xmlns="{_NS}"><Error><Type>{kind}</Type><Code>{exc.code}</Code>'
        f"<Message>{escape(exc.message)}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
