"""The shapes of the details of the three checks that ask DNS: `sender_auth`, `blocklists`, `recipient`.

Like every shape in `workers/report/details.py`: the check writes its details as one of these, the
readers read them through the accessors at the end, one spelling for both. A missing record or a "not
listed" only counts once the vantage control query shows our own resolver works (SPEC §5); when it does
not, the check ends `error` with `resolver_problem` and the few keys it had.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NotRequired, TypedDict, cast

from workers.report.details import usable_details
from workers.report.model import CheckResult


class ResolverProblem(TypedDict):
    """What a DNS check that ended `error` because our own resolver is broken adds (SPEC §5)."""

    resolver_problem: str  # what the vantage control query got; the summary names DNS_NAMESERVERS


# -- sender_auth -----------------------------------------------------------------------------------


class SpfDetails(TypedDict):
    """SPF of the envelope domain (`workers/checks/sender_auth/spf.py`)."""

    domain: str  # the envelope (return-path) domain whose record is read
    record: str | None  # the record's text, None without one
    lookups: int | None  # DNS lookups its include/redirect tree needs (limit 10); None when not walked
    void_lookups: int | None  # of those, names with no records (limit 2); None when not walked
    authorizes: bool | None  # it authorizes whoever sends our mail; None when that cannot be told
    result: str | None  # plain SMTP: the worst `check_host` result over the sending IPs ("pass", …)
    requires: str | None  # what the provider needs there ("include:amazonses.com", "the sending IPs")
    includes: NotRequired[list[str]]  # the include/redirect targets walked
    sending_ips: NotRequired[list[str]]  # plain SMTP: the IPs evaluated
    ip_results: NotRequired[dict[str, str]]  # plain SMTP: `check_host`'s result per IP
    error: NotRequired[str]  # why the record is invalid
    note: NotRequired[str]  # plain SMTP with no IP to evaluate


class DkimKey(TypedDict):
    """What a usable DKIM key record says (`parse_key_record`)."""

    key_type: str  # k=: "rsa" | "ed25519"
    key_bits: int | None  # the key's size; None when revoked
    revoked: bool  # an empty p=


class DkimSelector(TypedDict):
    """One selector's key record."""

    name: str  # <selector>._domainkey.<domain>
    found: bool  # a TXT record is there
    key_type: str | None  # k=, once the record is read
    key_bits: int | None  # the key's size, once the record is read
    revoked: NotRequired[bool]  # an empty p=, once the record is read
    error: NotRequired[str]  # why the record is unusable


class DkimDetails(TypedDict):
    """DKIM of the From domain (`workers/checks/sender_auth/dkim.py`)."""

    selectors: dict[str, DkimSelector]  # by selector: DKIM_SELECTORS, else the provider's own
    skipped_reason: str | None  # why no selector was looked up, else None


class DmarcDetails(TypedDict):
    """DMARC of the From domain (`workers/checks/sender_auth/dmarc.py`)."""

    domain: str | None  # where the record was found: "_dmarc.<domain>"
    record: str | None  # the record's text
    policy: str | None  # p=
    aligned_spf: bool | None  # SPF can align with the From domain (None: unknown)
    aligned_dkim: bool | None  # DKIM can align with the From domain (None: unknown)
    subdomain_policy: NotRequired[str]  # sp=, else p=
    effective_policy: NotRequired[str]  # the policy that applies to the From domain
    pct: NotRequired[int]  # pct=
    adkim: NotRequired[str]  # "r" | "s"
    aspf: NotRequired[str]  # "r" | "s"


class SenderAuthDetails(TypedDict):
    """`sender_auth` (`workers/checks/sender_auth/check.py`)."""

    from_domain: str  # the domain of COURIER_SMTP_FROM_ADDRESS
    provider: str  # the mail provider whose needs SPF and DKIM are held to
    spf: SpfDetails  # SPF of the envelope domain
    dkim: DkimDetails  # DKIM of the From domain
    dmarc: DmarcDetails  # DMARC of the From domain
    errors: NotRequired[list[str]]  # the resolver failed on these lookups: the check is `error`


class SenderAuthUnread(TypedDict):
    """`sender_auth` ended `error` with nothing read: the lookups timed out, or our resolver is broken."""

    from_domain: str  # the domain of COURIER_SMTP_FROM_ADDRESS
    provider: NotRequired[str]  # our resolver is broken: the mail provider
    resolver_problem: NotRequired[str]  # our resolver is broken: what the vantage control query got


# -- blocklists ------------------------------------------------------------------------------------


class ZoneDetails(TypedDict):
    """One DNSBL zone, by its public name (a Spamhaus DQS key masked)."""

    kind: str  # "ip" | "domain"
    listed: list[str]  # the items listed there
    codes: list[str]  # its 127.0.0.x answers
    reason: str | None  # the list's own TXT explanation
    error: str | None  # why the zone says nothing (refused, failed, timed out)
    advice: str | None  # what would fix that


class ListedRow(TypedDict):
    """One listing."""

    kind: str  # "ip" | "domain"
    item: str  # the IP or domain listed
    zone: str  # the zone's public name
    codes: list[str]  # its 127.0.0.x answers
    reason: str | None  # the list's own TXT explanation


class BlocklistsBase(TypedDict):
    """What is looked up: in every `blocklists` result with details, `skipped` included."""

    ips: list[str]  # the sending IPs (SENDING_IPS, else the relay's addresses)
    domain: str | None  # the sender domain
    ip_part_skipped: bool  # no IP or no IP zone to look up
    invalid_ips: list[str]  # SENDING_IPS entries that are not IPs
    note: NotRequired[str]  # why the IP part was skipped, once the domain part was looked up


class BlocklistsUnread(BlocklistsBase, ResolverProblem):
    """`blocklists` ended `error`: our own resolver is broken (`ResolverProblem` alone when the relay's
    addresses could not be resolved, `workers/checks/diagnostics.py`)."""


class BlocklistsDetails(BlocklistsBase):
    """`blocklists` (`workers/checks/blocklists.py`)."""

    zones: dict[str, ZoneDetails]  # every zone asked, by public name
    listed: list[ListedRow]  # every listing


# -- recipient -------------------------------------------------------------------------------------


class MxRecord(TypedDict):
    preference: int  # lower is preferred
    exchange: str  # the host without its final dot; "." for a null MX


class MixedScriptDetails(TypedDict):
    local_part: list[str]  # the scripts mixed in the local part, in order; [] when it does not mix
    domain: list[str]  # the scripts mixed in the domain


class AddressSigns(TypedDict):
    """What the address itself says, DNS or not (SPEC §14): in every `recipient` result with a domain."""

    typo_of: str | None  # the well-known mailbox domain this one is a likely typo of
    suggested_address: str | None  # the address with that domain
    mixed_script: MixedScriptDetails | None  # the scripts it mixes, None when it does not


class RecipientBase(AddressSigns):
    """In every `recipient` result with a domain, `error` included."""

    domain: str  # the recipient's domain, lower-case
    disposable: bool  # it is on the disposable-domain list
    disposable_match: str | None  # the listed domain that matched (may be a parent)


class RecipientUnread(RecipientBase, ResolverProblem):
    """`recipient` ended `error` because our own resolver is broken (`RecipientBase` alone when the
    domain's mail records could not be read otherwise)."""


class RecipientDetails(RecipientBase):
    """`recipient` (`workers/checks/recipient.py`)."""

    mx: list[MxRecord]  # most preferred first
    null_mx: bool  # a single "0 ." MX: the domain accepts no mail (RFC 7505)
    nxdomain: bool  # the domain does not exist
    implicit_mx: bool  # no MX, but A/AAAA records (RFC 5321 §5.1)
    addresses: list[str]  # A/AAAA, looked up only without an MX
    mailbox_provider: str | None  # a key of workers/report/mailboxes.py, None when unknown
    mailbox_provider_name: str | None  # that provider's name
    note: NotRequired[str]  # the implicit MX explained


def sender_auth(checks: Mapping[str, CheckResult]) -> SenderAuthDetails | None:
    return cast(SenderAuthDetails | None, usable_details(checks, "sender_auth"))


def blocklists(checks: Mapping[str, CheckResult]) -> BlocklistsDetails | None:
    return cast(BlocklistsDetails | None, usable_details(checks, "blocklists"))


def recipient(checks: Mapping[str, CheckResult]) -> RecipientDetails | None:
    return cast(RecipientDetails | None, usable_details(checks, "recipient"))
