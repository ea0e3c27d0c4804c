"""Check `courier` (runbook steps 1 and 3): what Kratos's courier did with mail to this address.

details: `CourierDetails` (workers/report/details.py): window_days, count, messages (newest first, at most
MAX_LISTED, each a `CourierMessage` with its `dispatches`), newest (the first of messages or None), stuck,
failed_dispatches (of the newest), classification (SMTP class from the newest's dispatch errors, or None),
last_error (newest failed dispatch's error text, or "").
SPEC §15: every dispatch with an error, and `last_error` (at the top level), carry `category`, `side`,
`mailbox_provider` and `meaning` beside the text, from `workers/report/relay_replies.py`: a dispatch
error is what Kratos met at OUR relay, so `mailbox_provider` is "" and what the rules cannot place is
the sender's side (that module says why).
Bodies and subjects are never read into the result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from workers.clients.kratos import KratosAdmin, KratosError, kratos_time
from workers.report.details import CourierDetails, CourierMessage, DispatchDetails
from workers.report.model import CheckResult, Finding, Severity, Status
from workers.report.relay_replies import relay_reply_details
from workers.report.smtp_classify import classify_error_text
from workers.report.wording import reply_cause

MAX_LISTED = 10
DISPATCH_DETAIL_FOR = 3  # the newest few messages get their dispatch history fetched


def _age_s(message: dict[str, Any], now: datetime) -> float:
    # A `processing` message has been processing since its last update; otherwise count from creation.
    stamp = message.get("updated_at") if message["status"] == "processing" else message["created_at"]
    return max(0.0, (now - kratos_time(str(stamp or message["created_at"]))).total_seconds())


def classify_dispatches(dispatches: Iterable[Mapping[str, Any]]) -> str | None:
    """The SMTP class the first failed dispatch with a recognizable error says; a `DispatchDetails` or
    a dispatch as the Kratos client lists it (the courier watch's)."""
    for dispatch in dispatches:
        if dispatch["status"] == "failed" and dispatch["error"]:
            found = classify_error_text(dispatch["error"])
            if found:
                return found
    return None


def _assess(
    newest: CourierMessage, stuck_after: int, cause: str
) -> tuple[Status, str, tuple[Finding, ...], bool]:
    """`cause`: what the newest failed dispatch's error blames, in words ("" when nothing is known)."""
    status, age = newest["status"], newest["age_s"]
    failed = [d for d in newest["dispatches"] if d["status"] == "failed"]
    because = f": {cause}" if cause else ""
    if status == "sent":
        return Status.OK, "The newest message was sent by the courier.", (), False
    if status == "abandoned":
        finding = Finding(
            "courier_abandoned",
            Severity.FAIL,
            f"The courier gave up on the newest message after {newest.get('send_count')} attempts"
            f"{_last_error_text(newest)}.",
        )
        return Status.FAIL, f"The newest message was abandoned{because}.", (finding,), False
    if failed:
        finding = Finding(
            "courier_retrying",
            Severity.WARN,
            f"The courier failed {len(failed)} time(s) to send the newest message and keeps retrying"
            f"{_last_error_text(newest)}.",
        )
        stuck = status == "processing" and age > stuck_after
        return (
            (Status.FAIL if stuck else Status.WARN),
            f"The newest message is failing to send{because}.",
            (finding,),
            stuck,
        )
    if age > stuck_after:
        return (
            Status.FAIL,
            f"The newest message has been `{status}` for {int(age)} s: the courier is stuck.",
            (),
            True,
        )
    return Status.OK, f"The newest message is `{status}` ({int(age)} s old): on its way.", (), False


def _last_error_text(message: CourierMessage) -> str:
    """The newest failed dispatch's error, what it blames and what to do (SPEC §15), for a finding."""
    failed = next((d for d in message["dispatches"] if d["status"] == "failed" and d["error"]), None)
    if failed is None:
        return ""
    cause = reply_cause(failed)
    said = f"; the last dispatch error says {cause}" if cause else "; the last dispatch error"
    meaning = failed.get("meaning", "").rstrip(".")
    return f"{said}: {failed['error']}" + (f" ({meaning})" if meaning else "")


def explained_dispatch(listed: dict[str, Any]) -> DispatchDetails:
    """A dispatch as the Kratos client lists it, with SPEC §15's four keys beside its error text."""
    dispatch: DispatchDetails = {
        "id": listed["id"],
        "status": listed["status"],
        "created_at": listed["created_at"],
        "error": listed["error"],
    }
    return {**dispatch, **relay_reply_details(dispatch["error"])} if dispatch["error"] else dispatch


async def _dispatches(kratos: KratosAdmin, message_ids: list[str]) -> list[list[DispatchDetails]]:
    """The dispatch histories of the newest few messages, [] for the others."""
    head = message_ids[:DISPATCH_DETAIL_FOR]
    histories = await asyncio.gather(*(kratos.dispatches(message_id) for message_id in head))
    explained = [[explained_dispatch(d) for d in history] for history in histories]
    return explained + [[] for _ in message_ids[DISPATCH_DETAIL_FOR:]]


def _listed(message: dict[str, Any], age_s: float, dispatches: list[DispatchDetails]) -> CourierMessage:
    """A message as the Kratos client lists it, without its recipient and type, with its age and history."""
    return {
        "id": message["id"],
        "status": message["status"],
        "template_type": message["template_type"],
        "send_count": message["send_count"],
        "created_at": message["created_at"],
        "updated_at": message["updated_at"],
        "age_s": age_s,
        "dispatches": dispatches,
    }


async def _messages(kratos: KratosAdmin, spellings: Sequence[str], since: datetime) -> list[dict[str, Any]]:
    """The messages to every spelling of the address (Kratos matches the recipient exactly), newest first."""

    async def listed_for(spelling: str) -> list[dict[str, Any]]:
        return [m async for m in kratos.courier_messages(spelling, since=since)]

    listed = await asyncio.gather(*(listed_for(spelling) for spelling in spellings))
    unique = {m["id"]: m for found in listed for m in found}
    return sorted(unique.values(), key=lambda m: str(m["created_at"]), reverse=True)


async def check_courier(
    email: str,
    *,
    kratos: KratosAdmin,
    lookback_days: int,
    stuck_after: int,
    now: datetime | None = None,
    spellings: Sequence[str] = (),
) -> CheckResult:
    """`spellings`: the forms Kratos is asked for (SPEC §14: as typed and NFC); default `email` alone."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=lookback_days)
    try:
        messages = await _messages(kratos, spellings or [email], since)
        ages = [round(_age_s(m, now), 1) for m in messages]  # an unreadable time is a KratosError
        histories = await _dispatches(kratos, [m["id"] for m in messages])
    except KratosError as exc:
        return CheckResult.error(str(exc), **exc.details())
    listed = [_listed(*each) for each in zip(messages, ages, histories, strict=True)][:MAX_LISTED]
    details: CourierDetails = {
        "window_days": lookback_days,
        "count": len(messages),
        "messages": listed,
        "newest": listed[0] if listed else None,
        "stuck": False,
        "failed_dispatches": 0,
        "classification": None,
        "last_error": "",
    }
    if not listed:
        return CheckResult(
            Status.WARN,
            f"No courier message to this address in the last {lookback_days} days.",
            dict(details),
        )
    newest = listed[0]
    failed = [d for d in newest["dispatches"] if d["status"] == "failed"]
    last_error = failed[0]["error"] if failed else ""
    explained = relay_reply_details(last_error)
    status, summary, findings, stuck = _assess(newest, stuck_after, reply_cause(explained))
    details["stuck"] = stuck
    details["failed_dispatches"] = len(failed)
    details["classification"] = classify_dispatches(newest["dispatches"])
    details["last_error"] = last_error
    return CheckResult(status, summary, {**details, **explained}, findings)
