"""A site's Coral signing secrets and the check of Coral's ``X-Coral-Signature``.

Coral generates the secret (``empsec_…``) when an external moderation phase is created
or rotated, and signs each request's exact body with every secret still active:
``X-Coral-Signature: sha256=<hex>[,sha256=<hex>…]``, each an HMAC-SHA256. The operator
registers the secret here (CLI or admin API). A rotation in Coral keeps the old secret
active for a while, so both are registered here at once; the old one is revoked (or
given an expiry) when Coral drops it.

Checking an HMAC needs the secret itself, so it can't be stored as a hash the way API
keys are: it is encrypted with AES-256-GCM under ``Settings.integration_key_bytes()``
(the site id as associated data, so a row copied to another site doesn't decrypt) and
never shown again after registration. Adding and revoking are audited.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.domain.errors import Conflict, Invalid, NotFound
from moderation.store import CoralSecret, Site
from moderation.store.base import utcnow

#: Coral's secrets are ``empsec_`` and random hex; accept any printable token after the prefix.
SECRET_PATTERN = re.compile(r"^empsec_[A-Za-z0-9_\-]{16,200}$")
PREFIX_LENGTH = 11  # "empsec_" and 4 more characters
#: At most this many signatures in one header are tried (Coral sends one per active secret).
MAX_SIGNATURES = 8
_SIGNATURE = re.compile(r"^sha256=([0-9a-fA-F]{64})$")


def _aad(site_id: int) -> bytes:
    return f"coral-secret:{site_id}".encode()


def _fingerprint(key: bytes, secret: str) -> str:
    return hmac.new(key, b"fingerprint:" + secret.encode(), hashlib.sha256).hexdigest()


def encrypt(key: bytes, site_id: int, secret: str) -> bytes:
    nonce = os.urandom(12)
    return nonce + AESGCM(key).encrypt(nonce, secret.encode(), _aad(site_id))


def decrypt(key: bytes, site_id: int, blob: bytes) -> bytes | None:
    """The secret, or None when it doesn't decrypt (another key, another site's row)."""
    try:
        return AESGCM(key).decrypt(blob[:12], blob[12:], _aad(site_id))
    except (InvalidTag, ValueError):
        return None


def active(at: datetime) -> ColumnElement[bool]:
    return (CoralSecret.revoked_at.is_(None)
            & or_(CoralSecret.expires_at.is_(None), CoralSecret.expires_at > at))


def add_secret(
    session: Session, *, site: Site, secret: str, key: bytes, actor: Actor,
    name: str | None = None, expires_at: datetime | None = None, request_id: str | None = None,
) -> CoralSecret:
    """Register one of Coral's signing secrets for ``site``. Commits.

    Raises :class:`Invalid` for something that isn't an ``empsec_`` secret or an expiry
    in the past, :class:`Conflict` when the site already has this secret.
    """
    secret = secret.strip()
    if not SECRET_PATTERN.match(secret):
        raise Invalid.field("secret", "invalid_format",
                            "Expected Coral's signing secret: empsec_ followed by 16 to 200 letters, "
                            "digits, '-' or '_' (copy it from Coral's external moderation phase).")
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise Invalid.field("expires_at", "in_past", "The expiry must be in the future.")
    row = CoralSecret(site_id=site.id, ciphertext=encrypt(key, site.id, secret),
                      prefix=secret[:PREFIX_LENGTH], fingerprint=_fingerprint(key, secret),
                      name=name, created_at=now, created_by=actor.id, expires_at=expires_at)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("This signing secret is already registered for the site.",
                       code="secret_exists") from None
    audit.record(session, actor=actor, action="coral.secret.add", target_type="coral_secret",
                 target_id=row.id, site_id=site.id,
                 after={"prefix": row.prefix, "name": name,
                        "expires_at": expires_at.isoformat() if expires_at else None},
                 request_id=request_id)
    session.commit()
    return row


def list_secrets(session: Session, site: Site, *, include_revoked: bool = False) -> list[CoralSecret]:
    stmt = select(CoralSecret).where(CoralSecret.site_id == site.id).order_by(CoralSecret.id)
    if not include_revoked:
        stmt = stmt.where(CoralSecret.revoked_at.is_(None))
    return list(session.scalars(stmt))


def revoke_secret(
    session: Session, *, site: Site, secret_id: int, actor: Actor, request_id: str | None = None
) -> CoralSecret:
    """Stop accepting one secret. Commits; revoking a revoked secret changes nothing."""
    row = session.get(CoralSecret, secret_id)
    if row is None or row.site_id != site.id:
        raise NotFound.of("coral secret")
    if row.revoked_at is not None:
        return row
    row.revoked_at, row.revoked_by = utcnow(), actor.id
    audit.record(session, actor=actor, action="coral.secret.revoke", target_type="coral_secret",
                 target_id=row.id, site_id=site.id, before={"prefix": row.prefix},
                 after={"revoked_at": row.revoked_at.isoformat()}, request_id=request_id)
    session.commit()
    return row


def secret_record(row: CoralSecret, at: datetime | None = None) -> dict[str, object]:
    """How a secret is shown: never the secret, only its prefix."""
    at = at or utcnow()
    expired = row.expires_at is not None and row.expires_at <= at
    return {"id": row.id, "site_id": row.site_id, "prefix": row.prefix, "name": row.name,
            "created_at": row.created_at.isoformat(), "created_by": row.created_by,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
            "active": row.revoked_at is None and not expired}


def active_secrets(session: Session, site_id: int, key: bytes) -> list[tuple[int, bytes]]:
    """(id, secret) of each secret the site accepts now (those that decrypt)."""
    rows = session.execute(select(CoralSecret.id, CoralSecret.ciphertext)
                           .where(CoralSecret.site_id == site_id, active(utcnow())))
    found = []
    for secret_id, blob in rows:
        secret = decrypt(key, site_id, blob)
        if secret is not None:
            found.append((secret_id, secret))
    return found


@dataclass(frozen=True)
class SignatureCheck:
    """The secret that matched (its id), or why nothing did."""

    secret_id: int | None
    problem: str | None = None


def parse_signatures(header: str | None) -> list[bytes] | None:
    """The digests of ``sha256=<hex>[,sha256=<hex>…]``; None when the header is malformed."""
    if not header or not header.strip():
        return None
    digests = []
    for part in header.split(",")[:MAX_SIGNATURES]:
        match = _SIGNATURE.match(part.strip())
        if match is None:
            return None
        digests.append(bytes.fromhex(match.group(1)))
    return digests


def check_signature(
    body: bytes, header: str | None, secrets: Sequence[tuple[int, bytes]]
) -> SignatureCheck:
    """Whether any signature in ``header`` is the HMAC-SHA256 of the exact ``body`` bytes
    under any active secret. Every pair is compared in constant time (no early exit on
    the first mismatch, so timing says nothing about which part matched)."""
    if header is None or not header.strip():
        return SignatureCheck(None, "missing")
    digests = parse_signatures(header)
    if digests is None:
        return SignatureCheck(None, "malformed")
    if not secrets:
        return SignatureCheck(None, "no_secret")
    matched: int | None = None
    for secret_id, secret in secrets:
        expected = hmac.new(secret, body, hashlib.sha256).digest()
        for digest in digests:
            if hmac.compare_digest(expected, digest) and matched is None:
                matched = secret_id
    return SignatureCheck(matched, None if matched is not None else "mismatch")


def sign(body: bytes, secrets: Sequence[str]) -> str:
    """``X-Coral-Signature`` as Coral computes it (tests, the benchmark, troubleshooting)."""
    return ",".join("sha256=" + hmac.new(s.encode(), body, hashlib.sha256).hexdigest() for s in secrets)
