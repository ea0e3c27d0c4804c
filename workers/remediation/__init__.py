"""The remediation buttons of SPEC §7: one module per action, plus the exactly-once guard, the
follow-up that watches what an action set in motion, and the scrubbing of anything we did not write.
"""

from __future__ import annotations

from workers.settings import Settings
from workers.slack_ids import Action

# Buttons that change something; everything else (rerun) only reads.
CHANGING_ACTIONS = frozenset(
    {Action.FLUSH, Action.RESEND_VERIFICATION, Action.RESEND_RECOVERY, Action.UNSUPPRESS}
)
RESEND_FLOWS = {Action.RESEND_VERIFICATION: "verification", Action.RESEND_RECOVERY: "recovery"}


def operators_configured(settings: Settings) -> bool:
    """Whether anybody at all may press a changing button (SPEC §7: fail closed when nobody is named)."""
    return bool(settings.mailcheck_operators or settings.mailcheck_operator_group)
