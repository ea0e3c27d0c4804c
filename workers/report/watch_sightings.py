"""What a watch round saw, turned into one `Sighting` per alert kind (SPEC §11). Pure functions.

The courier's part comes as `CourierSample` (counts and the classified dispatch error, never an
address); the relay, sender_auth and blocklists parts are the report's own check results, read the
way the report reads them (rule 6's classes, the same findings). The provider's part (SPEC §15) is the
From domain's finding at the provider, which joins sender_auth's, and the last hour of mail counted per
mailbox provider (`workers/providers/account_watch.py`). Every SMTP reply shown as evidence is followed
by what it means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.report.alerts import (
    BLOCKLISTED,
    COURIER_ABANDONED,
    COURIER_STUCK,
    MAILBOX_PROVIDER_REJECTING,
    SENDER_AUTH_BROKEN,
    SMTP_FAILING,
    Sighting,
)
from workers.report.details import ReplyExplained, SmtpDetails, smtp_of
from workers.report.details_provider import AccountTraffic, GroupTally
from workers.report.model import CheckResult, Finding, Severity, Status, Verdict
from workers.report.refusal_rate import refusal_severity
from workers.report.relay_replies import relay_reply_details
from workers.report.wording import SMTP_PHASE_TEXT, reply_cause, verdict_headline

BLOCKLIST_CODES = frozenset({"ip_blocklisted", "domain_blocklisted"})
EVIDENCE_MAX = 300
_ADDRESS = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")


def no_addresses(text: str) -> str:
    """Alerts count recipients and never name them: any address in remote text is masked."""
    return _ADDRESS.sub("[address]", text)


def _line(text: str) -> str:
    text = no_addresses(" ".join(text.split()))
    return text if len(text) <= EVIDENCE_MAX else text[: EVIDENCE_MAX - 1] + "…"


@dataclass(frozen=True)
class CourierPart:
    """Messages of one kind of trouble in one round: how many, for how many recipients, and why."""

    messages: int = 0
    recipients: int = 0
    oldest_age_s: int = 0
    classification: str | None = None  # rule 6's class of the newest failed dispatch, if any
    last_error: str = ""  # that dispatch's error text
    complete: bool = True  # False: a listing stopped at its cap, so the counts are lower bounds

    def counted(self, count: int) -> str:
        return str(count) if self.complete else f"at least {count}"


@dataclass(frozen=True)
class CourierSample:
    """The courier of one instance in one round; `error` set when Kratos could not be read."""

    stuck: CourierPart = CourierPart()
    abandoned: CourierPart = CourierPart()  # abandoned since the last round
    error: str = ""


def _meaning(explained: ReplyExplained) -> tuple[str, ...]:
    """The evidence line under a reply: what it blames and what to do (SPEC §15); none when unexplained."""
    if not explained.get("meaning"):
        return ()
    cause = reply_cause(explained)
    return (
        _line(
            f"→ {explained.get('category')}" + (f" — {cause}" if cause else "") + f": {explained['meaning']}"
        ),
    )


def _dispatch_evidence(part: CourierPart) -> tuple[str, ...]:
    if not part.last_error:
        return ()
    said = verdict_headline(part.classification or Verdict.COURIER_FAILING)
    return (
        f"last dispatch error ({said}): {_line(part.last_error)}",
        *_meaning(relay_reply_details(part.last_error)),
    )


def courier_sightings(sample: CourierSample, *, stuck_after: int) -> list[Sighting]:
    if sample.error:
        return [Sighting(kind, None, error=sample.error) for kind in (COURIER_STUCK, COURIER_ABANDONED)]
    stuck, abandoned = sample.stuck, sample.abandoned
    stuck_detail = (
        f"{stuck.counted(stuck.messages)} message(s) for {stuck.counted(stuck.recipients)} recipient(s) "
        f"have waited longer than {stuck_after} s (COURIER_STUCK_AFTER) without leaving the courier; "
        f"the oldest for {stuck.counted(stuck.oldest_age_s)} s."
    )
    abandoned_detail = (
        f"The courier gave up on {abandoned.counted(abandoned.messages)} message(s) for "
        f"{abandoned.counted(abandoned.recipients)} recipient(s) since the last round."
    )
    return [
        Sighting(
            COURIER_STUCK,
            stuck.messages > 0,
            affected=stuck.recipients,
            detail=stuck_detail if stuck.messages else "",
            evidence=_dispatch_evidence(stuck),
        ),
        Sighting(
            COURIER_ABANDONED,
            abandoned.messages > 0,
            count=abandoned.messages,
            affected=abandoned.recipients,
            detail=abandoned_detail if abandoned.messages else "",
            evidence=_dispatch_evidence(abandoned),
        ),
    ]


def smtp_sighting(result: CheckResult) -> Sighting:
    """The relay probe fails (auth, TLS, unreachable, refused): the `smtp` check ended `fail`."""
    if result.status is Status.ERROR:
        return Sighting(SMTP_FAILING, None, error=result.summary)
    if result.status is not Status.FAIL:
        return Sighting(SMTP_FAILING, False)
    probe = smtp_of(result)
    evidence = _probe_evidence(probe) if probe else ()
    return Sighting(SMTP_FAILING, True, detail=_line(result.summary), evidence=evidence)


def _probe_evidence(probe: SmtpDetails) -> tuple[str, ...]:
    evidence = []
    if probe.get("classification"):
        evidence.append(f"classified as: {verdict_headline(str(probe['classification']))}")
    if probe.get("failed_phase"):
        phase = str(probe["failed_phase"])
        evidence.append(f"failed at: {SMTP_PHASE_TEXT.get(phase, phase)}")
    if probe.get("reply"):
        evidence += [f"SMTP reply: {_line(str(probe['reply']))}", *_meaning(probe)]
    if probe.get("error"):
        evidence.append(f"error: {_line(str(probe['error']))}")
    return tuple(evidence)


def _records(result: CheckResult) -> list[str]:
    lines = []
    for part in ("spf", "dmarc"):
        found = result.details.get(part)
        if isinstance(found, dict) and found.get("domain"):
            lines.append(
                f"{part.upper()} {found['domain']}: {_line(str(found.get('record') or 'no record'))}"
            )
    return lines


def sender_auth_sighting(
    result: CheckResult, domain: Finding | None = None, domain_error: str = ""
) -> Sighting:
    """A `fail` finding of sender_auth, or the From domain unverified at the provider (`domain`, the
    provider check's `sender_domain_unverified`); a resolver or a provider that cannot answer is no
    verdict either way (`domain_error`: why the provider could not be asked)."""
    failing = [f for f in result.findings if f.severity is Severity.FAIL] + ([domain] if domain else [])
    if failing:
        evidence = [f"{f.code}: {_line(f.summary)}" for f in failing] + _records(result)
        return Sighting(SENDER_AUTH_BROKEN, True, detail=_line(failing[0].summary), evidence=tuple(evidence))
    errors = [result.summary] if result.status is Status.ERROR else []
    errors += [domain_error] if domain_error else []
    if errors:
        return Sighting(SENDER_AUTH_BROKEN, None, error="; ".join(errors))
    return Sighting(SENDER_AUTH_BROKEN, False)


def blocklists_sighting(result: CheckResult) -> Sighting:
    listed = [f for f in result.findings if f.code in BLOCKLIST_CODES]
    if listed:
        evidence = tuple(f"{f.code}: {_line(f.summary)}" for f in listed)
        return Sighting(BLOCKLISTED, True, detail=_line(listed[0].summary), evidence=evidence)
    if result.status is Status.ERROR:
        return Sighting(BLOCKLISTED, None, error=result.summary)
    return Sighting(BLOCKLISTED, False)


def mailbox_provider_sighting(section: AccountTraffic | None, *, unavailable: str = "") -> Sighting:
    """One mailbox provider refusing or deferring our mail in the last hour (SPEC §15): seen from the
    `fail` line, holding an open alert from the `warn` line (it resolves below it); `section` is the
    provider's `traffic` tally per mailbox provider, None when there is no provider API to ask
    (`unavailable` says why). A provider that cannot be asked is an error, never an opening."""
    kind = MAILBOX_PROVIDER_REJECTING
    if section is None or section.get("outcome") != "counted":
        notes = list((section.get("notes") if section else None) or [])
        return Sighting(kind, None, error=_line(notes[0] if notes else unavailable or "not counted"))
    levels = [(group, refusal_severity(group["messages"], group["failed"])) for group in section["groups"]]
    failing = [group for group, level in levels if level is Severity.FAIL]
    warning = [group for group, level in levels if level is Severity.WARN]
    shown = failing or warning
    if not shown:
        return Sighting(kind, False)
    at_least = "at least " if section.get("capped") else ""
    hours = section.get("window_hours", 1)
    detail = "; ".join(
        f"{g['name']} refused or deferred {at_least}{g['failed']} of {g['messages']} messages in the last "
        f"{hours} h ({g['percent']} %)"
        for g in shown
    )
    evidence = [line for group in shown for line in _dominant_evidence(group)]
    return Sighting(
        kind,
        bool(failing),
        affected=sum(group["failed"] for group in shown),
        detail=_line(detail + "."),
        evidence=tuple(evidence),
        holds=not failing,
    )


def _dominant_evidence(group: GroupTally) -> tuple[str, ...]:
    dominant = group.get("dominant_reply")
    if not dominant:
        return ()
    said = f"most common reply from {group['name']} ({dominant['messages']}×): {_line(dominant['reply'])}"
    return (_line(said), *_meaning(dominant))
