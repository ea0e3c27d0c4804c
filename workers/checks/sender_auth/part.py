"""What each part of the `sender_auth` check (SPF, DKIM, DMARC) hands back to the check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from workers.report.model import Finding

# The part's details: `SpfDetails`, `DkimDetails` or `DmarcDetails` (workers/report/details_dns.py).
Details = TypeVar("Details", bound=Mapping[str, object])


@dataclass
class AuthPart(Generic[Details]):
    summary: str
    details: Details
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the resolver failed on a lookup that decides this part
