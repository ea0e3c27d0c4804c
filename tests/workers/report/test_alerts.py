"""The courier watch's alert state machine and how round data becomes sightings (SPEC §11)."""

from __future__ import annotations

from workers.report.actions import Subject, SubjectKind
from workers.report.alerts import (
    ALERT_KINDS,
    BLOCKLISTED,
    COURIER_ABANDONED,
    COURIER_STUCK,
    OPEN,
    RESOLVED,
    SENDER_AUTH_BROKEN,
    SMTP_FAILING,
    Alert,
    Change,
    Sighting,
    advance,
    new_alert_id,
)
from workers.report.model import CheckResult, Finding, Severity, Status
from workers.report.watch_sightings import (
    CourierPart,
    CourierSample,
    blocklists_sighting,
    courier_sightings,
    no_addresses,
    sender_auth_sighting,
    smtp_sighting,
)

SEEN = Sighting(SMTP_FAILING, True, detail="The relay refuses our credentials.", evidence=("535 no",))
CLEAN = Sighting(SMTP_FAILING, False)
BLIND = Sighting(SMTP_FAILING, None, error="Kratos admin API unreachable")


def run(
    sightings: list[Sighting], *, start: float = 1000.0, step: float = 60.0
) -> list[tuple[Alert | None, Change]]:
    alert: Alert | None = None
    steps = []
    for index, sighting in enumerate(sightings):
        alert, change = advance(alert, sighting, instance="ciam", now=start + index * step)
        steps.append((alert, change))
        if alert is not None and alert.state == RESOLVED:
            alert = None
    return steps


def test_nothing_happens_while_healthy_or_blind() -> None:
    assert [change for _, change in run([CLEAN, BLIND, CLEAN])] == [Change.NONE] * 3


def test_opens_updates_in_place_and_resolves_after_two_clean_rounds() -> None:
    steps = run([SEEN, SEEN, CLEAN, CLEAN])
    assert [change for _, change in steps] == [Change.OPENED, Change.UPDATED, Change.UPDATED, Change.RESOLVED]
    opened, resolved = steps[0][0], steps[3][0]
    assert opened is not None and resolved is not None
    assert opened.state == OPEN and opened.count == 1 and opened.instance == "ciam"
    assert resolved.alert_id == opened.alert_id
    assert resolved.count == 2 and resolved.first_seen == 1000.0 and resolved.last_seen == 1060.0
    assert resolved.state == RESOLVED and resolved.evidence == ["535 no"]


def test_one_clean_round_between_sightings_does_not_resolve() -> None:
    changes = [change for _, change in run([SEEN, CLEAN, SEEN, CLEAN])]
    assert Change.RESOLVED not in changes
    assert changes.count(Change.OPENED) == 1


def test_an_outage_is_one_error_line_never_a_resolve() -> None:
    steps = run([SEEN, CLEAN, BLIND, BLIND, CLEAN, BLIND, CLEAN, CLEAN])
    changes = [change for _, change in steps]
    assert changes == [
        Change.OPENED,
        Change.UPDATED,
        Change.ERROR,
        Change.NONE,  # the same outage again: no second line
        Change.RECOVERED,
        Change.ERROR,
        Change.RECOVERED,
        Change.RESOLVED,
    ]
    errored = steps[2][0]
    assert errored is not None and errored.error == "Kratos admin API unreachable" and errored.state == OPEN


def test_abandoned_counts_messages_and_resolves_after_a_quiet_hour() -> None:
    new = Sighting(COURIER_ABANDONED, True, count=3, affected=2)
    quiet = Sighting(COURIER_ABANDONED, False)
    steps = run([new, quiet, quiet, new, *([quiet] * 61)], step=60.0)
    changes = [change for _, change in steps]
    assert changes.count(Change.OPENED) == 1 and changes.count(Change.RESOLVED) == 1
    resolved_at = changes.index(Change.RESOLVED)
    alert = steps[resolved_at][0]
    assert alert is not None and alert.count == 6 and alert.affected == 4
    assert alert.resolved_at - alert.last_seen >= 3600


def test_payload_is_flat_strings_and_integers() -> None:
    alert, _ = advance(None, SEEN, instance="ciam", now=0.0, alert_id="alert-1")
    assert alert is not None
    payload = alert.payload()
    assert payload == {
        "alert_id": "alert-1",
        "instance": "ciam",
        "kind": SMTP_FAILING,
        "state": "open",
        "count": 1,
        "first_seen": "1970-01-01T00:00:00Z",
        "last_seen": "1970-01-01T00:00:00Z",
        "detail": "The relay refuses our credentials.",
    }
    assert all(isinstance(value, (str, int)) for value in payload.values())
    assert Alert.from_dict(alert.to_dict()) == alert


def test_alert_ids_are_told_from_report_ids() -> None:
    assert Subject.of(new_alert_id()).kind is SubjectKind.ALERT
    assert Subject.of("0123456789abcdef0123").kind is SubjectKind.REPORT
    assert len(ALERT_KINDS) == 6 and ALERT_KINDS[-1] == "mailbox_provider_rejecting"


def test_courier_sightings_count_and_never_name_recipients() -> None:
    stuck = CourierPart(
        messages=3,
        recipients=2,
        oldest_age_s=900,
        classification="smtp_auth_failed",
        last_error="535 5.7.8 authentication failed for ann@example.com",
    )
    sightings = courier_sightings(CourierSample(stuck=stuck), stuck_after=120)
    by_kind = {s.kind: s for s in sightings}
    assert by_kind[COURIER_STUCK].seen is True and by_kind[COURIER_STUCK].affected == 2
    assert by_kind[COURIER_ABANDONED].seen is False
    text = str(by_kind[COURIER_STUCK])
    assert "ann@example.com" not in text and "[address]" in text
    assert "refuses our credentials" in by_kind[COURIER_STUCK].evidence[0]


def test_kratos_down_is_no_verdict_for_the_courier_kinds() -> None:
    sightings = courier_sightings(CourierSample(error="Kratos admin API timed out"), stuck_after=120)
    assert [(s.seen, s.error) for s in sightings] == [(None, "Kratos admin API timed out")] * 2


def test_smtp_sighting_reads_the_probe() -> None:
    failed = CheckResult(
        Status.FAIL,
        "The relay refused our credentials.",
        {
            "classification": "smtp_auth_failed",
            "failed_phase": "auth",
            "reply": "535 5.7.8 Authentication failed",
        },
    )
    sighting = smtp_sighting(failed)
    assert sighting.seen is True
    assert "SMTP reply: 535 5.7.8 Authentication failed" in sighting.evidence
    assert smtp_sighting(CheckResult(Status.OK, "fine")).seen is False
    assert smtp_sighting(CheckResult(Status.WARN, "421 try later")).seen is False
    assert smtp_sighting(CheckResult.error("our resolver is broken")).seen is None


def test_dns_sightings() -> None:
    dkim = Finding("dkim_missing", Severity.FAIL, "No DKIM key for resend._domainkey.example.org.")
    dmarc = Finding("dmarc_missing", Severity.WARN, "No DMARC record.")
    broken = CheckResult(
        Status.FAIL, "…", {"dmarc": {"domain": "example.org", "record": None}}, (dkim, dmarc)
    )
    sighting = sender_auth_sighting(broken)
    assert sighting.seen is True and sighting.kind == SENDER_AUTH_BROKEN
    assert "DMARC example.org: no record" in sighting.evidence
    assert sender_auth_sighting(CheckResult(Status.WARN, "…", {}, (dmarc,))).seen is False
    assert sender_auth_sighting(CheckResult.error("resolver broken")).seen is None
    listed = Finding("ip_blocklisted", Severity.FAIL, "192.0.2.1 is listed on zen.spamhaus.org.")
    assert blocklists_sighting(CheckResult(Status.FAIL, "…", {}, (listed,))).kind == BLOCKLISTED
    assert blocklists_sighting(CheckResult(Status.FAIL, "…", {}, (listed,))).seen is True
    assert blocklists_sighting(CheckResult(Status.OK, "…")).seen is False
    assert blocklists_sighting(CheckResult.error("resolver broken")).seen is None


def test_no_addresses() -> None:
    assert no_addresses("550 5.1.1 <bob@example.com>: unknown") == "550 5.1.1 <[address]>: unknown"
