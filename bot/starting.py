"""Starting a report from any of the bot's doors (the slash command, a shortcut, the modal, a button):
save it, hand it to the lifecycle after the ack, and tell the agent once what only they need to know.

The report's lifecycle itself lives in workers/jobs/lifecycle.py; this is the bot's side of its start.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Future
from typing import Any

import redis

from bot.deps import Deps
from bot.errors import ServiceUnavailable
from bot.parse import Check
from workers.clients.store import StoredReport
from workers.core.logs import correlated
from workers.jobs.lifecycle import Started, save_new_report, start_report
from workers.report.model import Report, new_report_id
from workers.slack.api import respond_ephemeral

log = logging.getLogger(__name__)

NO_WORKER_NOTICE = (
    ":warning: No `mailcheck worker` is running, so this check has not started yet. It will start "
    "when one does; if none starts within {timeout:g} s (QUEUE_TIMEOUT), the report says so and "
    "the check is dropped."
)


def save_report(
    deps: Deps, check: Check, *, channel: str, requester: str, private: bool, thread_ts: str = ""
) -> StoredReport:
    """The report's first Redis write (it and its ledger entry): proves Redis is reachable before
    anything is promised, and from here on a bot that dies cannot leave the report `running`.
    `thread_ts`: post the report in that thread (a shortcut on a message). Raises ServiceUnavailable."""
    report = Report(new_report_id(), check.email)
    stored = StoredReport(
        report, channel, "", requester, thread_ts=thread_ts, typed=check.typed, private=private
    )
    try:
        save_new_report(deps.redis, stored, deps.settings)
    except redis.RedisError:
        raise ServiceUnavailable("its Redis is unreachable") from None
    return stored


def hand_over_later(deps: Deps, stored: StoredReport, response_url: str) -> None:
    """`hand_over` on the bot's post-ack pool, off the request thread (the answer goes out first)."""
    deps.background.submit(hand_over, deps, stored, response_url).add_done_callback(log_crash)


def log_crash(future: Future[None]) -> None:
    if future.exception() is not None:
        log.error("starting a report failed", exc_info=future.exception())


def hand_over(deps: Deps, stored: StoredReport, response_url: str) -> None:
    """Start the saved report and tell the agent, once, what only they need to know: that nothing
    started, that Slack would not take the report there, or that no worker runs."""
    with correlated(stored.report.report_id):
        started = start_report(deps.redis, deps.queue, deps.poster, deps.settings, stored)
    if started.outcome is Started.NOT_QUEUED:
        if not started.untracked:  # out of the ledger once Redis is back (the bot's reaper)
            deps.unqueued.put(stored.report.report_id)
        tell(response_url, str(ServiceUnavailable("its Redis is unreachable")))
    elif started.outcome is Started.NOT_POSTED:
        tell(response_url, f":x: could not post the report here ({started.slack_error}).")
    else:
        if started.outcome is Started.UNATTACHED:  # attached by the bot's reaper once Redis is back
            deps.unattached.put(stored)
        if not deps.workers.alive(deps.queue):
            tell(response_url, NO_WORKER_NOTICE.format(timeout=deps.settings.queue_timeout))


def response_url(payload: Mapping[str, Any]) -> str:
    """The payload's response_url when it is one (Slack sends an http(s) URL), else ""."""
    url = payload.get("response_url")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else ""


def tell(response_url: str, text: str) -> None:
    """An ephemeral answer through the interaction's response_url (none: nobody to tell)."""
    if response_url:
        respond_ephemeral(response_url, text)
