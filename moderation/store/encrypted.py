"""Columns encrypted at rest: TOTP secrets (AES-256-GCM).

The key comes from the settings (``MODERATION_TOTP_KEY`` or ``_FILE``, required in
production; a development key otherwise), never from the database, so a copy of the
database alone doesn't give anyone a working second factor. The application factory
configures the key (:func:`configure`); a process that never built an app (a migration,
a script) reads it from the environment on first use.

A stored value is ``enc1:`` + URL-safe base64 of a 12-byte nonce and the ciphertext
with its tag; the column's name is the associated data, so a value copied into another
column doesn't decrypt. A value without the prefix is read as plaintext (a row the
``people_0001`` migration has not encrypted yet) and encrypted when next written.
"""

from __future__ import annotations

import base64
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

PREFIX = "enc1:"
_key: bytes | None = None


class UndecryptableSecret(RuntimeError):
    """A stored secret that the configured key doesn't open (the key was changed)."""


def configure(key: bytes) -> None:
    """Use ``key`` (32 bytes) for every encrypted column in this process."""
    global _key
    if len(key) != 32:
        raise ValueError("the column key must be 32 bytes")
    _key = key


def current_key() -> bytes:
    if _key is None:
        from moderation.settings import load_settings

        configure(load_settings().totp_key_bytes())
    assert _key is not None
    return _key


def encrypt(plain: str, purpose: str, key: bytes | None = None) -> str:
    nonce = os.urandom(12)
    sealed = AESGCM(key or current_key()).encrypt(nonce, plain.encode(), purpose.encode())
    return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(stored: str, purpose: str, key: bytes | None = None) -> str:
    if not stored.startswith(PREFIX):
        return stored
    raw = base64.urlsafe_b64decode(stored[len(PREFIX):])
    try:
        return AESGCM(key or current_key()).decrypt(raw[:12], raw[12:], purpose.encode()).decode()
    except InvalidTag:
        raise UndecryptableSecret(
            f"a stored {purpose} does not decrypt with the configured MODERATION_TOTP_KEY "
            "(was the key changed?)") from None


class EncryptedString(TypeDecorator[str]):
    """A string column stored encrypted; Python code only ever sees the plaintext."""

    impl = String(255)
    cache_ok = True

    def __init__(self, purpose: str, length: int = 255) -> None:
        super().__init__(length)
        self.purpose = purpose

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else encrypt(value, self.purpose)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else decrypt(str(value), self.purpose)
