"""Look-alike identities (SPEC §14): the shape the `identity` check writes and the verdict reads.

When no Kratos instance holds the address, the identity check asks each instance's similar search for
identities whose login identifier resembles it and keeps those `is_lookalike` accepts. Its details then
carry (`LookalikeDetails`):

- `candidates`: at most MAX_CANDIDATES `Candidate`s over all instances, closest first, then newest;
  [] when none. Absent when an identity has the address (the search does not run).
- `similar_search`: "ok" | "unsupported" (Kratos refused or ignored the experimental parameter) |
  "error" (the search failed or ran out of time) | "skipped" (not run: an instance could not be read,
  the address is too short to search, or no time was left).
- `similar_search_note`: one sentence; always there when `similar_search` is not "ok", and also with
  "ok" when the answer was cut at its page size (a look-alike may be missed).

A candidate's address is shown to the support agent only (finding `similar_identity`); `tell_user` never
names it, since that would tell a stranger that another account exists. Pure functions, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, NotRequired, TypedDict, cast

from workers.core.times import parse_time
from workers.report.address_forms import Closeness
from workers.report.model import Finding, Severity

MAX_CANDIDATES = 5
SIMILAR_IDENTITY = "similar_identity"

SimilarSearch = Literal["ok", "unsupported", "error", "skipped"]
# Which status a check over several instances reports: the first of these any instance has.
_PRECEDENCE: tuple[SimilarSearch, ...] = ("error", "unsupported", "skipped", "ok")

_HOW_CLOSE = {
    Closeness.UNICODE_FORM: "the same address in another Unicode form or case",
    Closeness.GMAIL_EQUIVALENT: "the same Gmail mailbox",
    Closeness.SUBADDRESS: "the same mailbox, another +tag",
    Closeness.DOMAIN_TYPO: "the same name, one domain a typo of the other",
    Closeness.LOCAL_TYPO: "one slip away in the local part",
}


class Candidate(TypedDict):
    """One look-alike identity."""

    address: str  # the login identifier as Kratos stores it
    instance: str  # the Kratos instance that holds it
    verified: bool | None  # its verifiable address's state; None when it has none for the identifier
    created_at: str | None  # when the identity was created (Kratos's RFC 3339 text)
    courier_status: str | None  # its newest courier message's status; None: none, or not readable
    closeness: str  # a `Closeness` name, lower-case ("gmail_equivalent")


class LookalikeDetails(TypedDict):
    candidates: list[Candidate]
    similar_search: SimilarSearch
    similar_search_note: NotRequired[str]


_KEYS = ("candidates", "similar_search", "similar_search_note")


def closeness_of(candidate: Candidate) -> Closeness:
    return Closeness[candidate["closeness"].upper()]


def _created(candidate: Candidate) -> datetime | None:
    try:
        return parse_time(candidate["created_at"])
    except ValueError:
        return None


def ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Closest first, then newest (an unreadable creation time last); at most MAX_CANDIDATES."""

    def key(candidate: Candidate) -> tuple[int, int, float]:
        created = _created(candidate)
        return (closeness_of(candidate), created is None, -created.timestamp() if created else 0.0)

    return sorted(candidates, key=key)[:MAX_CANDIDATES]


def search_details(
    status: SimilarSearch, note: str = "", candidates: Sequence[Candidate] = ()
) -> LookalikeDetails:
    details: LookalikeDetails = {"candidates": list(candidates), "similar_search": status}
    if note:
        details["similar_search_note"] = note
    return details


def lookalike_details(details: Mapping[str, Any]) -> LookalikeDetails | None:
    """The look-alike part of an identity check's details; None when the search did not run."""
    if "similar_search" not in details:
        return None
    return cast(LookalikeDetails, {key: details[key] for key in _KEYS if key in details})


def combined(parts: Mapping[str, Mapping[str, Any]]) -> LookalikeDetails | None:
    """The look-alike details of several instances' identity details (by instance name) as one: every
    instance's candidates ranked together, the status by _PRECEDENCE, the notes each naming its
    instance. None when no instance searched."""
    searched = {name: found for name, details in parts.items() if (found := lookalike_details(details))}
    if not searched:
        return None
    statuses = {details["similar_search"] for details in searched.values()}
    status = next(s for s in _PRECEDENCE if s in statuses)
    notes = dict.fromkeys(
        f"Kratos `{name}`: {details['similar_search_note']}"
        if len(parts) > 1
        else details["similar_search_note"]
        for name, details in searched.items()
        if details.get("similar_search_note")
    )
    candidates = ranked(c for details in searched.values() for c in details["candidates"])
    return search_details(status, " ".join(notes), candidates)


def search_sentence(details: LookalikeDetails) -> str:
    """One sentence about the search for the identity check's summary."""
    count = len(details["candidates"])
    said = [details.get("similar_search_note", "")]
    if count:
        said.insert(
            0, f"{count} look-alike {'identity' if count == 1 else 'identities'} found (see the findings)."
        )
    elif details["similar_search"] == "ok":
        said.insert(0, "No look-alike identity either.")
    return " ".join(part for part in said if part)


def _described(candidate: Candidate) -> str:
    verified = {True: "verified", False: "not verified", None: "no verifiable address"}[candidate["verified"]]
    created = _created(candidate)
    mail = candidate["courier_status"]
    facts = [
        _HOW_CLOSE[closeness_of(candidate)],
        verified,
        f"created {created.date().isoformat()}" if created else "creation time unknown",
        f"newest mail `{mail}`" if mail else "no courier message known",
    ]
    return f"`{candidate['address']}` in Kratos `{candidate['instance']}` ({', '.join(facts)})"


def similar_identity_finding(candidates: Sequence[Candidate]) -> Finding | None:
    """`similar_identity` (warn) listing the candidates, for the support agent only."""
    if not candidates:
        return None
    listed = "; ".join(_described(candidate) for candidate in candidates)
    one = len(candidates) == 1
    return Finding(
        SIMILAR_IDENTITY,
        Severity.WARN,
        f"No identity has this address, but {len(candidates)} "
        f"{'identity has' if one else 'identities have'} one that looks like it: {listed}. Ask the user "
        "which address they signed up with; never tell them another account's address.",
    )
