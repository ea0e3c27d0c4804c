"""Check `identity`: does a Kratos identity own this address, and is the address verified?

details (`IdentityDetails`): found, identity_id, schema_id, state, address {value, verified, status,
verified_at}.
"""

from __future__ import annotations

from typing import Any

from workers.clients.kratos import KratosAdmin, KratosError
from workers.report.details import AddressDetails, IdentityDetails
from workers.report.model import CheckResult, Finding, Severity, Status


def _address(identity: dict[str, Any], email: str) -> AddressDetails | None:
    for address in identity.get("verifiable_addresses") or []:
        if isinstance(address, dict) and str(address.get("value", "")).lower() == email:
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


async def check_identity(email: str, *, kratos: KratosAdmin) -> CheckResult:
    try:
        identity = await kratos.find_identity(email)
    except KratosError as exc:
        return CheckResult.error(str(exc), **exc.details())
    if identity is None:
        return CheckResult(
            Status.FAIL,
            "No Kratos identity has this address as a login identifier.",
            {"found": False},
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
