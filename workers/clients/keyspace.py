"""Every Redis key mailcheck writes, named once, with how long it lives (issue 20).

Modules import their keys from here; tests/workers/clients/test_keyspace.py fails on any
`mailcheck:` key spelled anywhere else. `<…>` is what varies; an address never does: recipients go
into keys as a digest (workers/core/keys.py), the history as a keyed hash.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY_S = 24 * 3600

# ---- reports and their lifecycle (workers/jobs/lifecycle.py, clients/store.py) ----------------------
REPORT_PREFIX = "mailcheck:report:"  # <report_id>: a report and where it is in Slack
REPORT_TTL_S = 7 * DAY_S  # SPEC §1: buttons and re-runs find a report for 7 days
RUNNING_KEY = "mailcheck:running"  # sorted set: reports whose parent may say `running`, by when to look
LAST_ACTION_PREFIX = "mailcheck:last_action:"  # <report or alert id>: the last press, for its message

# ---- buttons (workers/remediation/guard.py, bot/authz.py) --------------------------------------------
GUARD_CLAIM_PREFIX = "mailcheck:guard:claim:"  # <subject_id>:<action>: one press at a time (held as long)
GUARD_SENDS_PREFIX = "mailcheck:guard:sends:"  # <recipient digest>: code sends of the last hour
GUARD_OUTCOME_PREFIX = "mailcheck:guard:outcome:"  # <claim token>: the press got its outcome reply
GUARD_OUTCOME_TTL_S = 7 * DAY_S
OPERATOR_GROUP_PREFIX = "mailcheck:operator_group:"  # <user group id>: its members
OPERATOR_GROUP_TTL_S = 300  # SPEC §3: membership cached at most 5 minutes

# ---- history (workers/clients/history.py) -------------------------------------------------------------
HISTORY_HMAC_KEY = "mailcheck:history:key"  # the random HMAC key of the address index (no expiry)
HISTORY_ADDRESS_PREFIX = "mailcheck:history:address:"  # <keyed hash>: one address's entries, HISTORY_DAYS
HISTORY_ASKER_PREFIX = "mailcheck:history:asker:"  # <user id>: one asker's checks (App Home), HISTORY_DAYS

# ---- caches of what others answered --------------------------------------------------------------------
PROVIDER_CACHE_PREFIX = "mailcheck:provider:cache:"  # <provider>:<recipient digest>, domain:…, traffic:…
PROVIDER_CACHE_TTL_S = 60
RESEND_EVENTS_PREFIX = "mailcheck:resend:events:"  # <recipient digest>: Resend webhook events
RESEND_EVENTS_TTL_S = 8 * DAY_S  # a little longer than LOOKBACK_DAYS' default
VERIFICATION_ENABLED_PREFIX = "mailcheck:verification_enabled:"  # <public URL>: flows on or off
VERIFICATION_ENABLED_TTL_S = 300
PERMALINK_PREFIX = "mailcheck:permalink:"  # <channel>:<ts>: a message's permalink (it never changes)
PERMALINK_TTL_S = 30 * DAY_S

# ---- the courier watch (workers/clients/alert_store.py) ------------------------------------------------
ALERT_PREFIX = "mailcheck:alert:"  # <alert_id>: one alert, REPORT_TTL_S (its buttons work once resolved)
WATCH_OPEN_INDEX_KEY = "mailcheck:watch:alerts"  # hash instance|kind -> open alert id
WATCH_PENDING_KEY = "mailcheck:watch:pending"  # set: alerts Slack does not show as they are yet
WATCH_OPEN_COUNTS_KEY = "mailcheck:watch:open"  # hash kind -> open alerts (/metrics)
WATCH_LOCK_KEY = "mailcheck:watch:lock"  # the one round running (TTL: the round's job timeout)
WATCH_SLOT_PREFIX = "mailcheck:watch:slot:"  # <n>: slot n's round is scheduled (TTL: 3 intervals)
WATCH_ABANDONED_PREFIX = "mailcheck:watch:abandoned:"  # <instance>: abandoned messages counted
WATCH_LAST_ROUND_PREFIX = "mailcheck:watch:last_round:"  # <instance>: when a round last read it
WATCH_MEMORY_S = 3 * 3600  # the two above: longer than the round's own memory of changed messages
WATCH_POST_PROBLEM_KEY = "mailcheck:watch:post_problem"  # why WATCH_CHANNEL refused the last post

# ---- the App Home (workers/clients/home_store.py) ------------------------------------------------------
HOME_COURIER_KEY = "mailcheck:home:courier"  # each instance's courier status, with when
HOME_COURIER_TTL_S = 3600  # an older status is not shown at all
HOME_LISTING_KEY = "mailcheck:home:courier:listing"  # held a minute by whoever lists the courier
HOME_ASKED_KEY = "mailcheck:home:courier:asked"  # held a minute by the bot that queued the refresh
HOME_REFRESH_S = 60  # the two above: one Kratos listing per instance a minute (SPEC §17)
HOME_WAITING_KEY = "mailcheck:home:waiting"  # set: viewers to publish again once refreshed
HOME_WAITING_TTL_S = 120

# ---- what workers did, for the bot's /metrics (workers/clients/metrics_store.py; no expiry) -----------
METRICS_REPORTS_KEY = "mailcheck:metrics:reports"  # hash verdict -> count
METRICS_CHECKS_KEY = "mailcheck:metrics:checks"  # hash check|status -> count
METRICS_ACTIONS_KEY = "mailcheck:metrics:actions"  # hash action|outcome -> count
METRICS_REPORT_SECONDS_KEY = "mailcheck:metrics:report_seconds"  # hash bucket -> count, sum


@dataclass(frozen=True)
class Family:
    """One key or family of keys, as the README's table shows it."""

    key: str
    lives: str


KEYSPACE: tuple[Family, ...] = (
    Family(REPORT_PREFIX + "<report_id>", "7 days"),
    Family(RUNNING_KEY, "until the report leaves it"),
    Family(LAST_ACTION_PREFIX + "<id>", "7 days"),
    Family(GUARD_CLAIM_PREFIX + "<id>:<action>", "while the press runs, then 60 s"),
    Family(GUARD_SENDS_PREFIX + "<digest>", "1 hour"),
    Family(GUARD_OUTCOME_PREFIX + "<token>", "7 days"),
    Family(OPERATOR_GROUP_PREFIX + "<group>", "5 minutes"),
    Family(HISTORY_HMAC_KEY, "for good"),
    Family(HISTORY_ADDRESS_PREFIX + "<keyed hash>", "HISTORY_DAYS"),
    Family(HISTORY_ASKER_PREFIX + "<user>", "HISTORY_DAYS"),
    Family(PROVIDER_CACHE_PREFIX + "…", "60 s"),
    Family(RESEND_EVENTS_PREFIX + "<digest>", "8 days"),
    Family(VERIFICATION_ENABLED_PREFIX + "<url>", "5 minutes"),
    Family(PERMALINK_PREFIX + "<channel>:<ts>", "30 days"),
    Family(ALERT_PREFIX + "<alert_id>", "7 days"),
    Family(WATCH_OPEN_INDEX_KEY, "for good"),
    Family(WATCH_PENDING_KEY, "for good"),
    Family(WATCH_OPEN_COUNTS_KEY, "for good"),
    Family(WATCH_LOCK_KEY, "the round's job timeout"),
    Family(WATCH_SLOT_PREFIX + "<n>", "3 intervals"),
    Family(WATCH_ABANDONED_PREFIX + "<instance>", "3 hours"),
    Family(WATCH_LAST_ROUND_PREFIX + "<instance>", "3 hours"),
    Family(WATCH_POST_PROBLEM_KEY, "3 hours"),
    Family(HOME_COURIER_KEY, "1 hour"),
    Family(HOME_LISTING_KEY, "60 s"),
    Family(HOME_ASKED_KEY, "60 s"),
    Family(HOME_WAITING_KEY, "2 minutes"),
    Family(METRICS_REPORTS_KEY, "for good"),
    Family(METRICS_CHECKS_KEY, "for good"),
    Family(METRICS_ACTIONS_KEY, "for good"),
    Family(METRICS_REPORT_SECONDS_KEY, "for good"),
)
