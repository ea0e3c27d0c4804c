"""Kratos's experimental similar search, `preview_credentials_identifier_similar` (SPEC §14), judged.

reference/addresses.md §3: a prefix match (`identifier LIKE '<x>%'`) from Kratos v1.2 on, fuzzy in v1.1
(trigram or substring), unknown to v1.0 (silently ignored: the first page of every identity comes back)
and experimental ("may be removed"), so a Kratos without it may refuse it with a 400 naming it. Every
listed identity is therefore checked against the prefix before it is used, and an answer in which one
does not match says the filter was not applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SIMILAR_PARAM = "preview_credentials_identifier_similar"


@dataclass(frozen=True)
class SimilarMatch:
    """An identity the similar search listed, by the login identifier (as Kratos stores it) that starts
    with the prefix; an identity with two such identifiers is two matches."""

    identifier: str
    identity: dict[str, Any]


@dataclass(frozen=True)
class SimilarAnswer:
    """What one similar search answered. `supported` False: Kratos refused the parameter, or listed
    identities that do not start with the prefix (it ignored the filter or did not apply it as a
    prefix); `matches` are only those that do. `complete` False: a full page came back, so more
    identities share the prefix than were compared. `note`: one sentence saying either, else ""."""

    matches: list[SimilarMatch]
    supported: bool = True
    complete: bool = True
    note: str = ""


REFUSED_NOTE = (
    f"Kratos refused the experimental similar search ({SIMILAR_PARAM}; it is older than v1.1 or has "
    "dropped the parameter), so look-alike identities could not be searched."
)


def login_identifiers(identity: dict[str, Any]) -> list[str]:
    """Every credential identifier of a listed identity (password, code, webauthn, oidc, …), in order;
    [] when Kratos did not expand the credentials."""
    credentials = identity.get("credentials")
    if not isinstance(credentials, dict):
        return []
    return [
        identifier
        for credential in credentials.values()
        if isinstance(credential, dict) and isinstance(credential.get("identifiers"), list)
        for identifier in credential["identifiers"]
        if isinstance(identifier, str)
    ]


def judged(prefix: str, listed: list[Any], matches: list[SimilarMatch], complete: bool) -> SimilarAnswer:
    """Whether Kratos applied the prefix filter: in a prefix search every listed identity matches."""
    matching = {id(match.identity) for match in matches}
    if len(matching) < len(listed):
        note = (
            f"Kratos ignored the experimental similar search ({SIMILAR_PARAM}; Kratos before v1.1 lists "
            "every identity instead), so look-alike identities could not be searched."
            if not matching
            else "Kratos did not apply the experimental similar search as a prefix filter (before v1.1 "
            f"it ignores it, v1.1 matched fuzzily): only {len(matching)} of the {len(listed)} identities it listed start with "
            f"`{prefix}`, so look-alike identities may be missed."
        )
        return SimilarAnswer(matches, supported=False, complete=complete, note=note)
    if not complete:
        note = (
            f"At least {len(listed)} identities start with `{prefix}`: only the first {len(listed)} "
            "Kratos listed were compared, so a look-alike identity may be missed."
        )
        return SimilarAnswer(matches, complete=False, note=note)
    return SimilarAnswer(matches)
