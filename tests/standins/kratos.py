"""A Kratos v26.2.0 stand-in: the admin and public HTTP API, served for real on 127.0.0.1.

It behaves like real Kratos where the bot depends on it (shared/reference/olympus_kratos.md): courier
messages paged by keyset with a `Link` header, exact recipient matching, redaction outside dev mode,
dispatches only on the detail route, anti-enumeration in the self-service flows. Every JSON body it
sends is checked against Kratos's OpenAPI document and mismatches are kept in `.violations`.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import secrets
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, cast
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

from tests.standins.openapi import validate_response

JSON = dict[str, Any]
# A dispatch given to add_message/set_message_status: the full dict, ("failed", "535 ...") or "success".
DispatchSpec = Mapping[str, Any] | tuple[str, str] | str

REDACTED = "<redacted-unless-dev-mode>"
MESSAGE_STATUSES = ("queued", "sent", "processing", "abandoned")
DEFAULT_SMTP_ERROR = "dial tcp 127.0.0.1:25: connect: connection refused"
# Kratos's code (keysetpagination_v2), not its spec (250/1000), decides courier paging.
_MESSAGE_PAGING = (10, 500)
_IDENTITY_PAGING = (250, 500)
# `kratos.similar_search`: what GET /admin/identities?preview_credentials_identifier_similar= does.
#   "prefix"   Kratos >= v1.2 (v26.2.0): identifier LIKE '<x>%' (PostgreSQL: case-sensitive, `\ % _` escaped)
#   "ignored"  Kratos < v1.1 (v1.0.0): the parameter is unknown, the first page of everyone comes back
#   "rejected" a Kratos without the experimental parameter that refuses it with a herodot 400
SimilarSearch = Literal["prefix", "ignored", "rejected"]
DEFAULT_VERSION = "v26.2.0"
LEGACY_VERSION = "v1.0.0"  # what /version says in "ignored" mode unless `version` is set
SIMILAR_PARAM = "preview_credentials_identifier_similar"
COMBINED_FILTERS = "You cannot combine multiple filters in this API"
# Go's unicode.IsSpace (the White_Space property): what strings.TrimSpace removes. Python's str.strip()
# would also remove U+001C..U+001F.
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
_CODE_TEMPLATES = {
    "verification_code_valid": ("Use code {code} to verify your account", "verify your account"),
    "recovery_code_valid": ("Use code {code} to recover access to your account", "recover access"),
    "login_code_valid": ("Login to your account", "log in"),
    "registration_code_valid": ("Complete your account registration", "complete your registration"),
}
_SENT_TEXT = (
    "An email containing a {what} code has been sent to the email address you provided. If you have not "
    "received an email, check the spelling of the address and make sure to use the address you "
    "registered with."
)
_FLOW_SENT = {"verification": (1080003, "verification"), "recovery": (1060003, "recovery")}
_NO_STRATEGY = {
    "verification": (
        4010006,
        "Could not find a strategy to verify your account with. Did you fill out the form correctly?",
    ),
    "recovery": (
        4010005,
        "Could not find a strategy to recover your account with. Did you fill out the form correctly?",
    ),
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HERODOT_MESSAGES = {
    400: "The request was malformed or contained invalid parameters",
    404: "The requested resource could not be found",
    500: "An internal server error occurred, please contact the system administrator",
}
# What answers when KRATOS_*_URL points at something else (`misdirected`); none of it is Kratos's JSON.
Misdirection = Literal["auth_proxy", "public_port", "admin_port", "login_page"]
_AUTH_PROXY_PAGE = (
    b"<html>\r\n<head><title>401 Authorization Required</title></head>\r\n<body>\r\n"
    b"<center><h1>401 Authorization Required</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
_LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Sign in</title></head>\n'
    b'<body><form method="post" action="/login"><input name="username"><input name="password" '
    b'type="password"><button>Sign in</button></form></body></html>\n'
)
_GARBAGE = {
    "html": (b"<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "json": (b'{"data": null, "items": "nope"}', "application/json"),
    "truncated": (b'[{"id": "', "application/json"),
}


def smtp_dispatch_error(message: str) -> JSON:
    """The herodot error Kratos stores on a dispatch that failed inside its SMTP channel."""
    return {
        "code": 500,
        "status": "Internal Server Error",
        "reason": "failed to send email via smtp",
        "message": message,
    }


def herodot(code: int, message: str | None = None, **fields: Any) -> JSON:
    """Kratos's JSON error envelope (herodot `DefaultError` under `error`)."""
    error = {"code": code, "status": HTTPStatus(code).phrase}
    error.update({k: v for k, v in fields.items() if v is not None})
    error["message"] = message or _HERODOT_MESSAGES.get(code, HTTPStatus(code).description)
    return {"error": error}


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _uuid() -> str:
    return str(uuid.uuid4())


@dataclass
class _Message:
    recipient: str
    status: str
    template_type: str
    created: datetime
    subject: str
    body: str
    send_count: int = 0
    dispatches: list[JSON] = field(default_factory=list)  # oldest first
    updated: datetime | None = None  # None: never changed since created
    id: str = field(default_factory=_uuid)

    @property
    def key(self) -> tuple[int, str]:
        # created_at DESC, then id: the order Kratos lists courier messages in.
        return (-int(self.created.timestamp() * 1_000_000), self.id)

    def to_json(self, *, redact: bool, with_dispatches: bool) -> JSON:
        doc: JSON = {
            "id": self.id,
            "status": self.status,
            "type": "email",  # Kratos sends email|sms, the spec enum says email|phone: both allow this
            "recipient": self.recipient,
            "body": REDACTED if redact else self.body,
            "subject": REDACTED if redact else self.subject,
            "template_type": self.template_type,
            "channel": "email",
            "send_count": self.send_count,
            "created_at": _iso(self.created),
            "updated_at": _iso(self.updated or self.created),
        }
        if with_dispatches and self.dispatches:
            doc["dispatches"] = copy.deepcopy(self.dispatches[::-1])  # newest first, like Kratos
        return doc


@dataclass
class _Identity:
    email: str  # the trait as entered; addresses are stored trimmed and lower-cased, never NFC'd
    verified: bool
    status: str
    state: str
    schema_id: str
    email_is_identifier: bool
    created: datetime = field(default_factory=_now)
    updated: datetime = field(default_factory=_now)
    id: str = field(default_factory=_uuid)
    address_id: str = field(default_factory=_uuid)
    recovery_id: str = field(default_factory=_uuid)

    @property
    def address(self) -> str:
        # Kratos v26.2.0 lower-cases (Go strings.ToLower) and trims; it never applies NFC/NFKC, so a
        # decomposed "jose\u0301@…" stays decomposed. The same string is the password identifier.
        return _go_lower(_go_trim(self.email))

    @property
    def sort_key(self) -> tuple[str]:
        return (self.id,)  # ORDER BY identities.id ASC: a UUID compares like its lower-case hex form

    @property
    def legacy_sort_key(self) -> tuple[int]:
        return (-uuid.UUID(self.id).int,)  # Kratos v1.0: ORDER BY identities.id DESC

    def to_json(self, public_url: str, *, with_credentials: bool = True) -> JSON:
        stamps = {"created_at": _iso(self.created), "updated_at": _iso(self.updated)}
        schema = base64.urlsafe_b64encode(self.schema_id.encode()).decode().rstrip("=")
        doc: JSON = {
            "id": self.id,
            "schema_id": self.schema_id,
            "schema_url": f"{public_url}/schemas/{schema}",
            "state": self.state,
            "state_changed_at": _iso(self.created),
            "traits": {"email": self.email},
            "verifiable_addresses": [
                {
                    "id": self.address_id,
                    "value": self.address,
                    "verified": self.verified,
                    "via": "email",
                    "status": self.status,
                    "verified_at": _iso(self.created) if self.verified else None,
                    **stamps,
                },
            ],
            "recovery_addresses": [{"id": self.recovery_id, "value": self.address, "via": "email", **stamps}],
            "metadata_public": None,
            "metadata_admin": None,
            "organization_id": None,
            **stamps,
        }
        # `credentials` is omitempty and only loaded when the request expands it (a filter or
        # include_credential); an identity without a login identifier has none to show.
        if with_credentials and self.email_is_identifier:
            doc["credentials"] = {
                "password": {"type": "password", "identifiers": [self.address], "version": 0, **stamps},
            }
        return doc


@dataclass
class _Flow:
    kind: Literal["verification", "recovery"]
    issued: datetime
    expires: datetime
    state: str = "choose_method"
    email: str = ""
    messages: list[JSON] = field(default_factory=list)
    email_messages: list[JSON] = field(default_factory=list)
    id: str = field(default_factory=_uuid)


def _text(text_id: int, text: str, kind: str = "info", **context: Any) -> JSON:
    return {"id": text_id, "text": text, "type": kind, "context": context}


def _input(name: str, kind: str, group: str, label: JSON | None = None, **attrs: Any) -> JSON:
    attributes = {"name": name, "type": kind, "disabled": False, "node_type": "input", **attrs}
    meta = {"label": label} if label else {}
    return {"type": "input", "group": group, "attributes": attributes, "messages": [], "meta": meta}


def _flow_nodes(flow: _Flow) -> list[JSON]:
    csrf = _input("csrf_token", "hidden", "default", required=True, value="")
    if flow.state == "choose_method":
        email = _input("email", "email", "code", _text(1070007, "Email"), required=True, autocomplete="email")
        email["messages"] = flow.email_messages
        return [csrf, email, _input("method", "submit", "code", _text(1070005, "Continue"), value="code")]
    code_label = _text(1070011 if flow.kind == "verification" else 1070012, f"{flow.kind.title()} code")
    return [
        csrf,
        _input("code", "text", "code", code_label, required=True, pattern="[0-9]+", maxlength=6),
        _input("method", "hidden", "code", value="code"),
        _input("method", "submit", "code", _text(1070009, "Continue"), value="code"),
        _input("email", "submit", "code", _text(1070008, "Resend code"), value=flow.email),
    ]


@dataclass(frozen=True)
class _Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    body: bytes
    params: dict[str, str]

    def first(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def first_set(self, name: str) -> str | None:
        # ory/x pagination takes the first non-empty value (cmp.Or).
        return next((value for value in self.query.get(name, []) if value), None)


@dataclass(frozen=True)
class _Reply:
    status: int
    body: Any = None
    headers: tuple[tuple[str, str], ...] = ()
    raw: bytes | None = None  # sent as-is (garbage, Go's plain-text 404), never validated
    content_type: str = "application/json"


# Kratos's router (httprouter) answers unknown routes in plain text.
_GO_404 = _Reply(404, raw=b"404 page not found\n", content_type="text/plain; charset=utf-8")


def _misdirected(mode: Misdirection, path: str) -> _Reply | None:
    """What the thing a wrong KRATOS_*_URL points at answers instead of Kratos (None: Kratos answers)."""
    if mode == "auth_proxy":  # nginx with auth_basic in front of everything
        headers = (("WWW-Authenticate", 'Basic realm="kratos admin"'),)
        return _Reply(401, headers=headers, raw=_AUTH_PROXY_PAGE, content_type="text/html")
    if mode == "login_page":  # a web UI or an SSO proxy's sign-in page, answered 200 to every path
        return _Reply(200, raw=_LOGIN_PAGE, content_type="text/html; charset=utf-8")
    on_admin_route = path == "/admin" or path.startswith("/admin/")
    if mode == "public_port":  # the public router has no /admin/… routes
        return _GO_404 if on_admin_route else None
    return None if on_admin_route else _GO_404  # the admin router serves only /admin/…


class _Rejected(Exception):
    def __init__(self, reply: _Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


def _bad_request(message: str | None = None, **fields: Any) -> _Rejected:
    return _Rejected(_Reply(400, herodot(400, message, **fields)))


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close, and their sockets tracked so that stop() can cut idle
    # keep-alive connections: nothing outlives the stand-in.
    daemon_threads = False
    block_on_close = True

    def __init__(self, standin: KratosStandIn) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.standin = standin
        self._clients: set[socket.socket] = set()
        self._clients_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._clients_lock:
            self._clients.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._clients_lock:
            self._clients.discard(request)
        super().shutdown_request(request)

    def cut_clients(self) -> None:
        with self._clients_lock:
            clients = list(self._clients)
        for client in clients:
            with contextlib.suppress(OSError):  # already closed by the peer
                client.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Go's net/http
    timeout = 10  # an idle client can never pin a handler thread for long
    disable_nagle_algorithm = True  # headers and body go out in two writes; no 40 ms stalls

    def _serve(self) -> None:
        cast(_Server, self.server).standin._serve(self)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request log is `.requests`; stderr noise helps nobody


_Route = tuple[str, re.Pattern[str], Callable[["KratosStandIn", _Request], _Reply]]


class KratosStandIn:
    """Kratos admin + public API on one loopback port. Use as a context manager or start()/stop().

    Programmable state: add_identity, add_message, set_message_status, run_courier, reset.
    Faults: `latency` (s), `fail_with` (HTTP status), `garbage` (True/"html", "json", "truncated"),
    `hang`, and stop(). `misdirected` answers as what a wrong KRATOS_*_URL reaches: "auth_proxy" (401
    to everything), "public_port" (404 for /admin/…), "admin_port" (404 outside /admin/…) or
    "login_page" (an HTML page, 200, to everything). Observability: `requests`, `violations`, `issued_codes`,
    `identity_queries` (the parsed query of every /admin/identities request) and similar_searches().

    Versions: `similar_search` ("prefix" | "ignored" | "rejected", see SimilarSearch) picks how the
    experimental `preview_credentials_identifier_similar` filter behaves; `version` (None: "v26.2.0", or
    "v1.0.0" in "ignored" mode) is what GET /version answers. reset() restores both.
    """

    def __init__(
        self,
        *,
        dev_mode: bool = False,
        auto_courier: tuple[str, float] | None = None,
        link_style: Literal["relative", "absolute"] = "relative",
        flow_lifespan_s: float = 3600.0,
        verification_enabled: bool = True,
    ) -> None:
        self.dev_mode = dev_mode
        # Olympus's IAM runs with selfservice.flows.verification.enabled: false.
        self.verification_enabled = verification_enabled
        self.auto_courier = auto_courier
        # Kratos builds Link from the request's r.URL, i.e. a path without scheme and host.
        self.link_style = link_style
        self.flow_lifespan_s = flow_lifespan_s
        self.requests: list[tuple[str, str]] = []
        self.identity_queries: list[dict[str, list[str]]] = []
        self.violations: list[str] = []
        self.issued_codes: list[str] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Timer] = []
        self._port = 0
        self.reset()

    # ---- lifecycle -------------------------------------------------------------------------------

    def start(self) -> KratosStandIn:
        self._stopping.clear()
        self._server = _Server(self)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port and end every thread, also while requests hang; idempotent."""
        server, self._server = self._server, None
        self._stopping.set()
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()
            timer.join()
        if server is None:
            return
        server.shutdown()
        server.cut_clients()
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> KratosStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def admin_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self._port}"

    # ---- programmable state ----------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all identities, messages, flows, logs and faults (configuration is kept)."""
        with self._lock:
            self._identities: dict[str, _Identity] = {}
            self._messages: dict[str, _Message] = {}
            self._flows: dict[str, _Flow] = {}
            self.requests.clear()
            self.identity_queries.clear()
            self.violations.clear()
            self.issued_codes.clear()
            self.latency = 0.0
            self.fail_with: int | None = None
            self.garbage: bool | str = False
            self.hang = False
            self.misdirected: Misdirection | None = None
            self.similar_search: SimilarSearch = "prefix"
            self.version: str | None = None

    def add_identity(
        self,
        email: str,
        *,
        verified: bool = False,
        status: str | None = None,
        state: str = "active",
        schema_id: str = "default",
        email_is_identifier: bool | None = None,
    ) -> JSON:
        """Add an identity whose email trait is verifiable and recoverable; returns its JSON.

        `status` defaults to "completed" when verified, else "pending". Olympus's `organizational`
        schema does not use the email as a login identifier, so credentials_identifier cannot find it.
        """
        identity = _Identity(
            email=email,
            verified=verified,
            status=status or ("completed" if verified else "pending"),
            state=state,
            schema_id=schema_id,
            email_is_identifier=schema_id != "organizational"
            if email_is_identifier is None
            else email_is_identifier,
        )
        with self._lock:
            self._identities[identity.id] = identity
            return identity.to_json(self.public_url)

    def similar_searches(self) -> list[list[str]]:
        """The `preview_credentials_identifier_similar` values of each identities request that had one."""
        with self._lock:
            return [list(q[SIMILAR_PARAM]) for q in self.identity_queries if SIMILAR_PARAM in q]

    def get_identity(self, email: str) -> JSON | None:
        with self._lock:
            identity = self._identity_by_address(_go_lower(_go_trim(email)))
            return identity.to_json(self.public_url) if identity else None

    def add_message(
        self,
        recipient: str,
        *,
        status: str = "sent",
        age_s: float = 60.0,
        template_type: str = "verification_code_valid",
        send_count: int | None = None,
        dispatches: tuple[DispatchSpec, ...] | list[DispatchSpec] = (),
    ) -> JSON:
        """Store a courier message exactly as given (recipient not normalised); returns its full JSON.

        `dispatches` are oldest first and spread between creation and now; `send_count` defaults to
        their number (Kratos counts attempts). Values Kratos would never store are not refused here:
        the OpenAPI check reports them in `.violations`.
        """
        created = _now() - timedelta(seconds=age_s)
        message = self._new_message(recipient, template_type, created, status)
        step = timedelta(seconds=age_s / (len(dispatches) + 1))
        for index, spec in enumerate(dispatches, start=1):
            message.dispatches.append(_dispatch(spec, message.id, created + step * index))
        message.send_count = len(dispatches) if send_count is None else send_count
        if dispatches:
            message.updated = created + step * len(dispatches)
        with self._lock:
            self._messages[message.id] = message
            return message.to_json(redact=False, with_dispatches=True)

    def set_message_status(
        self, message_id: str, status: str, add_dispatch: DispatchSpec | None = None
    ) -> JSON:
        with self._lock:
            message = self._messages[message_id]
            message.status, message.updated = status, _now()
            if add_dispatch is not None:
                message.send_count += 1
                message.dispatches.append(_dispatch(add_dispatch, message.id, _now()))
            return message.to_json(redact=False, with_dispatches=True)

    def messages(self) -> list[JSON]:
        """Every stored message, unredacted and with dispatches, newest first."""
        with self._lock:
            ordered = sorted(self._messages.values(), key=lambda m: m.key)
            return [m.to_json(redact=False, with_dispatches=True) for m in ordered]

    def run_courier(self, outcome: str = "sent", *, error_message: str = DEFAULT_SMTP_ERROR) -> list[str]:
        """Deliver ("sent") or give up on ("abandoned") every queued message; returns their ids."""
        if outcome not in ("sent", "abandoned"):
            raise ValueError(f"outcome must be 'sent' or 'abandoned', not {outcome!r}")
        spec: DispatchSpec = "success" if outcome == "sent" else ("failed", error_message)
        with self._lock:
            queued = sorted(
                (m for m in self._messages.values() if m.status == "queued"), key=lambda m: m.created
            )
            for message in queued:
                message.send_count += 1
                message.dispatches.append(_dispatch(spec, message.id, _now()))
                message.status, message.updated = outcome, _now()
            return [m.id for m in queued]

    # ---- HTTP -----------------------------------------------------------------------------------

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        method = handler.command
        url = urlsplit(handler.path)
        with self._lock:
            self.requests.append((method, handler.path))
            if url.path == "/admin/identities":
                self.identity_queries.append(parse_qs(url.query, keep_blank_values=True))
        if self._held_back():
            handler.close_connection = True  # stopped while hanging or waiting: answer nothing
            return
        try:
            reply, validate = self._reply(method, handler.path, body)
        except Exception as crash:  # a stand-in bug must fail the test, not just drop the connection
            with self._lock:
                self.violations.append(f"{method} {handler.path}: stand-in crashed: {crash!r}")
            reply, validate = _Reply(500, herodot(500)), False
        payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
        if validate:
            self._validate(method, handler.path, reply)
        try:
            handler.send_response(reply.status)
            for name, value in (*reply.headers, ("Content-Type", reply.content_type)):
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            handler.close_connection = True  # the client went away; nothing to tell it

    def _held_back(self) -> bool:
        if self.hang:
            self._stopping.wait()
            return True
        return self.latency > 0 and self._stopping.wait(self.latency)

    def _reply(self, method: str, target: str, body: bytes) -> tuple[_Reply, bool]:
        """The answer, and whether the spec covers it (only JSON answers of known routes are)."""
        url = urlsplit(target)
        if self.misdirected is not None and (wrong := _misdirected(self.misdirected, url.path)):
            return wrong, False
        if self.garbage:
            raw, content_type = _GARBAGE["html" if self.garbage is True else str(self.garbage)]
            return _Reply(200, raw=raw, content_type=content_type), False
        route = next(
            (
                (action, match)
                for verb, pattern, action in _ROUTES
                if verb == method and (match := pattern.fullmatch(url.path))
            ),
            None,
        )
        if self.fail_with is not None:
            return _Reply(self.fail_with, herodot(self.fail_with)), route is not None
        if route is None:
            return _GO_404, False
        action, match = route
        request = _Request(
            method, url.path, parse_qs(url.query, keep_blank_values=True), body, match.groupdict()
        )
        try:
            return action(self, request), True
        except _Rejected as rejected:
            return rejected.reply, True

    def _validate(self, method: str, target: str, reply: _Reply) -> None:
        path = urlsplit(target).path
        try:
            validate_response(method, _SPEC_ALIASES.get(path, path), reply.status, reply.body)
        except AssertionError as problem:
            with self._lock:
                self.violations.append(str(problem))

    # ---- admin API ------------------------------------------------------------------------------

    def _list_identities(self, request: _Request) -> _Reply:
        """Kratos's parseListIdentitiesParameters + ListIdentities (v26.2.0, PostgreSQL), or v1.0's list."""
        legacy = self.similar_search == "ignored"
        kind, value = self._identity_filter(request, legacy=legacy)
        # A filter on identifiers (or include_credential) expands everything; otherwise only addresses.
        expand = kind in ("exact", "similar") or "include_credential" in request.query
        with self._lock:
            found = [i for i in self._identities.values() if _identity_matches(i, kind, value)]
            rows = [
                (
                    i.legacy_sort_key if legacy else i.sort_key,
                    i.to_json(self.public_url, with_credentials=expand),
                )
                for i in found
            ]
        return self._page(request, "identities", rows, _IDENTITY_PAGING)

    def _identity_filter(self, request: _Request, *, legacy: bool) -> tuple[str | None, Any]:
        """The one filter of a list request, refused as Kratos refuses it; (None, None) lists everyone.

        Go's query.Get reads the first value, and an empty value is no filter at all.
        """
        requested: list[tuple[str, Any]] = []
        if "ids" in request.query:
            ids = {_uuid_param(value, "ids") for value in request.query["ids"]}
            if len(request.query["ids"]) > 500:
                raise _bad_request(reason="The number of ids to filter must not exceed 500.")
            requested.append(("ids", ids))
        if organization := request.first("organization_id"):
            requested.append(("organization", _uuid_param(organization, "organization_id")))
        if identifier := request.first("credentials_identifier"):
            # v1.0 lower-cased and trimmed every identifier; v26.2.0 normalises "gracefully".
            exact = _go_lower(_go_trim(identifier)) if legacy else _graceful_normalization(identifier)
            requested.append(("exact", exact))
        if similar := request.first(SIMILAR_PARAM):
            if self.similar_search == "rejected":
                # Kratos's wording for a filter value it refuses (as for `include_credential`, `ids`).
                raise _bad_request(reason=f"Invalid value `{similar}` for parameter `{SIMILAR_PARAM}`.")
            if not legacy:  # v1.0 does not know the parameter: silently ignored
                # The escaped pattern plus "%" goes through the password identifier normalisation, so
                # trailing white space before the "%" survives TrimSpace.
                pattern = _graceful_normalization(_escape_like(similar) + "%")
                requested.append(("similar", _like_regex(pattern)))
        if len(requested) > 1:
            raise _bad_request(reason=COMBINED_FILTERS)
        return requested[0] if requested else (None, None)

    def _version(self, request: _Request) -> _Reply:
        default = LEGACY_VERSION if self.similar_search == "ignored" else DEFAULT_VERSION
        return _Reply(200, {"version": self.version or default})

    def _list_messages(self, request: _Request) -> _Reply:
        status = request.first("status")
        if status is not None and status not in MESSAGE_STATUSES:
            raise _bad_request("Message status is not valid")
        recipient = request.first("recipient")  # exact SQL equality in Kratos: no case folding
        with self._lock:
            rows = [
                (m.key, m.to_json(redact=not self.dev_mode, with_dispatches=False))
                for m in self._messages.values()
                if (not recipient or m.recipient == recipient) and (status is None or m.status == status)
            ]
        return self._page(request, "courier", rows, _MESSAGE_PAGING)

    def _get_message(self, request: _Request) -> _Reply:
        message_id = request.params["id"]
        try:
            uuid.UUID(message_id)
        except ValueError:
            raise _bad_request(f'uuid: incorrect UUID format in string "{message_id}"') from None
        with self._lock:
            message = self._messages.get(message_id)
            if message is None:
                return _Reply(404, herodot(404, "Unable to locate the resource"))
            return _Reply(200, message.to_json(redact=not self.dev_mode, with_dispatches=True))

    def _page(
        self, request: _Request, kind: str, rows: list[tuple[tuple[Any, ...], JSON]], paging: tuple[int, int]
    ) -> _Reply:
        """Keyset pagination as ory/x keysetpagination_v2 does it, Link header included."""
        size = _page_size(request.first_set("page_size"), *paging)
        after = _decode_token(kind, request.first_set("page_token"))
        rows = sorted((row for row in rows if after is None or row[0] > after), key=lambda row: row[0])
        links = [self._link(request, "first", _encode_token(kind, None), size)]
        if len(rows) > size:
            links.append(self._link(request, "next", _encode_token(kind, rows[size - 1][0]), size))
        return _Reply(200, [doc for _, doc in rows[:size]], headers=(("Link", ",".join(links)),))

    def _link(self, request: _Request, rel: str, token: str, size: int) -> str:
        query = {**request.query, "page_token": [token], "page_size": [str(size)]}
        # Go's url.Values.Encode: keys sorted, values in order, QueryEscape (space as "+").
        pairs = [(key, value) for key in sorted(query) for value in query[key]]
        target = f"{request.path}?{urlencode(pairs, quote_via=quote_plus)}"
        base = self.admin_url if self.link_style == "absolute" else ""
        return f'<{base}{target}>; rel="{rel}"'

    # ---- public self-service flows --------------------------------------------------------------

    def _verification_disabled(self, kind: str) -> None:
        """Kratos's verification handler with the flow switched off: a herodot 400, no flow."""
        if kind == "verification" and not self.verification_enabled:
            raise _bad_request(reason="Verification is not allowed because it was disabled.")

    def _create_flow(self, request: _Request) -> _Reply:
        issued = _now()
        kind = cast(Literal["verification", "recovery"], request.params["kind"])
        self._verification_disabled(kind)
        flow = _Flow(kind, issued, issued + timedelta(seconds=self.flow_lifespan_s))
        with self._lock:
            self._flows[flow.id] = flow
            return _Reply(200, self._flow_json(flow))

    def _update_flow(self, request: _Request) -> _Reply:
        self._verification_disabled(request.params["kind"])
        flow = self._load_flow(request)
        form = _form(request)
        email = str(form.get("email") or "").strip()
        with self._lock:
            flow.messages, flow.email_messages = [], []
            if form.get("method") != "code":
                # Only the code method is modelled: Olympus runs these flows with `use: code`.
                flow.messages = [_text(*_NO_STRATEGY[flow.kind], "error")]
            elif not _EMAIL.fullmatch(email):
                flow.email_messages = [_invalid_email(email)]
            else:
                self._send_code(flow.kind, email.lower())
                text_id, what = _FLOW_SENT[flow.kind]
                flow.state, flow.email = "sent_email", email
                flow.messages = [_text(text_id, _SENT_TEXT.format(what=what))]
                return _Reply(200, self._flow_json(flow))
            flow.state = "choose_method"
            return _Reply(400, self._flow_json(flow))

    def _load_flow(self, request: _Request) -> _Flow:
        try:
            flow_id = str(uuid.UUID(request.first("flow") or ""))
        except ValueError:
            raise _bad_request(reason="The flow query parameter is missing or malformed.") from None
        with self._lock:
            flow = self._flows.get(flow_id)
            if flow is None or flow.kind != request.params["kind"]:
                raise _Rejected(_Reply(404, herodot(404, "Unable to locate the resource")))
            expired_for = _now() - flow.expires
            if expired_for.total_seconds() <= 0:
                return flow
            replacement = _Flow(flow.kind, _now(), _now() + timedelta(seconds=self.flow_lifespan_s))
            self._flows[replacement.id] = replacement
        body = herodot(
            410,
            "self-service flow expired",
            id="self_service_flow_expired",
            reason=f"The self-service flow expired {expired_for.total_seconds() / 60:.2f} minutes ago, "
            "initialize a new one.",
        )
        body |= {
            "expired_at": _iso(flow.expires),
            "since": int(expired_for.total_seconds() * 1e9),
            "use_flow_id": replacement.id,
        }
        raise _Rejected(_Reply(410, body))

    def expire_flows(self) -> None:
        """Make every existing self-service flow expired (Kratos then answers 410)."""
        with self._lock:
            for flow in self._flows.values():
                flow.expires = _now() - timedelta(seconds=1)

    def _flow_json(self, flow: _Flow) -> JSON:
        doc: JSON = {
            "id": flow.id,
            "type": "api",
            "expires_at": _iso(flow.expires),
            "issued_at": _iso(flow.issued),
            "request_url": f"{self.public_url}/self-service/{flow.kind}/api",
            "state": flow.state,
            "ui": {
                "action": f"{self.public_url}/self-service/{flow.kind}?flow={flow.id}",
                "method": "POST",
                "nodes": _flow_nodes(flow),
                "messages": list(flow.messages),
            },
        }
        if flow.state != "choose_method":
            doc["active"] = "code"
        return doc

    def _send_code(self, kind: str, address: str) -> None:
        """Queue a code mail when the address is known; stay silent otherwise (anti-enumeration)."""
        identity = self._identity_by_address(address)
        if identity is None:
            return  # notify_unknown_recipients is off in Olympus: nothing is queued
        if kind == "verification":
            identity.status, identity.updated = "sent", _now()
        template = f"{kind}_code_valid"
        message = self._new_message(identity.address, template, _now(), "queued")
        self._messages[message.id] = message
        if self.auto_courier is not None and not self._stopping.is_set():
            outcome, delay_s = self.auto_courier
            timer = threading.Timer(delay_s, self.run_courier, args=(outcome,))
            timer.daemon = True
            self._timers.append(timer)
            timer.start()

    def _identity_by_address(self, address: str) -> _Identity | None:
        return next((i for i in self._identities.values() if i.address == address), None)

    def _new_message(self, recipient: str, template_type: str, created: datetime, status: str) -> _Message:
        subject, body = "Message from Ory Kratos", "This is a message from Ory Kratos."
        if template_type in _CODE_TEMPLATES:
            code = f"{secrets.randbelow(1_000_000):06d}"
            with self._lock:
                self.issued_codes.append(code)
            subject_template, purpose = _CODE_TEMPLATES[template_type]
            subject = subject_template.format(code=code)
            body = f"Hi,\n\nplease {purpose} by entering the following code:\n\n{code}\n"
        return _Message(recipient, status, template_type, created, subject, body)


def _dispatch(spec: DispatchSpec, message_id: str, at: datetime) -> JSON:
    if isinstance(spec, str):
        status, error = spec, None
    elif isinstance(spec, tuple):
        status, error = spec[0], smtp_dispatch_error(spec[1])
    else:
        status, error = spec["status"], spec.get("error")
    doc: JSON = {
        "id": _uuid(),
        "message_id": message_id,
        "status": status,
        "created_at": _iso(at),
        "updated_at": _iso(at),
    }
    if error is not None:
        doc["error"] = copy.deepcopy(dict(error))
    return doc


def _go_trim(text: str) -> str:
    return text.strip(_GO_SPACE)


def _go_lower(text: str) -> str:
    """Go's strings.ToLower: rune by rune (no final-sigma rule; U+0130 becomes a plain "i")."""
    return "".join("i" if char == "\u0130" else char.lower() for char in text)


def _graceful_normalization(value: str) -> str:
    """Kratos v26.2.0 x.GracefulNormalization for the identifiers the stand-in has (emails).

    Contains "@": lower-cased and trimmed; otherwise only trimmed. (A valid phone number would become
    E.164 first; the stand-in has no phone identifiers.) No Unicode normalisation.
    """
    return _go_lower(_go_trim(value)) if "@" in value else _go_trim(value)


def _escape_like(value: str) -> str:
    """Kratos x.EscapeLikePattern: backslash-escape `\\`, `%` and `_` so they match literally."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_regex(pattern: str) -> re.Pattern[str]:
    """PostgreSQL `LIKE` (case-sensitive, default escape character backslash) as a regular expression."""
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars, "\\")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def _identity_matches(identity: _Identity, kind: str | None, value: Any) -> bool:
    if kind is None:
        return True
    if kind == "ids":
        return identity.id in value
    if kind == "organization":
        return False  # the stand-in's identities belong to no organization
    # exact / similar: the identifiers of password/webauthn/code credentials (the stand-in's: password).
    if not identity.email_is_identifier:
        return False
    if kind == "exact":
        return bool(identity.address == value)
    return cast(re.Pattern[str], value).fullmatch(identity.address) is not None


def _uuid_param(value: str, name: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise _bad_request(reason=f"Invalid UUID value `{value}` for parameter `{name}`.") from None


def _page_size(raw: str | None, default: int, maximum: int) -> int:
    if raw is None:
        return default
    try:
        size = int(raw)
    except ValueError:
        raise _bad_request(f'strconv.Atoi: parsing "{raw}": invalid syntax') from None
    return default if size <= 0 else min(size, maximum)


def _encode_token(kind: str, key: tuple[Any, ...] | None) -> str:
    raw = json.dumps({"k": kind, "v": key, "n": secrets.token_hex(4)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_token(kind: str, token: str | None) -> tuple[Any, ...] | None:
    if token is None:
        return None
    try:
        doc = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if doc["k"] != kind:
            raise ValueError(kind)
        return None if doc["v"] is None else tuple(doc["v"])
    except (ValueError, KeyError, TypeError):
        raise _bad_request("decrypt token: message authentication failed") from None


def _form(request: _Request) -> JSON:
    text = request.body.decode("utf-8", "replace")
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError:
            raise _bad_request("Unable to decode JSON payload") from None
        return doc if isinstance(doc, dict) else {}
    return {key: values[0] for key, values in parse_qs(text).items()}


def _invalid_email(email: str) -> JSON:
    if not email:
        return _text(4000002, "Property email is missing.", "error", property="email")
    return _text(
        4000001, f'"{email}" is not valid "email"', "error", reason=f'"{email}" is not valid "email"'
    )


# Kratos serves its version on the public port as /version and on the admin port as /admin/version
# (the admin router redirects un-prefixed paths there); the spec documents /version only.
_SPEC_ALIASES = {"/admin/version": "/version"}

_ROUTES: list[_Route] = [
    ("GET", re.compile(r"/(?:admin/)?version"), KratosStandIn._version),
    ("GET", re.compile(r"/admin/identities"), KratosStandIn._list_identities),
    ("GET", re.compile(r"/admin/courier/messages"), KratosStandIn._list_messages),
    ("GET", re.compile(r"/admin/courier/messages/(?P<id>[^/]+)"), KratosStandIn._get_message),
    ("GET", re.compile(r"/self-service/(?P<kind>verification|recovery)/api"), KratosStandIn._create_flow),
    ("POST", re.compile(r"/self-service/(?P<kind>verification|recovery)"), KratosStandIn._update_flow),
]
