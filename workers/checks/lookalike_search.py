"""The `identity` check's look-alike search (SPEC §14): when no Kratos instance holds the address, which
identities have an address that is plausibly the one the user meant?

Each instance that answered "not found" is asked once, all concurrently, with Kratos's experimental
similar search (`KratosAdmin.similar_identities`, one request), within the time it is given; an
identifier is kept only when `is_lookalike` accepts it; the closest five over all instances (then the
newest) get their newest courier message's status, one listing each. Kratos refusing or ignoring the
parameter, failing or running out of time is a note (`similar_search`), never an error of the check.

The one prefix (`search_prefix`): the first three letters of the local part as typed (before a +tag,
dots kept), or `<local>@` for a shorter one; it is the shortest of `similar_search_prefixes` that the
typed address itself starts with. It always finds the typo-corrected address and every identifier sharing
the local part (its +tags, and the same name at any domain, so every domain typo), Gmail variants that
place their dots after those three letters (janedoe -> jane.doe), and slips later in the local part. It
misses a Gmail variant dotted inside the first three letters (janedoe -> j.anedoe: only "j" finds both,
and that lists about a twentieth of all users) and slips in the first three letters. Its cost: "jan" also
lists every Janet and January; Kratos's largest page (500) is compared, and a note says when more
identities shared the prefix. One request per instance, not one per prefix, bounds the load on Kratos.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from workers.clients.kratos import KratosAdmin, KratosError
from workers.core.keys import address_form
from workers.report.address_forms import Closeness, is_lookalike, normalized, similar_search_prefixes
from workers.report.lookalikes import (
    SIMILAR_IDENTITY,
    Candidate,
    LookalikeDetails,
    SimilarSearch,
    combined,
    ranked,
    search_details,
    search_sentence,
    similar_identity_finding,
)
from workers.report.model import CheckResult

MIN_BUDGET_S = 0.1  # below this a search could not even connect: skipped, with a note


@dataclass(frozen=True)
class Lookalike:
    """An identity of one instance whose login identifier `is_lookalike` accepts for the typed address."""

    identifier: str
    identity: dict[str, Any]
    closeness: Closeness


@dataclass(frozen=True)
class SearchOutcome:
    """One instance's look-alike search: its status, note ("" for none) and look-alikes."""

    status: SimilarSearch
    note: str = ""
    lookalikes: tuple[Lookalike, ...] = ()


def search_prefix(email: str) -> str | None:
    """The one similar-search prefix (see the module's text); None when the address is too short."""
    address = normalized(email)
    fitting = [prefix for prefix in similar_search_prefixes(address) if address.startswith(prefix)]
    return min(fitting, key=len) if fitting else None


async def search_lookalikes(email: str, *, kratos: KratosAdmin, prefix: str) -> SearchOutcome:
    """One similar-search request; the identities whose identifier looks like `email`, closest first."""
    try:
        answer = await kratos.similar_identities(prefix)
    except KratosError as exc:
        return SearchOutcome("error", f"The look-alike search failed: {exc}.")
    best: dict[str, Lookalike] = {}
    for match in answer.matches:
        closeness = is_lookalike(email, match.identifier)
        key = str(match.identity.get("id"))
        if closeness is not None and (key not in best or closeness < best[key].closeness):
            best[key] = Lookalike(match.identifier, match.identity, closeness)
    found = tuple(sorted(best.values(), key=lambda lookalike: lookalike.closeness))
    return SearchOutcome("ok" if answer.supported else "unsupported", answer.note, found)


async def newest_courier_status(kratos: KratosAdmin, recipient: str) -> str | None:
    """The newest courier message's status for `recipient`, whatever its age; None when there is none
    or the courier could not be read."""
    try:
        message = await kratos.newest_message(recipient)
    except KratosError:
        return None
    return str(message["status"]) if message else None


def _verified(identity: dict[str, Any], identifier: str) -> bool | None:
    for address in identity.get("verifiable_addresses") or []:
        if isinstance(address, dict) and address_form(str(address.get("value", ""))) == address_form(
            identifier
        ):
            verified = address.get("verified")
            return verified if isinstance(verified, bool) else None
    return None


def candidate(lookalike: Lookalike, instance: str) -> Candidate:
    """The contract's shape of one look-alike (`workers/report/lookalikes.py`), courier not yet read."""
    created = lookalike.identity.get("created_at")
    return {
        "address": lookalike.identifier,
        "instance": instance,
        "verified": _verified(lookalike.identity, lookalike.identifier),
        "created_at": created if isinstance(created, str) else None,
        "courier_status": None,
        "closeness": lookalike.closeness.name.lower(),
    }


def _searched(result: CheckResult, lookalikes: LookalikeDetails) -> CheckResult:
    summary = f"{result.summary} {search_sentence(lookalikes)}".strip()
    return replace(result, summary=summary, details={**result.details, **lookalikes})


def skipped(results: Mapping[str, CheckResult], why: str) -> dict[str, CheckResult]:
    """The instances' results, each saying the search was not run and why."""
    return {name: _searched(result, search_details("skipped", why)) for name, result in results.items()}


async def with_lookalikes(
    email: str, results: Mapping[str, CheckResult], admins: Mapping[str, KratosAdmin], *, budget: float
) -> dict[str, CheckResult]:
    """Every instance's "not found" identity result (by instance name) with its look-alike details,
    each instance asked once and concurrently, all within `budget` seconds."""
    prefix = search_prefix(email)
    if prefix is None:
        return skipped(results, "The address is too short for a look-alike search.")
    if budget < MIN_BUDGET_S:
        return skipped(results, "No time was left in REPORT_DEADLINE for a look-alike search.")
    stop_at = time.monotonic() + budget
    names = list(results)
    outcomes = await asyncio.gather(*(_search(email, admins[name], prefix, budget) for name in names))
    top = ranked(
        candidate(found, name) for name, o in zip(names, outcomes, strict=True) for found in o.lookalikes
    )
    await _with_courier_status(top, admins, stop_at - time.monotonic())
    return {
        name: _searched(
            results[name],
            search_details(outcome.status, outcome.note, [c for c in top if c["instance"] == name]),
        )
        for name, outcome in zip(names, outcomes, strict=True)
    }


async def _search(email: str, admin: KratosAdmin, prefix: str, budget: float) -> SearchOutcome:
    try:
        return await asyncio.wait_for(search_lookalikes(email, kratos=admin, prefix=prefix), budget)
    except TimeoutError:
        return SearchOutcome("error", f"The look-alike search got no answer within {round(budget, 1):g} s.")


async def _with_courier_status(
    candidates: Sequence[Candidate], admins: Mapping[str, KratosAdmin], left: float
) -> None:
    """Each candidate's newest courier message status, one listing each, within `left` seconds."""

    async def one(found: Candidate) -> None:
        try:
            status = newest_courier_status(admins[found["instance"]], found["address"])
            found["courier_status"] = await asyncio.wait_for(status, left)
        except TimeoutError:
            pass  # stays None: not known in time

    if left > 0:
        await asyncio.gather(*(one(found) for found in candidates))


def with_lookalike_finding(result: CheckResult, parts: Mapping[str, CheckResult]) -> CheckResult:
    """`result` with every instance's look-alike details at its top level, and `similar_identity`."""
    found = combined({name: part.details for name, part in parts.items()})
    if found is None:
        return result
    finding = similar_identity_finding(found["candidates"])
    kept = tuple(f for f in result.findings if f.code != SIMILAR_IDENTITY)
    details = {key: value for key, value in result.details.items() if key != "similar_search_note"}
    return replace(result, details={**details, **found}, findings=kept + ((finding,) if finding else ()))
