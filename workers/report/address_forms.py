"""The forms of one address: normalised, as Kratos stores it, Gmail-canonical, and its look-alikes (SPEC §14).

Pure functions. What they rest on (reference/addresses.md): Kratos up to v26.2.0 only lower-cases email
identifiers (§3), so a composed and a decomposed "é" can be two identities; Gmail ignores dots and
`+tag` and treats googlemail.com as gmail.com, Google Workspace domains do not (§2); Kratos's
`preview_credentials_identifier_similar` is a prefix match, `identifier LIKE '<prefix>%'` (§3).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum

from workers.core.keys import address_form
from workers.report.typo_domains import TLD_TYPOS
from workers.report.typos import osa_distance, split_domain, suggest_address, suggest_domain

GMAIL_DOMAINS = ("gmail.com", "googlemail.com")
MIN_PREFIX = 3  # a shorter LIKE prefix would list a good part of the user base
MAX_PREFIXES = 3
# (shortest local part, edits allowed in it): see `is_lookalike`.
LOCAL_EDITS: tuple[tuple[int, int], ...] = ((12, 2), (6, 1))

_MAILTO = re.compile(r"^<?mailto:([^|>]*)(?:\|[^>]*)?>?$", re.IGNORECASE)
_TLD_TYPOS = dict(TLD_TYPOS)


def _unwrap(email: str) -> str:
    """`<mailto:a@b.c|a@b.c>` (Slack's form) or `mailto:a@b.c` -> `a@b.c`, trimmed."""
    text = email.strip()
    match = _MAILTO.match(text)
    return match.group(1).strip() if match else text


def normalized(email: str) -> str:
    """The report's, history key's and send counters' form: mailto unwrapped, trimmed, lower-cased, NFC."""
    return address_form(_unwrap(email))


def kratos_lookups(typed: str) -> list[str]:
    """What to ask Kratos for: the address as typed, lower-cased (all Kratos does), then its NFC form."""
    as_typed = _unwrap(typed).lower()
    nfc = normalized(typed)
    return [as_typed] if nfc == as_typed else [as_typed, nfc]


# --- Mixed scripts -------------------------------------------------------------------------------

# unicodedata.name() starts with the script for letters ("CYRILLIC SMALL LETTER A"); these first words
# say something else. Width words are skipped ("FULLWIDTH LATIN CAPITAL LETTER A" is Latin); the
# others name letters that belong to no script (ordinal indicators, modifier letters).
_WIDTH_WORDS = frozenset({"HALFWIDTH", "FULLWIDTH"})
_NO_SCRIPT_WORDS = frozenset({"MODIFIER", "FEMININE", "MASCULINE"})
_SCRIPT_ALIASES = {
    "CJK": "Han",  # CJK UNIFIED IDEOGRAPH-4E00, CJK COMPATIBILITY IDEOGRAPH-F900
    "IDEOGRAPHIC": "Han",  # 々 IDEOGRAPHIC ITERATION MARK
    "KATAKANA-HIRAGANA": "Katakana",  # ー PROLONGED SOUND MARK, used in Japanese words
    "MICRO": "Greek",  # µ MICRO SIGN, a Greek mu to the eye
}
# Unicode TR39 "Highly Restrictive": the script sets a single name may legitimately use together.
_ALLOWED_SCRIPT_SETS = (
    frozenset({"Latin", "Han", "Hiragana", "Katakana"}),  # Japanese
    frozenset({"Latin", "Han", "Bopomofo"}),  # Chinese
    frozenset({"Latin", "Han", "Hangul"}),  # Korean
)


@dataclass(frozen=True)
class MixedScript:
    """The scripts mixed in each part of an address (in order of appearance); () for a part that does not mix."""

    local_part: tuple[str, ...]
    domain: tuple[str, ...]

    def summary(self) -> str:
        parts = [
            (name, scripts) for name, scripts in (("local part", self.local_part), ("domain", self.domain))
        ]
        return "; ".join(f"the {name} mixes {' and '.join(scripts)}" for name, scripts in parts if scripts)


def script_of(char: str) -> str | None:
    """The script of a letter ("Latin", "Cyrillic", "Han", …); None for digits, punctuation, marks, symbols."""
    if not unicodedata.category(char).startswith("L"):
        return None
    words = unicodedata.name(char, "").split()
    while words and words[0] in _WIDTH_WORDS:
        words = words[1:]
    if not words or words[0] in _NO_SCRIPT_WORDS:
        return None
    return _SCRIPT_ALIASES.get(words[0], words[0].title())


def _mixed(text: str) -> tuple[str, ...]:
    scripts = tuple(dict.fromkeys(s for s in map(script_of, text) if s is not None))
    if len(scripts) < 2 or any(set(scripts) <= allowed for allowed in _ALLOWED_SCRIPT_SETS):
        return ()
    return scripts


def _decoded_label(label: str) -> str:
    if not label.startswith("xn--"):
        return label
    try:
        return label.encode("ascii").decode("idna")
    except UnicodeError:
        return label


def mixed_script(email: str) -> MixedScript | None:
    """Whether the local part, or a label of the domain (Punycode decoded), mixes scripts (SPEC §14).

    Judged on the NFC form. Domain labels are judged one by one, as browsers do for IDNs: `почта.рф`
    and `bücher.com` are fine, `аpple.com` (Cyrillic а) is not.
    """
    local, _, domain = normalized(email).rpartition("@")
    local_scripts = _mixed(local)
    domain_scripts = tuple(
        dict.fromkeys(s for label in domain.split(".") for s in _mixed(_decoded_label(label)))
    )
    if not local_scripts and not domain_scripts:
        return None
    return MixedScript(local_part=local_scripts, domain=domain_scripts)


# --- Gmail equivalence and the similar-identifier search -----------------------------------------


def _split(address: str) -> tuple[str, str]:
    local, _, domain = address.rpartition("@")
    return local, domain


def _mailbox_local(local: str, gmail: bool) -> str:
    """The local part without its `+tag`, and for Gmail without its dots too."""
    base = local.split("+", 1)[0]
    return base.replace(".", "") if gmail else base


def gmail_canonical(email: str) -> str | None:
    """For gmail.com/googlemail.com, the one form of the mailbox (`janedoe@gmail.com`); None elsewhere.

    Only those two domains: a Google Workspace domain (Gmail behind a company's MX) keeps its dots.
    """
    local, domain = _split(normalized(email))
    canonical = _mailbox_local(local, gmail=True)
    if domain not in GMAIL_DOMAINS or not canonical:
        return None
    return f"{canonical}@gmail.com"


def _local_prefixes(local: str, gmail: bool) -> list[str]:
    core = _mailbox_local(local, gmail)
    if len(core) < MIN_PREFIX:
        return [f"{local.split('+', 1)[0]}@"]
    if gmail:
        # Any Gmail-equivalent local part starts with one of these three, wherever its first dot is
        # (a Gmail address cannot start with one): janedoe, jane.doe, jan.e+x | j.anedoe | ja.nedoe.
        return [core[:MIN_PREFIX], f"{core[0]}.{core[1]}", f"{core[:2]}."]
    # Dots count here: the local part itself (its +tags, other domains) and its first three letters
    # (a slip after them).
    return [core, core[:MIN_PREFIX]]


def similar_search_prefixes(email: str) -> list[str]:
    """The prefixes to give `preview_credentials_identifier_similar` for an address without an identity.

    In order: the typo-corrected address (precise: the commonest mismatch), then prefixes of the local
    part, which match the address at any domain (so every domain typo too). For Gmail, three short
    prefixes that together match every dot placement, `+tag` and googlemail.com form; for other
    domains, the local part without `+tag` and its first three letters. Trade-off: a three-letter
    prefix ("jan") also lists every Janet and January, so the caller pages and keeps only what
    `is_lookalike` accepts; shorter ones are never asked. At most MAX_PREFIXES, each at least
    MIN_PREFIX long, lower-cased (what Kratos stores), NFC (the decomposed form is not searched).
    """
    address = normalized(email)
    local, domain = _split(address)
    if not local or not domain:
        return []
    corrected = suggest_address(address)
    gmail = (suggest_domain(domain) or domain) in GMAIL_DOMAINS
    candidates = ([corrected] if corrected else []) + _local_prefixes(local, gmail)
    prefixes = [p for p in dict.fromkeys(candidates) if len(p) >= MIN_PREFIX]
    return prefixes[:MAX_PREFIXES]


# --- Is a candidate identifier the typed address's owner? ----------------------------------------


class Closeness(IntEnum):
    """How a look-alike identifier differs from the typed address; smaller is closer (ranks candidates)."""

    UNICODE_FORM = 0  # the same once both are lower-cased and NFC (composed vs decomposed é, case)
    GMAIL_EQUIVALENT = 1  # the same Gmail mailbox: dots, +tag, googlemail.com
    SUBADDRESS = 2  # the same mailbox elsewhere, but for a +tag (plus-addressing)
    DOMAIN_TYPO = 3  # the same local part (or mailbox) at a typo of the domain, either way round
    LOCAL_TYPO = 4  # the same domain, a slip in the local part


def _tld_slip(one: str, other: str) -> bool:
    """acme.co vs acme.com: the same name, one TLD a listed slip of the other's."""
    (name, tld), (other_name, other_tld) = split_domain(one), split_domain(other)
    return bool(name) and name == other_name and _TLD_TYPOS.get(tld) == other_tld


def _domain_relation(typed: str, candidate: str) -> tuple[bool, bool] | None:
    """(both Gmail, one is a typo of the other), or None when the domains are unrelated."""
    fixed_typed = suggest_domain(typed) or typed
    fixed_candidate = suggest_domain(candidate) or candidate
    gmail = fixed_typed in GMAIL_DOMAINS and fixed_candidate in GMAIL_DOMAINS
    if fixed_typed == fixed_candidate or gmail:
        return gmail, typed != fixed_typed or candidate != fixed_candidate
    if _tld_slip(typed, candidate) or _tld_slip(candidate, typed):
        return False, True
    return None


def _local_edits_allowed(length: int) -> int:
    return next((edits for shortest, edits in LOCAL_EDITS if length >= shortest), 0)


def is_lookalike(typed: str, candidate: str) -> Closeness | None:
    """Whether `candidate` plausibly is the owner of `typed` (SPEC §14), and how close; None otherwise.

    Accepted, one slip at a time: Unicode form or case; Gmail equivalence; a +tag; a domain that is a
    typo of the other (by `suggest_domain`, either way round, or a listed TLD slip such as acme.co for
    acme.com); or, at the same domain, a local part one edit away (two from 12 characters on) and none
    under 6 characters, where one edit turns a name into another one (jane/janet, maria/mario).
    Two real TLDs are two organisations (jane@acme.com vs jane@acme.org: None), and the typed address
    itself is not a look-alike of itself (None): the identity lookup has already answered for it.
    """
    if _unwrap(typed) == _unwrap(candidate):
        return None
    typed_address, candidate_address = normalized(typed), normalized(candidate)
    if typed_address == candidate_address:
        return Closeness.UNICODE_FORM
    (typed_local, typed_domain), (cand_local, cand_domain) = _split(typed_address), _split(candidate_address)
    relation = _domain_relation(typed_domain, cand_domain) if typed_local and cand_local else None
    if relation is None:
        return None
    gmail, domain_typo = relation
    typed_mailbox, cand_mailbox = _mailbox_local(typed_local, gmail), _mailbox_local(cand_local, gmail)
    if typed_mailbox == cand_mailbox:
        if domain_typo:
            return Closeness.DOMAIN_TYPO
        return Closeness.GMAIL_EQUIVALENT if gmail else Closeness.SUBADDRESS
    allowed = _local_edits_allowed(min(len(typed_mailbox), len(cand_mailbox)))
    if not domain_typo and osa_distance(typed_mailbox, cand_mailbox) <= allowed:
        return Closeness.LOCAL_TYPO
    return None
