"""Every timeout of the work, in one place (seconds; SPEC §8: each dependency is bounded).

Report checks share REPORT_DEADLINE, so their per-request bounds are short; a button's work has no report
deadline over it and waits longer for the same services.
"""

from __future__ import annotations

KRATOS_CHECK_TIMEOUT_S = 5.0  # per Kratos request inside a report
SMTP_PROBE_TIMEOUT_S = 15.0  # the whole relay probe (its phases have shorter ones)
KRATOS_ACTION_TIMEOUT_S = 10.0  # per Kratos request of a button (flows, follow-ups)
PROVIDER_FOLLOW_UP_TIMEOUT_S = 10.0  # a follow-up's look at the provider
PROVIDER_REMOVAL_TIMEOUT_S = 15.0  # the provider's suppression-removal call
FLUSH_TIMEOUT_S = 60.0  # COURIER_FLUSH_COMMAND
SLACK_HTTP_TIMEOUT_S = 10  # one Slack Web API call (slack_sdk takes whole seconds)
