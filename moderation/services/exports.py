"""Export files for disclosure cases: written once, hashed, approved, then downloaded.

Files are streamed batch by batch to the export directory while their SHA-256 is
computed, so memory stays bounded whatever the case size. CSV cells that a
spreadsheet would read as a formula are neutralised with a leading apostrophe.
With the two-person rule on, a second compliance key must approve an export
before anyone can download it; its creator can't approve it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import os
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.errors import DomainError
from moderation.services.access import Actor, Conflict, Corrupted, NotFound, Refused, in_id_range
from moderation.services.disclosure import visible_request
from moderation.services.scopes import Scope, out_of_scope_ids, out_of_scope_warning
from moderation.services.sender_records import FIELDS, iso, iter_batches
from moderation.store import ApiKey, DisclosureRequest, Export, ExportApproval

#: Leading characters that make spreadsheets evaluate a cell (OWASP CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 1 << 16

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


class _HashingFile:
    """Writes bytes to a file while updating a SHA-256 and a byte count."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.digest.update(data)
        self.size += len(data)


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
            out = _HashingFile(handle)
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
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
        export = Export(
            request_id=case.id, site_id=case.site_id, format=fmt,
            status="awaiting_approval" if options.two_person_rule else "ready",
            file_name=file_name, sha256=out.digest.hexdigest(), record_count=count,
            size_bytes=out.size, approval_required=options.two_person_rule,
            created_by_key_id=actor.key_id, created_by=actor.label,
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


def approvals(session: Session, export_id: int) -> list[ExportApproval]:
    return list(session.scalars(select(ExportApproval).where(ExportApproval.export_id == export_id)
                                .order_by(ExportApproval.id)))


def _creator(session: Session, export: Export) -> str | None:
    """The person behind the key that made ``export`` (its owner, else the key itself)."""
    if export.created_by_key_id is None:
        return None
    key = session.get(ApiKey, export.created_by_key_id)
    if key is not None and key.owner_user_id is not None:
        return f"user:{key.owner_user_id}"
    return f"key:{export.created_by_key_id}"


def approve_export(session: Session, export_id: int, actor: Actor, *,
                   request_id: str | None = None) -> Export:
    """Record a second person's approval; the creator's own approval (with the same key, or
    another key of the same person) is refused and audited."""
    export = visible_export(session, export_id, actor)
    if actor.key_id is None:
        raise Refused("Only a compliance key can approve an export.")
    if actor.key_id == export.created_by_key_id or actor.same_person(_creator(session, export)):
        audit.record(session, actor=actor, action="compliance.export.approve_refused",
                     target_type="export", target_id=export.id, site_id=export.site_id,
                     after={"reason": "self_approval"}, request_id=request_id)
        session.commit()
        raise Refused("An export must be approved by a different compliance key than its creator's, "
                      "held by a different person.")
    if any(a.key_id == actor.key_id for a in approvals(session, export.id)):
        return export
    before = export.status
    session.add(ExportApproval(export_id=export.id, key_id=actor.key_id, approved_by=actor.label))
    export.status = "ready"
    try:
        session.flush()
    except IntegrityError:  # the same key approved concurrently
        session.rollback()
        return visible_export(session, export_id, actor)
    audit.record(session, actor=actor, action="compliance.export.approve", target_type="export",
                 target_id=export.id, site_id=export.site_id, before={"status": before},
                 after={"status": export.status, "sha256": export.sha256}, request_id=request_id)
    session.commit()
    return export


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def open_download(session: Session, export_id: int, actor: Actor, export_dir: Path | str, *,
                  request_id: str | None = None) -> tuple[Export, Path]:
    """Authorise a download, check the file still matches its digest, and audit it."""
    export = visible_export(session, export_id, actor)
    if export.status != "ready":
        raise Refused("This export awaits approval by a second compliance key.")
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
    if file_digest(path) != export.sha256:
        audit.record(session, actor=actor, action="compliance.export.digest_mismatch",
                     target_type="export", target_id=export.id, site_id=export.site_id,
                     request_id=request_id)
        session.commit()
        raise Corrupted("The stored export no longer matches its SHA-256; it was not served.")
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
        "approvals": [{"by": a.approved_by, "at": iso(a.created_at)}
                      for a in approvals(session, export.id)],
        "created_by": export.created_by,
        "created_at": iso(export.created_at),
        "out_of_scope_comment_ids": missing,
        "warnings": [warning] if warning else [],
    }
