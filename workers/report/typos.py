"""Is the recipient domain a likely typo of a well-known mailbox domain? (SPEC §14, `recipient` check.)

The algorithm is Kicksend/mailcheck 1.1.x (MIT; github.com/mailcheck/mailcheck `src/mailcheck.js`, tags
1.1.1/1.1.2, also @zootools/email-spell-checker; reference/addresses.md §1): sift3 distance, thresholds
2 (domain) / 2 (second-level name) / 2 (TLD), the domain split at its first dot into a second-level name
and a TLD (so `co.uk` stays one TLD), and one pass from what was typed, never a suggestion of a suggestion
(`yahooo.cmo` goes straight to `yahoo.com`; every suggestion is itself a domain that gets no suggestion).
The lists are ours (`typo_domains.py`). On top of it, guards against the known mis-suggestions of
reference/addresses.md §1.2 and against flagging somebody's real domain:

1. A domain on the well-known list is never a typo (mail.com, gmx.com, aim.com, me.com, live.com, msn.com).
2. A TLD typo from the TLD_TYPOS table beats any TLD that is merely close: `yahoo.cm` is `yahoo.com`, not
   Kicksend's `yahoo.ca`, and `hotmail.co` is `hotmail.com`, although zootools accepts `co` as a real TLD.
3. A typed TLD that is a real TLD (on the list) is never swapped for another one (`gmx.es`, `aol.de`,
   `verizon.com`, `yahoo.co.uk` stay as they are). An unknown TLD may be corrected when it is within
   Kicksend's sift3 2 and one edit away (rule 4's gate): sift3 alone puts any unknown two-letter TLD
   within 2 of every other one (`yahoo.cm` -> `yahoo.fr`).
4. The second-level name may change only when the well-known one has at least 5 letters, the two are
   one edit apart (optimal string alignment: insertion, deletion, substitution or swap of neighbours)
   as well as within sift3's 2, and the first letter is kept. Every two- and three-letter .com belongs
   to someone (ibm.com is not aim.com, aon.com is not aol.com, gm.com is not gmail.com); sift3 charges
   only half a point per extra letter, so alone it would take `yahoo-inc.com` (2.0) or `small.com`
   (2.0) for typos; and typos rarely hit the first letter (Pollock & Zamora, CACM 1984), while a name
   with its first letter changed or dropped is often another real one (cloud.com, wahoo.com).
5. A typed second-level name that is itself a well-known one is never turned into another
   (`gmail.de` is not `mail.de`, `ymail.com` is not `gmail.com`).
6. Kicksend's first test (whole-domain sift3 <= 2) only ranks the candidates that pass the per-part
   tests above, which are stricter (it would take gm.com for gmx.com); its second (name and TLD each
   within 2) is the per-part test, so `hotmial.con` (2.5 as a whole) is still `hotmail.com`.
7. When two suggestions are equally close (`hotmail.fe`: .fr or .de?) there is none: naming the wrong
   domain to a user is worse than naming none.

Known costs, both measured by the test table: a single edit after the first letter of a five-letter-or-
longer provider name is flagged even when it is some company's real domain (a warning-level hint), and
typos of short names (`aoll.com`, `mial.com`) or of a first letter (`otmail.com`) are missed.
"""

from __future__ import annotations

from collections.abc import Sequence

from workers.report.typo_domains import (
    SECOND_LEVEL_NAMES,
    TLD_TYPOS,
    TOP_LEVEL_DOMAINS,
    WELL_KNOWN_DOMAINS,
)

SIFT3_MAX_OFFSET = 5
SECOND_LEVEL_THRESHOLD = 2.0
TOP_LEVEL_THRESHOLD = 2.0
MIN_EDITABLE_NAME = 5  # rule 4
MAX_EDITS = 1  # rules 3 and 4

_WELL_KNOWN = frozenset(WELL_KNOWN_DOMAINS)
_TLDS = frozenset(TOP_LEVEL_DOMAINS)
_TLD_TYPOS = dict(TLD_TYPOS)
_SECOND_LEVEL = frozenset(SECOND_LEVEL_NAMES)


def sift3(s1: str, s2: str, max_offset: int = SIFT3_MAX_OFFSET) -> float:
    """Siderite's sift3 distance, as Kicksend/mailcheck 1.1.x and zootools implement it.

    Source: siderite.blogspot.com/2007/04/super-fast-and-accurate-string-distance.html, transcribed from
    mailcheck `sift3Distance` (1.1.2) and zootools `src/lib/helpers/sift3Distance.ts`. One cursor walks
    both strings; on a mismatch it looks up to `max_offset` characters ahead in either to re-synchronise.
    Distance = mean length - matches, so it can be fractional: sift3("gmail.co", "gmail.com") == 0.5.
    """
    if not s1 or not s2:
        return float(len(s1) or len(s2))
    cursor = offset1 = offset2 = matches = 0
    while cursor + offset1 < len(s1) and cursor + offset2 < len(s2):
        if s1[cursor + offset1] == s2[cursor + offset2]:
            matches += 1
        else:
            offset1 = offset2 = 0
            for i in range(max_offset):
                if cursor + i < len(s1) and s1[cursor + i] == s2[cursor]:
                    offset1 = i
                    break
                if cursor + i < len(s2) and s1[cursor] == s2[cursor + i]:
                    offset2 = i
                    break
        cursor += 1
    return (len(s1) + len(s2)) / 2 - matches


def osa_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: Levenshtein plus the swap of two neighbours as one edit."""
    before_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], before_previous[j - 2] + 1)
        before_previous, previous = previous, current
    return previous[len(b)]


def split_domain(domain: str) -> tuple[str, str]:
    """(second-level name, TLD) as Kicksend splits: at the first dot, so `co.uk` stays one TLD."""
    name, dot, tld = domain.partition(".")
    return (name, tld) if dot else ("", name)


_SPLIT = {domain: split_domain(domain) for domain in WELL_KNOWN_DOMAINS}
_KNOWN_NAMES = _SECOND_LEVEL | {name for name, _ in _SPLIT.values()}


def _tld_rank(typed: str, known: str) -> int | None:
    """0: the same TLD or a listed TLD typo of it; 1: an unknown TLD close to it; None: not a typo of it."""
    if typed == known or _TLD_TYPOS.get(typed) == known:
        return 0
    if typed in _TLDS or not _close(typed, known, TOP_LEVEL_THRESHOLD):
        return None
    return 1


def _close(typed: str, known: str, threshold: float) -> bool:
    return sift3(typed, known) <= threshold and osa_distance(typed, known) <= MAX_EDITS


def _name_matches(typed: str, known: str) -> bool:
    if typed == known:
        return True
    if typed in _KNOWN_NAMES or len(known) < MIN_EDITABLE_NAME or typed[:1] != known[:1]:
        return False
    return _close(typed, known, SECOND_LEVEL_THRESHOLD)


def _unique_best(rows: Sequence[tuple[tuple[float, ...], str]]) -> str | None:
    """The best-ranked domain, or None when there is none or two different ones tie (rule 7)."""
    ranked = sorted(rows, key=lambda row: row[0])
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0] and ranked[0][1] != ranked[1][1]:
        return None
    return ranked[0][1]


def _closest_well_known(domain: str, name: str, tld: str) -> str | None:
    ranked: list[tuple[tuple[float, ...], str]] = []
    for known in WELL_KNOWN_DOMAINS:
        known_name, known_tld = _SPLIT[known]
        tld_rank = _tld_rank(tld, known_tld)
        if tld_rank is None or not _name_matches(name, known_name):
            continue
        ranked.append(((tld_rank, sift3(domain, known)), known))
    return _unique_best(ranked)


def _fix_tld(tld: str) -> str | None:
    if tld in _TLDS:
        return tld
    if _TLD_TYPOS.get(tld) in _TLDS:
        return _TLD_TYPOS[tld]
    close = [((sift3(tld, known),), known) for known in TOP_LEVEL_DOMAINS]
    return _unique_best([row for row in close if _close(tld, row[1], TOP_LEVEL_THRESHOLD)])


def _second_level_family(domain: str, name: str, tld: str) -> str | None:
    """Kicksend's last step: `yahooo.gr` -> `yahoo.gr` for the names whose every TLD is a mailbox."""
    names = [((sift3(name, known),), known) for known in SECOND_LEVEL_NAMES if _name_matches(name, known)]
    fixed_name = _unique_best(names)
    fixed_tld = _fix_tld(tld) if fixed_name else None
    if fixed_name is None or fixed_tld is None:
        return None
    suggestion = f"{fixed_name}.{fixed_tld}"
    return None if suggestion == domain else suggestion


def _undotted(label: str) -> str | None:
    """`gmailcom` or a bare `gmail`: the first listed domain that reads like it without its dots."""
    for known in WELL_KNOWN_DOMAINS:
        if label in (known.replace(".", ""), _SPLIT[known][0]):
            return known
    return None


def suggest_domain(domain: str) -> str | None:
    """The well-known mailbox domain `domain` is likely a typo of, or None (SPEC §14)."""
    domain = domain.strip().lower().rstrip(".")
    if not domain or domain in _WELL_KNOWN:
        return None
    name, tld = split_domain(domain)
    if not name:
        return _undotted(tld)
    return _closest_well_known(domain, name, tld) or _second_level_family(domain, name, tld)


def suggest_address(email: str) -> str | None:
    """`email` with its domain replaced by the suggested one (local part kept as typed), or None."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local:
        return None
    suggestion = suggest_domain(domain)
    return f"{local}@{suggestion}" if suggestion else None
