"""Real DKIM public keys for tests: RSA of any size (cryptography refuses to generate < 1024 bits,
so small keys are built from primes found here) and Ed25519."""

from __future__ import annotations

import base64
import functools
import secrets

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

_SMALL_PRIMES = (3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47)


def _probably_prime(n: int, rounds: int = 24) -> bool:
    if any(n % p == 0 for p in _SMALL_PRIMES):
        return n in _SMALL_PRIMES
    d, r = n - 1, 0
    while d % 2 == 0:
        d, r = d // 2, r + 1
    for _ in range(rounds):
        x = pow(secrets.randbelow(n - 3) + 2, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int) -> int:
    while True:
        candidate = secrets.randbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _probably_prime(candidate) and (candidate - 1) % 65537:
            return candidate


def rsa_public_der(bits: int) -> bytes:
    """A SubjectPublicKeyInfo DER of a fresh RSA key with a modulus of exactly `bits` bits."""
    if bits >= 1024:
        key = rsa.generate_private_key(public_exponent=65537, key_size=bits).public_key()
    else:
        key = rsa.RSAPublicNumbers(65537, _prime(bits // 2) * _prime(bits - bits // 2)).public_key()
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def ed25519_public_raw() -> bytes:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def txt_record(text: str) -> str:
    """Zone-file text for a long TXT value, split into 255-octet strings as DNS requires."""
    return " ".join(f'"{text[i : i + 255]}"' for i in range(0, len(text), 255))


@functools.cache  # one key per size and type is enough, and key generation is the slow part
def dkim_record(bits: int = 2048, *, key_type: str = "rsa") -> str:
    key = ed25519_public_raw() if key_type == "ed25519" else rsa_public_der(bits)
    return txt_record(f"v=DKIM1; k={key_type}; p={base64.b64encode(key).decode()}")
