"""Signed audit checkpoints, kept outside the database.

The keyed chain (``moderation/audit.py``) stops anyone without the audit key from
rewriting events, but someone with database access can still delete the newest
events and move the head row back: what is left is a valid, shorter chain. A
**checkpoint** records the head (newest event id, hash and how many events there
are up to it), is signed with an Ed25519 key that is not in the database, and is
appended as one JSON line to a file (or shipped elsewhere: syslog, a webhook, a
WORM bucket). ``audit verify --checkpoint FILE`` then proves that no event up to
each checkpoint was removed or changed. Events newer than the last checkpoint are
protected by the chain alone, so the checkpoint interval bounds what a truncation
could hide.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.errors import Invalid
from moderation.store import AuditEvent

FORMAT = 1


@dataclass(frozen=True)
class Checkpoint:
    event_id: int
    count: int
    hash: str
    created_at: str

    def payload(self) -> bytes:
        body = {"v": FORMAT, "event_id": self.event_id, "count": self.count, "hash": self.hash,
                "created_at": self.created_at}
        return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class CheckpointResult:
    line: int
    checkpoint: Checkpoint | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def load_or_create_signing_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """Read the PEM private key at ``path``; create it (mode 0600) when allowed and missing."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise Invalid.field("audit_signing_key_file", "invalid", f"{path} is not an Ed25519 key")
        return key
    if not create:
        raise Invalid.field("audit_signing_key_file", "missing", f"{path} does not exist")
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(path: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(path.read_bytes())
    if not isinstance(key, Ed25519PublicKey):
        raise Invalid.field("public_key", "invalid", f"{path} is not an Ed25519 public key")
    return key


def current_head(session: Session) -> Checkpoint | None:
    """The newest event as a checkpoint (unsigned), or None for an empty log."""
    newest = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    if newest is None:
        return None
    count = int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
    return Checkpoint(event_id=newest.id, count=count, hash=newest.hash,
                      created_at=datetime.now(UTC).isoformat(timespec="seconds"))


def sign(checkpoint: Checkpoint, key: Ed25519PrivateKey) -> str:
    """One JSON line: the checkpoint and its base64 Ed25519 signature."""
    body: dict[str, Any] = json.loads(checkpoint.payload())
    body["signature"] = base64.b64encode(key.sign(checkpoint.payload())).decode()
    return json.dumps(body, sort_keys=True)


def write_checkpoint(session: Session, key: Ed25519PrivateKey, destination: Path) -> Checkpoint | None:
    """Verify the chain, then append a signed checkpoint of its head to ``destination``.

    A broken chain gets no checkpoint (that would bless the tampering): :class:`Invalid`.
    """
    report = audit.verify_chain(session)
    if not report.ok:
        raise Invalid(f"the audit chain is broken at event {report.first_broken_id} "
                      f"({report.problem}); no checkpoint was written", code="audit_chain_broken")
    checkpoint = current_head(session)
    if checkpoint is None:
        return None
    destination.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(destination, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(sign(checkpoint, key) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    return checkpoint


def parse_lines(lines: Iterable[str], public_key: Ed25519PublicKey) -> list[CheckpointResult]:
    """Each non-empty line as a checkpoint whose signature verified, or the problem with it."""
    results = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            body = json.loads(line)
            checkpoint = Checkpoint(event_id=int(body["event_id"]), count=int(body["count"]),
                                    hash=str(body["hash"]), created_at=str(body["created_at"]))
            signature = base64.b64decode(body["signature"], validate=True)
        except (ValueError, KeyError, TypeError):
            results.append(CheckpointResult(number, None, "not a checkpoint line"))
            continue
        try:
            public_key.verify(signature, checkpoint.payload())
        except InvalidSignature:
            results.append(CheckpointResult(number, checkpoint, "its signature does not verify"))
            continue
        results.append(CheckpointResult(number, checkpoint, None))
    return results


def verify_against(session: Session, checkpoints: list[CheckpointResult]) -> list[CheckpointResult]:
    """Check the database still holds every signed checkpoint's events, unchanged."""
    report = audit.verify_chain(session)
    checked = []
    for result in checkpoints:
        cp = result.checkpoint
        if not result.ok or cp is None:
            checked.append(result)
            continue
        event = session.get(AuditEvent, cp.event_id)
        count = int(session.scalar(select(func.count()).select_from(AuditEvent)
                                   .where(AuditEvent.id <= cp.event_id)) or 0)
        problem = None
        if event is None:
            problem = f"event {cp.event_id} of this checkpoint was removed"
        elif event.hash != cp.hash:
            problem = f"event {cp.event_id} was changed since this checkpoint"
        elif count != cp.count:
            problem = f"{cp.count - count} events up to event {cp.event_id} were removed"
        elif report.first_broken_id is not None and report.first_broken_id <= cp.event_id:
            problem = f"the chain is broken at event {report.first_broken_id}, before this checkpoint"
        checked.append(CheckpointResult(result.line, cp, problem))
    return checked
