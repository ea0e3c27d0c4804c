"""Hostile input at the bot's door (issue 6): always a clear answer, never a 500, nothing enqueued,
nothing changed.

Slash commands, malformed bodies and bad signatures go to the real bot process over HTTP (the session
`bot` fixture); each of those is answered before its HTTP response ends, so its traces can be read
right after. Button presses go through the bot's own WSGI app in this process, built from a real Deps
(the session Redis, the Slack stand-in), so that each press's listener can be waited for before its
traces are read; the session worker listens on the same queue, so anything wrongly enqueued would
reach the Kratos stand-in.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import string
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from slack_bolt import App

from bot.app import build_deps, create_app
from bot.deps import Deps
from bot.errors import USAGE, ChannelNotAllowed, UsageError
from bot.listeners.actions import NoActor, ReportGone, UnknownButton
from bot.listeners.commands import IncompleteCommand
from bot.parse import Help, parse_command
from bot.post_ack import PostAck
from bot.server import Wsgi, make_wsgi
from tests.processes import Process
from tests.standins.block_actions import block_actions_payload
from tests.standins.hostile import (
    any_text,
    is_json,
    json_values,
    long_text,
    plain_addresses,
    slack_shaped_objects,
)
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET, block_actions_body, slash_command_body
from workers.clients.keyspace import REPORT_PREFIX
from workers.clients.store import StoredReport
from workers.core.settings import load_settings
from workers.report.model import Report, State, new_report_id
from workers.slack.ids import Action
from workers.slack.render import render_report

HOSTILE = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ALLOWED, ELSEWHERE, AGENT, OPERATOR = "C0SUPPORT", "C0RANDOM", "U0AGENT", "U0OPERATOR"
QUEUE = "mailcheck-tests"  # the session worker's queue
KNOWN_IDS = [action.action_id for action in Action]
FORM = "application/x-www-form-urlencoded"
_hooks = itertools.count(1)


def sign(body: bytes, stamp: str, secret: str = SIGNING_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"Content-Type": FORM, "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def signed(body: bytes | str) -> tuple[bytes, dict[str, str]]:
    raw = body.encode() if isinstance(body, str) else body
    return raw, sign(raw, str(int(time.time())))


@dataclass(frozen=True)
class Traces:
    """What a request could have left behind, anywhere."""

    posts: int
    hooks: int
    job_keys: frozenset[bytes]
    queued: frozenset[bytes]
    keys: frozenset[bytes]
    kratos_posts: int

    @classmethod
    def read(cls, slack: SlackStandIn, redis_server: RedisServer, kratos: KratosStandIn) -> Traces:
        with redis_server.client() as client:
            return cls(
                posts=len(slack.calls_of("chat.postMessage")) + len(slack.calls_of("chat.update")),
                hooks=len(slack.hooks),
                job_keys=frozenset(client.scan_iter("rq:job:*")),
                queued=frozenset(client.lrange(f"rq:queue:{QUEUE}", 0, -1)),
                keys=frozenset(client.scan_iter("mailcheck:*")),
                kratos_posts=sum(method == "POST" for method, _ in kratos.requests),
            )

    def assert_nothing_new_since(
        self, before: Traces, *, posts: int = 0, hooks: int = 0, keys: frozenset[bytes] = frozenset()
    ) -> None:
        """Only what the caller names appeared (keys may expire and a worker may drain the queue)."""
        assert self.job_keys <= before.job_keys, self.job_keys - before.job_keys
        assert self.queued <= before.queued
        assert self.kratos_posts == before.kratos_posts
        assert self.posts == before.posts + posts
        assert self.hooks == before.hooks + hooks
        assert self.keys - before.keys <= keys, self.keys - before.keys


@pytest.fixture
def traces(slack: SlackStandIn, redis_server: RedisServer, kratos: KratosStandIn) -> Callable[[], Traces]:
    return lambda: Traces.read(slack, redis_server, kratos)


# ---- slash commands through the real bot -----------------------------------------------------------

_RESERVED = {"command", "text", "payload", "ssl_check"}
form_keys = st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=14).filter(
    lambda k: k not in _RESERVED
)
droppable = st.sets(
    st.sampled_from(["token", "team_id", "channel_id", "user_id", "response_url", "trigger_id"])
)


def _is_command(text: str) -> bool:
    """Whether the text asks for real work (a check or the status), which a test must not start."""
    try:
        return not isinstance(parse_command(text), Help)
    except UsageError:
        return False


def _expected_answer(form: dict[str, str]) -> dict[str, str] | str:
    """The bot's HTTP answer: the ephemeral JSON, or plain text for the usage (SPEC §4.1)."""
    try:
        parsed = parse_command(form.get("text", ""))
    except UsageError as exc:
        return {"response_type": "ephemeral", "text": str(exc)}
    if isinstance(parsed, Help):
        return USAGE
    if not (form.get("channel_id") and form.get("user_id")):
        return {"response_type": "ephemeral", "text": str(IncompleteCommand())}
    return {"response_type": "ephemeral", "text": str(ChannelNotAllowed())}


@HOSTILE
@given(text=any_text, dropped=droppable, extra=st.dictionaries(form_keys, st.text(max_size=30), max_size=4))
def test_any_slash_command_gets_a_clear_answer_and_starts_nothing(
    bot: str,
    slack: SlackStandIn,
    traces: Callable[[], Traces],
    text: str,
    dropped: set[str],
    extra: dict[str, str],
) -> None:
    sent = slash_command_body(text, response_url=slack.hook_url(f"hostile-command-{next(_hooks)}"))
    form = {
        k: v for k, v in (dict(parse_qsl(sent, keep_blank_values=True)) | extra).items() if k not in dropped
    }
    if _is_command(text) and form.get("channel_id") == ALLOWED:
        form["channel_id"] = ELSEWHERE  # in an allowed channel a valid command really starts work
    before = traces()

    body, headers = signed(urlencode(form))
    response = httpx.post(f"{bot}/slack/events", content=body, headers=headers)

    assert response.status_code == 200
    expected = _expected_answer(form)
    assert (response.json() if isinstance(expected, dict) else response.text) == expected
    traces().assert_nothing_new_since(before)


# ---- bodies Slack never sends, and requests Slack did not sign -------------------------------------


def _broken_actions() -> st.SearchStrategy[Any]:
    """A block_actions payload whose `actions` Bolt could not read (not a list of objects with ids)."""
    action = st.fixed_dictionaries({"action_id": st.sampled_from(KNOWN_IDS), "value": st.text(max_size=20)})
    bad_actions = st.one_of(
        json_values.filter(lambda v: not isinstance(v, list)),
        st.just([]),
        st.lists(json_values.filter(lambda v: not isinstance(v, dict)), min_size=1, max_size=3),
        st.lists(
            st.dictionaries(st.sampled_from(["value", "type", "block_id"]), json_values),
            min_size=1,
            max_size=2,
        ),
        st.lists(
            st.fixed_dictionaries({"action_id": json_values.filter(lambda v: not isinstance(v, str))}),
            min_size=1,
        ),
        st.tuples(action, json_values).map(list),
    )
    return bad_actions.map(
        lambda actions: {"type": "block_actions", "user": {"id": OPERATOR}, "actions": actions}
    )


malformed_bodies = st.one_of(
    st.binary(min_size=1, max_size=300).filter(lambda raw: not _utf8(raw)),
    st.binary(max_size=300).filter(lambda raw: not _utf8(raw)).map(lambda raw: b"payload=" + raw),
    json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: "payload=" + quote(json.dumps(v))),
    st.text(max_size=200).filter(lambda t: not is_json(t)).map(lambda t: "payload=" + quote(t)),
    st.text(max_size=200).map(lambda t: "{" + t).filter(lambda t: not is_json(t)),
    _broken_actions().map(lambda payload: "payload=" + quote(json.dumps(payload))),
    _broken_actions().map(json.dumps),
)


def _utf8(raw: bytes) -> bool:
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


@HOSTILE
@given(body=malformed_bodies)
def test_a_signed_body_slack_would_never_send_is_400_and_changes_nothing(
    bot: str, traces: Callable[[], Traces], body: bytes | str
) -> None:
    before = traces()
    raw, headers = signed(body)
    response = httpx.post(f"{bot}/slack/events", content=raw, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith("malformed request")
    traces().assert_nothing_new_since(before)


def _forgeries(body: bytes) -> st.SearchStrategy[dict[str, str]]:
    now = int(time.time())
    header_text = st.text(alphabet=string.ascii_letters + string.digits + string.punctuation, max_size=80)
    return st.one_of(
        st.just({"Content-Type": FORM}),
        header_text.map(lambda other: sign(body, str(now), secret="x" + other)),
        st.integers(310, 10**9).map(lambda age: sign(body, str(now - age))),  # stale: a replay
        st.integers(310, 10**9).map(lambda ahead: sign(body, str(now + ahead))),
        header_text.filter(lambda t: not t.isdigit()).map(lambda stamp: sign(body, stamp)),
        st.just(sign(body, "9" * 5000)),  # more digits than int() takes
        header_text.map(lambda sig: sign(body, str(now)) | {"X-Slack-Signature": sig}),
        st.just(sign(body + b" ", str(now))),  # signed, then tampered with
        st.just({k: v for k, v in sign(body, str(now)).items() if k != "X-Slack-Signature"}),
        st.just({k: v for k, v in sign(body, str(now)).items() if k != "X-Slack-Request-Timestamp"}),
    )


def _press_body(action_id: str, value: str) -> bytes:
    press = {
        "type": "block_actions",
        "user": {"id": OPERATOR},
        "actions": [{"action_id": action_id, "value": value}],
    }
    return block_actions_body(press | {"response_url": "http://127.0.0.1:9/hooks/none"}).encode()


any_body = st.one_of(
    st.binary(max_size=400),
    plain_addresses.map(lambda address: slash_command_body(address).encode()),  # a command that would run
    any_text.map(lambda text: slash_command_body(text).encode()),
    malformed_bodies.map(lambda body: body.encode() if isinstance(body, str) else body),
    st.builds(_press_body, st.sampled_from(KNOWN_IDS), st.text(max_size=30)),
    st.just(b"ssl_check=1&token=x"),  # Bolt answers these before it verifies
)


@HOSTILE
@given(body=any_body, data=st.data())
def test_unsigned_badly_signed_or_stale_requests_are_401_and_change_nothing(
    bot: str, traces: Callable[[], Traces], body: bytes, data: st.DataObject
) -> None:
    headers = data.draw(_forgeries(body))
    before = traces()
    response = httpx.post(f"{bot}/slack/events", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json() == {"error": "invalid request"}
    traces().assert_nothing_new_since(before)


def _bounce(email: str) -> bytes:
    data = {"email_id": "e-1", "to": [email], "bounce": {"type": "Permanent", "message": "550 5.1.1"}}
    return json.dumps({"type": "email.bounced", "created_at": "2026-11-28T10:00:00Z", "data": data}).encode()


@HOSTILE
@given(body=st.one_of(st.binary(max_size=400), plain_addresses.map(_bounce)), data=st.data())
def test_the_resend_webhook_refuses_unsigned_bodies_with_401(
    bot: str, traces: Callable[[], Traces], body: bytes, data: st.DataObject
) -> None:
    stamp = str(int(time.time()))
    forged_key = data.draw(st.binary(min_size=16, max_size=32))
    signature = base64.b64encode(
        hmac.new(forged_key, f"msg_1.{stamp}.".encode() + body, hashlib.sha256).digest()
    )
    headers = data.draw(
        st.one_of(
            st.just({}),
            st.fixed_dictionaries({"svix-id": st.just("msg_1"), "svix-timestamp": st.just(stamp)}),
            st.just(
                {"svix-id": "msg_1", "svix-timestamp": stamp, "svix-signature": f"v1,{signature.decode()}"}
            ),
            st.dictionaries(
                st.sampled_from(["svix-id", "svix-timestamp", "svix-signature"]),
                st.text(alphabet=string.ascii_letters + string.digits + ",=+/", max_size=60),
            ),
        )
    )
    before = traces()
    response = httpx.post(
        f"{bot}/webhooks/resend", content=body, headers=headers | {"content-type": "application/json"}
    )
    assert response.status_code == 401, response.text
    traces().assert_nothing_new_since(before)  # no event kept, under any recipient


# ---- what the properties found (each was a 500, a 404, or a misleading 200) ----------------------


def test_a_command_whose_text_contains_payload_is_still_a_command(bot: str) -> None:
    # Bolt took any form body containing "payload" for an interaction, and answered 404.
    body, headers = signed(slash_command_body("payload.team@example.com", channel=ELSEWHERE))
    response = httpx.post(f"{bot}/slack/events", content=body, headers=headers)
    assert response.json() == {"response_type": "ephemeral", "text": str(ChannelNotAllowed())}


@pytest.mark.parametrize(
    "body",
    [
        b"payload=%7Bnot%20json",
        b"{not json",
        b"payload=%5B1%5D",
        b"\xff\xfe",
        b"payload=" + quote(json.dumps({"type": "block_actions", "actions": "x"})).encode(),
    ],
)
def test_unreadable_bodies_are_401_unsigned_and_400_signed(
    bot: str, traces: Callable[[], Traces], body: bytes
) -> None:
    before = traces()
    unsigned = httpx.post(f"{bot}/slack/events", content=body, headers={"Content-Type": FORM})
    garbled = httpx.post(f"{bot}/slack/events", content=body, headers=sign(body, "abc"))
    readable = httpx.post(f"{bot}/slack/events", content=body, headers=signed(body)[1])
    assert (unsigned.status_code, garbled.status_code, readable.status_code) == (401, 401, 400)
    traces().assert_nothing_new_since(before)


# ---- button presses through the bot's WSGI app, in this process --------------------------------------


class TrackedPool(ThreadPoolExecutor):
    """A thread pool whose submitted work can be waited for, while it stays open for more."""

    def __init__(self) -> None:
        super().__init__(max_workers=4, thread_name_prefix="hostile")
        self._submitted: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        self._submitted.append(future)
        return future

    def settle(self) -> None:
        wait(self._submitted)
        self._submitted.clear()


@dataclass
class InProcess:
    app: App
    wsgi: Wsgi
    slack: SlackStandIn  # its own: the thread replies it gets must not confuse other tests' searches
    pools: list[TrackedPool]  # every pool the bot hands work to, in the order work flows
    reports: list[StoredReport]  # on Slack and in Redis, each offering some of the five actions
    expired: StoredReport  # on Slack, but no longer in Redis

    def send(self, body: bytes, headers: dict[str, str]) -> httpx.Response:
        transport = httpx.WSGITransport(app=self.wsgi)
        with httpx.Client(transport=transport, base_url="http://bot.invalid") as client:
            response = client.post("/slack/events", content=body, headers=headers)
        for pool in self.pools:  # the press's work, which may go on after the HTTP answer
            pool.settle()
        return response


def _tracked(deps: Deps) -> tuple[Deps, list[TrackedPool]]:
    """The same Deps, with its post-ack threads replaced by a pool whose work can be waited for."""
    pool = TrackedPool()
    deps.background.shutdown()
    return replace(deps, background=PostAck(pool)), [pool]


OFFERS = (["resend_verification", "rerun"], ["flush", "unsuppress"], ["resend_recovery"])


@pytest.fixture(scope="module")
def inproc(stack_settings: dict[str, str], worker: Process) -> Iterator[InProcess]:
    slack = SlackStandIn().start()
    overrides = stack_settings | {
        "SLACK_API_URL": slack.api_url,
        "MAILCHECK_OPERATORS": OPERATOR,
        "MAILCHECK_QUEUE": QUEUE,
    }
    deps, pools = _tracked(
        build_deps(load_settings({key.lower(): value for key, value in overrides.items()}))
    )
    app = create_app(deps)
    listeners = TrackedPool()
    app.listener_runner.listener_executor.shutdown()
    app.listener_runner.listener_executor = listeners
    planted = []
    for index, actions in enumerate((*OFFERS, ["resend_verification", "resend_recovery", "rerun"])):
        report = Report(new_report_id(), f"hostile-{index}@example.com", State.COMPLETE, "no_message")
        report.actions = list(actions)
        ts = deps.poster.post(ALLOWED, **render_report(report, requester=AGENT))
        planted.append(StoredReport(report, ALLOWED, ts, AGENT))
        deps.store.save(planted[-1])
    deps.redis.delete(REPORT_PREFIX + planted[-1].report.report_id)  # as after its 7 days
    yield InProcess(app, make_wsgi(app, deps), slack, [listeners, *pools], planted[:-1], planted[-1])
    for pool in (listeners, *pools):
        pool.shutdown(wait=True)
    deps.redis.close()
    slack.stop()


@dataclass(frozen=True)
class Forged:
    payload: dict[str, Any]
    hook: str
    answer: str | None  # the ephemeral text owed at the response_url, if it is one
    denied: StoredReport | None  # the report whose thread gets a `denied` reply
    junk: bool  # top-level fields of the wrong shape: Bolt may not be able to read it (400)


def _mostly(data: st.DataObject, usual: st.SearchStrategy[Any], *others: st.SearchStrategy[Any]) -> Any:
    """`usual` three times in four, else one of the others: every kind of forgery stays frequent."""
    return data.draw(data.draw(st.sampled_from([usual, usual, usual, st.one_of(*others)])))


def _action_for(report: StoredReport | None, data: st.DataObject) -> str:
    """Any action id, but never one the report offers: a forged value must not start anything."""
    offered = set(report.report.actions) if report else set()
    known = [action_id for action_id in KNOWN_IDS if action_id.removeprefix("mailcheck.") not in offered]
    return str(
        _mostly(
            data,
            st.sampled_from(known),
            st.sampled_from([action.value for action in Action]),  # without the prefix: not ours
            st.text(max_size=30),
            st.text(max_size=20).map("mailcheck.".__add__),
        )
    )


def _forge(inproc: InProcess, data: st.DataObject) -> Forged:
    slack = inproc.slack
    shown = data.draw(st.sampled_from([*inproc.reports, inproc.expired]))  # the message pressed on
    named = data.draw(st.one_of(st.none(), st.sampled_from(inproc.reports)))  # whose id the value holds
    value = (
        named.report.report_id
        if named
        else data.draw(st.one_of(long_text, st.text(max_size=40), json_values))
    )
    if shown is inproc.expired and named is None and data.draw(st.booleans()):
        value = shown.report.report_id  # its own button, pressed after the report expired
    action_id = _action_for(named, data)
    actor = _mostly(data, st.sampled_from([OPERATOR, "U0STRANGER"]), st.text(max_size=12), json_values)
    hook = f"hostile-press-{next(_hooks)}"
    response_url = _mostly(data, st.just(slack.hook_url(hook)), json_values)
    message = slack.message(shown.channel, shown.ts)
    payload = block_actions_payload(message, action_id, user=OPERATOR, response_url="", value="")
    payload["actions"][0]["value"] = value
    payload["user"] = {**payload["user"], "id": actor}
    payload["response_url"] = response_url
    junk_keys = st.sampled_from(sorted(set(payload) - {"type", "actions"}))
    junk = _mostly(data, st.just({}), st.dictionaries(junk_keys, json_values, min_size=1, max_size=3))
    payload.update(junk)
    return Forged(payload, hook, *_expected(payload, inproc), bool(junk))


def _expected(payload: dict[str, Any], inproc: InProcess) -> tuple[str | None, StoredReport | None]:
    action = payload["actions"][0]
    user = payload.get("user")
    actor = user.get("id") if isinstance(user, dict) else None
    if action["action_id"] not in KNOWN_IDS:
        return str(UnknownButton()), None
    if not isinstance(actor, str) or not actor:
        return str(NoActor()), None
    named = [r for r in inproc.reports if r.report.report_id == action["value"]]
    return (None, named[0]) if named else (str(ReportGone()), None)


def _stored(redis_server: RedisServer, inproc: InProcess) -> list[bytes | None]:
    with redis_server.client() as client:
        return [client.get(REPORT_PREFIX + r.report.report_id) for r in [*inproc.reports, inproc.expired]]


def _new_replies(slack: SlackStandIn, since: int) -> list[dict[str, Any]]:
    return [call.body for call in slack.calls_of("chat.postMessage")[since:]]


@HOSTILE
@given(data=st.data())
def test_forged_or_broken_presses_get_a_clear_answer_and_start_nothing(
    inproc: InProcess, redis_server: RedisServer, kratos: KratosStandIn, data: st.DataObject
) -> None:
    slack = inproc.slack
    forged = _forge(inproc, data)
    note(json.dumps({k: forged.payload.get(k) for k in ("actions", "user", "response_url")}))
    traces = partial(Traces.read, slack, redis_server, kratos)
    before, reports = traces(), _stored(redis_server, inproc)
    replies = len(slack.calls_of("chat.postMessage"))

    response = inproc.send(*signed(block_actions_body(forged.payload)))

    assert response.status_code in ((200, 400) if forged.junk else (200,)), response.text
    event(f"HTTP {response.status_code}: {'denied' if forged.denied else (forged.answer or '')[:30]}")
    assert _stored(redis_server, inproc) == reports  # no report changed, the expired one stays gone
    if response.status_code == 400:  # fields Bolt cannot read: refused before any listener ran
        assert response.json()["error"].startswith("malformed request")
        traces().assert_nothing_new_since(before)
        return
    assert response.text == ""  # acked
    url = forged.payload.get("response_url")
    answered = forged.answer if isinstance(url, str) and url.startswith("http://") else None
    hooks = [(hook["text"], hook["response_type"]) for hook in slack.hooks_for(forged.hook)]
    assert hooks == ([(answered, "ephemeral")] if answered else [])
    if forged.denied is None:
        traces().assert_nothing_new_since(before, hooks=len(hooks))
        return
    # A forged value naming another report is refused in that report's thread, and only there.
    last_action = f"mailcheck:last_action:{forged.denied.report.report_id}".encode()
    # A refusal stays in the thread but is no history entry (SPEC §16): nothing else changed.
    traces().assert_nothing_new_since(before, posts=2, keys=frozenset({last_action}))
    (reply,) = _new_replies(slack, replies)
    outcome = reply["metadata"]["event_payload"]
    assert reply["thread_ts"] == forged.denied.ts
    assert outcome["outcome"] == "denied" and outcome["report_id"] == forged.denied.report.report_id
    assert outcome["actor"] == forged.payload["user"]["id"] and "does not offer" in outcome["detail"]


@HOSTILE
@given(body=slack_shaped_objects, as_interaction=st.booleans())
def test_any_signed_object_bolt_might_route_is_never_a_500(
    inproc: InProcess,
    redis_server: RedisServer,
    kratos: KratosStandIn,
    body: dict[str, Any],
    as_interaction: bool,
) -> None:
    traces = partial(Traces.read, inproc.slack, redis_server, kratos)
    before = traces()
    sent = "payload=" + quote(json.dumps(body)) if as_interaction else json.dumps(body)
    response = inproc.send(*signed(sent))
    assert response.status_code in (200, 400, 404), response.text  # 404: no listener of ours
    after = traces()
    after.assert_nothing_new_since(before, hooks=after.hooks - before.hooks)  # an answer, if any, is fine
