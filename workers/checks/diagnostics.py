"""Run every check concurrently under one deadline and turn the results into a report.

One slow or dead dependency never holds back the others: each check is its own task with its own
timeout, and whatever is still running at `REPORT_DEADLINE` is reported as `error` (timed out).
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

import dns.asyncresolver
import redis.asyncio

from workers.checks.blocklists import check_blocklists
from workers.checks.instances import courier_everywhere, identity_everywhere, settle_instances
from workers.checks.provider import check_provider, correlate_with_courier
from workers.checks.recipient import check_recipient
from workers.checks.sender_auth.check import check_sender_auth
from workers.checks.sender_auth.dmarc import suffixes
from workers.checks.sender_auth.spf import sender_addresses
from workers.checks.smtp.check import check_smtp
from workers.checks.smtp.tls import preload_tls_context
from workers.clients.dns import DnsUnavailable, broken_resolver_summary, make_resolver, vantage_problem
from workers.clients.kratos import KratosAdmin, kratos_admins
from workers.clients.tls import client_tls_context
from workers.core.settings import Settings
from workers.core.smtp_uri import SmtpRelay, parse_smtp_uri
from workers.core.timeouts import KRATOS_CHECK_TIMEOUT_S, SMTP_PROBE_TIMEOUT_S
from workers.providers.selection import relay_host, resolve_provider
from workers.report import details
from workers.report.address_forms import kratos_lookups
from workers.report.advice import tell_user
from workers.report.details_dns import ResolverProblem
from workers.report.model import CheckResult, Report, State
from workers.report.verdict import decide_verdict, offered_actions, spam_risk

log = logging.getLogger(__name__)

# A hung relay must end the probe as `fail` (SPEC §8) before the deadline turns the check into `error`.
SMTP_SHARE_OF_DEADLINE = 0.8

ProgressCallback = Callable[[Report], Awaitable[None]]
CheckFactory = Callable[[], Coroutine[Any, Any, CheckResult]]


@dataclass(frozen=True)
class Sources:
    """The clients one report's checks share; built per report, closed after it."""

    kratos: Mapping[str, KratosAdmin]  # one admin client per Kratos instance, by name
    resolver: dns.asyncresolver.Resolver
    cache: redis.asyncio.Redis | None


def _relay(settings: Settings) -> SmtpRelay | None:
    uri = settings.courier_smtp_connection_uri
    return parse_smtp_uri(uri.get_secret_value()) if uri is not None else None


async def _smtp(email: str, settings: Settings, sources: Sources) -> CheckResult:
    try:
        relay = _relay(settings)
    except ValueError as exc:
        return CheckResult.error(f"COURIER_SMTP_CONNECTION_URI: {exc}")
    return await check_smtp(
        email,
        relay=relay,
        from_address=settings.courier_smtp_from_address,
        resolver=sources.resolver,
        timeout=min(SMTP_PROBE_TIMEOUT_S, settings.report_deadline * SMTP_SHARE_OF_DEADLINE),
    )


async def _sending_ips(settings: Settings, provider: str, resolver: dns.asyncresolver.Resolver) -> list[str]:
    """SENDING_IPS, or for plain SMTP the relay's own addresses (SPEC §5), as sender_auth reads them."""
    relay = relay_host(settings) if provider == "smtp" else None
    return await sender_addresses(resolver, settings.sending_ips, relay)


async def _blocklists(settings: Settings, provider: str, sources: Sources) -> CheckResult:
    try:
        ips = await _sending_ips(settings, provider, sources.resolver)
    except DnsUnavailable as exc:
        problem = await vantage_problem(sources.resolver, [relay_host(settings) or ""])
        if problem is not None:
            broken: ResolverProblem = {"resolver_problem": problem}
            return CheckResult.error(broken_resolver_summary(sources.resolver, problem), **broken)
        return CheckResult.error(f"The SMTP relay's addresses could not be resolved: {exc}.")
    return await check_blocklists(
        sending_ips=ips,
        sender_domain=settings.from_domain,
        ip_zones=settings.dnsbl_zones,
        domain_zones=settings.dnsbl_domain_zones,
        resolver=sources.resolver,
        timeout=settings.report_deadline,
    )


def _factories(email: str, settings: Settings, sources: Sources, typed: str = "") -> dict[str, CheckFactory]:
    provider = resolve_provider(settings)
    spellings = kratos_lookups(typed or email)  # Kratos only lower-cases: ask as typed, then NFC
    deadline = settings.report_deadline
    api_url = str(settings.mail_provider_api_url) if settings.mail_provider_api_url else None
    # Started in this order: the relay's dialogue first, as it is the longest chain of round trips.
    return {
        "smtp": lambda: _smtp(email, settings, sources),
        "identity": lambda: identity_everywhere(email, settings, sources.kratos, sources.cache, spellings),
        "courier": lambda: courier_everywhere(email, settings, sources.kratos, spellings),
        "sender_auth": lambda: check_sender_auth(
            from_domain=settings.from_domain,
            provider=provider,
            return_path_domain=settings.return_path_domain,
            dkim_selectors=settings.dkim_selectors,
            sending_ips=settings.sending_ips,
            relay_host=relay_host(settings),
            resolver=sources.resolver,
            timeout=deadline,
        ),
        "blocklists": lambda: _blocklists(settings, provider, sources),
        "recipient": lambda: check_recipient(email, resolver=sources.resolver, timeout=deadline),
        "provider": lambda: check_provider(
            email,
            provider=provider,
            api_key=settings.mail_provider_api_key,
            api_url=api_url,
            postmark_stream=settings.postmark_message_stream,
            lookback_days=settings.lookback_days,
            cache=sources.cache,
            timeout=deadline,
            configured=settings.mail_provider,
            relay_configured=settings.courier_smtp_connection_uri is not None,
            from_domain=settings.from_domain,
            account_token=settings.postmark_account_token,
            resolver=sources.resolver,
        ),
    }


async def _guarded(name: str, factory: CheckFactory, timeout: float) -> CheckResult:
    try:
        return await asyncio.wait_for(factory(), timeout)
    except TimeoutError:
        return CheckResult.error(f"timed out after {timeout:g} s")
    except Exception as exc:  # a bug in one check must not take the report down
        log.exception("check %s crashed", name)
        return CheckResult.error(f"internal error in the check ({type(exc).__name__})")


async def run_checks(
    factories: dict[str, CheckFactory],
    *,
    deadline: float,
    on_result: Callable[[str, CheckResult], Awaitable[None]] | None = None,
) -> dict[str, CheckResult]:
    tasks = {asyncio.create_task(_guarded(name, f, deadline)): name for name, f in factories.items()}
    results: dict[str, CheckResult] = {}
    pending = set(tasks)
    stop_at = time.monotonic() + deadline
    while pending:
        done, pending = await asyncio.wait(
            pending, timeout=max(0.0, stop_at - time.monotonic()), return_when=asyncio.FIRST_COMPLETED
        )
        if not done:
            break
        for task in done:
            results[tasks[task]] = task.result()
            if on_result is not None:
                await on_result(tasks[task], results[tasks[task]])
    for task in pending:
        task.cancel()
        results[tasks[task]] = CheckResult.error(f"timed out after {deadline:g} s (REPORT_DEADLINE)")
    return results


def finish(report: Report, settings: Settings, started: float) -> Report:
    report.verdict = decide_verdict(report.checks)
    report.spam_risk = spam_risk(report.checks)
    report.actions = offered_actions(
        report.checks, report.verdict, flush_configured=bool(settings.courier_flush_command)
    )
    identity = details.identity(report.checks)
    if identity is not None and identity.get("verification_enabled") is False:
        # SPEC §12: the deciding instance has verification switched off (Olympus's IAM)
        report.actions = [action for action in report.actions if action != "resend_verification"]
    report.tell_user = tell_user(report.verdict, report.checks)
    report.elapsed_ms = int((time.monotonic() - started) * 1000)
    report.state = State.COMPLETE
    return report


def _correlate(checks: dict[str, CheckResult]) -> None:
    """Tie the provider's messages to the courier's, once both are known."""
    provider, courier = checks["provider"], details.courier(checks)
    if provider.usable and courier is not None:
        checks["provider"] = correlate_with_courier(provider, courier.get("messages", []))


# What httpx and dnspython import only on first use, inside the event loop of a report.
_FIRST_USE_MODULES = (
    "httpcore",
    "anyio._backends._asyncio",
    "dns._asyncio_backend",
    "dns.rdtypes.ANY.MX",
    "dns.rdtypes.ANY.TXT",
    "dns.rdtypes.IN.A",
)


def preload() -> None:
    """Build once, before a worker forks its work-horses, what every report would otherwise build again
    in its fresh process: the public suffix list, the TLS context and the modules libraries import on
    first use (bench/full_check.py, cold)."""
    suffixes()
    client_tls_context()
    preload_tls_context()  # the SMTP probe's
    for module in _FIRST_USE_MODULES:
        importlib.import_module(module)


async def run_diagnostics(
    email: str,
    settings: Settings,
    *,
    report_id: str,
    on_progress: ProgressCallback | None = None,
    cache: redis.asyncio.Redis | None = None,
    typed: str = "",
) -> Report:
    """`email` is the normalized address (NFC); `typed` the address as typed, when it differs."""
    started = time.monotonic()
    report = Report(report_id=report_id, email=email)

    async def record(name: str, result: CheckResult) -> None:
        report.checks[name] = result
        if on_progress is not None:
            await on_progress(report)

    async with kratos_admins(
        settings, timeout=min(KRATOS_CHECK_TIMEOUT_S, settings.report_deadline)
    ) as kratos:
        resolver = make_resolver(settings.dns_nameservers, settings.dns_timeout)
        factories = _factories(email, settings, Sources(kratos, resolver, cache), typed)
        report.checks.update(await run_checks(factories, deadline=settings.report_deadline, on_result=record))
    settle_instances(report.checks, settings.instances)
    _correlate(report.checks)
    return finish(report, settings, started)


WATCH_CHECKS = ("smtp", "sender_auth", "blocklists")


async def run_relay_checks(settings: Settings, *, probe_recipient: str) -> dict[str, CheckResult]:
    """The checks that do not depend on a recipient (the relay probe, sender_auth, blocklists), as a
    report runs them, for the courier watch (SPEC §11); the probe stops at RCPT TO `probe_recipient`."""
    resolver = make_resolver(settings.dns_nameservers, settings.dns_timeout)
    factories = _factories(probe_recipient, settings, Sources({}, resolver, None))  # no Kratos needed
    chosen = {name: factories[name] for name in WATCH_CHECKS}
    return await run_checks(chosen, deadline=settings.report_deadline)
