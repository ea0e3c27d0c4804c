"""What each part of the `sender_auth` check (SPF, DKIM, DMARC) hands back to the check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workers.report.model import Finding


@dataclass
class AuthPart:
    summary: str
    details: dict[str, Any]
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the resolver failed on a lookup that decides this part
