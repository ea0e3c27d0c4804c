"""The DKIM part of `sender_auth` (SPEC §5): does each known selector publish a usable public key?

DKIM selectors cannot be discovered from DNS, so we look up DKIM_SELECTORS or the provider's fixed
ones; with neither the part is skipped, never reported as `dkim_missing`.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

import dns.asyncresolver
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from workers.checks.sender_auth.part import AuthPart
from workers.clients.dns import DnsUnavailable, gather_lookups, lookup
from workers.report.details_dns import DkimDetails, DkimKey, DkimSelector
from workers.report.model import Finding, Severity

PROVIDER_SELECTORS: dict[str, tuple[str, ...]] = {
    "resend": ("resend",),
    "brevo": ("brevo1", "brevo2", "mail"),
}
MIN_BITS = 1024  # below: receivers treat the signature as absent (RFC 8301)
GOOD_BITS = 2048  # below: still accepted, but weak
ED25519_KEY_BYTES = 32


class DkimRecordError(ValueError):
    """The record is not a usable DKIM key record; the message says why."""


def selectors_for(provider: str, configured: Sequence[str]) -> tuple[str, ...]:
    return tuple(configured) or PROVIDER_SELECTORS.get(provider, ())


def parse_tags(text: str) -> dict[str, str]:
    """tag-list (RFC 6376 §3.2): `tag=value` separated by `;`, whitespace around both allowed."""
    tags: dict[str, str] = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        name, equals, value = part.partition("=")
        if not equals or not name.strip():
            raise DkimRecordError(f"malformed tag {part.strip()!r}")
        tags.setdefault(name.strip(), "".join(value.split()))
    return tags


def parse_key_record(text: str) -> DkimKey:
    """{"key_type", "key_bits", "revoked"} from a key record; DkimRecordError when unusable."""
    tags = parse_tags(text)
    if "v" in tags and (tags["v"] != "DKIM1" or next(iter(tags)) != "v"):
        raise DkimRecordError("v= must be DKIM1 and the first tag")
    if "p" not in tags:
        raise DkimRecordError("no p= tag")
    key_type = tags.get("k", "rsa").lower()
    if not tags["p"]:
        return {"key_type": key_type, "key_bits": None, "revoked": True}
    try:
        key = base64.b64decode(tags["p"], validate=True)
    except (binascii.Error, ValueError):
        raise DkimRecordError("p= is not base64") from None
    return {"key_type": key_type, "key_bits": _key_bits(key_type, key), "revoked": False}


def _key_bits(key_type: str, key: bytes) -> int:
    if key_type == "ed25519":
        if len(key) != ED25519_KEY_BYTES:
            raise DkimRecordError(f"ed25519 key is {len(key)} bytes, not {ED25519_KEY_BYTES}")
        return ED25519_KEY_BYTES * 8
    if key_type != "rsa":
        raise DkimRecordError(f"unknown key type k={key_type}")
    try:
        public_key = load_der_public_key(key)  # SubjectPublicKeyInfo, or a bare PKCS#1 key
    except (ValueError, TypeError):
        raise DkimRecordError("p= is not a DER public key") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise DkimRecordError("k=rsa but p= holds another kind of key")
    return public_key.key_size


async def _selector(resolver: dns.asyncresolver.Resolver, selector: str, domain: str) -> DkimSelector:
    name = f"{selector}._domainkey.{domain}"
    entry: DkimSelector = {"name": name, "found": False, "key_type": None, "key_bits": None}
    texts = [b"".join(r.strings) for r in await lookup(resolver, name, "TXT")]  # type: ignore[attr-defined]
    if not texts:
        return entry
    entry["found"] = True
    try:
        if len(texts) > 1:
            raise DkimRecordError(f"{len(texts)} TXT records")
        entry = {**entry, **parse_key_record(texts[0].decode("ascii"))}
    except UnicodeDecodeError:
        entry["error"] = "record is not ASCII"
    except DkimRecordError as exc:
        entry["error"] = str(exc)
    return entry


def _usable(entry: DkimSelector) -> bool:
    return bool(entry["found"] and entry["key_bits"] and not entry.get("error"))


async def check_dkim(
    *, resolver: dns.asyncresolver.Resolver, from_domain: str, provider: str, selectors: Sequence[str]
) -> AuthPart[DkimDetails]:
    chosen = selectors_for(provider, selectors)
    details: DkimDetails = {"selectors": {}, "skipped_reason": None}
    if not chosen:
        details["skipped_reason"] = f"no DKIM selector is known for {provider}: set DKIM_SELECTORS"
        return AuthPart(
            f"DKIM was not checked: no selector is known for {provider}; set DKIM_SELECTORS.", details
        )
    try:
        entries = await gather_lookups(_selector(resolver, selector, from_domain) for selector in chosen)
    except DnsUnavailable as exc:
        return AuthPart(f"DKIM could not be checked: {exc}.", details, error=str(exc))
    details["selectors"] = dict(zip(chosen, entries, strict=True))
    usable = {selector: entry for selector, entry in details["selectors"].items() if _usable(entry)}
    if not usable:
        missing = _missing(from_domain, details["selectors"])
        return AuthPart(missing.summary, details, [missing])
    findings = _weak_keys(usable)
    keys = ", ".join(f"{s} ({e['key_type']} {e['key_bits']}-bit)" for s, e in usable.items())
    return AuthPart(f"DKIM key found: {keys}.", details, findings)


def _missing(domain: str, entries: dict[str, DkimSelector]) -> Finding:
    reasons = []
    for selector, entry in entries.items():
        reason = "not found"
        if entry.get("revoked"):
            reason = "revoked (empty p=)"
        elif entry.get("error"):
            reason = entry["error"]
        reasons.append(f"{selector}: {reason}")
    text = f"No usable DKIM key for {domain}, so receivers see our mail as unsigned ({'; '.join(reasons)})."
    return Finding("dkim_missing", Severity.FAIL, text)


def _weak_keys(usable: dict[str, DkimSelector]) -> list[Finding]:
    weak = {
        s: bits
        for s, e in usable.items()
        if e["key_type"] == "rsa" and (bits := e["key_bits"]) is not None and bits < GOOD_BITS
    }
    if not weak:
        return []
    severity = Severity.FAIL if min(weak.values()) < MIN_BITS else Severity.WARN
    listed = ", ".join(f"{selector} {bits}-bit" for selector, bits in weak.items())
    text = f"Weak DKIM RSA key ({listed}); use 2048 bits"
    if severity is Severity.FAIL:
        text += f": keys under {MIN_BITS} bits are ignored by receivers"
    text += "."
    return [Finding("dkim_weak_key", severity, text)]
