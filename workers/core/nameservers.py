"""The syntax of a DNS_NAMESERVERS entry, shared by the settings and the resolver factory."""

from __future__ import annotations

import ipaddress

DEFAULT_PORT = 53


def parse_nameserver(entry: str) -> tuple[str, int]:
    """`1.2.3.4`, `1.2.3.4:5353`, `::1` or `[::1]:5353` → (address, port); ValueError otherwise."""
    text = entry.strip()
    host, port = text, DEFAULT_PORT
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise ValueError(f"bad nameserver {entry!r}: expected [v6] or [v6]:port")
        port = _port(entry, rest[1:]) if rest else DEFAULT_PORT
    elif text.count(":") == 1:  # more than one colon is a bare IPv6 address
        host, _, port_text = text.partition(":")
        port = _port(entry, port_text)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"bad nameserver {entry!r}: not an IP address") from None
    return str(address), port


def _port(entry: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad nameserver {entry!r}: bad port")
    return int(text)
