"""What a receiving server's reply means and what to do about it (SPEC §15): the outcomes the rules name.

The vocabulary is SPEC §15's. Rules (`reply_rules.py`, `reply_rules_mailboxes.py`) point at these outcomes,
so one finding has one wording wherever it is recognised. Each meaning is one sentence for a support
engineer, with what to do; `deferred_meaning` is how the same finding reads on a 4xx reply, which the
sending server retries by itself. The sender's own outcomes live in `reply_meanings_sender.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    INVALID_RECIPIENT = "invalid_recipient"
    INACTIVE_MAILBOX = "inactive_mailbox"
    MAILBOX_FULL = "mailbox_full"
    BAD_DOMAIN = "bad_domain"
    REPUTATION = "reputation"
    AUTHENTICATION = "authentication"
    RATE_LIMITED = "rate_limited"
    CONTENT = "content"
    POLICY = "policy"  # the recipient's organisation filters us
    RELAY_DENIED = "relay_denied"
    SENDER_CONFIG = "sender_config"
    TRANSIENT = "transient"
    UNCLASSIFIED = "unclassified"


class Side(StrEnum):
    RECIPIENT = "recipient"  # the user: correct the address, free space
    RECIPIENT_ORG = "recipient_org"  # the user's IT admin
    SENDER = "sender"  # us / the operator
    TRANSIENT = "transient"  # nobody yet; the sending server retries
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    category: Category
    side: Side
    meaning: str
    deferred_meaning: str = ""  # the meaning on a 4xx reply, where it differs


C, S = Category, Side

# --- the recipient: the address or the mailbox ------------------------------------------------------------
NO_SUCH_MAILBOX = Outcome(
    C.INVALID_RECIPIENT,
    S.RECIPIENT,
    "The recipient's mail server says this mailbox does not exist; ask the user to check the address for "
    "typos or to give another one.",
    deferred_meaning="The recipient's mail server would not accept mail for this mailbox for now; the "
    "sending server retries, and if it keeps failing ask the user to check the address for typos.",
)
EXIM_UNROUTEABLE = Outcome(
    C.INVALID_RECIPIENT,
    S.RECIPIENT,
    "The recipient's mail server cannot route this address (Exim's 'Unrouteable address'); the address or "
    "its domain is probably mistyped, so ask the user to check it.",
)
BAD_ADDRESS_SYNTAX = Outcome(
    C.INVALID_RECIPIENT,
    S.RECIPIENT,
    "The receiving server does not accept the recipient address as a valid email address; ask the user to "
    "re-enter it.",
)
NON_ASCII_ADDRESS = Outcome(
    C.INVALID_RECIPIENT,
    S.RECIPIENT,
    "The address has non-ASCII characters that the receiving server does not accept; ask the user for a "
    "plain-ASCII address.",
)
BANNED_RECIPIENT = Outcome(
    C.INVALID_RECIPIENT,
    S.RECIPIENT,
    "Microsoft refuses all mail to this recipient address; ask the user for another address.",
)
NO_SUCH_DOMAIN = Outcome(
    C.BAD_DOMAIN,
    S.RECIPIENT,
    "The recipient's domain does not exist or cannot receive mail; ask the user to check the part after the "
    "@ for typos.",
    deferred_meaning="The recipient's domain could not be resolved for now; if it keeps failing, ask the "
    "user to check the part after the @ for typos.",
)
NULL_MX = Outcome(
    C.BAD_DOMAIN,
    S.RECIPIENT,
    "The recipient's domain publishes that it accepts no mail at all (null MX), so the user needs another "
    "address.",
)
MAILBOX_DISABLED = Outcome(
    C.INACTIVE_MAILBOX,
    S.RECIPIENT,
    "The recipient's mailbox exists but is disabled or closed; the user must reactivate it with their "
    "provider or use another address.",
    deferred_meaning="The recipient's mailbox is unavailable for now; the sending server retries, and if it "
    "keeps failing ask the user whether the address still works.",
)
MAILBOX_GONE = Outcome(
    C.INACTIVE_MAILBOX,
    S.RECIPIENT,
    "The mailbox no longer exists at this address (closed, or moved without forwarding); ask the user for "
    "their current address.",
)
ADDRESS_RECYCLED = Outcome(
    C.INACTIVE_MAILBOX,
    S.RECIPIENT,
    "The address has changed owner since the user gave it to us (RRVS); do not send to it, ask the user for "
    "a current address.",
)
GMAIL_FULL_AND_INACTIVE = Outcome(
    C.INACTIVE_MAILBOX,
    S.RECIPIENT,
    "The recipient's Gmail account is out of storage and inactive; the user must free space in their Google "
    "account or use another address.",
)
MAILBOX_FULL = Outcome(
    C.MAILBOX_FULL,
    S.RECIPIENT,
    "The recipient's mailbox is full and the message was returned; ask the user to free space (or use "
    "another address), then resend the email.",
    deferred_meaning="The recipient's mailbox is full; the sending server retries for a while, so ask the "
    "user to free space and the email should then arrive.",
)
RECIPIENT_FLOODED = Outcome(
    C.RATE_LIMITED,
    S.RECIPIENT,
    "The recipient is receiving mail faster than their provider allows; wait, avoid repeated resend clicks, "
    "and try again later.",
)
RECIPIENT_HOURLY_LIMIT = Outcome(
    C.RATE_LIMITED,
    S.TRANSIENT,
    "The recipient has hit Microsoft's hourly limit of received messages; stop repeated sends and try again "
    "in an hour.",
)

# --- the recipient's organisation ---------------------------------------------------------------------------
ORG_POLICY = Outcome(
    C.POLICY,
    S.RECIPIENT_ORG,
    "A rule of the recipient's organisation rejects this message; the user should ask their IT to allow "
    "mail from our sending domain.",
)
ORG_ALLOWLIST = Outcome(
    C.POLICY,
    S.RECIPIENT_ORG,
    "The recipient's domain only accepts mail from servers on its allowlist; the user's IT must allow our "
    "sending servers.",
)
ORG_INTERNAL_ONLY = Outcome(
    C.POLICY,
    S.RECIPIENT_ORG,
    "The recipient's mailbox or group only accepts mail from inside its organisation; the user's IT must "
    "allow external senders for it.",
)
ORG_BLOCKS_US = Outcome(
    C.POLICY,
    S.RECIPIENT_ORG,
    "The recipient's organisation blocks our sending IP on its own block list; the user's IT must remove it.",
)
ORG_REQUIRES_TLS = Outcome(
    C.POLICY,
    S.RECIPIENT_ORG,
    "The recipient's domain demands TLS and the sending server did not use it; the ESP or relay must "
    "deliver over STARTTLS to that domain.",
)
MAIL_LOOP = Outcome(
    C.TRANSIENT,
    S.RECIPIENT_ORG,
    "The message looped between mail servers, usually through a forwarding rule at the recipient; the "
    "user's IT should check the forwarding.",
)

# --- nobody yet: temporary ----------------------------------------------------------------------------------
DEFERRED = Outcome(
    C.TRANSIENT,
    S.TRANSIENT,
    "The receiving server deferred the message without a reason the rules know; the sending server retries, "
    "so check again later and escalate if it lasts more than a day.",
)
RECEIVER_SYSTEM_PROBLEM = Outcome(
    C.TRANSIENT,
    S.TRANSIENT,
    "The recipient's mail system reported a problem of its own; check again later, and if it persists the "
    "user's IT should look at their mail server.",
)
NETWORK_PROBLEM = Outcome(
    C.TRANSIENT,
    S.TRANSIENT,
    "Delivery hit a network or routing problem on the way to the recipient's server; it is retried, so "
    "check again later and escalate if it lasts more than a day.",
)
TEMPORARY = Outcome(
    C.TRANSIENT,
    S.TRANSIENT,
    "The receiving server had a temporary problem; the sending server retries by itself, so check again "
    "later and escalate if it lasts more than a day.",
)
GREYLISTED = Outcome(
    C.TRANSIENT,
    S.TRANSIENT,
    "The receiving server greylisted the message (a deliberate first refusal); the sending server retries "
    "and it normally arrives within an hour.",
)
EXPIRED = Outcome(
    C.TRANSIENT,
    S.TRANSIENT,
    "Delivery was given up after retrying for too long; look for the earlier temporary error that kept the "
    "message from going through.",
)

# --- read the text ------------------------------------------------------------------------------------------
UNCLASSIFIED = Outcome(
    C.UNCLASSIFIED,
    S.UNKNOWN,
    "The reply could not be classified; read its text, and check the sender_auth and blocklists checks "
    "before asking the user.",
)
POLICY_UNSPECIFIED = Outcome(
    C.UNCLASSIFIED,
    S.UNKNOWN,
    "The server refused the message for a security or policy reason, but the reply could not be classified "
    "further; check the sender_auth and blocklists checks, then ask the user's IT if they filter us.",
    deferred_meaning="The server deferred the message for a security or policy reason, but the reply could "
    "not be classified further; it is retried, so check the sender_auth and blocklists checks if it "
    "persists.",
)
GMX_CASE = Outcome(
    C.UNCLASSIFIED,
    S.UNKNOWN,
    "GMX/WEB.DE refused the message and the reply could not be classified, but the case link (c=) at the "
    "end of the reply explains it; open that link and follow it.",
)
ACCEPTED = Outcome(
    C.UNCLASSIFIED,
    S.UNKNOWN,
    "The server accepted this step (a 2xx success reply), so the reply shows no failure to act on.",
)
