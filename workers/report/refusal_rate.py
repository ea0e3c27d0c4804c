"""When one mailbox provider's share of refused or deferred mail is a problem (SPEC §15): `warn` from
10 % of at least 20 messages, `fail` from 30 %. One home for the lines that the provider check's finding
`mailbox_provider_rejecting` (24 hours) and the courier watch's alert of that kind (the last hour: opens
at `fail`, resolves below `warn`) both draw.
"""

from __future__ import annotations

from workers.report.model import Severity

MIN_MESSAGES = 20
WARN_PERCENT = 10
FAIL_PERCENT = 30


def refusal_severity(messages: int, failed: int) -> Severity | None:
    """`fail`, `warn`, or None (below the lines, or too few messages to tell)."""
    if messages < MIN_MESSAGES or failed * 100 < WARN_PERCENT * messages:
        return None
    return Severity.FAIL if failed * 100 >= FAIL_PERCENT * messages else Severity.WARN
