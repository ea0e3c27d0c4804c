"""Every sending provider mailcheck has an API adapter for, by the name MAIL_PROVIDER uses.

A new provider is one module exposing `ADAPTER` and one line here (and its name in the settings'
`Provider` literal, which a test holds to this registry).
"""

from __future__ import annotations

from workers.providers import brevo, postmark, resend, smtp2go
from workers.providers.adapter import ProviderAdapter

ADAPTERS: dict[str, ProviderAdapter] = {
    adapter.name: adapter
    for adapter in (
        resend.ADAPTER,
        postmark.ADAPTER,
        brevo.ADAPTER,
        smtp2go.ADAPTER,
    )
}


class UnknownProvider(LookupError):
    """A provider name with no adapter: a caller's mistake, never a silent fallback to another API."""


def has_api(name: str) -> bool:
    return name in ADAPTERS


def adapter_for(name: str) -> ProviderAdapter:
    try:
        return ADAPTERS[name]
    except KeyError:
        raise UnknownProvider(f"mailcheck has no API adapter for the provider {name!r}") from None
