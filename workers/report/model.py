"""The report model: what every check returns and what a finished report holds.

Plain dataclasses that round-trip through JSON (Redis, RQ, `mailcheck check --json`). Nothing here
knows about Slack, Redis or any protocol.
"""

from __future__ import annotations

import enum
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

CHECK_NAMES: tuple[str, ...] = (
    "identity",
    "courier",
    "smtp",
    "sender_auth",
    "blocklists",
    "recipient",
    "provider",
)


class Status(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIPPED = "skipped"
    RUNNING = "running"


class Severity(enum.StrEnum):
    INFO = "info"
    WARN = "warn"
    FAIL = "fail"


class Verdict(enum.StrEnum):
    """SPEC §6.1's verdicts, in the order of its rules (the five SMTP classes share rule 6)."""

    DISPOSABLE_DOMAIN = "disposable_domain"
    RECIPIENT_INVALID = "recipient_invalid"
    ADDRESS_MISMATCH = "address_mismatch"
    NO_IDENTITY = "no_identity"
    COURIER_STUCK = "courier_stuck"
    SMTP_AUTH_FAILED = "smtp_auth_failed"
    SMTP_UNREACHABLE = "smtp_unreachable"
    SMTP_TLS_FAILED = "smtp_tls_failed"
    SMTP_REJECTED = "smtp_rejected"
    COURIER_FAILING = "courier_failing"
    PROVIDER_SUPPRESSED = "provider_suppressed"
    COURIER_PENDING = "courier_pending"
    PROVIDER_BOUNCED = "provider_bounced"
    PROVIDER_DEFERRED = "provider_deferred"
    ALREADY_VERIFIED = "already_verified"
    NO_MESSAGE = "no_message"
    DELIVERED = "delivered"
    SENT = "sent"
    UNKNOWN = "unknown"  # no rule could match: the checks that decide could not run


class State(enum.StrEnum):
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    summary: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(code=data["code"], severity=Severity(data["severity"]), summary=data["summary"])


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome. `details` holds JSON-able evidence; keys are documented per check."""

    status: Status
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def usable(self) -> bool:
        """Whether this check's evidence may decide a verdict (SPEC §6.1: not error/skipped)."""
        return self.status in (Status.OK, Status.WARN, Status.FAIL)

    @classmethod
    def skipped(cls, summary: str, **details: Any) -> CheckResult:
        return cls(Status.SKIPPED, summary, dict(details))

    @classmethod
    def error(cls, summary: str, **details: Any) -> CheckResult:
        return cls(Status.ERROR, summary, dict(details))

    @classmethod
    def running(cls) -> CheckResult:
        return cls(Status.RUNNING, "running…")

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.value, "summary": self.summary, "details": self.details}

    @classmethod
    def from_dict(cls, data: dict[str, Any], findings: tuple[Finding, ...] = ()) -> CheckResult:
        return cls(Status(data["status"]), data["summary"], dict(data.get("details") or {}), findings)


def new_report_id() -> str:
    """Opaque and safe as an RQ job id and a Slack button value ([A-Za-z0-9_-])."""
    return secrets.token_hex(10)


@dataclass
class Report:
    report_id: str
    email: str
    state: State = State.RUNNING
    verdict: Verdict | Literal[""] = ""  # empty until the report is complete
    spam_risk: str = ""
    checks: dict[str, CheckResult] = field(
        default_factory=lambda: {name: CheckResult.running() for name in CHECK_NAMES}
    )
    tell_user: str = ""
    actions: list[str] = field(default_factory=list)
    elapsed_ms: int = 0
    failure_reason: str = ""

    @property
    def findings(self) -> list[Finding]:
        return [finding for name in CHECK_NAMES for finding in self.checks[name].findings]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "report_id": self.report_id,
            "email": self.email,
            "state": self.state.value,
            "verdict": self.verdict,
            "spam_risk": self.spam_risk,
            "checks": {name: self.checks[name].to_dict() for name in CHECK_NAMES},
            "findings": [
                {**asdict(f), "severity": f.severity.value, "check": name}
                for name in CHECK_NAMES
                for f in self.checks[name].findings
            ],
            "tell_user": self.tell_user,
            "actions": list(self.actions),
            "elapsed_ms": self.elapsed_ms,
        }
        if self.failure_reason:
            data["failure_reason"] = self.failure_reason
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        by_check: dict[str, list[Finding]] = {name: [] for name in CHECK_NAMES}
        for raw in data.get("findings", []):
            by_check.setdefault(raw.get("check", "identity"), []).append(Finding.from_dict(raw))
        return cls(
            report_id=data["report_id"],
            email=data["email"],
            state=State(data["state"]),
            verdict=Verdict(data["verdict"]) if data.get("verdict") else "",
            spam_risk=data.get("spam_risk", ""),
            checks={
                name: CheckResult.from_dict(data["checks"][name], tuple(by_check[name]))
                for name in CHECK_NAMES
            },
            tell_user=data.get("tell_user", ""),
            actions=list(data.get("actions", [])),
            elapsed_ms=int(data.get("elapsed_ms", 0)),
            failure_reason=data.get("failure_reason", ""),
        )

    @property
    def instance(self) -> str:
        """The Kratos instance that decided the report (SPEC §12); "" when none did."""
        return str(self.checks["identity"].details.get("instance") or "")

    def metadata_payload(self) -> dict[str, Any]:
        """The flat `mailcheck_report` event_payload of SPEC §4.2 (one level of nesting)."""
        return {
            "report_id": self.report_id,
            "email": self.email,
            "state": self.state.value,
            "verdict": self.verdict,
            "spam_risk": self.spam_risk,
            "checks": {name: self.checks[name].status.value for name in CHECK_NAMES},
            "findings": [{"code": f.code, "severity": f.severity.value} for f in self.findings],
            "actions": ",".join(self.actions),
            "elapsed_ms": self.elapsed_ms,
        }
