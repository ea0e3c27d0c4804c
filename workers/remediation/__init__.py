"""The remediation buttons of SPEC §7: one module per action, plus the exactly-once guard, the
follow-up that watches what an action set in motion, and the scrubbing of anything we did not write.
"""

from __future__ import annotations

from workers.report.actions import Action

# Buttons that change something; everything else (rerun) only reads.
CHANGING_ACTIONS = frozenset(
    {Action.FLUSH, Action.RESEND_VERIFICATION, Action.RESEND_RECOVERY, Action.UNSUPPRESS}
)
RESEND_FLOWS = {Action.RESEND_VERIFICATION: "verification", Action.RESEND_RECOVERY: "recovery"}
