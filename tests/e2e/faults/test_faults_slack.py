"""Slack answering 429 in bursts (SPEC §8): every call is retried after Retry-After, and every report
(its post and its final update) and every audit reply in its thread arrives exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from tests.e2e.faults.stack import FaultStack, wait_until
from tests.e2e.helpers import payload, unique_email
from tests.standins.block_actions import press

MakeStack = Callable[..., FaultStack]
REPORTS = 4
# Each burst is shorter than the client's 8 retries, so a call that meets two bursts still gets through.
BURST = 3
NON_OPERATOR = "U0AGENT"  # no operators are configured: every changing press is denied


def _burst(stack: FaultStack) -> None:
    for method in ("chat.postMessage", "chat.update"):
        stack.slack.rate_limit(method, BURST, retry_after=1)


def _thread(stack: FaultStack, parent: dict[str, Any]) -> list[dict[str, Any]]:
    """The accepted posts in the parent's thread (the stand-in records no 429-answered call)."""
    return [
        call.body
        for call in stack.slack.calls_of("chat.postMessage")
        if call.body.get("thread_ts") == parent["ts"]
    ]


def _kinds(posts: list[dict[str, Any]]) -> Counter[str]:
    """What the thread holds: action replies by outcome, reports by state."""
    kinds: Counter[str] = Counter()
    for post in posts:
        meta = post["metadata"]
        key = "outcome" if meta["event_type"] == "mailcheck_action" else "state"
        kinds[f"{meta['event_type']}:{meta['event_payload'][key]}"] += 1
    return kinds


def test_bursts_of_429_lose_and_duplicate_nothing(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.add_worker()
    stack.add_worker()
    emails = [unique_email("throttled") for _ in range(REPORTS)]
    for email in emails:
        stack.kratos.add_identity(email, verified=False, status="sent")
        stack.kratos.add_message(email, status="sent", age_s=300)

    _burst(stack)
    with ThreadPoolExecutor(REPORTS) as pool:
        responses = list(pool.map(lambda email: stack.command(email)[0], emails))
    assert all(r.status_code == 200 and r.text == "" for r in responses)
    parents = [stack.wait_state(email, "complete") for email in emails]

    _burst(stack)
    for parent in parents:
        for action in ("rerun", "resend_verification"):
            response, _ = press(stack.bot, stack.slack, parent, action, user=NON_OPERATOR)
            assert response.status_code == 200
    expected = Counter(
        {"mailcheck_action:accepted": 1, "mailcheck_action:denied": 1, "mailcheck_report:complete": 1}
    )
    for parent in parents:

        def complete(parent: dict[str, Any] = parent) -> bool:
            return _kinds(_thread(stack, parent)) == expected

        wait_until(complete, what="thread complete")

    assert {"chat.postMessage", "chat.update"} <= set(stack.slack.throttled)  # the bursts were met
    for email, parent in zip(emails, parents, strict=True):
        report_id = payload(parent)["report_id"]
        assert len(stack.posts_for(report_id)) == 1  # posted once, updated in place
        assert payload(stack.parent(email) or {})["state"] == "complete"  # the final update landed
        rerun = [p for p in _thread(stack, parent) if p["metadata"]["event_type"] == "mailcheck_report"]
        assert len(stack.posts_for(rerun[0]["metadata"]["event_payload"]["report_id"])) == 1
    assert stack.running_ledger() == []
