"""`preload` builds in the worker parent what each forked work-horse would otherwise build again."""

from __future__ import annotations

import ssl
import sys

from workers.checks import smtp_tls
from workers.checks.diagnostics import _FIRST_USE_MODULES, preload
from workers.checks.sender_auth.dmarc import suffixes
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


def test_preload_builds_the_smtp_probes_verifying_context_so_a_probe_takes_it_without_a_thread() -> None:
    relay = parse_smtp_uri("smtp://user:secret@relay.test:587/")
    smtp_tls._BUILT.clear()
    assert smtp_tls.built_tls_context(relay, None) is None
    preload()
    built = smtp_tls.built_tls_context(relay, None)
    assert built is not None and built.verify_mode == ssl.CERT_REQUIRED
    assert smtp_tls.tls_context(relay, None) is built
    assert smtp_tls.built_tls_context(parse_smtp_uri("smtp://relay.test/?skip_ssl_verify=true"), None) is None
