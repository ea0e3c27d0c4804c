"""What our own SMTP relay said, explained (SPEC §15): a courier dispatch error or the probe's reply.

`explain_reply` reads a receiving server's reply. A dispatch error and the probe's reply come from the
other end of Kratos's SMTP connection: OUR relay (or the provider's SMTP endpoint), not the recipient's
mailbox provider. Their explanation is `explain_reply`'s answer, framed for that:

- the reply is explained as coming from the relay, so no mailbox provider's own reading is lent to it and
  none is guessed from an address the text quotes ("550 5.1.1 <ann@gmail.com>: …" is our relay talking,
  not Gmail); `mailbox_provider` is therefore "" — naming one would send the agent to the wrong company;
- a reply the rules can place keeps its category and side: a relay that checks recipients speaks for
  the recipient ("550 5.1.1 user unknown" is still a mistyped address), and "535 5.7.8" is ours;
- what the rules cannot place — an unknown reply, or an error that is no reply at all (a refused
  connection, a certificate Kratos rejects) — is the sender's side: between Kratos and its relay
  everything that is not about the recipient is ours to fix. Its category stays `unclassified`, never a
  guess, and its meaning says where to look.
"""

from __future__ import annotations

from dataclasses import replace

from workers.report.details import ReplyExplained
from workers.report.replies import ReplyExplanation, Side, explain_reply

# Passed to `explain_reply` as the reply's source: no mailbox provider's rows match it.
_RELAY_SOURCE = "relay"
RELAY_UNPLACED = (
    "Our SMTP relay (not the recipient's mail server) gave this answer, or could not be reached, for a "
    "reason the reply rules do not know; it is on our side: read the text and see the smtp check."
)


def explain_relay_reply(text: str | None) -> ReplyExplanation:
    """The explanation of what Kratos's SMTP client met at our relay (see the module's docstring)."""
    found = explain_reply(text, mailbox_provider=_RELAY_SOURCE)
    if found.side is Side.UNKNOWN:
        return replace(found, side=Side.SENDER, mailbox_provider="", meaning=RELAY_UNPLACED)
    return replace(found, mailbox_provider="")


def relay_reply_details(text: str | None) -> ReplyExplained:
    """The four SPEC §15 keys for a relay's reply or error text; {} when there is no text."""
    return explain_relay_reply(text).to_details() if text and text.strip() else {}
