"""RQ job entry points: synchronous functions of plain data that own their event loop.

Workers build their own clients from the settings; nothing is carried in the job but ids and the
address being checked.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from rq.job import Job, get_current_job

from workers.checks.diagnostics import run_diagnostics
from workers.clients.history import remember_report, remember_report_id
from workers.clients.metrics_store import record_report
from workers.clients.redis_client import async_redis_client, redis_client
from workers.clients.store import ReportStore, StoredReport
from workers.core.logs import correlated_job
from workers.core.settings import Settings, load_settings, operators_configured
from workers.jobs.lifecycle import (
    Ledger,
    fail_report,
    failure_reason,
    settle,
    show,
    show_and_release,
    stored_from_job,
    with_parent,
)
from workers.report.model import Report, State
from workers.slack.api import SlackPoster, web_client
from workers.slack.errors import SlackError
from workers.slack.render import render_report

log = logging.getLogger(__name__)

PROGRESS_INTERVAL_S = 1.0  # chat.update is rate limited; at most one progress edit per second


@functools.cache
def settings_from_env() -> Settings:
    """The worker process's settings, read once."""
    return load_settings()


def job_connection(settings: Settings) -> redis.Redis:
    """The Redis connection RQ's work-horse has already opened for the running job (a new one costs
    a connect and three round trips in a cold process); a new connection outside a worker."""
    job = get_current_job()
    return job.connection if job is not None else redis_client(settings.redis_url)


class _Progress:
    """Throttled in-place updates of the parent while checks finish, never blocking the checks.
    `find_ts` looks up a parent the bot posts while the report runs (None: a re-run, posted once
    finished, in the thread, so nothing to update yet)."""

    def __init__(
        self,
        poster: SlackPoster,
        channel: str,
        ts: str,
        requester: str,
        find_ts: Callable[[], str] | None = None,
    ) -> None:
        self._poster, self._channel, self._ts, self._requester = poster, channel, ts, requester
        self._find_ts = find_ts
        self._last = time.monotonic()
        self._inflight: asyncio.Task[None] | None = None

    async def __call__(self, report: Report) -> None:
        if not self._ts and self._find_ts is None:
            return
        if self._inflight is not None and not self._inflight.done():
            return
        if time.monotonic() - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = time.monotonic()
        self._inflight = asyncio.create_task(asyncio.to_thread(self._update, report.to_dict()))

    def _update(self, snapshot: dict[str, Any]) -> None:
        if not self._ts and self._find_ts is not None:
            self._ts = self._find_ts()
        if not self._ts:  # the bot has not posted the parent yet
            return
        try:
            self._poster.update(
                self._channel,
                self._ts,
                **render_report(Report.from_dict(snapshot), requester=self._requester),
            )
        except SlackError as exc:
            log.warning("progress update failed: %s", exc)

    async def settle(self) -> None:
        """Wait for the last progress edit; whatever became of it, the report goes on (SPEC §16)."""
        if self._inflight is not None:
            try:
                await self._inflight
            except Exception:
                log.exception("a progress update crashed; the report is not affected")


async def _diagnose(
    settings: Settings, email: str, report_id: str, progress: _Progress, typed: str = ""
) -> Report:
    # The provider's short-lived answers, the Resend webhook events and the verification probe's
    # answers live in Redis: without it a report would never see a bounce only the webhook told.
    cache = async_redis_client(settings.redis_url)
    try:
        report = await run_diagnostics(
            email, settings, report_id=report_id, on_progress=progress, cache=cache, typed=typed
        )
        await progress.settle()  # the final update must land after every progress update
    finally:
        await cache.aclose()
    return report


@correlated_job
def run_report(
    report_id: str,
    email: str,
    channel: str,
    ts: str,
    requester: str,
    thread_ts: str = "",
    parent_pending: bool = False,
    typed: str = "",
    private: bool = True,
) -> str:
    """One report. Its parent message is `ts`, or with `parent_pending` the one the bot posts while
    this runs (its ts then arrives in Redis, `attach_parent`); with neither, a re-run in `thread_ts`.
    `private`: asked in a private conversation (a re-run's is its report's; the bot stores its own)."""
    settings = settings_from_env()
    poster = SlackPoster(web_client(settings))
    connection = job_connection(settings)
    operators = operators_configured(settings)
    in_place = bool(ts) or parent_pending
    if in_place and (earlier := _settled(connection, report_id)) is not None:
        # A retry after an attempt that settled, or a report the reaper failed: only Slack may lag.
        if earlier.ts and Ledger(connection).deadline(report_id) is not None:
            show_and_release(connection, earlier, report_id, poster, operators=operators)
        return str(earlier.report.verdict or earlier.report.state)
    find_ts = functools.partial(_parent_ts, connection, report_id) if parent_pending else None
    progress = _Progress(poster, channel, ts, requester, find_ts)
    report = asyncio.run(_diagnose(settings, email, report_id, progress, typed))
    stored = StoredReport(
        report=report,
        channel=channel,
        ts=ts,
        requester=requester,
        thread_ts=thread_ts,
        typed=typed,
        private=private,
    )
    if in_place:
        _settle_in_place(connection, stored, poster, operators)
    else:  # a re-run: posted once, finished, as a reply in the thread of the report it re-runs
        store = ReportStore(connection)
        store.save(stored)  # before Slack shows its buttons, so that a press always finds the report
        rendered = render_report(report, requester=requester, operators_configured=operators)
        stored.ts = poster.post(channel, thread_ts=thread_ts, **rendered)
        store.save(stored)
    record_report(connection, report)
    if stored.ts:  # else the bot remembers it when it attaches the parent and shows the report
        remember_report(connection, stored, days=settings.history_days)  # SPEC §12: /mailcheck history
    log.info("report %s complete: %s in %d ms", report_id, report.verdict, report.elapsed_ms)
    return str(report.verdict)


def _settled(connection: redis.Redis, report_id: str) -> StoredReport | None:
    stored = ReportStore(connection).load(report_id)
    return stored if stored is not None and stored.report.state != State.RUNNING else None


def _parent_ts(connection: redis.Redis, report_id: str) -> str:
    """The parent the bot has attached to the report so far; "" for none yet (or Redis away)."""
    try:
        stored = ReportStore(connection).load(report_id)
    except redis.RedisError:
        return ""
    return stored.ts if stored is not None else ""


def _settle_in_place(
    connection: redis.Redis, stored: StoredReport, poster: SlackPoster, operators: bool
) -> None:
    """Store the finished report unless it settled meanwhile, then show what is stored. A parent the
    bot has not posted yet is not shown here: the bot shows the report when it attaches the parent."""
    report_id = stored.report.report_id
    try:
        settled = settle(connection, report_id, lambda current: with_parent(stored, current))
    except redis.RedisError:
        # Show the answer anyway, then fail this attempt: RQ's retry brings the store and the running
        # ledger up to date once Redis is back.
        if stored.ts:
            show(stored, poster, operators=operators)
        raise
    if not settled.won and settled.stored is not None:
        log.warning(
            "report %s was already %s; this attempt's result is dropped",
            report_id,
            settled.stored.report.state,
        )
    if settled.stored is not None and not settled.stored.ts:
        return  # the bot shows it, and releases it, once it has posted the parent (attach_parent)
    # Also after losing: this attempt's progress updates may have hidden what is stored.
    show_and_release(connection, settled.stored, report_id, poster, operators=operators)


def report_failed(job: Job, connection: redis.Redis, *exc_info: Any) -> None:
    """RQ on_failure callback: after the last attempt, the parent must not stay `running`."""
    if job.retries_left:
        return
    settings = settings_from_env()
    report_id = str(job.kwargs["report_id"])
    reason = failure_reason(exc_info[0] if exc_info else None)
    try:
        fail_report(
            connection,
            SlackPoster(web_client(settings)),
            report_id,
            reason,
            operators=operators_configured(settings),
            fallback=stored_from_job(job),
        )
        remember_report_id(connection, report_id, days=settings.history_days)
    except Exception:  # raising here stops RQ's registry cleanup and the worker; the reaper retries
        log.exception("report %s: its failure is left to the reaper", report_id)
