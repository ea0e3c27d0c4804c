"""The address itself, end to end (SPEC §14, §7): a look-alike identity makes the report an
`address_mismatch` with a button per look-alike address; pressing it (no operator rights needed) runs a
full report for that address in the thread, audited like a re-run. Signed requests → the real bot →
Redis/RQ → a real worker → the Kratos and DNS stand-ins."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from tests.e2e.helpers import payload, report_messages, run_command, wait_for_report
from tests.standins.block_actions import press
from tests.standins.kratos import KratosStandIn
from tests.standins.slack import SlackStandIn

pytestmark = pytest.mark.usefixtures("worker")
_ids = itertools.count(1)
AGENT = "U0AGENTNOOP"  # no operator: check_address needs none


def _thread(slack: SlackStandIn, parent: dict[str, Any]) -> list[dict[str, Any]]:
    return sorted(
        (m for m in slack.channel_messages(parent["channel"]) if m["thread_ts"] == parent["ts"]),
        key=lambda m: float(m["ts"]),
    )


def test_a_look_alike_identity_is_offered_and_checked_in_the_thread(
    bot: str, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    n = next(_ids)
    registered, typed = f"jonathan.doe{n}@example.com", f"jonathan.do{n}@example.com"
    kratos.add_identity(registered, verified=True)
    kratos.add_message(registered, status="sent", age_s=600)

    response, _ = run_command(bot, slack, typed)
    assert response.status_code == 200
    parent = wait_for_report(slack, typed)

    report = payload(parent)
    assert report["verdict"] == "address_mismatch" and "check_address" in report["actions"].split(",")
    shown = str(parent["blocks"])
    assert f"Check {registered}" in shown  # the agent sees the look-alike; the user text never does
    tell_user = [b for b in parent["blocks"] if "tell the user" in str(b).lower()]
    assert tell_user and registered not in str(tell_user)

    answer, _ = press(bot, slack, parent, "check_address", user=AGENT)
    assert answer.status_code == 200
    checked = wait_for_report(slack, registered)
    assert checked["thread_ts"] == parent["ts"]
    assert payload(checked)["verdict"] == "sent"
    replies = [
        m["metadata"]["event_payload"]
        for m in _thread(slack, parent)
        if m["metadata"]["event_type"] == "mailcheck_action"
    ]
    assert [(r["action"], r["outcome"]) for r in replies] == [("check_address", "accepted")]
    assert len(report_messages(slack, registered)) == 1  # one report for it, in the thread
