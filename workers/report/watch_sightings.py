"""What a watch round saw, turned into one `Sighting` per alert kind (SPEC §11). Pure functions.

The courier's part comes as `CourierSample` (counts and the classified dispatch error, never an
address); the relay, sender_auth and blocklists parts are the report's own check results, read the
way the report reads them (rule 5's classes, the same findings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from workers.report.alerts import (
    BLOCKLISTED,
    COURIER_ABANDONED,
    COURIER_STUCK,
    SENDER_AUTH_BROKEN,
    SMTP_FAILING,
    Sighting,
)
from workers.report.model import CheckResult, Severity, Status, Verdict
from workers.report.wording import SMTP_PHASE_TEXT, verdict_headline

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
    classification: str | None = None  # rule 5's class of the newest failed dispatch, if any
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


def _dispatch_evidence(part: CourierPart) -> tuple[str, ...]:
    if not part.last_error:
        return ()
    said = verdict_headline(part.classification or Verdict.COURIER_FAILING)
    return (f"last dispatch error ({said}): {_line(part.last_error)}",)


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
    details = result.details
    verdict = details.get("classification")
    evidence = []
    if verdict:
        evidence.append(f"classified as: {verdict_headline(verdict)}")
    if details.get("failed_phase"):
        evidence.append(f"failed at: {SMTP_PHASE_TEXT.get(details['failed_phase'], details['failed_phase'])}")
    for key, label in (("reply", "SMTP reply"), ("error", "error")):
        if details.get(key):
            evidence.append(f"{label}: {_line(str(details[key]))}")
    return Sighting(SMTP_FAILING, True, detail=_line(result.summary), evidence=tuple(evidence))


def _records(result: CheckResult) -> list[str]:
    lines = []
    for part in ("spf", "dmarc"):
        found = result.details.get(part)
        if isinstance(found, dict) and found.get("domain"):
            lines.append(
                f"{part.upper()} {found['domain']}: {_line(str(found.get('record') or 'no record'))}"
            )
    return lines


def sender_auth_sighting(result: CheckResult) -> Sighting:
    """A `fail` finding of sender_auth; a resolver that cannot answer is no verdict either way."""
    failing = [f for f in result.findings if f.severity is Severity.FAIL]
    if failing:
        evidence = [f"{f.code}: {_line(f.summary)}" for f in failing] + _records(result)
        return Sighting(SENDER_AUTH_BROKEN, True, detail=_line(failing[0].summary), evidence=tuple(evidence))
    if result.status is Status.ERROR:
        return Sighting(SENDER_AUTH_BROKEN, None, error=result.summary)
    return Sighting(SENDER_AUTH_BROKEN, False)


def blocklists_sighting(result: CheckResult) -> Sighting:
    listed = [f for f in result.findings if f.code in BLOCKLIST_CODES]
    if listed:
        evidence = tuple(f"{f.code}: {_line(f.summary)}" for f in listed)
        return Sighting(BLOCKLISTED, True, detail=_line(listed[0].summary), evidence=evidence)
    if result.status is Status.ERROR:
        return Sighting(BLOCKLISTED, None, error=result.summary)
    return Sighting(BLOCKLISTED, False)
