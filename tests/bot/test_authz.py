"""Who may press: operators by list or user group (via Slack, cached in Redis), fail closed, and the
order in which presses are refused."""

from __future__ import annotations

import itertools
import json

from bot.authz import NO_OPERATORS, Authorizer, PressGate
from tests.standins.redis_server import RedisServer
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from workers.clients.keyspace import OPERATOR_GROUP_TTL_S
from workers.clients.store import StoredReport
from workers.core.settings import Settings, load_settings
from workers.remediation.guard import Guard
from workers.report.alerts import Alert, new_alert_id
from workers.report.model import Report, State
from workers.slack.api import SlackPoster, web_client
from workers.slack.audit import Outcome

_ids = itertools.count(1)


def _settings(slack: SlackStandIn, **values: str) -> Settings:
    return load_settings({"slack_bot_token": BOT_TOKEN, "slack_api_url": slack.api_url, **values})


def _authorizer(slack: SlackStandIn, redis_server: RedisServer, **values: str) -> Authorizer:
    settings = _settings(slack, **values)
    return Authorizer(settings, redis_server.client(), SlackPoster(web_client(settings)))


def _group_calls(slack: SlackStandIn, group: str) -> int:
    return sum(call.body.get("usergroup") == group for call in slack.calls_of("usergroups.users.list"))


def test_fail_closed_when_nobody_is_named(slack: SlackStandIn, redis_server: RedisServer) -> None:
    before = len(slack.calls)
    decision = _authorizer(slack, redis_server).authorize("U0ANYONE")
    assert not decision.allowed and decision.reason == NO_OPERATORS
    assert len(slack.calls) == before  # nothing asked


def test_operator_list(slack: SlackStandIn, redis_server: RedisServer) -> None:
    authorizer = _authorizer(slack, redis_server, mailcheck_operators="U0ONE, U0TWO")
    assert authorizer.authorize("U0TWO").allowed
    refused = authorizer.authorize("U0THREE")
    assert not refused.allowed and "MAILCHECK_OPERATORS" in refused.reason


def test_operator_group_membership_is_cached_at_most_five_minutes(
    slack: SlackStandIn, redis_server: RedisServer
) -> None:
    group = f"S0GROUP{next(_ids)}"
    slack.usergroups[group] = ["U0MEMBER"]
    authorizer = _authorizer(slack, redis_server, mailcheck_operator_group=group)
    assert authorizer.authorize("U0MEMBER").allowed
    assert not authorizer.authorize("U0OTHER").allowed
    assert _group_calls(slack, group) == 1
    ttl = redis_server.client().ttl(f"mailcheck:operator_group:{group}")
    assert 0 < ttl <= OPERATOR_GROUP_TTL_S <= 300
    # a second bot process shares the cache
    assert _authorizer(slack, redis_server, mailcheck_operator_group=group).authorize("U0MEMBER").allowed
    assert _group_calls(slack, group) == 1
    # when the cache expires, Slack is asked again and its answer counts
    redis_server.client().delete(f"mailcheck:operator_group:{group}")
    slack.usergroups[group] = ["U0OTHER"]
    assert authorizer.authorize("U0OTHER").allowed and not authorizer.authorize("U0MEMBER").allowed
    assert _group_calls(slack, group) == 2


def test_list_and_group_together(slack: SlackStandIn, redis_server: RedisServer) -> None:
    group = f"S0GROUP{next(_ids)}"
    slack.usergroups[group] = ["U0MEMBER"]
    authorizer = _authorizer(
        slack, redis_server, mailcheck_operators="U0LISTED", mailcheck_operator_group=group
    )
    assert authorizer.authorize("U0LISTED").allowed
    assert _group_calls(slack, group) == 0  # the list answers first
    assert authorizer.authorize("U0MEMBER").allowed
    assert not authorizer.authorize("U0NOBODY").allowed


def test_unreadable_group_refuses_and_is_not_cached(slack: SlackStandIn, redis_server: RedisServer) -> None:
    group = f"S0MISSING{next(_ids)}"
    authorizer = _authorizer(slack, redis_server, mailcheck_operator_group=group)
    decision = authorizer.authorize("U0MEMBER")
    assert not decision.allowed and "no_such_subteam" in decision.reason
    assert redis_server.client().get(f"mailcheck:operator_group:{group}") is None
    slack.usergroups[group] = ["U0MEMBER"]
    assert authorizer.authorize("U0MEMBER").allowed


def test_group_is_read_with_a_form_body(slack: SlackStandIn, redis_server: RedisServer) -> None:
    group = f"S0FORM{next(_ids)}"
    slack.usergroups[group] = ["U0MEMBER"]
    _authorizer(slack, redis_server, mailcheck_operator_group=group).authorize("U0MEMBER")
    call = next(c for c in slack.calls_of("usergroups.users.list") if c.body.get("usergroup") == group)
    assert json.dumps(call.body) == json.dumps({"usergroup": group})


# ---- the order of refusals -------------------------------------------------------------------------


def _gate(slack: SlackStandIn, redis_server: RedisServer, **values: str) -> PressGate:
    settings = _settings(slack, **values)
    authorizer = Authorizer(settings, redis_server.client(), SlackPoster(web_client(settings)))
    return PressGate(settings, authorizer, Guard(redis_server.client(), hold_s=600))


def _report(*actions: str, email: str | None = None) -> StoredReport:
    report = Report(f"gate{next(_ids)}", email or f"gate{next(_ids)}@example.com", state=State.COMPLETE)
    report.actions = list(actions)
    return StoredReport(report, channel="C0SUPPORT", ts="1.1", requester="U0ASKER")


def test_action_not_offered_is_denied_even_for_operators(
    slack: SlackStandIn, redis_server: RedisServer
) -> None:
    gate = _gate(slack, redis_server, mailcheck_operators="U0OP")
    entry, claim = gate.admit(_report("resend_recovery", "rerun"), "flush", "U0OP")
    assert entry.outcome is Outcome.DENIED and claim is None
    assert "does not offer Flush courier" in entry.detail


def test_rerun_needs_no_operator(slack: SlackStandIn, redis_server: RedisServer) -> None:
    gate = _gate(slack, redis_server)
    stored = _report("resend_recovery", "rerun")
    entry, claim = gate.admit(stored, "rerun", "U0ANYONE")
    assert entry.outcome is Outcome.ACCEPTED and claim is not None
    denied, _ = gate.admit(stored, "resend_recovery", "U0ANYONE")
    assert denied.outcome is Outcome.DENIED and denied.detail == NO_OPERATORS


def test_denied_and_duplicate_presses_do_not_use_the_send_budget(
    slack: SlackStandIn, redis_server: RedisServer
) -> None:
    gate = _gate(slack, redis_server, mailcheck_operators="U0OP", resend_limit_per_hour="2")
    email = f"budget{next(_ids)}@example.com"
    first = _report("resend_verification", "resend_recovery", "rerun", email=email)
    accepted, claim = gate.admit(first, "resend_verification", "U0OP")
    assert accepted.outcome is Outcome.ACCEPTED and claim is not None and "1 of 2" in accepted.detail
    duplicate, _ = gate.admit(first, "resend_verification", "U0OP")
    assert duplicate.outcome is Outcome.DUPLICATE and "already running" in duplicate.detail
    denied, _ = gate.admit(first, "resend_recovery", "U0STRANGER")
    assert denied.outcome is Outcome.DENIED
    second, _ = gate.admit(first, "resend_recovery", "U0OP")  # the other resend shares the budget
    assert second.outcome is Outcome.ACCEPTED and "2 of 2" in second.detail
    other_report = _report("resend_recovery", "rerun", email=email)  # and so does another report
    limited, none = gate.admit(other_report, "resend_recovery", "U0OP")
    assert limited.outcome is Outcome.RATE_LIMITED and none is None
    assert "RESEND_LIMIT_PER_HOUR=2" in limited.detail
    # a rate-limited press leaves no claim behind: it did nothing
    assert (
        Guard(redis_server.client(), hold_s=600).state(other_report.report.report_id, "resend_recovery") == ""
    )


def test_a_finished_action_is_a_duplicate_for_a_minute(
    slack: SlackStandIn, redis_server: RedisServer
) -> None:
    guard = Guard(redis_server.client(), hold_s=600)
    gate = _gate(slack, redis_server, mailcheck_operators="U0OP")
    stored = _report("flush", "rerun")
    _, claim = gate.admit(stored, "flush", "U0OP")
    assert claim is not None
    guard.finish(claim)
    again, _ = gate.admit(stored, "flush", "U0OP")
    assert again.outcome is Outcome.DUPLICATE and "less than a minute ago" in again.detail


def test_a_second_press_on_an_alert_is_a_duplicate_of_the_alert(
    slack: SlackStandIn, redis_server: RedisServer
) -> None:
    gate = _gate(slack, redis_server, mailcheck_operators="U0OP")
    alert = Alert(
        new_alert_id(), "ciam", "courier_stuck", first_seen=1.0, last_seen=2.0, actions=["flush", "rerun"]
    )
    accepted, claim = gate.admit_alert(alert, "flush", "U0OP")
    assert accepted.outcome is Outcome.ACCEPTED and claim is not None
    again, none = gate.admit_alert(alert, "flush", "U0OP")
    assert again.outcome is Outcome.DUPLICATE and none is None
    assert again.detail == "it is already running for this alert"
