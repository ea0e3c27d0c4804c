"""`identity` and `courier` over every Kratos instance (SPEC §12): asked concurrently, each instance
bounded on its own, and one instance chosen to decide the report.

The deciding instance is the one whose courier has the newest message for the address; without any
message, the first (in KRATOS_INSTANCES order) that holds the identity; else none. Its results become the
checks' top-level `details` and findings, which the verdict engine and the buttons read; every
instance's own result stays under `details["instances"][name]` (status, summary, details, findings), and
`details["instance"]` names the deciding instance ("" when none). A dead instance is `error` for that
instance only: the check is `error` only when no instance answered. With one instance the results are
the instance's own, plus `details["instance"]` (`InstanceKeys`, `InstancesUnread` in
workers/report/details.py).

When every instance answered that it does not hold the address, each is asked once, concurrently, for
look-alike identities (SPEC §14, `lookalike_search.py`) within its share of the deadline; each instance
keeps its own candidates, and the check's top level carries those of every instance (at most five in
all) and the `similar_identity` finding, whichever instance decides.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import redis.asyncio

from workers.checks.courier import check_courier
from workers.checks.identity import check_identity
from workers.checks.lookalike_search import skipped, with_lookalike_finding, with_lookalikes
from workers.clients.kratos import KratosAdmin
from workers.clients.verification_probe import verification_enabled
from workers.core.settings import KratosInstance, Settings
from workers.core.timeouts import KRATOS_CHECK_TIMEOUT_S
from workers.core.times import parse_time
from workers.report import details
from workers.report.details import (
    FindingDetails,
    IdentityDetails,
    InstanceKeys,
    InstancesUnread,
    PackedResult,
)
from workers.report.model import CheckResult, Finding, Status

# Each instance must end as its own `error` before REPORT_DEADLINE turns the whole check into one.
INSTANCE_SHARE_OF_DEADLINE = 0.85
PER_INSTANCE = ("identity", "courier")
# The look-alike search starts once every instance has answered "not found": it gets this share of
# REPORT_DEADLINE and ends by LOOKALIKE_END of it, so the deadline never cuts the identity check off.
LOOKALIKE_SHARE_OF_DEADLINE = 0.3
LOOKALIKE_END_OF_DEADLINE = 0.95

InstanceCheck = Callable[[KratosInstance, KratosAdmin], Awaitable[CheckResult]]


async def _bounded(
    check: InstanceCheck, instance: KratosInstance, admin: KratosAdmin, timeout: float
) -> CheckResult:
    try:
        return await asyncio.wait_for(check(instance, admin), timeout)
    except TimeoutError:
        return CheckResult.error(f"Kratos did not answer within {timeout:g} s.")


async def ask_every_instance(
    check: InstanceCheck,
    instances: Sequence[KratosInstance],
    admins: Mapping[str, KratosAdmin],
    *,
    deadline: float,
    is_identity: bool,
) -> CheckResult:
    return _as_one(await _ask(check, instances, admins, deadline), instances, is_identity)


async def _ask(
    check: InstanceCheck,
    instances: Sequence[KratosInstance],
    admins: Mapping[str, KratosAdmin],
    deadline: float,
) -> dict[str, CheckResult]:
    timeout = deadline * INSTANCE_SHARE_OF_DEADLINE
    results = await asyncio.gather(*(_bounded(check, i, admins[i.name], timeout) for i in instances))
    return dict(zip((i.name for i in instances), results, strict=True))


def _as_one(
    by_name: dict[str, CheckResult], instances: Sequence[KratosInstance], is_identity: bool
) -> CheckResult:
    if len(by_name) == 1:
        return next(iter(by_name.values()))
    # While the report runs, each check is shown on its own; `settle_instances` decides once both are in.
    return merged(by_name, "", instances, holders=None if is_identity else [])


async def identity_everywhere(
    email: str,
    settings: Settings,
    admins: Mapping[str, KratosAdmin],
    cache: redis.asyncio.Redis | None,
    spellings: Sequence[str] = (),
) -> CheckResult:
    async def one(instance: KratosInstance, admin: KratosAdmin) -> CheckResult:
        result = await check_identity(email, kratos=admin, spellings=spellings)
        found = details.identity_of(result)
        address = found.get("address") if found else None
        if not (found and found["found"] and address and not address["verified"]):
            return result
        # Only where a Resend verification button could be offered: is verification on at all?
        enabled = await verification_enabled(instance, cache=cache, timeout=KRATOS_CHECK_TIMEOUT_S)
        checked: IdentityDetails = {**found, "verification_enabled": enabled}
        return replace(result, details=dict(checked))

    started, deadline = time.monotonic(), settings.report_deadline
    by_name = await _ask(one, settings.instances, admins, deadline)
    left = deadline * LOOKALIKE_END_OF_DEADLINE - (time.monotonic() - started)
    budget = min(deadline * LOOKALIKE_SHARE_OF_DEADLINE, left)
    by_name = await _lookalikes(email, by_name, settings.instances, admins, budget)
    return with_lookalike_finding(_as_one(by_name, settings.instances, True), by_name)


async def _lookalikes(
    email: str,
    by_name: dict[str, CheckResult],
    instances: Sequence[KratosInstance],
    admins: Mapping[str, KratosAdmin],
    budget: float,
) -> dict[str, CheckResult]:
    """Look-alike identities, only when every instance answered "not found" (SPEC §16)."""
    answered = {name: result for name, result in by_name.items() if result.usable}
    if not answered or _holders(by_name):
        return by_name
    unread = [i for i in instances if i.name in by_name and i.name not in answered]
    if unread:
        why = _unread_text(unread, "whether one of them holds this address is unknown")
        return {**by_name, **skipped(answered, f"Look-alike identities were not searched: {why}")}
    return await with_lookalikes(email, answered, admins, budget=budget)


async def courier_everywhere(
    email: str, settings: Settings, admins: Mapping[str, KratosAdmin], spellings: Sequence[str] = ()
) -> CheckResult:
    async def one(_instance: KratosInstance, admin: KratosAdmin) -> CheckResult:
        return await check_courier(
            email,
            kratos=admin,
            lookback_days=settings.lookback_days,
            stuck_after=settings.courier_stuck_after,
            spellings=spellings,
        )

    return await ask_every_instance(
        one, settings.instances, admins, deadline=settings.report_deadline, is_identity=False
    )


def _newest_at(result: CheckResult | None) -> datetime | None:
    courier = details.courier_of(result)
    newest = courier.get("newest") if courier else None
    if not isinstance(newest, dict):
        return None
    try:
        return parse_time(newest.get("created_at"))
    except ValueError:
        return None


def _holders(identity: Mapping[str, CheckResult]) -> list[str]:
    """The instances that answered that they hold the address."""
    return [
        name
        for name, result in identity.items()
        if (found := details.identity_of(result)) and found.get("found")
    ]


def choose_instance(identity: Mapping[str, CheckResult], courier: Mapping[str, CheckResult]) -> str | None:
    """Among the instances that hold the identity (or, with none, every instance), the one whose courier
    has the newest message; else the first that holds the identity."""
    holders = _holders(identity)
    order = holders or list(dict.fromkeys([*courier, *identity]))
    dated = [(at, -index, name) for index, name in enumerate(order) if (at := _newest_at(courier.get(name)))]
    if dated:
        return max(dated)[2]
    return holders[0] if holders else None


def _pack(result: CheckResult) -> PackedResult:
    findings: list[FindingDetails] = [
        {"code": f.code, "severity": f.severity.value, "summary": f.summary} for f in result.findings
    ]
    return {
        "status": result.status.value,
        "summary": result.summary,
        "details": result.details,
        "findings": findings,
    }


def _unpack(data: PackedResult) -> CheckResult:
    findings = tuple(Finding.from_dict(dict(raw)) for raw in data.get("findings") or [])
    return CheckResult.from_dict(dict(data), findings)


def _unread_text(unread: Sequence[KratosInstance], why: str) -> str:
    names = ", ".join(f"`{i.name}`" for i in unread)
    settings = ", ".join(i.setting("admin") for i in unread)
    return f"Kratos {names} could not be read ({settings}), so {why}."


def _base(
    results: Mapping[str, CheckResult],
    chosen: str,
    instances: Sequence[KratosInstance],
    holders: Sequence[str] | None,
) -> tuple[str, str]:
    """The instance whose result stands for the check, or "" and why none may (SPEC §16: another
    instance's answer never stands in for one that could not be read). `holders` is None for the
    identity check itself, else the instances that hold the identity."""
    unread = [i for i in instances if i.name in results and not results[i.name].usable]
    if holders is None:  # the identity check
        found = _holders(results)
        if found:
            return (chosen if chosen in found else found[0]), ""
        if unread:
            return "", _unread_text(unread, "whether one of them holds this address is unknown")
        return next(iter(results)), ""
    if holders:
        deciding = chosen if chosen in holders else holders[0]
        if deciding in results and results[deciding].usable:
            return deciding, ""
        return "", _unread_text(
            [i for i in instances if i.name == deciding], "what its courier did with the mail is unknown"
        )
    if unread:
        return "", _unread_text(unread, "what its courier did with mail to this address is unknown")
    return (chosen if chosen in results else next(iter(results))), ""


def merged(
    results: Mapping[str, CheckResult],
    chosen: str,
    instances: Sequence[KratosInstance],
    *,
    holders: Sequence[str] | None = None,
) -> CheckResult:
    """One check result over several instances, decided by `chosen`; `error` when the instance the
    verdict needs could not be read (see `_base`)."""
    summary = " ".join(f"{name}: {result.summary}" for name, result in results.items())
    packed = {name: _pack(result) for name, result in results.items()}
    base_name, why = _base(results, chosen, instances, holders)
    if not base_name:
        unread = [i for i in instances if i.name in results and not results[i.name].usable]
        unknown: InstancesUnread = {"instance": chosen, "instances": packed}
        if unread:
            unknown["setting"] = unread[0].setting("admin")
        return with_lookalike_finding(CheckResult(Status.ERROR, f"{why} {summary}", dict(unknown)), results)
    base = results[base_name]
    keys: InstanceKeys = {"instance": chosen, "instances": packed}
    decided = CheckResult(base.status, summary, {**base.details, **keys}, base.findings)
    return with_lookalike_finding(decided, results)


def _per_instance(result: CheckResult | None, names: Sequence[str]) -> dict[str, CheckResult]:
    if result is None:
        return {}
    packed = details.packed_instances(result)
    if packed is not None:
        return {name: _unpack(data) for name, data in packed.items()}
    if len(names) == 1 and result.status != Status.RUNNING:
        return {names[0]: result}
    return {}  # the whole check ran out of REPORT_DEADLINE: nothing per instance to choose from


def settle_instances(checks: dict[str, CheckResult], instances: Sequence[KratosInstance]) -> str:
    """Choose the deciding instance once both checks are known; rewrite them around it; return it."""
    names = [instance.name for instance in instances]
    per_check = {check: _per_instance(checks.get(check), names) for check in PER_INSTANCE}
    identity = per_check["identity"]
    chosen = choose_instance(identity, per_check["courier"]) or ""
    for check, results in per_check.items():
        if not results:
            continue
        if len(names) > 1:
            holders = None if check == "identity" else _holders(identity)
            checks[check] = merged(results, chosen, instances, holders=holders)
        else:
            result, keys = checks[check], InstanceKeys(instance=chosen)
            checks[check] = replace(result, details={**result.details, **keys})
    return chosen
