"""RQ entry point for `/mailcheck status`: examine the courier queue and post the result."""

from __future__ import annotations

import asyncio

from workers.courier_health import CourierHealth, courier_health
from workers.diagnostics import KRATOS_TIMEOUT
from workers.jobs import settings_from_env
from workers.kratos import KratosError, kratos_admin
from workers.render_status import render_status
from workers.settings import Settings
from workers.slack_api import SlackPoster, web_client


async def _health(settings: Settings) -> CourierHealth:
    async with kratos_admin(settings, timeout=min(KRATOS_TIMEOUT, settings.report_deadline)) as kratos:
        return await asyncio.wait_for(
            courier_health(
                kratos,
                lookback_days=settings.lookback_days,
                stuck_after=settings.courier_stuck_after,
            ),
            settings.report_deadline,
        )


def run_status(channel: str, requester: str) -> str:
    settings = settings_from_env()
    try:
        health: CourierHealth | None = asyncio.run(_health(settings))
        reason = ""
    except (KratosError, TimeoutError) as exc:
        health, reason = None, str(exc) or "timed out"
    message = render_status(health, requester=requester, lookback_days=settings.lookback_days, reason=reason)
    SlackPoster(web_client(settings)).post(channel, **message)
    return health.verdict if health else "error"
