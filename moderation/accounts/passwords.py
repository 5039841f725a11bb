"""The password policy and Argon2id hashing for personal accounts."""

from __future__ import annotations

import secrets
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

#: argon2-cffi's defaults are Argon2id with the RFC 9106 "low memory" profile
#: (t=3, m=64 MiB, p=4): about 50 ms per hash on one core.
_HASHER = PasswordHasher()
#: Passwords longer than this are refused (hashing cost, and a sign of a paste accident).
MAX_LENGTH = 256


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("moderation.accounts").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def password_problems(password: str, *, min_length: int, username: str = "",
                      display_name: str = "") -> list[str]:
    """Why ``password`` is not acceptable (empty when it is)."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append(f"Use at least {min_length} characters.")
    if len(password) > MAX_LENGTH:
        problems.append(f"Use at most {MAX_LENGTH} characters.")
    lowered = password.lower()
    stripped = lowered.rstrip("0123456789!@#$%^&*.?_- ")
    common = common_passwords()
    if lowered in common or stripped in common or len(set(lowered)) <= 2:
        problems.append("This password is too common; choose one that is hard to guess.")
    for name in (username, display_name):
        name = name.strip().lower()
        if len(name) >= 4 and name in lowered:
            problems.append("The password must not contain your username or name.")
            break
    return problems


def generate_password() -> str:
    """A random 20-character password (120 bits) for a new account or a reset."""
    return secrets.token_urlsafe(15)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches; never raises on a wrong password or a bad hash."""
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the username is unknown, so the answer takes as long."""
    return _HASHER.hash("not-a-real-password-for-timing")
