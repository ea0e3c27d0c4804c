"""The `provider` check: what the transactional-mail provider saw of mail to the recipient (SPEC §5).

details: `ProviderDetails` (workers/report/details_provider.py):
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
  notes         caveats (a scan stopped at its cap, webhooks needed for Resend bounce detail, a part
                that could not be read, …)
  cached        bool: the recipient's part came from the short-lived cache
  sender_domain     the From domain's verification at the provider (workers/providers/sender_domain.py)
  mailbox_provider  the last 24 h of mail to the recipient's mailbox-provider group against all other
                    mail (workers/providers/mailbox_traffic.py)
Every message and event with a `reply` also carries `category`, `side`, `mailbox_provider` and `meaning`
(SPEC §15). Event types and outcomes: sent, delivered, deferred, bounced_hard, bounced_soft, complained,
suppressed; a provider's temporary failure is `deferred`, never a bounce. `ProviderUnread` (provider; the
error's kind and the setting to fix) when the check is `skipped` or `error`.

Findings besides the newest message's: `sender_domain_unverified` (fail) and `mailbox_provider_rejecting`
(warn from 10 %, fail from 30 % of at least 20 messages). Only the recipient's part can make the check
`error`: the other two end as notes when they cannot be read.
"""

from __future__ import annotations

from datetime import datetime

import dns.asyncresolver
import redis.asyncio
from pydantic import SecretStr

from workers.providers.adapter import ProviderAdapter
from workers.providers.correlation import correlate_with_courier
from workers.providers.lookup import Sections, look_up
from workers.providers.registry import adapter_for, has_api
from workers.report.details_provider import ProviderUnread
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
    from_domain: str | None = None,
    account_token: SecretStr | None = None,
    resolver: dns.asyncresolver.Resolver | None = None,
) -> CheckResult:
    """`provider` is the resolved provider; `configured` is MAIL_PROVIDER as set ("auto" when inferred).
    `from_domain` (of COURIER_SMTP_FROM_ADDRESS) is looked up at the provider, with `account_token`
    (POSTMARK_ACCOUNT_TOKEN) where the provider keeps domains behind another token; `resolver` compares
    its records with DNS and names the recipient's mailbox provider."""
    unasked: ProviderUnread = {"provider": provider}
    if not has_api(provider):
        return CheckResult.skipped(_no_api_text(provider, configured, relay_configured), **unasked)
    adapter = adapter_for(provider)
    if api_key is None:
        return CheckResult.skipped(_no_key_text(adapter), **unasked)
    domain_token = account_token if adapter.domains.spec is not None else api_key
    sections = Sections(
        from_domain=from_domain,
        domain_token=domain_token.get_secret_value() if domain_token is not None else None,
        resolver=resolver,
    )
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
        sections=sections,
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
