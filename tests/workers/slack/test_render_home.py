"""The Home tab and the modals as Block Kit (SPEC §17): pure renders read back by slack_sdk's models."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.views import View

from workers.clients.history import CheckEntry
from workers.clients.home_store import CourierSnapshot
from workers.report.alerts import COURIER_STUCK, Alert
from workers.report.courier_status import CourierStatus, InstanceStatus, QueueVerdict
from workers.slack.ids import BlockId, CallbackId, ElementId
from workers.slack.render_home import CourierNote, HomeData, Linked, render_home
from workers.slack.render_modal import render_check_modal, render_pick_modal


def _valid(view: dict[str, Any]) -> str:
    assert View(**view).to_dict() == view
    return json.dumps(view)


def _check(index: int, *, private: bool = False, email: str = "") -> tuple[CheckEntry, Linked]:
    entry = CheckEntry(
        f"r{index}",
        email or f"user{index}@example.com",
        "C0SUPPORT",
        f"1.{index}",
        "sent",
        "complete",
        private=private,
        at=1_700_000_000 + index,
    )
    return entry, Linked(f"https://example.slack.com/archives/C0SUPPORT/p{index}")


def test_home_has_one_obvious_button_first() -> None:
    view = render_home(HomeData("U0ME", 30, watch_on=False, default_channel="C0SUPPORT"))
    _valid(view)
    assert view["type"] == "home"
    button = view["blocks"][1]["accessory"]
    assert (button["action_id"], button["style"], button["value"]) == (
        ElementId.OPEN_CHECK_MODAL,
        "primary",
        "C0SUPPORT",
    )
    assert view["blocks"][1]["block_id"] == BlockId.HOME
    assert "WATCH_CHANNEL" in json.dumps(view["blocks"])
    assert "You have not run a check in the last 30 days" in json.dumps(view["blocks"])


def test_checks_are_escaped_linked_and_private_ones_marked() -> None:
    checks = [_check(i, private=i == 3) for i in range(10)]
    checks[0] = _check(0, email="o'brien&co<x>@example.com")
    checks[5] = (checks[5][0], Linked(gone=True))
    text = _valid(render_home(HomeData("U0ME", 30, watch_on=True, checks=checks)))
    assert "o'brien&amp;co&lt;x&gt;@example.com" in text and "<x>" not in text
    assert text.count(":lock: private conversation") == 1
    assert text.count("|open>") == 9 and "message deleted" in text


def test_the_courier_as_of_its_last_look_and_lower_bounds() -> None:
    full = CourierStatus(500, 0, 3, 900, QueueVerdict.COURIER_STUCK, at_least=frozenset({"queued"}))
    snapshot = CourierSnapshot(
        1_700_000_000, (InstanceStatus("ciam", full), InstanceStatus("iam", None, "timed out"))
    )
    text = _valid(render_home(HomeData("U0ME", 30, watch_on=True, courier=snapshot)))
    assert "*ciam*: :x: stuck: *at least 500* queued" in text
    assert "*iam*: the courier could not be read: timed out" in text
    assert "as of <!date^1700000000^" in text


def test_what_home_says_while_the_courier_is_not_current() -> None:
    refreshing = _valid(render_home(HomeData("U0ME", 30, True, courier_note=CourierNote.REFRESHING)))
    no_worker = _valid(render_home(HomeData("U0ME", 30, True, courier_note=CourierNote.NO_WORKER)))
    assert "a worker is reading the courier" in refreshing
    assert "no `mailcheck worker` is running" in no_worker


def test_many_open_alerts_are_listed_ten_then_counted() -> None:
    alerts = [
        (
            Alert(
                f"alert-{i:016x}", f"i{i}", COURIER_STUCK, 1_700_000_000, 1_700_000_100, count=2, affected=3
            ),
            Linked(),
        )
        for i in range(13)
    ]
    text = _valid(render_home(HomeData("U0ME", 30, True, alerts=alerts)))
    assert text.count("Kratos's courier is stuck") == 10 and "3 more open alert(s)" in text


def test_the_check_modal_defaults() -> None:
    chosen = render_check_modal(initial_channel="C0OPS", allowed=["C0OPS"])
    current = render_check_modal()
    _valid(chosen)
    _valid(current)
    assert chosen["callback_id"] == current["callback_id"] == CallbackId.CHECK_MODAL
    picker = chosen["blocks"][1]["element"]
    assert picker["initial_conversation"] == "C0OPS" and "default_to_current_conversation" not in picker
    assert current["blocks"][1]["element"]["default_to_current_conversation"] is True
    assert "mailcheck runs in" not in json.dumps(current["blocks"])


def test_the_pick_modal_offers_ten_clipped_and_counts_the_rest() -> None:
    addresses = [f"{'x' * 80}{i}@example.com" for i in range(10)]
    view = render_pick_modal(addresses, more=990, private_metadata="{}")
    text = _valid(view)
    options = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in options] == [str(i) for i in range(10)]
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    assert "names 1000 email addresses" in text and "990 more are not" in text
