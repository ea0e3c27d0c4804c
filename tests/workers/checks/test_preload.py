"""`preload` builds in the worker parent what each forked work-horse would otherwise build again."""

from __future__ import annotations

import sys

from workers.checks.diagnostics import _FIRST_USE_MODULES, preload
from workers.checks.sender_auth.dmarc import suffixes
from workers.clients.tls import client_tls_context


def test_preload_parses_the_suffix_list_builds_the_tls_context_and_imports_first_use_modules() -> None:
    suffixes.cache_clear()
    client_tls_context.cache_clear()
    preload()
    assert suffixes.cache_info().currsize == 1
    assert client_tls_context.cache_info().currsize == 1
    assert all(module in sys.modules for module in _FIRST_USE_MODULES)
    assert suffixes().privatesuffix("mail.acme.co.uk") == "acme.co.uk"
