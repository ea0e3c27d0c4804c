"""RQ entry point of the courier watch (SPEC §11): one round, then the next one scheduled.

A round takes the watch's lock (one round at a time over every worker), looks at each Kratos
instance's courier and, once for the deployment, at the relay, sender_auth and blocklists and, with a
provider API, at the account there (the From domain's verification, which joins sender_auth, and the
last hour of mail per mailbox provider, SPEC §15); moves each
(instance, kind) alert one step (workers/report/alerts.py); saves the alerts in Redis *before* Slack
hears of them (a Slack failure leaves them `pending`, retried next round, never posted twice); then
writes the open counts for /metrics and schedules the next round with RQ's scheduler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from workers.checks.courier_watch import courier_round
from workers.checks.diagnostics import run_relay_checks
from workers.checks.smtp.check import KRATOS_DEFAULT_FROM
from workers.clients.alert_store import AlertStore
from workers.clients.dns import make_resolver
from workers.clients.kratos import kratos_admin
from workers.clients.redis_client import async_redis_client
from workers.core.settings import KratosInstance, Settings
from workers.core.timeouts import KRATOS_CHECK_TIMEOUT_S
from workers.jobs.queueing import make_queue, schedule_watch, watch_round_timeout
from workers.jobs.report import job_connection, settings_from_env
from workers.providers.account_watch import AccountAsk, AccountLook, look_at_account
from workers.providers.domain_assessment import domain_finding
from workers.providers.registry import adapter_for, has_api
from workers.providers.selection import resolve_provider
from workers.report.alerts import COURIER_STUCK, Alert, Change, Sighting, advance, retire
from workers.report.model import CheckResult
from workers.report.watch_sightings import (
    blocklists_sighting,
    courier_sightings,
    mailbox_provider_sighting,
    sender_auth_sighting,
    smtp_sighting,
)
from workers.slack.api import SlackPoster, web_client
from workers.slack.errors import GONE_ERRORS, SlackError
from workers.slack.ids import Action
from workers.slack.render_alert import render_alert, render_change

log = logging.getLogger(__name__)

ALL_INSTANCES = "all"  # the relay and DNS alerts when several instances share them
BUSY = "another round is running"


@dataclass(frozen=True)
class Looked:
    """A round's sightings, by the instance they are about."""

    by_instance: dict[str, list[Sighting]]
    abandoned: dict[str, list[str]]  # per instance: abandoned ids to remember


def shared_instance(settings: Settings) -> str:
    """The relay, SPF/DKIM/DMARC and blocklists are one deployment's: named after its only instance."""
    instances = settings.instances
    return instances[0].name if len(instances) == 1 else ALL_INSTANCES


async def _courier(
    settings: Settings, instance: KratosInstance, store: AlertStore, now: float
) -> tuple[list[Sighting], list[str]]:
    last = store.last_round(instance.name)
    # The first round (or the first after a long pause) counts what changed within one interval.
    since = datetime.fromtimestamp(last if last is not None else now - settings.watch_interval, UTC)
    async with kratos_admin(settings, timeout=KRATOS_CHECK_TIMEOUT_S, instance=instance) as kratos:
        looked = await courier_round(
            kratos,
            stuck_after=settings.courier_stuck_after,
            seen_abandoned=store.seen_abandoned(instance.name),
            changed_since=since,
            now=datetime.fromtimestamp(now, UTC),
        )
    return courier_sightings(looked.sample, stuck_after=settings.courier_stuck_after), looked.abandoned_ids


async def _relay(settings: Settings) -> dict[str, CheckResult]:
    recipient = settings.courier_smtp_from_address or KRATOS_DEFAULT_FROM  # RCPT TO ourselves; no DATA
    return await run_relay_checks(settings, probe_recipient=recipient)


def _account_ask(settings: Settings) -> AccountAsk | str:
    """What to ask the provider about the account, or why there is no provider API to ask."""
    provider = resolve_provider(settings)
    if not has_api(provider):
        return f"there is no provider API to ask (the provider is {provider!r}; MAIL_PROVIDER)"
    key = settings.mail_provider_api_key
    if key is None:
        return "MAIL_PROVIDER_API_KEY is not set, so the provider was not asked"
    adapter = adapter_for(provider)
    token = settings.postmark_account_token if adapter.domains.spec is not None else key
    return AccountAsk(
        adapter,
        api_key=key.get_secret_value(),
        api_url=str(settings.mail_provider_api_url) if settings.mail_provider_api_url else None,
        stream=settings.postmark_message_stream,
        from_domain=settings.from_domain,
        domain_token=token.get_secret_value() if token is not None else None,
        timeout=settings.report_deadline,
    )


async def _account(settings: Settings, now: float, deadline: float) -> AccountLook | str:
    """The provider's answers (unanswered when it did not answer by `deadline`), or why it was not asked."""
    ask = _account_ask(settings)
    if isinstance(ask, str):
        return ask
    cache = async_redis_client(settings.redis_url)  # the provider answer cache and Resend's webhook events
    try:
        resolver = make_resolver(settings.dns_nameservers, settings.dns_timeout)
        moment = datetime.fromtimestamp(now, UTC)
        async with asyncio.timeout(deadline):
            return await look_at_account(ask, resolver=resolver, cache=cache, now=moment)
    except TimeoutError:
        label = ask.adapter.label
        return AccountLook.unanswered(label, f"{label} did not answer within {deadline:g} s")
    finally:
        await cache.aclose()


def shared_sightings(checks: dict[str, CheckResult], account: AccountLook | str) -> list[Sighting]:
    """The deployment's sightings: the relay, SPF/DKIM/DMARC with the From domain at the provider,
    blocklists, and one mailbox provider refusing us (`account`: why the provider was not asked)."""
    if isinstance(account, str):
        return [
            smtp_sighting(checks["smtp"]),
            sender_auth_sighting(checks["sender_auth"]),
            blocklists_sighting(checks["blocklists"]),
            mailbox_provider_sighting(None, unavailable=account),
        ]
    domain = account.sender_domain
    domain_error = str(domain.get("note") or "") if domain.get("outcome") == "error" else ""
    return [
        smtp_sighting(checks["smtp"]),
        sender_auth_sighting(checks["sender_auth"], domain_finding(account.label, domain), domain_error),
        blocklists_sighting(checks["blocklists"]),
        mailbox_provider_sighting(account.traffic),
    ]


async def look(settings: Settings, store: AlertStore, now: float) -> Looked:
    instances = settings.instances
    deadline = settings.report_deadline + 5
    couriers, relay, account = await asyncio.gather(
        asyncio.gather(*(_courier(settings, i, store, now) for i in instances)),
        asyncio.wait_for(_relay(settings), deadline),
        _account(settings, now, deadline),
    )
    by_instance = {i.name: sightings for i, (sightings, _) in zip(instances, couriers, strict=True)}
    shared = shared_sightings(relay, account)
    by_instance.setdefault(shared_instance(settings), []).extend(shared)
    abandoned = {i.name: ids for i, (_, ids) in zip(instances, couriers, strict=True)}
    return Looked(by_instance, abandoned)


def offered_actions(kind: str, settings: Settings) -> list[str]:
    """Flush only where a restart can help: Kratos never retries an abandoned message (SPEC §11)."""
    actions = [Action.FLUSH.value] if kind == COURIER_STUCK and settings.courier_flush_command else []
    return [*actions, Action.RERUN.value]


def retire_orphans(store: AlertStore, settings: Settings, now: float) -> list[tuple[Alert, Change]]:
    """Resolve the open alerts of Kratos instances no longer configured (KRATOS_INSTANCES changed):
    no round will look at them again, and their buttons would act on another instance."""
    known = {instance.name for instance in settings.instances} | {shared_instance(settings)}
    retired = []
    for alert in store.open_alerts():
        if alert.instance not in known:
            why = f"the Kratos instance `{alert.instance}` is no longer configured (KRATOS_INSTANCES)"
            alert = replace(retire(alert, now=now, why=why), actions=[])
            store.save(alert, pending=True)
            retired.append((alert, Change.RESOLVED))
    return retired


def step_alerts(
    store: AlertStore, looked: Looked, settings: Settings, now: float
) -> list[tuple[Alert, Change]]:
    """Advance every (instance, kind) and save what changed, before anything is posted."""
    changed: list[tuple[Alert, Change]] = []
    for instance, sightings in looked.by_instance.items():
        for sighting in sightings:
            alert, change = advance(
                store.open_alert(instance, sighting.kind), sighting, instance=instance, now=now
            )
            if alert is None or change is Change.NONE:
                continue
            if change is Change.OPENED:
                channel = settings.watch_channel or ""
                alert = replace(alert, channel=channel, actions=offered_actions(alert.kind, settings))
            store.save(alert, pending=True)
            changed.append((alert, change))
    return changed


def _post(poster: SlackPoster, store: AlertStore, alert: Alert) -> Alert:
    """The alert's message posted, or found where an earlier attempt left it (its answer lost, SPEC
    §16): it appears once. Raises SlackError."""
    message = render_alert(alert)
    if alert.posted_at:
        metadata = message["metadata"]
        found = poster.reconcile(alert.channel, metadata, since=alert.posted_at, keys=("alert_id",))
        if found:
            return replace(alert, ts=found)
    else:
        alert = replace(alert, posted_at=time.time())
        store.save(alert, pending=True)  # so that the next round looks for it before posting again
    return replace(alert, ts=poster.post(alert.channel, **message))


def _bring_up_to_date(poster: SlackPoster, store: AlertStore, alert: Alert) -> Alert:
    if not alert.ts:
        return _post(poster, store, alert)
    try:
        poster.update(alert.channel, alert.ts, **render_alert(alert))
    except SlackError as exc:
        if exc.error not in GONE_ERRORS:
            raise
        log.warning("alert %s: its message is gone (%s); posting it again", alert.alert_id, exc.error)
        return _post(poster, store, replace(alert, ts="", posted_at=0.0))
    return alert


def show(poster: SlackPoster, store: AlertStore, alert: Alert, change: Change | None) -> None:
    """Bring the alert's message up to date (post it the first time, or again when it was deleted),
    then its thread reply. Whether WATCH_CHANNEL takes our posts is kept for GET /healthz."""
    try:
        alert = _bring_up_to_date(poster, store, alert)
    except SlackError as exc:
        log.warning("alert %s not shown in Slack (%s); retried next round", alert.alert_id, exc.error)
        store.set_post_problem(f"cannot post: {exc.error}")
        return
    store.set_post_problem("")
    store.save(alert, pending=False)
    reply = render_change(alert, change) if change is not None else None
    if reply is not None:
        try:
            poster.post(alert.channel, thread_ts=alert.ts, **reply)
        except SlackError as exc:  # the message itself says it; a reply cannot be retried without doubling
            log.warning("alert %s: its %s reply not posted (%s)", alert.alert_id, change, exc.error)


def one_round(settings: Settings, store: AlertStore, poster: SlackPoster) -> dict[str, int]:
    now = time.time()
    changed = retire_orphans(store, settings, now)
    looked = asyncio.run(look(settings, store, now))
    for instance, ids in looked.abandoned.items():
        store.remember_abandoned(instance, ids, at=now)
    changed += step_alerts(store, looked, settings, now)
    touched = {alert.alert_id for alert, _ in changed}
    for alert in store.pending():  # what an earlier round could not show
        if alert.alert_id not in touched:
            show(poster, store, alert, None)
    for alert, change in changed:
        show(poster, store, alert, change)
    return store.write_open_counts()


def run_round(trigger: str = "schedule") -> str:
    settings = settings_from_env()
    if not settings.watch_channel:
        return "watch off (WATCH_CHANNEL unset)"
    connection = job_connection(settings)
    store = AlertStore(connection)
    token = store.lock(watch_round_timeout(settings))
    try:
        if token is None:
            return BUSY
        counts = one_round(settings, store, SlackPoster(web_client(settings)))
        log.info("watch round (%s): open alerts %s", trigger, counts)
        return f"{sum(counts.values())} open alert(s)"
    finally:
        if token is not None:
            store.unlock(token)
        if trigger == "schedule":
            schedule_watch(make_queue(connection, settings), settings)
