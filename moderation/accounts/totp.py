"""TOTP (RFC 6238, 30-second steps, 6 digits) and one-time recovery codes."""

from __future__ import annotations

import hashlib
import secrets
import time

import pyotp

#: Codes from this many steps either side of now are accepted (clock drift).
VALID_WINDOW = 1
STEP_SECONDS = 30
#: Recovery codes: 16 characters from 31 unambiguous letters and digits (79 bits), in 4 groups.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, account: str, issuer: str = "Moderation console") -> str:
    """The ``otpauth://`` URI an authenticator app reads (as a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def normalise_code(code: str) -> str:
    return "".join(code.split())


def matching_step(secret: str, code: str, *, after_step: int | None = None,
                  now: float | None = None) -> int | None:
    """The time step ``code`` belongs to, if it is valid now and later than ``after_step``.

    Callers store the returned step so the same code (or an older one) can't be replayed.
    """
    code = normalise_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((time.time() if now is None else now) // STEP_SECONDS)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if after_step is not None and step <= after_step:
            continue
        if secrets.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    codes = []
    for _ in range(count):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def normalise_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def looks_like_recovery_code(code: str) -> bool:
    return len(normalise_recovery_code(code)) == 16


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()
