"""SPF record syntax (RFC 7208 §4.6, §5, §6) and macro expansion (§7), without DNS.

`parse_record` checks the whole record up front, because a syntax error anywhere makes the
result permerror even when an earlier mechanism would match (§4.6).
"""

from __future__ import annotations

import ipaddress
import re
import time
import urllib.parse
from dataclasses import dataclass

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOKUP_TERMS = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
_MECHANISM = re.compile(r"^([-+~?]?)(all|include|a|mx|ptr|ip4|ip6|exists)(?=$|[:/])(.*)$", re.I)
_MODIFIER = re.compile(r"^([a-z][a-z0-9_.-]*)=(.*)$", re.I)
_DUAL_CIDR = re.compile(r"^(.*?)(?:/(0|[1-9]\d{0,2}))?(?://(0|[1-9]\d{0,2}))?$", re.S)
_MACRO = re.compile(r"%(?:\{([a-z])(\d*)(r?)([-.+,/_=]*)\}|(.))", re.I)
_TOPLABEL = re.compile(r"^(?:[a-z0-9]*[a-z][a-z0-9]*|[a-z0-9]+-[a-z0-9-]*[a-z0-9])$", re.I)
_DOMAIN_LETTERS = "slodiphv"
_EXPLAIN_LETTERS = _DOMAIN_LETTERS + "crt"


class SpfSyntaxError(ValueError):
    """The record (or a macro in it) breaks the RFC 7208 grammar: permerror."""


@dataclass(frozen=True)
class Mechanism:
    qualifier: str  # "+", "-", "~" or "?"
    kind: str  # all include a mx ptr ip4 ip6 exists
    domain_spec: str | None = None
    cidr4: int = 32
    cidr6: int = 128
    network: IpNetwork | None = None


@dataclass(frozen=True)
class SpfRecord:
    text: str
    mechanisms: tuple[Mechanism, ...]
    redirect: str | None = None
    exp: str | None = None

    @property
    def lookup_terms(self) -> int:
        """DNS-querying terms in this record alone (§4.6.4 counts them across includes)."""
        redirect = self.redirect is not None and not any(m.kind == "all" for m in self.mechanisms)
        return sum(m.kind in LOOKUP_TERMS for m in self.mechanisms) + redirect  # all= voids redirect=


def is_spf_record(text: bytes) -> bool:
    """Whether a TXT record (strings joined) is an SPF record: `v=spf1` then a space or the end."""
    head = text[:7].lower()
    return head == b"v=spf1" or head == b"v=spf1 "


def parse_record(text: str) -> SpfRecord:
    terms = text.split(" ")
    if terms[0].lower() != "v=spf1":
        raise SpfSyntaxError("record does not start with v=spf1")
    mechanisms: list[Mechanism] = []
    modifiers: dict[str, str] = {}
    for term in terms[1:]:
        if not term:
            continue  # runs of spaces are allowed (§4.6.1: 1*SP)
        if not term.isascii() or not term.isprintable():
            raise SpfSyntaxError(f"term {term!r} has a control or non-ASCII character")
        modifier = _MODIFIER.match(term)
        if modifier:
            name, value = modifier.group(1).lower(), modifier.group(2)
            _check_modifier(name, value, modifiers)
            modifiers[name] = value
        else:
            mechanisms.append(parse_mechanism(term))
    return SpfRecord(text, tuple(mechanisms), modifiers.get("redirect"), modifiers.get("exp"))


def _check_modifier(name: str, value: str, seen: dict[str, str]) -> None:
    if name in ("redirect", "exp"):
        if name in seen:
            raise SpfSyntaxError(f"{name}= appears more than once")
        check_domain_spec(value)
    else:
        check_macro_string(value, _DOMAIN_LETTERS)


def parse_mechanism(term: str) -> Mechanism:
    match = _MECHANISM.match(term)
    if not match:
        raise SpfSyntaxError(f"unknown mechanism {term!r}")
    qualifier, kind, rest = match.group(1) or "+", match.group(2).lower(), match.group(3)
    if kind == "all":
        if rest:
            raise SpfSyntaxError(f"{term!r}: all takes no argument")
        return Mechanism(qualifier, kind)
    if kind in ("ip4", "ip6"):
        return Mechanism(qualifier, kind, network=_parse_network(kind, rest))
    if kind in ("a", "mx"):
        return _parse_dual_cidr(qualifier, kind, rest)
    if not rest.startswith(":") and (kind != "ptr" or rest):
        raise SpfSyntaxError(f"{term!r}: expected {kind}:domain")
    if rest == ":":
        raise SpfSyntaxError(f"{term!r}: empty domain")
    spec = rest[1:] or None
    if spec is not None:
        check_domain_spec(spec)
    return Mechanism(qualifier, kind, spec)


def _parse_dual_cidr(qualifier: str, kind: str, rest: str) -> Mechanism:
    match = _DUAL_CIDR.match(rest)
    assert match is not None  # the pattern matches any string
    spec, cidr4, cidr6 = match.group(1), match.group(2), match.group(3)
    if (cidr4 and int(cidr4) > 32) or (cidr6 and int(cidr6) > 128):
        raise SpfSyntaxError(f"{kind}{rest}: CIDR length out of range")
    if (spec and not spec.startswith(":")) or spec == ":":
        raise SpfSyntaxError(f"{kind}{rest}: bad argument")
    if spec:
        check_domain_spec(spec[1:])
    return Mechanism(qualifier, kind, spec[1:] or None, int(cidr4 or 32), int(cidr6 or 128))


def _parse_network(kind: str, rest: str) -> IpNetwork:
    if not rest.startswith(":"):
        raise SpfSyntaxError(f"{kind}{rest}: expected {kind}:address")
    address, slash, length = rest[1:].partition("/")
    limit = 32 if kind == "ip4" else 128
    if slash and (not re.fullmatch(r"0|[1-9]\d{0,2}", length) or int(length) > limit):
        raise SpfSyntaxError(f"{kind}{rest}: bad CIDR length")
    try:
        ip = ipaddress.IPv4Address(address) if kind == "ip4" else ipaddress.IPv6Address(address)
    except ValueError:
        raise SpfSyntaxError(f"{kind}{rest}: bad address") from None
    return ipaddress.ip_network(f"{ip}/{length or limit}", strict=False)


def check_domain_spec(spec: str) -> None:
    """domain-spec = macro-string domain-end (§7.1): ends in a macro or in `.toplabel[.]`."""
    check_macro_string(spec, _DOMAIN_LETTERS)
    if re.search(r"%(\{[^}]*\}|[%_-])$", spec):
        return
    labels = spec[:-1].split(".") if spec.endswith(".") else spec.split(".")
    if len(labels) < 2 or not _TOPLABEL.match(labels[-1]):
        raise SpfSyntaxError(f"{spec!r} does not end in a valid top label")


def check_macro_string(text: str, letters: str) -> None:
    # explain-string = *( macro-string / SP ): spaces are literal only in exp= texts.
    if letters == _EXPLAIN_LETTERS:
        text = text.replace(" ", "!")
    position = 0
    for match in _MACRO.finditer(text):
        _check_literal(text[position : match.start()])
        letter, digits, _, _, single = match.groups()
        if single is not None and single not in "%_-":
            raise SpfSyntaxError(f"bad macro %{single} in {text!r}")
        if letter is not None and (letter.lower() not in letters or digits[:1] == "0"):
            raise SpfSyntaxError(f"bad macro %{{{letter}{digits}…}} in {text!r}")
        position = match.end()
    _check_literal(text[position:])


def _check_literal(text: str) -> None:
    # macro-literal = %x21-24 / %x26-7E: visible ASCII except "%", which must start a macro.
    if any(not 0x21 <= ord(char) <= 0x7E or char == "%" for char in text):
        raise SpfSyntaxError(f"bad character in {text!r}")


@dataclass(frozen=True)
class MacroContext:
    """What the macros (§7.2) expand to for one evaluation."""

    sender: str
    ip: IpAddress
    domain: str
    helo: str
    validated_name: str = "unknown"  # %{p}: filled in by the evaluator only when a macro needs it


def expand(text: str, ctx: MacroContext, *, explain: bool = False) -> str:
    """Expand macros; a domain-spec is then shortened from the left to fit 253 octets (§7.3)."""
    check_macro_string(text, _EXPLAIN_LETTERS if explain else _DOMAIN_LETTERS)

    def replace(match: re.Match[str]) -> str:
        letter, digits, reverse, delimiters, single = match.groups()
        if single is not None:
            return {"%": "%", "_": " ", "-": "%20"}[single]
        parts = re.split("[" + re.escape(delimiters or ".") + "]", _macro_value(letter.lower(), ctx))
        if reverse:
            parts.reverse()
        if digits:
            parts = parts[-int(digits) :]
        value = ".".join(parts)
        return urllib.parse.quote(value, safe="") if letter.isupper() else value

    result = _MACRO.sub(replace, text)
    if not explain:
        while len(result) > 253 and "." in result:
            result = result.split(".", 1)[1]
    return result


def _macro_value(letter: str, ctx: MacroContext) -> str:
    local, _, sender_domain = ctx.sender.rpartition("@")
    values = {
        "s": ctx.sender,
        "l": local,
        "o": sender_domain,
        "d": ctx.domain,
        "i": _dotted(ctx.ip),
        "p": ctx.validated_name,
        "v": "in-addr" if ctx.ip.version == 4 else "ip6",
        "h": ctx.helo,
        "c": str(ctx.ip),
        "r": "unknown",
        "t": str(int(time.time())),
    }
    return values[letter]


def _dotted(ip: IpAddress) -> str:
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", ""))
