"""A press whose job cannot be queued (Redis refuses) while Slack also refuses the thread reply: the
claim is released, so the button works again, and the presser is answered ephemerally."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.faults.stack import FaultStack, wait_until
from tests.e2e.helpers import payload, unique_email
from tests.standins.block_actions import press
from workers.remediation.guard import Guard

MakeStack = Callable[..., FaultStack]


def _refuse_failed_replies(stack: FaultStack) -> None:
    """Slack takes the `accepted` reply, then refuses the `failed` one."""
    post = stack.slack._api_chat_postMessage

    def refusing(body: dict[str, Any]) -> dict[str, Any]:
        outcome = ((body.get("metadata") or {}).get("event_payload") or {}).get("outcome")
        return {"ok": False, "error": "service_unavailable"} if outcome == "failed" else post(body)

    stack.slack._api_chat_postMessage = refusing  # type: ignore[method-assign]


def test_enqueue_refused_and_thread_write_refused_releases_the_claim_and_answers(
    make_stack: MakeStack,
) -> None:
    stack = make_stack()
    stack.add_worker()
    email = unique_email("press-both-down")
    stack.kratos.add_identity(email)
    stack.command(email)
    report = stack.wait_state(email, "complete")
    report_id = str(payload(report)["report_id"])
    # Redis takes everything but the queue push of RQ's enqueue.
    stack.redis.client().execute_command("ACL", "SETUSER", "default", "-rpush", "-lpush")
    _refuse_failed_replies(stack)

    response, hook = press(stack.bot, stack.slack, report, "rerun", user="U0AGENT")

    assert response.status_code == 200
    [answer] = wait_until(lambda: stack.slack.hooks_for(hook), what="the presser's answer")
    assert answer["response_type"] == "ephemeral" and "Redis is unreachable" in answer["text"]
    assert Guard(stack.redis.client(), hold_s=60).state(report_id, "rerun") == ""
