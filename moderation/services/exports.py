"""Export files for disclosure cases: written once, hashed, approved, then downloaded.

Files are streamed batch by batch to the export directory while their SHA-256 is
computed, so memory stays bounded whatever the case size. CSV cells that a
spreadsheet would read as a formula are neutralised with a leading apostrophe.
With the two-person rule on, a second *person* must approve an export before
anyone can download it; its creator (with any of their keys) can't. Files are
encrypted at rest (AES-256-GCM, key outside the database); the SHA-256 shown is
the plaintext's, i.e. of the file the officer downloads.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.errors import DomainError
from moderation.services.access import Actor, Conflict, Corrupted, NotFound, Refused, in_id_range
from moderation.services.disclosure import person_record, visible_request
from moderation.services.scopes import Scope, out_of_scope_ids, out_of_scope_warning
from moderation.services.sender_records import FIELDS, iso, iter_batches
from moderation.store import ApiKey, DisclosureRequest, Export, ExportApproval

#: Leading characters that make spreadsheets evaluate a cell (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1 << 16
#: Who may approve an export: a compliance officer (key or person), or an admin person.
APPROVER_ROLES = ("compliance", "admin")

Progress = Callable[[int], None]

log = logging.getLogger(__name__)


class ExportMissing(DomainError):
    """The export's file isn't in the export folder (lost, or on another host): not tampered with."""

    status = 500
    code = "export_missing"


def neutralise(value: Any) -> str:
    """A CSV cell that a spreadsheet shows as text, never as a formula."""
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


#: Encrypted export files: MAGIC, an 8-byte random nonce prefix, then records of a
#: 4-byte big-endian length and an AES-256-GCM ciphertext of up to CHUNK plaintext
#: bytes; record i's nonce is prefix + i (4 bytes) and its associated data says
#: whether it is the last record, so a truncated file fails to decrypt.
MAGIC = b"MODEXP1\n"


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + index.to_bytes(4, "big")


class _HashingFile:
    """Encrypts bytes to a file in chunks while hashing (and counting) the plaintext."""

    def __init__(self, handle: BinaryIO, key: bytes) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0
        self.aead = AESGCM(key)
        self.prefix = os.urandom(8)
        self.index = 0
        self.pending = bytearray()
        handle.write(MAGIC + self.prefix)

    def _emit(self, data: bytes, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.prefix, self.index), data, b"last" if last else b"more")
        self.handle.write(len(sealed).to_bytes(4, "big") + sealed)
        self.index += 1

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.size += len(data)
        self.pending += data
        while len(self.pending) > CHUNK:
            self._emit(bytes(self.pending[:CHUNK]), last=False)
            del self.pending[:CHUNK]

    def close(self) -> None:
        self._emit(bytes(self.pending), last=True)
        self.pending.clear()


def decrypt_chunks(path: Path, key: bytes) -> Iterator[bytes]:
    """The plaintext of an encrypted export, chunk by chunk; InvalidTag if tampered."""
    with path.open("rb") as handle:
        head = handle.read(len(MAGIC) + 8)
        if not head.startswith(MAGIC):
            raise InvalidTag("not an encrypted export")
        prefix, aead, index = head[len(MAGIC):], AESGCM(key), 0
        while True:
            size = handle.read(4)
            if len(size) != 4:
                raise InvalidTag("truncated export")
            sealed = handle.read(int.from_bytes(size, "big"))
            try:
                yield aead.decrypt(_nonce(prefix, index), sealed, b"more")
            except InvalidTag:
                yield aead.decrypt(_nonce(prefix, index), sealed, b"last")
                if handle.read(1):
                    raise InvalidTag("data after the last record") from None
                return
            index += 1


def _write_csv(out: _HashingFile, batches: Iterable[list[dict[str, Any]]], progress: Progress) -> int:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(FIELDS)
    count = 0
    for batch in batches:
        for record in batch:
            writer.writerow([neutralise(record[name]) for name in FIELDS])
        count += len(batch)
        out.write(buffer.getvalue().encode())
        buffer.seek(0)
        buffer.truncate()
        progress(len(batch))
    out.write(buffer.getvalue().encode())
    return count


def _write_json(out: _HashingFile, header: dict[str, Any],
                batches: Iterable[list[dict[str, Any]]], progress: Progress) -> int:
    head = json.dumps(header, ensure_ascii=False)
    out.write((head[:-1] + ', "records": [').encode())
    count = 0
    for batch in batches:
        parts = [("\n" if count + i == 0 else ",\n") + json.dumps(record, ensure_ascii=False)
                 for i, record in enumerate(batch)]
        out.write("".join(parts).encode())
        count += len(batch)
        progress(len(batch))
    out.write(f'\n], "record_count": {count}}}\n'.encode())
    return count


@dataclass(frozen=True)
class ExportOptions:
    export_dir: Path | str
    two_person_rule: bool
    #: AES-256 key the file is encrypted with at rest (Settings.export_key_bytes()).
    key: bytes = b"\0" * 32


def create_export(
    session: Session,
    case_id: int,
    fmt: str,
    actor: Actor,
    options: ExportOptions,
    *,
    request_id: str | None = None,
    progress: Progress | None = None,
) -> Export:
    """Write the case's export file, record its digest and count, and audit it."""
    if fmt not in ("csv", "json"):
        raise ValueError(f"unknown export format {fmt!r}")
    case = visible_request(session, case_id, actor)
    if case.status == "closed":
        raise Conflict("The disclosure request is closed.")
    scope = Scope.from_json(case.scope, case.site_id)
    missing = out_of_scope_ids(session, scope)
    directory = Path(options.export_dir)
    directory.mkdir(parents=True, exist_ok=True)
    file_name = f"request-{case.id}-{uuid.uuid4().hex}.{fmt}"
    final = directory / file_name
    partial = directory / (file_name + ".partial")
    report = progress or (lambda _n: None)
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            out = _HashingFile(handle, options.key)
            batches = iter_batches(session, scope)
            if fmt == "csv":
                count = _write_csv(out, batches, report)
            else:
                header = {"request": {"id": case.id, "authority": case.authority,
                                      "legal_reference": case.legal_reference,
                                      "legal_basis": case.legal_basis, "scope": case.scope},
                          "out_of_scope_comment_ids": missing,
                          "format_version": 1}
                count = _write_json(out, header, batches, report)
            out.close()
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
        export = Export(
            request_id=case.id, site_id=case.site_id, format=fmt,
            status="awaiting_approval" if options.two_person_rule else "ready",
            file_name=file_name, sha256=out.digest.hexdigest(), record_count=count,
            size_bytes=out.size, approval_required=options.two_person_rule,
            created_by_key_id=actor.key_id, created_by=actor.id,
            created_by_person=actor.person_id, created_by_name=actor.display_name, encrypted=True,
        )
        session.add(export)
        if case.status == "open":
            case.status = "exported"
        session.flush()
        audit.record(session, actor=actor, action="compliance.export.create",
                     target_type="export", target_id=export.id, site_id=export.site_id,
                     after={"request_id": case.id, "format": fmt, "sha256": export.sha256,
                            "record_count": count, "status": export.status,
                            "out_of_scope_comment_ids": missing},
                     request_id=request_id)
        session.commit()
    except BaseException:
        session.rollback()
        for path in (partial, final):
            path.unlink(missing_ok=True)
        raise
    return export


def visible_export(session: Session, export_id: int, actor: Actor) -> Export:
    export = session.get(Export, export_id) if in_id_range(export_id) else None
    if export is None or not actor.may_see(export.site_id):
        raise NotFound("No such export.")
    return export


def list_exports(session: Session, actor: Actor, *, case_id: int | None = None,
                 limit: int = 100) -> list[Export]:
    """The newest exports ``actor`` may see (of one case, when given)."""
    query = select(Export).order_by(Export.id.desc()).limit(limit)
    if actor.site_ids is not None:
        query = query.where(Export.site_id.in_(sorted(actor.site_ids)))
    if case_id is not None:
        query = query.where(Export.request_id == case_id)
    return list(session.scalars(query))


def approvals(session: Session, export_id: int) -> list[ExportApproval]:
    return list(session.scalars(select(ExportApproval).where(ExportApproval.export_id == export_id)
                                .order_by(ExportApproval.id)))


def creator_person(session: Session, export: Export) -> str | None:
    """The person who made the export; for older rows the owner of the creating key, else
    the key itself."""
    if export.created_by_person:
        return export.created_by_person
    if export.created_by_key_id is None:
        return None
    key = session.get(ApiKey, export.created_by_key_id)
    if key is not None and key.owner_user_id is not None:
        return f"user:{key.owner_user_id}"
    if key is not None and key.person_id:
        return key.person_id
    return f"key:{export.created_by_key_id}"


def approve_export(session: Session, export_id: int, actor: Actor, *,
                   request_id: str | None = None) -> Export:
    """Record a second person's approval; the creator's own (by any of their keys) is refused."""
    export = visible_export(session, export_id, actor)
    # A person approves with one of their keys or signed in to the console (no key); the
    # service itself (system actors) and other roles never do.
    if (actor.key_id is None and actor.user_id is None) or actor.role not in APPROVER_ROLES:
        raise Refused("Only a compliance officer can approve an export.")
    if export.status == "deleted":
        raise Conflict("This export was deleted.")
    if actor.same_person(creator_person(session, export)):
        audit.record(session, actor=actor, action="compliance.export.approve_refused",
                     target_type="export", target_id=export.id, site_id=export.site_id,
                     after={"reason": "self_approval", "person": actor.person_id},
                     request_id=request_id)
        session.commit()
        raise Refused("An export must be approved by a different person than the one who created it "
                      "(another key of the same person doesn't count).")
    if any(a.person_id == actor.person_id
           or (a.person_id is None and actor.key_id is not None and a.key_id == actor.key_id)
           for a in approvals(session, export.id)):
        return export
    before = export.status
    session.add(ExportApproval(export_id=export.id, key_id=actor.key_id, approved_by=actor.id,
                               person_id=actor.person_id, approved_by_name=actor.display_name))
    export.status = "ready"
    try:
        session.flush()
    except IntegrityError:  # the same key or person approved concurrently
        session.rollback()
        return visible_export(session, export_id, actor)
    audit.record(session, actor=actor, action="compliance.export.approve", target_type="export",
                 target_id=export.id, site_id=export.site_id, before={"status": before},
                 after={"status": export.status, "sha256": export.sha256,
                        "person": actor.person_id}, request_id=request_id)
    session.commit()
    return export


def file_digest(path: Path, key: bytes | None = None) -> str:
    """SHA-256 of the file's plaintext (decrypting it when ``key`` is given)."""
    digest = hashlib.sha256()
    if key is not None:
        for chunk in decrypt_chunks(path, key):
            digest.update(chunk)
        return digest.hexdigest()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def plaintext(export: Export, path: Path, key: bytes) -> Iterator[bytes]:
    """The file as the officer downloads it (decrypted when stored encrypted)."""
    if export.encrypted:
        yield from decrypt_chunks(path, key)
        return
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def open_download(session: Session, export_id: int, actor: Actor, export_dir: Path | str, *,
                  key: bytes = b"\0" * 32, request_id: str | None = None) -> tuple[Export, Path]:
    """Authorise a download, check the file still matches its digest, audit it, answer the case."""
    export = visible_export(session, export_id, actor)
    if export.status == "deleted":
        raise Conflict(f"This export was deleted ({export.deleted_reason}).")
    if export.status != "ready":
        raise Refused("This export awaits approval by a second person.")
    path = Path(export_dir) / export.file_name
    if not path.is_file():
        # Lost, not altered: typically an export folder that isn't shared by every web host
        # (or a container recreated without a volume). Say so, rather than "corrupted".
        log.error("export %s: file %s is missing; MODERATION_EXPORT_DIR must be shared by every "
                  "web host and persist across restarts", export.id, path)
        audit.record(session, actor=actor, action="compliance.export.file_missing",
                     target_type="export", target_id=export.id, site_id=export.site_id,
                     request_id=request_id)
        session.commit()
        raise ExportMissing("The export's file is missing from this server's export folder; it was "
                            "not served. Create the export again, or fix the shared export folder.")
    try:
        intact = file_digest(path, key if export.encrypted else None) == export.sha256
    except InvalidTag:
        intact = False
    if not intact:
        audit.record(session, actor=actor, action="compliance.export.digest_mismatch",
                     target_type="export", target_id=export.id, site_id=export.site_id,
                     request_id=request_id)
        session.commit()
        raise Corrupted("The stored export no longer matches its SHA-256; it was not served.")
    now = datetime.now(UTC)
    if export.downloaded_at is None:
        export.downloaded_at = now
    case = session.get(DisclosureRequest, export.request_id)
    if case is not None and case.answered_at is None:
        case.answered_at = now
    audit.record(session, actor=actor, action="compliance.export.download", target_type="export",
                 target_id=export.id, site_id=export.site_id,
                 after={"sha256": export.sha256, "record_count": export.record_count},
                 request_id=request_id)
    session.commit()
    return export, path


def describe(session: Session, export: Export) -> dict[str, Any]:
    """The export's metadata as the API and CLI show it, naming requested comment ids that
    the case's site doesn't hold (so a count of 0 is never left unexplained)."""
    case = session.get(DisclosureRequest, export.request_id)
    missing = out_of_scope_ids(session, Scope.from_json(case.scope, case.site_id)) if case else []
    warning = out_of_scope_warning(missing, site_bound=export.site_id is not None)
    return {
        "id": export.id,
        "request_id": export.request_id,
        "format": export.format,
        "status": export.status,
        "sha256": export.sha256,
        "record_count": export.record_count,
        "size_bytes": export.size_bytes,
        "approval_required": export.approval_required,
        "approvals": [{"by": person_record(session, a.approved_by, a.approved_by_name,
                                          a.person_id or (f"key:{a.key_id}" if a.key_id else None)),
                       "at": iso(a.created_at)}
                      for a in approvals(session, export.id)],
        "created_by": person_record(session, export.created_by, export.created_by_name,
                                    creator_person(session, export)),
        "created_at": iso(export.created_at),
        "out_of_scope_comment_ids": missing,
        "warnings": [warning] if warning else [],
        "downloaded_at": iso(export.downloaded_at),
        "deleted_at": iso(export.deleted_at),
        "deleted_reason": export.deleted_reason,
    }
