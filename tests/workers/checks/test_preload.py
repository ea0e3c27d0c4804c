"""`preload` builds in the worker parent what each forked work-horse would otherwise build again."""

from __future__ import annotations

import asyncio
import ssl
import sys
import threading
from unittest.mock import patch

import pytest
from publicsuffixlist import PublicSuffixList

from workers.checks.diagnostics import _FIRST_USE_MODULES, preload
from workers.checks.sender_auth import dmarc
from workers.checks.sender_auth.dmarc import parsed_suffixes, suffixes
from workers.checks.smtp import tls as smtp_tls
from workers.clients.tls import client_tls_context
from workers.core.smtp_uri import parse_smtp_uri


def test_preload_parses_the_suffix_list_builds_the_tls_context_and_imports_first_use_modules() -> None:
    suffixes.cache_clear()
    client_tls_context.cache_clear()
    preload()
    assert suffixes.cache_info().currsize == 1
    assert client_tls_context.cache_info().currsize == 1
    assert all(module in sys.modules for module in _FIRST_USE_MODULES)
    assert suffixes().privatesuffix("mail.acme.co.uk") == "acme.co.uk"


def test_preload_builds_the_smtp_probes_verifying_context_so_a_probe_does_not_build_it_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    relay = parse_smtp_uri("smtp://user:secret@relay.test:587/")
    smtp_tls._BUILT.clear()
    preload()

    def build_again(verify: bool, ca_file: str | None) -> ssl.SSLContext:
        raise AssertionError(f"built again: verify={verify} ca_file={ca_file}")

    monkeypatch.setattr(smtp_tls, "_build", build_again)
    context = smtp_tls.tls_context(relay, None)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with pytest.raises(AssertionError, match="built again"):  # a context preload did not build
        smtp_tls.tls_context(parse_smtp_uri("smtp://relay.test/?skip_ssl_verify=true"), None)


def test_the_suffix_list_is_parsed_off_the_event_loop_the_first_time() -> None:
    suffixes.cache_clear()
    loop_thread = threading.get_ident()
    parsed_in: list[int] = []

    def parse() -> PublicSuffixList:
        parsed_in.append(threading.get_ident())
        return PublicSuffixList()

    async def first_use() -> str | None:
        with patch.object(dmarc, "PublicSuffixList", side_effect=parse):
            suffix_list = await parsed_suffixes()
        return suffix_list.privatesuffix("mail.acme.co.uk")

    assert asyncio.run(first_use()) == "acme.co.uk"
    assert len(parsed_in) == 1 and parsed_in[0] != loop_thread
    assert asyncio.run(parsed_suffixes()) is suffixes()  # then the parsed one, without a thread
