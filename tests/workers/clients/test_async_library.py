"""httpx's transport (httpcore) and dnspython ask which async library runs on every request and lock.
With sniffio installed that is a lookup; without it, a failed import that walks sys.path each time."""

from __future__ import annotations

import asyncio
import builtins
from collections import Counter
from typing import Any

import pytest
from dns.asyncbackend import get_default_backend
from httpcore._synchronization import current_async_library


def test_asking_again_for_the_async_library_imports_nothing_that_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed: Counter[str] = Counter()
    real_import = builtins.__import__

    def counting_import(name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return real_import(name, *args, **kwargs)
        except ImportError:
            failed[name] += 1
            raise

    async def ask() -> tuple[str, str]:
        return current_async_library(), get_default_backend().name()

    assert asyncio.run(ask()) == ("asyncio", "asyncio")  # first use: optional backends are looked for once
    monkeypatch.setattr(builtins, "__import__", counting_import)
    assert asyncio.run(ask()) == ("asyncio", "asyncio")
    assert not failed, failed
