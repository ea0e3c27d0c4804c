"""Every Slack identifier the app uses, defined once (command, shortcuts, views, action and block ids,
metadata event types)."""

from __future__ import annotations

import enum

from workers.report.actions import ACTION_PREFIX, Action

__all__ = [
    "ACTION_PREFIX",
    "HOME_OPENED_EVENT",
    "SLASH_COMMAND",
    "Action",
    "BlockId",
    "CallbackId",
    "ElementId",
    "EventType",
]

SLASH_COMMAND = "/mailcheck"
HOME_OPENED_EVENT = "app_home_opened"  # the one Events API event the app subscribes to (SPEC §17)


class EventType(enum.StrEnum):
    REPORT = "mailcheck_report"
    ACTION = "mailcheck_action"
    STATUS = "mailcheck_status"
    ALERT = "mailcheck_alert"


class CallbackId(enum.StrEnum):
    """The shortcuts of SPEC §17, and the modal each one opens (a view carries its shortcut's id)."""

    CHECK_MESSAGE = "mailcheck.check_message"  # message shortcut; its modal picks one address
    CHECK_MODAL = "mailcheck.check_modal"  # global shortcut; its modal asks an address and a channel


class BlockId(enum.StrEnum):
    ACTIONS = "mailcheck_actions"
    CHECK_ADDRESS = "mailcheck_check_address"  # one block per look-alike address: `_<n>` follows
    EMAIL = "mailcheck_email"  # the check modal's address input
    CHANNEL = "mailcheck_channel"  # the check modal's conversation picker
    PICK = "mailcheck_pick"  # the pick modal's choice of address
    HOME = "mailcheck_home"  # the Home tab's button


class ElementId(enum.StrEnum):
    """action_ids of the elements in the modals and the Home tab (none of them a remediation button)."""

    EMAIL = "email"
    CHANNEL = "channel"
    PICK = "address"
    OPEN_CHECK_MODAL = "mailcheck_open_check_modal"  # the Home tab's "Check an email address"
