"""The `provider` check: what the transactional-mail provider saw of mail to the recipient (SPEC §5).

`details` (read by the verdict engine):
  provider      "resend" | "postmark" | "brevo" | "smtp2go"
  lookback_days the window searched
  suppressed    bool: the recipient is on the provider's suppression list
  suppression   {"reason", "since" (RFC 3339 | None), "removable": bool} | None
  messages      newest first: {"id", "sent_at", "events": [{"type", "at", "reply"}], "outcome",
                "reply", "dashboard_url", "courier_message_id"}; never a subject or body
  newest        one of `messages` (the newest, or after `correlate_with_courier` the record of the
                newest sent courier message) | None
  decisive      the newest message's deciding SMTP reply | None
  correlated    bool: `newest` was chosen by matching courier messages
  cached        bool: the answer came from the short-lived cache
  notes         caveats (a scan stopped at its cap, webhooks needed for Resend bounce detail, …)
Event types and outcomes: sent, delivered, deferred, bounced_hard, bounced_soft, complained, suppressed.
"""

from __future__ import annotations

from datetime import datetime

import redis.asyncio
from pydantic import SecretStr

from workers.providers.adapter import ProviderAdapter
from workers.providers.correlation import correlate_with_courier
from workers.providers.lookup import look_up
from workers.providers.registry import adapter_for, has_api
from workers.report.model import CheckResult

__all__ = ["check_provider", "correlate_with_courier"]


async def check_provider(
    email: str,
    *,
    provider: str,
    api_key: SecretStr | None,
    api_url: str | None,
    postmark_stream: str,
    lookback_days: int,
    cache: redis.asyncio.Redis | None,
    timeout: float,
    now: datetime | None = None,
    configured: str = "auto",
    relay_configured: bool = True,
) -> CheckResult:
    """`provider` is the resolved provider; `configured` is MAIL_PROVIDER as set ("auto" when inferred)."""
    if not has_api(provider):
        return CheckResult.skipped(_no_api_text(provider, configured, relay_configured), provider=provider)
    adapter = adapter_for(provider)
    if api_key is None:
        return CheckResult.skipped(_no_key_text(adapter), provider=provider)
    return await look_up(
        adapter,
        email,
        api_key=api_key.get_secret_value(),
        api_url=api_url,
        postmark_stream=postmark_stream,
        lookback_days=lookback_days,
        cache=cache,
        timeout=timeout,
        now=now,
    )


def _no_api_text(provider: str, configured: str, relay_configured: bool) -> str:
    if provider != "smtp":
        return f"mailcheck has no API adapter for the provider {provider!r}, so nothing was asked"
    if configured == "smtp":
        return (
            "MAIL_PROVIDER=smtp: mail goes out through a plain SMTP relay, so there is no provider API to ask"
        )
    if not relay_configured:
        return (
            "No provider API was asked: MAIL_PROVIDER is auto and COURIER_SMTP_CONNECTION_URI is not set, "
            "so the provider cannot be inferred; set MAIL_PROVIDER (and MAIL_PROVIDER_API_KEY)"
        )
    return (
        "The SMTP relay is not one of the providers mailcheck knows, so there is no provider API to ask; "
        "set MAIL_PROVIDER if Resend, Postmark, Brevo or SMTP2GO sends the mail"
    )


def _no_key_text(adapter: ProviderAdapter) -> str:
    text = f"Set MAIL_PROVIDER_API_KEY to read what {adapter.label} saw of mail to this address"
    return f"{text} (and {adapter.key_hint})" if adapter.key_hint else text
