"""The remediation buttons of SPEC §7: one module per action, plus the exactly-once guard, the
follow-up that watches what an action set in motion, and the scrubbing of anything we did not write.
"""

from __future__ import annotations

from workers.core.settings import KratosInstance, Settings
from workers.report.actions import Action
from workers.report.model import Report

# Buttons that change something; everything else (rerun) only reads.
CHANGING_ACTIONS = frozenset(
    {Action.FLUSH, Action.RESEND_VERIFICATION, Action.RESEND_RECOVERY, Action.UNSUPPRESS}
)
CODE_FLOWS = {Action.RESEND_VERIFICATION: "verification", Action.RESEND_RECOVERY: "recovery"}


def kratos_for(settings: Settings, report: Report) -> KratosInstance | None:
    """The Kratos instance a report was decided on, which its buttons act on (SPEC §12; the first
    instance when none decided), or None when KRATOS_INSTANCES no longer names it."""
    return settings.instance(report.instance) if report.instance else settings.instances[0]
