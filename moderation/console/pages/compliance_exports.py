"""Exports in the console: create one for a case, approve it as a second person, download
it (after a TOTP step-up) with its SHA-256 shown, and verify a file by uploading it.

The two-person rule is the service's (``exports.approve_export``): the page only hides
the approve control from the export's creator, and the service refuses them anyway.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from flask import Blueprint, Response, flash, redirect, render_template, request, stream_with_context, url_for
from flask.typing import ResponseReturnValue
from werkzeug.datastructures import FileStorage

from moderation import audit
from moderation.api.context import settings
from moderation.console.auth import login_required
from moderation.domain.errors import DomainError
from moderation.services import exports
from moderation.store import Export

from .common import actor, session
from .compliance_common import OFFICERS, is_me, person, request_id, step_up_prompt, stepped_up_until

#: Uploaded files are read this much at a time (exports can be large: never all in memory).
UPLOAD_CHUNK = 1 << 16
#: The largest file the verify form takes (the app's body limit is for the JSON API; the
#: whole body passes through memory once, so bigger files are checked with the CLI's
#: ``compliance verify``).
MAX_UPLOAD_BYTES = 64 << 20
VERIFY_ENDPOINT = "console.compliance_export_verify"


def _upload_limit(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Before anything reads the body (URL preprocessors run before every before_request
    hook): let the verify form carry a whole export file."""
    if endpoint == VERIFY_ENDPOINT:
        request.max_content_length = MAX_UPLOAD_BYTES


@dataclass(frozen=True)
class ExportView:
    """One export as a row shows it, with who is waiting for whom."""

    export: Export
    creator: dict[str, Any]
    approvers: list[dict[str, Any]]
    mine: bool
    may_approve: bool
    waiting: str


def export_view(export: Export) -> ExportView:
    db = session()
    creator = person(export.created_by, export.created_by_name)
    creator["person"] = exports.creator_person(db, export)
    approvers = [{**person(a.approved_by, a.approved_by_name), "at": a.created_at}
                 for a in exports.approvals(db, export.id)]
    mine = is_me(creator["person"])
    awaiting = export.status == "awaiting_approval"
    if awaiting and mine:
        waiting = "You are waiting for a second person (another compliance officer) to approve it."
    elif awaiting:
        waiting = f"{creator['name']} is waiting for a second person to approve it: you, or another officer."
    elif export.status == "ready":
        by = ", ".join(a["name"] for a in approvers)
        waiting = f"Approved by {by}; ready to download." if by else "Ready to download."
    else:
        waiting = f"Deleted ({export.deleted_reason or 'no reason recorded'})."
    return ExportView(export, creator, approvers, mine, awaiting and not mine, waiting)


@login_required(*OFFICERS)
def exports_page() -> ResponseReturnValue:
    rows = [export_view(e) for e in exports.list_exports(session(), actor(), limit=200)]
    waiting_for_me = sum(1 for r in rows if r.may_approve)
    return render_template("pages/compliance/exports.html", exports=rows, waiting_for_me=waiting_for_me,
                           stepped_up_until=stepped_up_until())


@login_required(*OFFICERS)
def export_create(case_id: int) -> ResponseReturnValue:
    fmt = request.form.get("format", "csv")
    if fmt not in ("csv", "json"):
        flash("Choose CSV or JSON.", "error")
        return redirect(url_for("console.compliance_case", case_id=case_id), 303)
    conf = settings()
    options = exports.ExportOptions(export_dir=conf.export_dir, two_person_rule=conf.two_person_rule,
                                    key=conf.export_key_bytes())
    try:
        export = exports.create_export(session(), case_id, fmt, actor(), options, request_id=request_id())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("console.compliance_case", case_id=case_id), 303)
    note = " It waits for a second person's approval." if export.status == "awaiting_approval" else ""
    flash(f"Export #{export.id} created: {export.record_count} records.{note}", "success")
    return redirect(url_for("console.compliance_case", case_id=case_id), 303)


def _back(export: Export | None = None) -> ResponseReturnValue:
    target = request.form.get("back")
    if target == "exports" or export is None:
        return redirect(url_for("console.compliance_exports"), 303)
    return redirect(url_for("console.compliance_case", case_id=export.request_id), 303)


@login_required(*OFFICERS)
def export_approve(export_id: int) -> ResponseReturnValue:
    db = session()
    export = exports.visible_export(db, export_id, actor())
    try:
        exports.approve_export(db, export.id, actor(), request_id=request_id())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return _back(export)
    flash(f"Export #{export.id} approved; it can now be downloaded.", "success")
    return _back(export)


@login_required(*OFFICERS)
def export_download(export_id: int) -> ResponseReturnValue:
    """The decrypted file, after a fresh step-up; the service checks approval and the digest,
    audits the download and marks the case answered."""
    db = session()
    exports.visible_export(db, export_id, actor())
    if stepped_up_until() is None:
        return step_up_prompt(f"download export #{export_id}")
    conf = settings()
    key = conf.export_key_bytes()
    try:
        export, path = exports.open_download(db, export_id, actor(), conf.export_dir, key=key,
                                             request_id=request_id())
    except DomainError as error:
        if error.status == 404:
            raise
        flash(error.message, "error")
        return redirect(url_for("console.compliance_exports"), 303)
    name = f"disclosure-{export.request_id}-export-{export.id}.{export.format}"
    response = Response(stream_with_context(exports.plaintext(export, path, key)),
                        mimetype="text/csv" if export.format == "csv" else "application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Length"] = str(export.size_bytes)
    response.headers["X-Content-SHA256"] = export.sha256
    return response


def _upload_digests(upload: FileStorage, key: bytes) -> tuple[str, str | None, int]:
    """(SHA-256 of the file as uploaded, SHA-256 of its plaintext when it is an encrypted
    export file that decrypts with this server's key, size in bytes)."""
    import tempfile
    from pathlib import Path

    digest = hashlib.sha256()
    size = 0
    head = b""
    with tempfile.NamedTemporaryFile(prefix="verify-", suffix=".upload") as spool:
        while chunk := upload.stream.read(UPLOAD_CHUNK):
            if not head:
                head = chunk[: len(exports.MAGIC)]
            digest.update(chunk)
            size += len(chunk)
            spool.write(chunk)
        spool.flush()
        decrypted = None
        if head == exports.MAGIC:
            try:
                decrypted = exports.file_digest(Path(spool.name), key)
            except InvalidTag:
                decrypted = "undecryptable"
    return digest.hexdigest(), decrypted, size


@login_required(*OFFICERS)
def export_verify(export_id: int) -> ResponseReturnValue:
    """Compare an uploaded file with the export's recorded SHA-256 (the plaintext's); an
    encrypted export file (as stored on the server) is decrypted and checked too."""
    db = session()
    export = exports.visible_export(db, export_id, actor())
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Choose the file to verify.", "error")
        return _back(export)
    plain, decrypted, size = _upload_digests(upload, settings().export_key_bytes())
    if decrypted == "undecryptable":
        outcome, matched = "an encrypted export file that doesn't decrypt with this server's key", False
    elif decrypted is not None:
        matched = decrypted == export.sha256
        outcome = ("an encrypted export file; its decrypted content "
                   + ("matches" if matched else "does not match"))
    else:
        matched = plain == export.sha256
        outcome = "matches" if matched else "does not match"
    audit.record(db, actor=actor(), action="compliance.export.verify", target_type="export",
                 target_id=export.id, site_id=export.site_id,
                 after={"matches": matched, "sha256": decrypted if decrypted not in (None, "undecryptable")
                        else plain, "size_bytes": size}, request_id=request_id())
    db.commit()
    return render_template("pages/compliance/verify.html", export=export, matched=matched, outcome=outcome,
                           uploaded_sha256=plain, decrypted_sha256=decrypted, size=size,
                           file_name=upload.filename), (200 if matched else 422)


def register(bp: Blueprint) -> None:
    bp.app_url_value_preprocessor(_upload_limit)
    bp.add_url_rule("/compliance/exports", "compliance_exports", exports_page)
    bp.add_url_rule("/compliance/cases/<int:case_id>/exports", "compliance_export_create", export_create,
                    methods=["POST"])
    bp.add_url_rule("/compliance/exports/<int:export_id>/approve", "compliance_export_approve",
                    export_approve, methods=["POST"])
    bp.add_url_rule("/compliance/exports/<int:export_id>/download", "compliance_export_download",
                    export_download)
    bp.add_url_rule("/compliance/exports/<int:export_id>/verify", "compliance_export_verify",
                    export_verify, methods=["POST"])
