"""What the `smtp` check says (SPEC §5): one sentence a support engineer can act on, with the relay's
own words as evidence, naming the setting to fix when the failure is a configuration mistake.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.checks.smtp.phases import ProbeFailure
from workers.core.smtp_uri import SmtpRelay
from workers.report.details import ProbeDetails, SmtpDetails
from workers.report.model import CheckResult, Finding, Severity, Status, Verdict
from workers.report.relay_replies import relay_reply_details
from workers.report.smtp_classify import refuses_sender, relay_denied
from workers.report.wording import SMTP_PHASE_TEXT as PHASE_TEXT
from workers.report.wording import reply_cause

FINDING_CODE = "smtp_probe_failed"
URI_SETTING = "COURIER_SMTP_CONNECTION_URI"
FROM_SETTING = "COURIER_SMTP_FROM_ADDRESS"
IMPLICIT_TLS_PORT = 465


@dataclass(frozen=True)
class Probed:
    """What the sentence is about: the relay, the envelope, and what the probe found out."""

    relay: SmtpRelay
    failure: ProbeFailure
    sender: str
    recipient: str
    classification: str | None  # a `Verdict` of SMTP_CLASSES (`SmtpDetails.classification`)
    answers_tls: bool | None

    @property
    def where(self) -> str:
        host = f"[{self.relay.host}]" if ":" in self.relay.host else self.relay.host
        return f"the relay {host}:{self.relay.port}"

    @property
    def evidence(self) -> str:
        return self.failure.reply or self.failure.error or "no reply"

    @property
    def step(self) -> str:
        return PHASE_TEXT.get(self.failure.phase, self.failure.phase)

    @property
    def cause(self) -> str:
        """What the reply blames (SPEC §15), as " (the address does not exist (the user's side))"; ""
        when there is no reply or the rules cannot place it."""
        cause = reply_cause(relay_reply_details(self.failure.reply))
        return f" ({cause})" if cause else ""


def success(relay: SmtpRelay, mode: str, elapsed_ms: int) -> str:
    host = f"[{relay.host}]" if ":" in relay.host else relay.host
    return f"The relay {host}:{relay.port} ({mode}) accepted MAIL FROM and RCPT TO in {elapsed_ms} ms."


def explain(probed: Probed) -> tuple[str, str | None]:
    """The sentence for a failed probe, and the setting it names (None: nothing of ours to change)."""
    mistake = _config_mistake(probed)
    if mistake is not None:
        return mistake
    where, evidence, phase = probed.where, probed.evidence, probed.failure.phase
    if probed.failure.temporary:
        return (
            f"{_cap(where)} deferred {probed.step} with a temporary reply ({evidence}); Kratos retries.",
            None,
        )
    if phase == "rcpt_to":
        return f"{_cap(where)} refused the recipient at RCPT TO{probed.cause}: {evidence}.", None
    if phase in ("tls", "starttls"):
        return f"The TLS handshake with {where} failed: {evidence}.", None
    if phase == "resolve":
        return (
            f"The name of {where} does not resolve ({evidence}); check the host in {URI_SETTING}.",
            URI_SETTING,
        )
    if phase == "connect":
        return f"Could not connect to {where}: {evidence}.", None
    if phase == "banner":
        return f"{_cap(where)} accepted the connection but sent no greeting: {evidence}.", None
    return f"{_cap(where)} failed at {probed.step}{probed.cause}: {evidence}.", None


def _config_mistake(probed: Probed) -> tuple[str, str | None] | None:
    for rule in (_smtp_on_tls_port, _no_credentials, _sender_refused, _tls_rule, _credentials_refused):
        found = rule(probed)
        if found is not None:
            return found
    return None


def _smtp_on_tls_port(probed: Probed) -> tuple[str, str | None] | None:
    if not _implicit_tls_port(probed):
        return None
    why = (
        "answers a TLS handshake"
        if probed.answers_tls
        else f"port {IMPLICIT_TLS_PORT} is the implicit-TLS port"
    )
    return (
        f"{_cap(probed.where)} sent no SMTP greeting ({probed.evidence}) but {why}: it expects TLS from the "
        f"first byte, so {URI_SETTING} should start with smtps:// instead of smtp://.",
        URI_SETTING,
    )


def _no_credentials(probed: Probed) -> tuple[str, str | None] | None:
    envelope = probed.failure.phase in ("mail_from", "rcpt_to")
    if not envelope or probed.relay.username is not None or not _wants_login(probed):
        return None
    return (
        f"{_cap(probed.where)} refused at {probed.step} ({probed.evidence}): {URI_SETTING} carries no "
        "username or password, and this relay wants Kratos to authenticate before it relays mail. "
        "Add the relay's credentials to the URI.",
        URI_SETTING,
    )


def _sender_refused(probed: Probed) -> tuple[str, str | None] | None:
    phase, evidence = probed.failure.phase, probed.evidence
    about_sender = phase == "mail_from" or (
        phase == "rcpt_to" and refuses_sender(evidence, sender=probed.sender, recipient=probed.recipient)
    )
    if not about_sender:
        return None
    verb = "deferred" if probed.failure.temporary else "refused"
    return (
        f"{_cap(probed.where)} {verb} the sender {probed.sender} ({FROM_SETTING}) at {probed.step}: {evidence}.",
        FROM_SETTING,
    )


def _credentials_refused(probed: Probed) -> tuple[str, str | None] | None:
    if (
        probed.failure.phase != "auth"
        or probed.classification != Verdict.SMTP_AUTH_FAILED
        or probed.failure.temporary
    ):
        return None
    return (
        f"{_cap(probed.where)} refused the username and password in {URI_SETTING}: {probed.evidence}.",
        URI_SETTING,
    )


def _tls_rule(probed: Probed) -> tuple[str, str | None] | None:
    """Kratos's own TLS rules stopped the session: the URI asks for something the relay cannot give."""
    if not probed.failure.by_rule:
        return None
    where, evidence = probed.where, probed.evidence
    if probed.failure.phase == "starttls":
        return (
            f"{_cap(where)} does not offer STARTTLS, which Kratos requires for smtp:// URIs: use smtps:// in "
            f"{URI_SETTING} if the relay has an implicit-TLS port, or add ?disable_starttls=true only if it "
            "has no TLS at all.",
            URI_SETTING,
        )
    return (
        f"{_cap(where)} offers no TLS before AUTH and Kratos will not send the password in clear ({evidence}): "
        f"point {URI_SETTING} at a port with STARTTLS, or use smtps://.",
        URI_SETTING,
    )


def _implicit_tls_port(probed: Probed) -> bool:
    silent = probed.failure.phase == "banner" and probed.failure.timed_out
    if not silent or probed.relay.implicit_tls:
        return False
    return bool(probed.answers_tls) or (probed.answers_tls is None and probed.relay.port == IMPLICIT_TLS_PORT)


def _wants_login(probed: Probed) -> bool:
    return relay_denied(probed.evidence) or probed.classification == Verdict.SMTP_AUTH_FAILED


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def failed(summary: str, details: SmtpDetails, *, temporary: bool) -> CheckResult:
    severity = Severity.WARN if temporary else Severity.FAIL
    status = Status.WARN if temporary else Status.FAIL
    return CheckResult(status, summary, dict(details), (Finding(FINDING_CODE, severity, summary),))


def no_port(relay: SmtpRelay, failure: ProbeFailure | None, probe: ProbeDetails) -> CheckResult:
    """Kratos reads a missing port as 0 and every dial fails, whatever the relay would say on the usual port."""
    seen = (
        "answered normally"
        if failure is None
        else f"failed at {PHASE_TEXT.get(failure.phase, failure.phase)}"
    )
    summary = (
        f"{URI_SETTING} has no port, so Kratos dials {relay.host}:0 and cannot connect; "
        f"add :{relay.port} (the probe used it and the relay {seen})."
    )
    details: SmtpDetails = {
        **probe,
        "classification": Verdict.SMTP_UNREACHABLE,
        "failed_phase": failure.phase if failure else "config",
        "setting": URI_SETTING,
    }
    return failed(summary, details, temporary=False)
