"""Run every check concurrently under one deadline and turn the results into a report.

One slow or dead dependency never holds back the others: each check is its own task with its own
timeout, and whatever is still running at `REPORT_DEADLINE` is reported as `error` (timed out).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx

from workers.advice import tell_user
from workers.checks.courier import check_courier
from workers.checks.identity import check_identity
from workers.kratos import KratosAdmin
from workers.report import CHECK_NAMES, CheckResult, Report, State
from workers.settings import Settings
from workers.verdict import decide_verdict, offered_actions, spam_risk

log = logging.getLogger(__name__)

KRATOS_TIMEOUT = 5.0  # per HTTP request; the whole check is still bounded by the report deadline

ProgressCallback = Callable[[Report], Awaitable[None]]
CheckFactory = Callable[[], Coroutine[Any, Any, CheckResult]]


def _not_built(name: str) -> CheckFactory:
    async def skipped() -> CheckResult:
        return CheckResult.skipped(f"the `{name}` check is not available in this version")

    return skipped


def _factories(email: str, settings: Settings, kratos: KratosAdmin) -> dict[str, CheckFactory]:
    factories = {name: _not_built(name) for name in CHECK_NAMES}
    factories["identity"] = lambda: check_identity(email, kratos=kratos)
    factories["courier"] = lambda: check_courier(
        email, kratos=kratos, lookback_days=settings.lookback_days, stuck_after=settings.courier_stuck_after
    )
    return factories


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
    report.tell_user = tell_user(report.verdict, report.checks)
    report.elapsed_ms = int((time.monotonic() - started) * 1000)
    report.state = State.COMPLETE
    return report


async def run_diagnostics(
    email: str, settings: Settings, *, report_id: str, on_progress: ProgressCallback | None = None
) -> Report:
    started = time.monotonic()
    report = Report(report_id=report_id, email=email)

    async def record(name: str, result: CheckResult) -> None:
        report.checks[name] = result
        if on_progress is not None:
            await on_progress(report)

    timeout = httpx.Timeout(min(KRATOS_TIMEOUT, settings.report_deadline))
    async with httpx.AsyncClient(base_url=str(settings.kratos_admin_url), timeout=timeout) as http:
        factories = _factories(email, settings, KratosAdmin(http))
        report.checks.update(await run_checks(factories, deadline=settings.report_deadline, on_result=record))
    return finish(report, settings, started)
