"""HTTP stand-ins for the Resend, Postmark, Brevo and SMTP2GO APIs (reference/providers.md §1–4).

Each is a real `ThreadingHTTPServer` on 127.0.0.1 with a free port, checks the auth header exactly as
the provider documents it, answers from programmable data in the provider's own JSON shapes (with
subjects, so tests can prove they never leak), and can inject faults: 429 with Retry-After, any
status, garbage, a wrong shape, and latency. Every request is recorded.

    with PostmarkStandIn(TOKEN) as postmark:
        postmark.add_message("m1", "user@example.com", "2026-11-20T10:00:00Z")
        ... api_url=postmark.url ...
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SUBJECT = "Your verification code is 907314"  # must never appear in any result
# A sign-in page, as a web UI or an SSO proxy answers in place of an API.
LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><title>Sign in</title></head><body><form method="post">'
    b'<input name="username"><input name="password" type="password"><button>Sign in</button></form></body></html>\n'
)
# What a web server answers for a path it has no route for (plain text, like Go's and many gateways').
NO_ROUTE = b"404 page not found\n"


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

    # Subclasses
    def auth_failure(self, headers: dict[str, str], body: Any) -> Reply | None:
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
        reply = fault or self._outside(path) or self.auth_failure(headers, body)
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


class ResendStandIn(ProviderStandIn):
    """`Authorization: Bearer re_…`; 401 when missing, 403 when wrong (Resend docs)."""

    def __init__(self, api_key: str) -> None:
        super().__init__(api_key)
        self.emails: list[dict[str, Any]] = []  # newest first, as the API lists them
        self.suppressions: dict[str, dict[str, Any]] = {}

    def add_email(self, email_id: str, to: str, created_at: str, last_event: str = "delivered") -> None:
        self.emails.append(
            {
                "object": "email",
                "id": email_id,
                "to": [to],
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
        self.emails.sort(key=lambda e: e["created_at"], reverse=True)

    def suppress(self, email: str, origin: str, created_at: str) -> None:
        self.suppressions[email] = {
            "object": "suppression",
            "id": "sup-" + email,
            "email": email,
            "origin": origin,
            "source_id": None,
            "created_at": created_at,
        }

    def auth_failure(self, headers: dict[str, str], body: Any) -> Reply | None:
        value = headers.get("authorization")
        if value is None:
            return Reply(401, {"statusCode": 401, "name": "missing_api_key", "message": "Missing API key"})
        if value != f"Bearer {self.api_key}":
            return Reply(403, {"statusCode": 403, "name": "invalid_api_key", "message": "API key is invalid"})
        return None

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method == "GET" and path == "/emails":
            return self._list(query)
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


class PostmarkStandIn(ProviderStandIn):
    """`X-Postmark-Server-Token: <token>` and `Accept: application/json` (Postmark docs)."""

    def __init__(self, api_key: str, server_id: int = 4242) -> None:
        super().__init__(api_key)
        self.server_id = server_id
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

    def auth_failure(self, headers: dict[str, str], body: Any) -> Reply | None:
        if headers.get("x-postmark-server-token") != self.api_key:
            return Reply(401, {"ErrorCode": 10, "Message": "Request does not contain a valid Server token."})
        if headers.get("accept") != "application/json":
            return Reply(406, {"ErrorCode": 0, "Message": "Accept header must be application/json"})
        return None

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        parts = path.strip("/").split("/")
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
        return Reply(200, {"TotalCount": len(items), key: items[offset : offset + count]})

    def _search(self, query: dict[str, str]) -> Reply:
        stream = query.get("messagestream", "outbound")
        wanted = query.get("recipient", "").lower()
        found = [
            m
            for m in self.messages
            if m["MessageStream"] == stream and (not wanted or wanted in [r.lower() for r in m["Recipients"]])
        ]
        found.sort(key=lambda m: m["ReceivedAt"], reverse=True)
        return self._paged(query, found, "Messages")

    def _details(self, message_id: str) -> Reply:
        message = next((m for m in self.messages if m["MessageID"] == message_id), None)
        if message is None:
            return Reply(422, {"ErrorCode": 701, "Message": "This message was not found."})
        return Reply(200, {**message, "TextBody": "code 907314", "MessageEvents": self.events[message_id]})

    def _bounces(self, query: dict[str, str]) -> Reply:
        needle = query.get("emailFilter", "").lower()
        stream = query.get("messagestream")
        found = [
            b
            for b in self.bounces
            if needle in b["Email"].lower() and (stream is None or b["MessageStream"] == stream)
        ]
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

    def auth_failure(self, headers: dict[str, str], body: Any) -> Reply | None:
        if headers.get("api-key") != self.api_key:
            return Reply(401, {"code": "unauthorized", "message": "Key not found"})
        return None

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
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
        if ("startDate" in query) != ("endDate" in query) or ("days" in query and "startDate" in query):
            return Reply(400, {"code": "invalid_parameter", "message": "use startDate with endDate, or days"})
        wanted = query.get("email", "").lower()
        found = [e for e in self.events if not wanted or e["email"].lower() == wanted]
        found.sort(key=lambda e: e["date"], reverse=query.get("sort", "desc") == "desc")
        limit, offset = int(query.get("limit", "2500")), int(query.get("offset", "0"))
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

    def auth_failure(self, headers: dict[str, str], body: Any) -> Reply | None:
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
        if path in self.denied:
            return Reply(
                403,
                {
                    "request_id": "r-2",
                    "data": {
                        "error": "not permitted",
                        "error_code": "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED",
                    },
                },
            )
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
        wanted = body.get("search_recipient", "").lower()
        kinds = body.get("event_types")
        found = [
            e for e in self.events if wanted in e["recipient"].lower() and (not kinds or e["event"] in kinds)
        ]
        found.sort(key=lambda e: e["date"], reverse=True)
        limit = int(body.get("limit", 100))
        start = int(body.get("continue_token") or 0)
        page = found[start : start + limit]
        token = str(start + limit) if start + limit < len(found) else None
        return Reply(
            200,
            {
                "request_id": "r-5",
                "data": {"total_events": len(found), "continue_token": token, "events": page},
            },
        )
