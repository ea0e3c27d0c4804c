"""HTTP stand-ins for the Resend, Postmark, Brevo and SMTP2GO APIs (reference/providers.md §1–4, §11).

Each is a real `ThreadingHTTPServer` on 127.0.0.1 with a free port, checks the auth header exactly as
the provider documents it (Postmark's account token for its domains, apart from the server token),
answers from programmable data in the provider's own JSON shapes (with subjects, so tests can prove
they never leak), honours the date, page and filter parameters the provider documents, and can inject
faults: 429 with Retry-After, any status, garbage, a wrong shape, and latency. Every request is
recorded.

Sender domains: every stand-in's account has `DEFAULT_DOMAIN` verified; `set_domain(name, state)`
puts a domain in one of `DOMAIN_STATES` (the provider's records follow in its own words),
`drop_domain` removes it, `refuse_domains()` answers the domain endpoints as the provider answers a
key that may not read them, and `records(name)` gives the (host, type, value) the provider asks for,
to publish in the DNS stand-in.

    with PostmarkStandIn(TOKEN) as postmark:
        postmark.add_message("m1", "user@example.com", "2026-11-20T10:00:00Z")
        ... api_url=postmark.url ...
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

SUBJECT = "Your verification code is 907314"  # must never appear in any result
# A sign-in page, as a web UI or an SSO proxy answers in place of an API.
LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><title>Sign in</title></head><body><form method="post">'
    b'<input name="username"><input name="password" type="password"><button>Sign in</button></form></body></html>\n'
)
# What a web server answers for a path it has no route for (plain text, like Go's and many gateways').
NO_ROUTE = b"404 page not found\n"
DEFAULT_DOMAIN = "acme.test"  # the From domain the tests' settings use
DOMAIN_STATES = ("verified", "pending", "failed")
# A DKIM public key as providers show it (not a real key: only compared as text).
DKIM_KEY = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDeMVIzrCa3T14JsNY0IRv5" + "A" * 40 + "IDAQAB"
EASTERN = ZoneInfo("America/New_York")


def moment(text: str) -> datetime:
    """A provider time ("…Z", "…+00", "… 22:13:42.67+00", a date) as an aware UTC instant."""
    text = text.strip().replace(" ", "T", 1)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif "T" in text and text[-3] in "+-" and text[-2:].isdigit():
        text += ":00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str]


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = False  # server_close() joins handler threads: nothing outlives the stand-in
    block_on_close = True
    # A check asks a provider a dozen things at once; socketserver's default backlog of 5 would drop
    # the rest of the connection attempts, which the client's TCP then retries a second later.
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that gave up (timeout tests) is not a test failure


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    standin: ProviderStandIn

    def do_GET(self) -> None:
        self.standin._serve(self, "GET")

    def do_POST(self) -> None:
        self.standin._serve(self, "POST")

    def do_DELETE(self) -> None:
        self.standin._serve(self, "DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class ProviderStandIn:
    """Serving, recording and fault injection; subclasses check auth and route."""

    prefix = ""  # the path part of the provider's base URL (e.g. /v3)

    def __init__(self, api_key: str) -> None:
        self.api_key = api_key
        self.requests: list[Recorded] = []
        self.domains: dict[str, str] = {DEFAULT_DOMAIN: "verified"}
        self.domains_refused = False
        self.latency = 0.0
        self._faults: list[tuple[str | None, Reply]] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.prefix}"

    def __enter__(self) -> ProviderStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # wakes handlers sleeping in `latency`
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    # Fault injection: faults are served in order, one per request, before anything else. `path`
    # (without the base prefix) aims a fault at one endpoint when calls run concurrently.
    def rate_limit(
        self, times: int = 1, retry_after: str | None = "0", path: str | None = None, **headers: str
    ) -> None:
        extra = {name.replace("_", "-"): value for name, value in headers.items()}
        if retry_after is not None:
            extra["Retry-After"] = retry_after
        self._add_fault(times, path, Reply(429, {"message": "Too many requests"}, extra))

    def fail(self, status: int, times: int = 1, path: str | None = None) -> None:
        self._add_fault(times, path, Reply(status, {"message": "stand-in failure"}))

    def garbage(self, times: int = 1, path: str | None = None) -> None:
        reply = Reply(200, b"<html>502 Bad Gateway</html>", {"Content-Type": "text/html"})
        self._add_fault(times, path, reply)

    def login_page(self, times: int = 1, path: str | None = None) -> None:
        """Answer as a web UI or SSO proxy would that MAIL_PROVIDER_API_URL points at by mistake."""
        self._add_fault(times, path, Reply(200, LOGIN_PAGE, {"Content-Type": "text/html; charset=utf-8"}))

    def not_json(self, times: int = 1, path: str | None = None) -> None:
        self._add_fault(times, path, Reply(200, b'{"data": [', {"Content-Type": "application/json"}))

    def answer(self, status: int, body: Any, times: int = 1, path: str | None = None) -> None:
        self._add_fault(times, path, Reply(status, body))

    def wrong_shape(self, times: int = 1, path: str | None = None) -> None:
        self._add_fault(times, path, Reply(200, {"unexpected": ["shape"]}))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def _add_fault(self, times: int, path: str | None, reply: Reply) -> None:
        with self._lock:
            self._faults.extend([(path, reply)] * times)

    def _next_fault(self, path: str) -> Reply | None:
        for index, (wanted, reply) in enumerate(self._faults):
            if wanted is None or wanted == path:
                del self._faults[index]
                return reply
        return None

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    # Sender domains
    def set_domain(self, name: str, state: str) -> None:
        assert state in DOMAIN_STATES or state.startswith("partially"), state
        self.domains[name] = state

    def drop_domain(self, name: str) -> None:
        self.domains.pop(name, None)

    def refuse_domains(self) -> None:
        """Answer the domain endpoints as the provider answers a key that may not read them."""
        self.domains_refused = True

    def records(self, name: str) -> list[tuple[str, str, str]]:
        """(absolute host, type, value) of every record the provider asks for on `name`."""
        raise NotImplementedError

    # Subclasses
    def auth_failure(self, headers: dict[str, str], body: Any, path: str) -> Reply | None:
        raise NotImplementedError

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        raise NotImplementedError

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        split = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        body = json.loads(raw) if raw else None
        headers = {k.lower(): v for k, v in handler.headers.items()}
        path = unquote(split.path)
        local = path.removeprefix(self.prefix)
        with self._lock:
            self.requests.append(Recorded(method, local, query, body, headers))
            fault = self._next_fault(local)
        if self.latency:
            self._stopping.wait(self.latency)
        reply = fault or self._outside(path) or self.auth_failure(headers, body, local)
        self._write(handler, reply or self.route(method, local, query, body))

    def _outside(self, path: str) -> Reply | None:
        """The API lives under its prefix (Brevo's and SMTP2GO's /v3); anything else has no route."""
        if self.prefix and not path.startswith(self.prefix + "/"):
            return Reply(404, NO_ROUTE, {"Content-Type": "text/plain; charset=utf-8"})
        return None

    @staticmethod
    def _write(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        payload = reply.body if isinstance(reply.body, bytes) else b""
        if reply.body is not None and not isinstance(reply.body, bytes):
            payload = json.dumps(reply.body).encode()
        try:
            handler.send_response(reply.status)
            if "Content-Type" not in reply.headers and reply.status != 204:
                handler.send_header("Content-Type", "application/json")
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(payload)))
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client is gone


def _not_found(message: str = "not found") -> Reply:
    return Reply(404, {"message": message})


def _eastern(text: str | None) -> datetime | None:
    """Postmark's fromdate/todate: a local US Eastern time (official SDK)."""
    if not text:
        return None
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=EASTERN) if parsed.tzinfo is None else parsed


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _within(at: str, start: datetime | None, end: datetime | None) -> bool:
    when = moment(at)
    return (start is None or when >= start) and (end is None or when <= end)


class ResendStandIn(ProviderStandIn):
    """`Authorization: Bearer re_…`; 401 when missing, 403 when wrong (Resend docs)."""

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.emails: list[dict[str, Any]] = []  # newest first, as the API lists them
        self.suppressions: dict[str, dict[str, Any]] = {}

    def add_email(
        self, email_id: str, to: str | list[str], created_at: str, last_event: str = "delivered"
    ) -> None:
        self.emails.append(
            {
                "object": "email",
                "id": email_id,
                "to": [to] if isinstance(to, str) else list(to),
                "from": "Acme <no-reply@acme.test>",
                "created_at": created_at,
                "subject": SUBJECT,
                "last_event": last_event,
                "bcc": None,
                "cc": None,
                "reply_to": None,
                "scheduled_at": None,
            }
        )
        self.emails.sort(key=lambda e: moment(e["created_at"]), reverse=True)

    def suppress(self, email: str, origin: str, created_at: str) -> None:
        self.suppressions[email] = {
            "object": "suppression",
            "id": "sup-" + email,
            "email": email,
            "origin": origin,
            "source_id": None,
            "created_at": created_at,
        }

    # Sender domains (resend-openapi `Domain`, `DomainRecord`): rows relative to the domain.
    def _rows(self, name: str) -> list[dict[str, Any]]:
        state = self.domains[name]  # verified, pending, failed, partially_verified, partially_failed
        spf = "verified" if state.startswith("partially") else state
        dkim = {"partially_verified": "pending", "partially_failed": "failed"}.get(state, state)
        rows = [
            ("SPF", "send", "MX", "feedback-smtp.us-east-1.amazonses.com", spf, 10),
            ("SPF", "send", "TXT", "v=spf1 include:amazonses.com ~all", spf, None),
            ("DKIM", "resend._domainkey", "TXT", f"p={DKIM_KEY}", dkim, None),
        ]
        return [
            {"record": r, "name": n, "type": t, "ttl": "Auto", "status": st, "value": v, "priority": p}
            for r, n, t, v, st, p in rows
        ]

    def records(self, name: str) -> list[tuple[str, str, str]]:
        return [(f"{row['name']}.{name}", row["type"], row["value"]) for row in self._rows(name)]

    def _domain(self, name: str, *, detail: bool) -> dict[str, Any]:
        item: dict[str, Any] = {
            "id": f"dom-{name}",
            "name": name,
            "status": self.domains[name],
            "created_at": "2026-04-26 20:21:26.347412+00",
            "region": "us-east-1",
            "capabilities": {"sending": "enabled", "receiving": "disabled"},
        }
        return {"object": "domain", **item, "records": self._rows(name)} if detail else item

    def _domains(self, path: str, query: dict[str, str]) -> Reply:
        if path == "/domains":
            names = sorted(self.domains)
            limit = int(query.get("limit", "20"))
            start = names.index(query["after"].removeprefix("dom-")) + 1 if "after" in query else 0
            page = [self._domain(n, detail=False) for n in names[start : start + limit]]
            return Reply(200, {"object": "list", "has_more": start + limit < len(names), "data": page})
        name = path.removeprefix("/domains/").removeprefix("dom-")
        if name not in self.domains:
            return Reply(404, {"statusCode": 404, "name": "not_found", "message": "Domain not found"})
        return Reply(200, self._domain(name, detail=True))

    def auth_failure(self, headers: dict[str, str], body: Any, path: str) -> Reply | None:
        value = headers.get("authorization")
        if value is None:
            return Reply(401, {"statusCode": 401, "name": "missing_api_key", "message": "Missing API key"})
        if value != f"Bearer {self.api_key}":
            return Reply(403, {"statusCode": 403, "name": "invalid_api_key", "message": "API key is invalid"})
        if self.domains_refused and path.startswith("/domains"):
            message = "This API key is restricted to only send emails"
            return Reply(401, {"statusCode": 401, "name": "restricted_api_key", "message": message})
        return None

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method == "GET" and path == "/emails":
            return self._list(query)
        if method == "GET" and path.startswith("/domains"):
            return self._domains(path, query)
        if path.startswith("/suppressions/"):
            email = path.removeprefix("/suppressions/")
            if email not in self.suppressions:
                return Reply(
                    404, {"statusCode": 404, "name": "not_found", "message": "Suppression not found"}
                )
            if method == "DELETE":
                found = self.suppressions.pop(email)
                return Reply(200, {"object": "suppression", "id": found["id"], "deleted": True})
            return Reply(200, self.suppressions[email])
        return _not_found()

    def _list(self, query: dict[str, str]) -> Reply:
        limit = int(query.get("limit", "20"))
        if not 1 <= limit <= 100:
            return Reply(422, {"name": "validation_error", "message": "limit must be 1..100"})
        start = 0
        if "after" in query:
            ids = [e["id"] for e in self.emails]
            start = ids.index(query["after"]) + 1
        page = self.emails[start : start + limit]
        return Reply(200, {"object": "list", "has_more": start + limit < len(self.emails), "data": page})


POSTMARK_ACCOUNT_TOKEN = "7d1e2f3a-4b5c-4d6e-8f70-account00001"


class PostmarkStandIn(ProviderStandIn):
    """`X-Postmark-Server-Token: <token>` and `Accept: application/json` (Postmark docs); the Domains API
    wants `X-Postmark-Account-Token` instead (account level, owner only)."""

    def __init__(
        self, api_key: str, server_id: int = 4242, account_token: str = POSTMARK_ACCOUNT_TOKEN
    ) -> None:
        super().__init__(api_key)
        self.server_id = server_id
        self.account_token = account_token
        self.messages: list[dict[str, Any]] = []
        self.events: dict[str, list[dict[str, Any]]] = {}
        self.bounces: list[dict[str, Any]] = []
        self.suppressions: dict[str, list[dict[str, Any]]] = {}

    def add_message(
        self, message_id: str, to: str, received_at: str, stream: str = "outbound", status: str = "Sent"
    ) -> None:
        self.messages.append(
            {
                "MessageID": message_id,
                "To": [{"Email": to, "Name": None}],
                "Recipients": [to],
                "ReceivedAt": received_at,
                "From": "no-reply@acme.test",
                "Subject": SUBJECT,
                "Tag": "",
                "Status": status,
                "MessageStream": stream,
            }
        )
        self.events.setdefault(message_id, [])

    def add_event(self, message_id: str, kind: str, at: str, recipient: str, **details: Any) -> None:
        self.events[message_id].append(
            {"Recipient": recipient, "Type": kind, "ReceivedAt": at, "Details": details}
        )

    def add_bounce(
        self,
        bounce_id: int,
        message_id: str,
        email: str,
        kind: str,
        at: str,
        details: str,
        inactive: bool = True,
        stream: str = "outbound",
    ) -> None:
        self.bounces.append(
            {
                "ID": bounce_id,
                "Type": kind,
                "TypeCode": 1,
                "Name": kind,
                "MessageID": message_id,
                "ServerID": self.server_id,
                "MessageStream": stream,
                "Description": "The server was unable to deliver your message.",
                "Details": details,
                "Email": email,
                "From": "no-reply@acme.test",
                "BouncedAt": at,
                "DumpAvailable": True,
                "Inactive": inactive,
                "CanActivate": True,
                "Subject": SUBJECT,
            }
        )

    def suppress(self, email: str, reason: str, created_at: str, stream: str = "outbound") -> None:
        self.suppressions.setdefault(stream, []).append(
            {
                "EmailAddress": email,
                "SuppressionReason": reason,
                "Origin": "Recipient",
                "CreatedAt": created_at,
            }
        )

    # Domains API (postmarkapp.com/developer/api/domains-api). `failed`: DKIM verified, Return-Path not.
    def _domain(self, name: str, *, detail: bool) -> dict[str, Any]:
        state = self.domains[name]
        dkim_ok, return_path_ok = state == "verified" or state == "failed", state == "verified"
        item: dict[str, Any] = {
            "ID": 1000 + sorted(self.domains).index(name),
            "Name": name,
            "SPFVerified": False,
            "DKIMVerified": dkim_ok,
            "WeakDKIM": False,
            "ReturnPathDomainVerified": return_path_ok,
        }
        if not detail:
            return item
        host, value = f"20260101000000pm._domainkey.{name}", f"k=rsa;p={DKIM_KEY}"
        return {
            **item,
            "SPFHost": name,
            "SPFTextValue": "v=spf1 a mx include:spf.mtasv.net ~all",
            "DKIMHost": host if dkim_ok else "",
            "DKIMTextValue": value if dkim_ok else "",
            "DKIMPendingHost": "" if dkim_ok else host,
            "DKIMPendingTextValue": "" if dkim_ok else value,
            "DKIMRevokedHost": "",
            "DKIMRevokedTextValue": "",
            "SafeToRemoveRevokedKeyFromDNS": False,
            "DKIMUpdateStatus": "Verified" if dkim_ok else "Pending",
            "ReturnPathDomain": f"pm-bounces.{name}",
            "ReturnPathDomainCNAMEValue": "pm.mtasv.net",
        }

    def records(self, name: str) -> list[tuple[str, str, str]]:
        return [
            (f"20260101000000pm._domainkey.{name}", "TXT", f"k=rsa;p={DKIM_KEY}"),
            (f"pm-bounces.{name}", "CNAME", "pm.mtasv.net"),
        ]

    def _domains(self, path: str, query: dict[str, str]) -> Reply:
        if path == "/domains":
            listed = [self._domain(n, detail=False) for n in sorted(self.domains)]
            return self._paged(query, listed, "Domains")
        wanted = path.removeprefix("/domains/")
        for name in self.domains:
            if str(self._domain(name, detail=False)["ID"]) == wanted:
                return Reply(200, self._domain(name, detail=True))
        return Reply(422, {"ErrorCode": 510, "Message": "Domain not found."})

    def auth_failure(self, headers: dict[str, str], body: Any, path: str) -> Reply | None:
        if path.startswith("/domains"):
            if headers.get("x-postmark-account-token") != self.account_token or self.domains_refused:
                return Reply(
                    401, {"ErrorCode": 10, "Message": "Request does not contain a valid Account token."}
                )
        elif headers.get("x-postmark-server-token") != self.api_key:
            return Reply(401, {"ErrorCode": 10, "Message": "Request does not contain a valid Server token."})
        if headers.get("accept") != "application/json":
            return Reply(406, {"ErrorCode": 0, "Message": "Accept header must be application/json"})
        return None

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        parts = path.strip("/").split("/")
        if method == "GET" and parts[0] == "domains":
            return self._domains(path, query)
        if method == "GET" and path == "/server":
            return Reply(200, {"ID": self.server_id, "Name": "Olympus", "ApiTokens": [self.api_key]})
        if method == "GET" and path == "/messages/outbound":
            return self._search(query)
        if method == "GET" and parts[:2] == ["messages", "outbound"] and parts[-1] == "details":
            return self._details(parts[2])
        if method == "GET" and path == "/bounces":
            return self._bounces(query)
        if parts[0] == "message-streams" and parts[2:] == ["suppressions", "dump"]:
            wanted = query.get("EmailAddress", "").lower()
            found = [s for s in self.suppressions.get(parts[1], []) if s["EmailAddress"].lower() == wanted]
            return Reply(200, {"Suppressions": found})
        if method == "POST" and parts[0] == "message-streams" and parts[2:] == ["suppressions", "delete"]:
            return self._delete(parts[1], body)
        return _not_found()

    def _paged(self, query: dict[str, str], items: list[dict[str, Any]], key: str) -> Reply:
        if "count" not in query or "offset" not in query:
            return Reply(422, {"ErrorCode": 0, "Message": "count and offset are required"})
        count, offset = int(query["count"]), int(query["offset"])
        if not 1 <= count <= 500 or count + offset > 10_000:
            return Reply(422, {"ErrorCode": 0, "Message": "count must be 1..500 and count+offset <= 10000"})
        return Reply(200, {"TotalCount": len(items), key: items[offset : offset + count]})

    def _search(self, query: dict[str, str]) -> Reply:
        """`recipient` matches part of an address, like `emailFilter`; dates are US Eastern time."""
        stream = query.get("messagestream", "outbound")
        wanted = query.get("recipient", "").lower()
        start, end = _eastern(query.get("fromdate")), _eastern(query.get("todate"))
        found = [
            m
            for m in self.messages
            if m["MessageStream"] == stream
            and any(wanted in r.lower() for r in m["Recipients"])
            and _within(m["ReceivedAt"], start, end)
        ]
        found.sort(key=lambda m: moment(m["ReceivedAt"]), reverse=True)
        return self._paged(query, found, "Messages")

    def _details(self, message_id: str) -> Reply:
        message = next((m for m in self.messages if m["MessageID"] == message_id), None)
        if message is None:
            return Reply(422, {"ErrorCode": 701, "Message": "This message was not found."})
        return Reply(200, {**message, "TextBody": "code 907314", "MessageEvents": self.events[message_id]})

    def _bounces(self, query: dict[str, str]) -> Reply:
        needle = query.get("emailFilter", "").lower()
        stream, kind = query.get("messagestream"), query.get("type")
        start, end = _eastern(query.get("fromdate")), _eastern(query.get("todate"))
        found = [
            b
            for b in self.bounces
            if needle in b["Email"].lower()
            and (stream is None or b["MessageStream"] == stream)
            and (kind is None or b["Type"] == kind)
            and _within(b["BouncedAt"], start, end)
        ]
        found.sort(key=lambda b: moment(b["BouncedAt"]), reverse=True)
        return self._paged(query, found, "Bounces")

    def _delete(self, stream: str, body: Any) -> Reply:
        results = []
        for entry in body["Suppressions"]:
            email = entry["EmailAddress"].lower()
            current = [s for s in self.suppressions.get(stream, []) if s["EmailAddress"].lower() == email]
            if any(s["SuppressionReason"] == "SpamComplaint" for s in current):
                results.append(
                    {
                        "EmailAddress": email,
                        "Status": "Failed",
                        "Message": "You do not have the required authority to change this suppression.",
                    }
                )
                continue
            self.suppressions[stream] = [s for s in self.suppressions.get(stream, []) if s not in current]
            results.append({"EmailAddress": email, "Status": "Deleted", "Message": None})
        return Reply(200, {"Suppressions": results})


class BrevoStandIn(ProviderStandIn):
    """`api-key: xkeysib-…` (Brevo docs); served under /v3 like the real base URL."""

    prefix = "/v3"

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.events: list[dict[str, Any]] = []
        self.blocked: list[dict[str, Any]] = []
        self.today = datetime.now(UTC).date()  # what `days` counts back from

    def add_event(
        self, message_id: str, email: str, event: str, date: str, reason: str | None = None
    ) -> None:
        item = {
            "email": email,
            "date": date,
            "messageId": message_id,
            "event": event,
            "subject": SUBJECT,
            "tag": "",
            "from": "no-reply@acme.test",
            "templateId": 12,
        }
        if reason is not None:
            item["reason"] = reason
        self.events.append(item)

    def block(self, email: str, code: str, blocked_at: str) -> None:
        self.blocked.append(
            {
                "email": email,
                "senderEmail": "no-reply@acme.test",
                "reason": {"code": code, "message": "blocked"},
                "blockedAt": blocked_at,
            }
        )

    # Sender domains (developers.brevo.com get-domains, get-domain-configuration). `failed`: the
    # ownership code is seen (verified) but DKIM is not (not authenticated).
    def _flags(self, name: str) -> dict[str, bool]:
        state = self.domains[name]
        return {"brevo_code": state in ("verified", "failed"), "dkim_record": state == "verified"} | {
            "dmarc_record": state in ("verified", "failed")
        }

    def _dns_records(self, name: str) -> dict[str, dict[str, Any]]:
        flags = self._flags(name)
        rows = {
            "dkim_record": ("TXT", f"k=rsa;p={DKIM_KEY}", "mail._domainkey"),
            "brevo_code": ("TXT", "brevo-code:5a1f0c9e3b7d4e2f8a6c0b1d9e7f3a2c", "@"),
            "dmarc_record": ("TXT", "v=DMARC1; p=none; rua=mailto:rua@dmarc.brevo.com", "_dmarc"),
        }
        return {
            key: {"type": kind, "value": value, "host_name": host, "status": flags[key]}
            for key, (kind, value, host) in rows.items()
        }

    def records(self, name: str) -> list[tuple[str, str, str]]:
        hosts = {"@": name, "mail._domainkey": f"mail._domainkey.{name}", "_dmarc": f"_dmarc.{name}"}
        return [(hosts[r["host_name"]], r["type"], r["value"]) for r in self._dns_records(name).values()]

    def _domains(self, path: str) -> Reply:
        if path == "/senders/domains":
            listed = []
            for number, name in enumerate(sorted(self.domains)):
                flags = self._flags(name)
                authenticated, verified = flags["dkim_record"], flags["brevo_code"]
                item = {"id": 100 + number, "domain_name": name, "ip": None}
                listed.append(item | {"authenticated": authenticated, "verified": verified})
            return Reply(200, {"domains": listed})
        name = path.removeprefix("/senders/domains/")
        if name not in self.domains:
            return Reply(404, {"code": "document_not_found", "message": "Domain does not exist"})
        flags = self._flags(name)
        return Reply(
            200,
            {
                "domain": name,
                "verified": flags["brevo_code"],
                "authenticated": flags["dkim_record"],
                "dns_records": self._dns_records(name),
            },
        )

    def auth_failure(self, headers: dict[str, str], body: Any, path: str) -> Reply | None:
        if headers.get("api-key") != self.api_key:
            return Reply(401, {"code": "unauthorized", "message": "Key not found"})
        if self.domains_refused and path.startswith("/senders/domains"):
            message = "Unable to authenticate: unrecognised IP address 203.0.113.7"
            return Reply(401, {"code": "unauthorized", "message": message})
        return None

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method == "GET" and path.startswith("/senders/domains"):
            return self._domains(path)
        if method == "GET" and path == "/smtp/statistics/events":
            return self._events(query)
        if method == "GET" and path == "/smtp/blockedContacts":
            limit, offset = int(query.get("limit", "50")), int(query.get("offset", "0"))
            if limit > 100:
                return Reply(400, {"code": "out_of_range", "message": "limit must be at most 100"})
            ordered = sorted(self.blocked, key=lambda c: c["blockedAt"], reverse=True)
            return Reply(200, {"count": len(ordered), "contacts": ordered[offset : offset + limit]})
        if method == "DELETE" and path.startswith("/smtp/blockedContacts/"):
            email = path.removeprefix("/smtp/blockedContacts/").lower()
            if not any(c["email"].lower() == email for c in self.blocked):
                return Reply(404, {"code": "document_not_found", "message": "Contact not blocked"})
            self.blocked = [c for c in self.blocked if c["email"].lower() != email]
            return Reply(204)
        return _not_found()

    def _events(self, query: dict[str, str]) -> Reply:
        """`email` (exact), `event`, inclusive `startDate`/`endDate` (the events' own calendar day) or
        `days` counted from `today`, `limit` (≤ 5000), `offset`, `sort`."""
        if ("startDate" in query) != ("endDate" in query) or ("days" in query and "startDate" in query):
            return Reply(400, {"code": "invalid_parameter", "message": "use startDate with endDate, or days"})
        limit, offset = int(query.get("limit", "2500")), int(query.get("offset", "0"))
        if not 0 <= limit <= 5000:
            return Reply(400, {"code": "out_of_range", "message": "limit must be 0..5000"})
        start, end = _day(query.get("startDate")), _day(query.get("endDate"))
        if "days" in query:
            start, end = date.fromordinal(self.today.toordinal() - int(query["days"]) + 1), self.today
        wanted, kind = query.get("email", "").lower(), query.get("event")
        found = [
            e
            for e in self.events
            if (not wanted or e["email"].lower() == wanted)
            and (kind is None or e["event"] == kind)
            and (start is None or start <= date.fromisoformat(e["date"][:10]) <= (end or start))
        ]
        found.sort(key=lambda e: moment(e["date"]), reverse=query.get("sort", "desc") == "desc")
        page = found[offset : offset + limit]
        return Reply(200, {"events": page} if page else {})  # Brevo answers {} when nothing matches


class Smtp2goStandIn(ProviderStandIn):
    """`X-Smtp2go-Api-Key: <key>` (or "api_key" in the body); every call is a POST (SMTP2GO docs)."""

    prefix = "/v3"

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.events: list[dict[str, Any]] = []
        self.suppressions: list[dict[str, Any]] = []
        self.denied: set[str] = set()  # endpoints the key has no permission for

    def add_event(
        self, email_id: str, recipient: str, event: str, date: str, smtp_response: str = "", host: str = ""
    ) -> None:
        self.events.append(
            {
                "email_id": email_id,
                "date": date,
                "event": event,
                "recipient": recipient,
                "to": recipient,
                "sender": "no-reply@acme.test",
                "from": "no-reply@acme.test",
                "subject": SUBJECT,
                "username": "api-5BFDE1E62529",
                "smtp_response": smtp_response,
                "reason": "",
                "host": host,
                "outbound_ip": "203.0.113.9",
                "subaccount_name": "Master account",
            }
        )

    def suppress(self, email: str, reason: str, timestamp: str) -> None:
        self.suppressions.append(
            {
                "email_address": email,
                "reason": reason,
                "block_description": "",
                "complaint": "",
                "timestamp": timestamp,
            }
        )

    # Sender domains (POST /domain/view). `failed`: the return path is verified, DKIM is not.
    def _view(self, name: str) -> dict[str, Any]:
        state = self.domains[name]
        dkim, rpath = state == "verified", state in ("verified", "failed")
        label, _, suffix = name.partition(".")
        return {
            "domain": {
                "fulldomain": name,
                "subdomain": None,
                "domain": label,
                "suffix": suffix,
                "dkim_selector": "s123456",
                "dkim_verified": dkim,
                "dkim_status": "",
                "dkim_value": "dkim.smtp2go.net",
                "rpath_selector": "em744766",
                "rpath_verified": rpath,
                "rpath_status": "",
                "rpath_value": "return.smtp2go.net",
                "setup_link": "https://app.smtp2go.com/setup/dns",
            },
            "trackers": [],
            "subaccount_access": {"subaccounts": [], "future_subaccounts": False},
            "from_master": False,
        }

    def records(self, name: str) -> list[tuple[str, str, str]]:
        return [
            (f"s123456._domainkey.{name}", "CNAME", "dkim.smtp2go.net"),
            (f"em744766.{name}", "CNAME", "return.smtp2go.net"),
        ]

    def _domain_view(self, body: dict[str, Any]) -> Reply:
        wanted = str(body.get("domain") or "").lower()
        found = [self._view(name) for name in sorted(self.domains) if wanted in name]
        return Reply(200, {"request_id": "r-6", "data": {"domains": found}})

    def auth_failure(self, headers: dict[str, str], body: Any, path: str) -> Reply | None:
        key = headers.get("x-smtp2go-api-key") or (body or {}).get("api_key")
        if key != self.api_key:
            return Reply(
                401,
                {
                    "request_id": "r-1",
                    "data": {
                        "error": "Invalid API key",
                        "error_code": "E_ApiResponseCodes.NON_EXISTENT_API_KEY",
                    },
                },
            )
        return None

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method != "POST":
            return Reply(405, {"data": {"error": "use POST"}})
        if path in self.denied or (self.domains_refused and path.startswith("/domain/")):
            return Reply(  # [doc] the key's per-endpoint permissions: HTTP 400
                400,
                {
                    "request_id": "r-2",
                    "data": {
                        "error": "You do not have permission to access this API endpoint",
                        "error_code": "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED",
                    },
                },
            )
        if path == "/domain/view":
            return self._domain_view(body or {})
        if path == "/activity/search":
            return self._search(body)
        if path == "/suppression/view":
            email = body["email_address"].lower()
            domain = email.rsplit("@", 1)[-1]
            found = [s for s in self.suppressions if s["email_address"].lower() in (email, domain)]
            return Reply(
                200,
                {
                    "request_id": "r-3",
                    "data": {"total_results": len(found), "continue_token": None, "results": found},
                },
            )
        if path == "/suppression/remove":
            email = body["email_address"].lower()
            gone = [
                s
                for s in self.suppressions
                if s["email_address"].lower() == email and s["reason"] in body["reasons"]
            ]
            self.suppressions = [s for s in self.suppressions if s not in gone]
            removed = [
                {"email_address": s["email_address"], "reason": s["reason"], "removed": True} for s in gone
            ]
            return Reply(200, {"request_id": "r-4", "data": {"suppressions": removed}})
        return _not_found()

    def _search(self, body: dict[str, Any]) -> Reply:
        """`search_recipient` (contains), `event_types`, `start_date` (inclusive) and `end_date`
        (exclusive), UTC; `only_latest`: the newest event of each email; `limit` ≤ 1000; `continue_token`."""
        wanted = body.get("search_recipient", "").lower()
        kinds = body.get("event_types")
        start = moment(body["start_date"]) if body.get("start_date") else None
        end = moment(body["end_date"]) if body.get("end_date") else None
        found = [
            e
            for e in self.events
            if wanted in e["recipient"].lower()
            and (not kinds or e["event"] in kinds)
            and (start is None or moment(e["date"]) >= start)
            and (end is None or moment(e["date"]) < end)
        ]
        found.sort(key=lambda e: moment(e["date"]), reverse=True)
        if body.get("only_latest"):
            seen: set[tuple[str, str]] = set()
            latest = []
            for event in found:  # newest first: the first of each email is its latest
                if (event["email_id"], event["recipient"]) not in seen:
                    seen.add((event["email_id"], event["recipient"]))
                    latest.append(event)
            found = latest
        limit = int(body.get("limit", 100))
        if not 1 <= limit <= 1000:
            return Reply(400, {"request_id": "r-7", "data": {"error": "limit must be 1..1000"}})
        start_at = int(body.get("continue_token") or 0)
        page = found[start_at : start_at + limit]
        token = str(start_at + limit) if start_at + limit < len(found) else None
        return Reply(
            200,
            {
                "request_id": "r-5",
                "data": {"total_events": len(found), "continue_token": token, "events": page},
            },
        )
