"""Every Slack identifier the app uses, defined once (command, action ids, metadata event types)."""

from __future__ import annotations

import enum

from workers.report.actions import ACTION_PREFIX, Action

__all__ = ["ACTION_PREFIX", "SLASH_COMMAND", "Action", "BlockId", "EventType"]

SLASH_COMMAND = "/mailcheck"


class EventType(enum.StrEnum):
    REPORT = "mailcheck_report"
    ACTION = "mailcheck_action"
    STATUS = "mailcheck_status"
    ALERT = "mailcheck_alert"


class BlockId(enum.StrEnum):
    ACTIONS = "mailcheck_actions"
    CHECK_ADDRESS = "mailcheck_check_address"  # one block per look-alike address: `_<n>` follows
