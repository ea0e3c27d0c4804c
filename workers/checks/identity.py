"""Check `identity`: does a Kratos identity own this address, and is the address verified?

details: `IdentityDetails` (workers/report/details.py): found, identity_id, schema_id, state, address
{value, verified, status, verified_at}; only `found` when no identity has the address. When no instance
holds the address, `lookalike_search.py` adds look-alike identities (`LookalikeDetails`, SPEC §14).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workers.clients.kratos import KratosAdmin, KratosError
from workers.core.keys import address_form
from workers.report.details import AddressDetails, IdentityDetails
from workers.report.model import CheckResult, Finding, Severity, Status


def _address(identity: dict[str, Any], email: str) -> AddressDetails | None:
    for address in identity.get("verifiable_addresses") or []:
        if isinstance(address, dict) and address_form(str(address.get("value", ""))) == address_form(email):
            return AddressDetails(
                value=address.get("value"),
                verified=address.get("verified"),
                status=address.get("status"),
                verified_at=address.get("verified_at"),
            )
    return None


def _findings(identity: dict[str, Any], address: AddressDetails | None) -> tuple[Finding, ...]:
    findings = []
    if identity.get("state") == "inactive":
        findings.append(
            Finding(
                "identity_inactive", Severity.WARN, "The identity is deactivated: the user cannot sign in."
            )
        )
    if address is not None and not address["verified"]:
        findings.append(
            Finding(
                "address_unverified",
                Severity.INFO,
                f"The address is not verified yet (verification status `{address['status']}`).",
            )
        )
    return tuple(findings)


async def _find(kratos: KratosAdmin, spellings: Sequence[str]) -> dict[str, Any] | None:
    """The identity whose login identifier is one of the spellings, asked in order (Kratos only
    lower-cases: a composed and a decomposed "é" are two identifiers to it, SPEC §14)."""
    for spelling in spellings:
        identity = await kratos.find_identity(spelling)
        if identity is not None:
            return identity
    return None


async def check_identity(email: str, *, kratos: KratosAdmin, spellings: Sequence[str] = ()) -> CheckResult:
    """`spellings`: the forms Kratos is asked for (as typed, then NFC); default `email` alone."""
    try:
        identity = await _find(kratos, spellings or [email])
    except KratosError as exc:
        return CheckResult.error(str(exc), **exc.details())
    if identity is None:
        missing: IdentityDetails = {"found": False}
        return CheckResult(
            Status.FAIL, "No Kratos identity has this address as a login identifier.", dict(missing)
        )
    address = _address(identity, email)
    details: IdentityDetails = {
        "found": True,
        "identity_id": identity.get("id"),
        "schema_id": identity.get("schema_id"),
        "state": identity.get("state"),
        "address": address,
    }
    findings = _findings(identity, address)
    verified = bool(address and address["verified"])
    summary = f"Identity `{identity.get('id')}` ({identity.get('state')}), address " + (
        "verified." if verified else "not verified."
    )
    status = Status.WARN if identity.get("state") == "inactive" else Status.OK
    return CheckResult(status, summary, dict(details), findings)
