"""RQ entry point for `/mailcheck status`: examine the courier queue and post the result.

The agent always gets an answer: Kratos unreachable or answering garbage is a `failed` status in the
channel; Slack refusing that post, or the job itself failing, is told through the command's
response_url (ephemeral), or, without one, in the channel.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import redis
from rq.job import Job

from workers.checks.courier_status import courier_status
from workers.clients.alert_store import AlertStore
from workers.clients.kratos import kratos_admin
from workers.clients.redis_client import redis_client
from workers.core.settings import KratosInstance, Settings
from workers.core.timeouts import KRATOS_CHECK_TIMEOUT_S
from workers.jobs.report import settings_from_env
from workers.report.alerts import Alert
from workers.report.courier_status import CourierStatus, InstanceStatus, QueueVerdict
from workers.slack.api import SlackPoster, respond_ephemeral, web_client
from workers.slack.errors import SlackError
from workers.slack.render_courier_status import render_instances_status, render_status

log = logging.getLogger(__name__)


async def _health(settings: Settings, instance: KratosInstance) -> CourierStatus:
    async with kratos_admin(
        settings, timeout=min(KRATOS_CHECK_TIMEOUT_S, settings.report_deadline), instance=instance
    ) as kratos:
        return await asyncio.wait_for(
            courier_status(
                kratos,
                lookback_days=settings.lookback_days,
                stuck_after=settings.courier_stuck_after,
            ),
            settings.report_deadline,
        )


async def _examine(settings: Settings, instance: KratosInstance) -> InstanceStatus:
    try:
        return InstanceStatus(instance.name, await _health(settings, instance))
    except TimeoutError:
        return InstanceStatus(instance.name, None, "timed out")
    except Exception as exc:  # Kratos errors, and anything unexpected on the way: a `failed` status
        log.warning("courier status of %s: %s", instance.name, type(exc).__name__)
        return InstanceStatus(instance.name, None, str(exc) or type(exc).__name__)


async def examine_all(settings: Settings) -> list[InstanceStatus]:
    """Every Kratos instance at once, each bounded on its own (SPEC §12)."""
    return list(await asyncio.gather(*(_examine(settings, i) for i in settings.instances)))


def _message(settings: Settings, requester: str) -> tuple[dict[str, Any], str]:
    """The status message, and its verdict for the job's result."""
    found = asyncio.run(examine_all(settings))
    alerts = _open_alerts(settings)
    if len(found) == 1:  # one instance: the message as before KRATOS_INSTANCES existed
        health, reason = found[0].health, found[0].reason
        message = render_status(
            health, requester=requester, lookback_days=settings.lookback_days, reason=reason, alerts=alerts
        )
        return message, str(health.verdict if health else QueueVerdict.ERROR)
    message = render_instances_status(
        found, requester=requester, lookback_days=settings.lookback_days, alerts=alerts
    )
    return message, str(message["metadata"]["event_payload"]["verdict"])


def _open_alerts(settings: Settings) -> list[Alert] | None:
    """The courier watch's open alerts; None when the watch is off or its state cannot be read."""
    if not settings.watch_channel:
        return None
    try:
        return AlertStore(redis_client(settings.redis_url)).open_alerts()
    except redis.RedisError as exc:
        log.warning("courier status: open alerts unreadable (%s)", type(exc).__name__)
        return None


def tell_agent(poster: SlackPoster, channel: str, response_url: str, text: str) -> None:
    """Ephemerally through the response_url when there is one, else in the channel."""
    if response_url:
        respond_ephemeral(response_url, text)
    else:
        poster.post(channel, text=text)


def run_status(channel: str, requester: str, response_url: str = "") -> str:
    settings = settings_from_env()
    message, verdict = _message(settings, requester)
    poster = SlackPoster(web_client(settings))
    try:
        poster.post(channel, **message)
    except SlackError as exc:
        log.warning("courier status not posted: %s", exc.error)
        text = f":x: mailcheck could not post the courier status in this channel (Slack said `{exc.error}`)."
        tell_agent(poster, channel, response_url, text)
        return "not posted"
    return verdict


def status_failed(job: Job, connection: redis.Redis, *exc_info: Any) -> None:
    """RQ on_failure callback: the agent who asked for the status must not be left with the ack only."""
    kwargs = job.kwargs
    reason = exc_info[0].__name__ if exc_info and exc_info[0] is not None else "worker lost"
    text = f":x: the courier status could not be produced ({reason}); try `/mailcheck status` again."
    try:
        poster = SlackPoster(web_client(settings_from_env()))
        tell_agent(poster, str(kwargs.get("channel", "")), str(kwargs.get("response_url", "")), text)
    except Exception:  # raising here would stop RQ's registry cleanup, and with it the worker
        log.exception("status job %s: the agent could not be told", job.id)
