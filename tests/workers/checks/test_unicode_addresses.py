"""A pasted decomposed address (SPEC §14): the report shows and keys the NFC form, and Kratos, which only
lower-cases, is asked for the address as typed and for its NFC form. Real Kratos and DNS stand-ins."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.parse import Check, parse_command
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from workers.checks.diagnostics import run_diagnostics
from workers.core.settings import load_settings
from workers.report.model import Report

_ids = itertools.count(1)


def _diagnose(email: str, typed: str, kratos: KratosStandIn, dns: DnsServer) -> Report:
    settings = load_settings(
        {
            "kratos_admin_url": kratos.admin_url,
            "kratos_public_url": kratos.public_url,
            "dns_nameservers": dns.nameserver,
            "dns_timeout": 0.5,
            "report_deadline": 5,
        }
    )
    return asyncio.run(run_diagnostics(email, settings, report_id=f"u{next(_ids)}", typed=typed))


def test_parse_keeps_the_typed_form_beside_the_nfc_one() -> None:
    assert parse_command("JOSE\u0301@Example.com") == Check("jos\u00e9@example.com", "jose\u0301@example.com")
    assert parse_command("jos\u00e9@example.com") == Check("jos\u00e9@example.com")


@pytest.mark.parametrize("registered", ["nfd", "nfc"])
def test_an_identity_is_found_whichever_form_it_was_registered_in(
    registered: str, kratos: KratosStandIn, dns: DnsServer
) -> None:
    kratos.reset()
    local = f"jose{next(_ids)}"
    nfd, nfc = f"{local}e\u0301@example.com", f"{local}\u00e9@example.com"
    stored = nfd if registered == "nfd" else nfc
    kratos.add_identity(stored, verified=True)
    kratos.add_message(stored, status="sent", age_s=120)
    report = _diagnose(nfc, nfd, kratos, dns)  # pasted decomposed, normalized by the bot
    assert report.email == nfc
    identity = report.checks["identity"]
    assert identity.details["found"] is True and identity.details["address"]["verified"] is True
    assert report.checks["courier"].details["count"] == 1
    assert report.verdict == "sent"
    asked = [q["credentials_identifier"] for q in kratos.identity_queries if "credentials_identifier" in q]
    assert [nfd] in asked  # the typed form first
