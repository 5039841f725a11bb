"""``/v1/compliance``: disclosure cases, exports with two-person approval, legal holds.

Every endpoint needs a ``compliance`` key. A key scoped to a site sees only that
site's cases, exports and holds (404 for anything else).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request, stream_with_context
from pydantic import BaseModel

from moderation.api.auth import current_key, require_role
from moderation.api.compliance_models import (
    CaseListOut,
    CaseOut,
    DueCasesOut,
    ErasureOut,
    ExportFileOut,
    ExportOut,
    HoldListOut,
    HoldOut,
    SenderRecordOut,
)
from moderation.api.compliance_schemas import (
    CaseIn,
    CloseIn,
    ErasureIn,
    ExportIn,
    HoldIn,
    ScopeIn,
    parse_body,
)
from moderation.api.context import db_session, request_id, settings
from moderation.api.operations import ID_SCHEMA, Query, documented, respond
from moderation.errors import ApiError
from moderation.services import disclosure, exports, holds, retention, sender_records
from moderation.services.access import (
    Actor,
    actor_for_key,
)
from moderation.services.scopes import (
    Scope,
    build_scope,
    out_of_scope_ids,
    out_of_scope_warning,
    resolve_site,
)
from moderation.services.sender_records import iso
from moderation.store import DisclosureRequest, LegalHold

bp = Blueprint("compliance", __name__, url_prefix="/v1/compliance")

#: Every compliance operation may answer 404: a case, export, hold or site outside the key's scope.
_ERRORS = (404,)


def _created(body: BaseModel, location: str) -> Response:
    return respond(body, 201, {"Location": location})


def _actor() -> Actor:
    return actor_for_key(current_key())


def _scope(scope: ScopeIn, actor: Actor) -> Scope:
    return build_scope(db_session(), actor, site=scope.site, comment_ids=scope.comment_ids,
                       article_id=scope.article_id, sender_email=scope.sender_email,
                       sender_ip=scope.sender_ip, since=scope.since, until=scope.until)


def _scope_report(scope_json: dict[str, Any], site_id: int | None, what: str) -> dict[str, Any]:
    """Which requested comment ids fall outside the site, said in the answer (never silently)."""
    missing = out_of_scope_ids(db_session(), Scope.from_json(scope_json, site_id))
    warning = out_of_scope_warning(missing, site_bound=site_id is not None, what=what)
    return {"out_of_scope_comment_ids": missing, "warnings": [warning] if warning else []}


def _case_body(case: DisclosureRequest) -> CaseOut:
    return CaseOut.model_validate({
        "id": case.id,
        "status": case.status,
        "due_state": disclosure.due_state(case, within_hours=settings().disclosure_due_soon_hours),
        "authority": case.authority,
        "legal_reference": case.legal_reference,
        "legal_basis": case.legal_basis,
        "received_at": iso(case.received_at),
        "due_at": iso(case.due_at),
        "scope": case.scope,
        "site_id": case.site_id,
        "notes": case.notes,
        "created_by": case.created_by,
        "created_at": iso(case.created_at),
        "closed_at": iso(case.closed_at),
        **_scope_report(case.scope, case.site_id, "case"),
        "close_reason": case.close_reason,
        "answered_at": iso(case.answered_at),
        "links": {"self": f"/v1/compliance/requests/{case.id}",
                  "exports": f"/v1/compliance/requests/{case.id}/exports"},
    })


def _export_body(export_id: int) -> ExportOut:
    session = db_session()
    export = exports.visible_export(session, export_id, _actor())
    body = exports.describe(session, export)
    body["links"] = {"self": f"/v1/compliance/exports/{export.id}",
                     "approve": f"/v1/compliance/exports/{export.id}/approve",
                     "file": f"/v1/compliance/exports/{export.id}/file"}
    return ExportOut.model_validate(body)


def _hold_body(hold: LegalHold) -> HoldOut:
    return HoldOut.model_validate({
        "id": hold.id,
        "active": holds.is_active(hold, datetime.now(UTC)),
        "reference": hold.reference,
        "scope": hold.scope,
        "site_id": hold.site_id,
        "notes": hold.notes,
        "expires_at": iso(hold.expires_at),
        "released_at": iso(hold.released_at),
        "created_by": hold.created_by,
        "created_at": iso(hold.created_at),
        **_scope_report(hold.scope, hold.site_id, "hold"),
        "links": {"self": f"/v1/compliance/holds/{hold.id}",
                  "release": f"/v1/compliance/holds/{hold.id}/release"},
    })


# -- disclosure cases -------------------------------------------------------------------

@bp.post("/requests")
@documented("Open a disclosure case; due_at defaults to received_at + 72 h (role: compliance)",
            body=CaseIn, response=CaseOut, status=201, description="The case",
            errors=(*_ERRORS, 413, 422))
@require_role("compliance")
def create_request() -> Response:
    body = parse_body(CaseIn, request.get_data(cache=False))
    actor = _actor()
    case_input = disclosure.CaseInput(
        authority=body.authority, legal_reference=body.legal_reference, legal_basis=body.legal_basis,
        received_at=body.received_at or datetime.now(UTC), due_at=body.due_at, notes=body.notes)
    case = disclosure.create_request(
        db_session(), case_input, _scope(body.scope, actor), actor,
        default_due_hours=settings().disclosure_default_due_hours, request_id=request_id())
    payload = _case_body(case)
    return _created(payload, payload.links.self)


@bp.get("/requests")
@documented("List disclosure cases (role: compliance)", response=CaseListOut, description="Cases",
            query=(Query("status", {"type": "string", "enum": ["open", "exported", "closed"]}),),
            errors=(*_ERRORS, 422))
@require_role("compliance")
def list_requests() -> Response:
    status = request.args.get("status")
    if status not in (None, "open", "exported", "closed"):
        raise ApiError(422, "validation_error", "The request is invalid.", [
            {"field": "query.status", "code": "invalid", "message": "Use open, exported or closed."}])
    cases = disclosure.list_requests(db_session(), _actor(), status=status)
    return respond(CaseListOut(requests=[_case_body(case) for case in cases]))


@bp.get("/requests/due")
@documented("Open cases that are overdue or due soon (role: compliance)", response=DueCasesOut,
            description="Cases", errors=_ERRORS)
@require_role("compliance")
def due_requests() -> Response:
    """Open cases that are overdue or due within the due-soon window, soonest first."""
    hours = settings().disclosure_due_soon_hours
    cases = disclosure.due_requests(db_session(), _actor(), within_hours=hours)
    return respond(DueCasesOut(due_soon_hours=hours, requests=[_case_body(case) for case in cases]))


@bp.get("/requests/<int:case_id>")
@documented("A disclosure case (role: compliance)", response=CaseOut, description="The case",
            errors=_ERRORS)
@require_role("compliance")
def get_request(case_id: int) -> Response:
    return respond(_case_body(disclosure.visible_request(db_session(), case_id, _actor())))


@bp.post("/requests/<int:case_id>/close")
@documented("Close a case (ends its implied hold); a reason is required unless an export was "
            "downloaded (role: compliance)", body=CloseIn, body_required=False, response=CaseOut,
            description="The case", errors=(*_ERRORS, 409, 422))
@require_role("compliance")
def close_request(case_id: int) -> Response:
    body = parse_body(CloseIn, request.get_data(cache=False), allow_empty=True)
    case = disclosure.close_request(db_session(), case_id, _actor(), reason=body.reason,
                                    request_id_header=request_id())
    return respond(_case_body(case))


# -- exports ----------------------------------------------------------------------------

@bp.post("/requests/<int:case_id>/exports")
@documented("Export the case's sender records (CSV or JSON); returns sha256 and record_count "
            "(role: compliance)", body=ExportIn, body_required=False, response=ExportOut,
            status=201, description="The export's metadata", errors=(*_ERRORS, 409, 413, 422))
@require_role("compliance")
def create_export(case_id: int) -> Response:
    body = parse_body(ExportIn, request.get_data(cache=False), allow_empty=True)
    options = exports.ExportOptions(export_dir=settings().export_dir,
                                    two_person_rule=settings().two_person_rule,
                                    key=settings().export_key_bytes())
    export = exports.create_export(db_session(), case_id, body.format, _actor(), options,
                                   request_id=request_id())
    payload = _export_body(export.id)
    return _created(payload, payload.links.self)


@bp.get("/exports/<int:export_id>")
@documented("An export's status, digest, count and approvals (role: compliance)", response=ExportOut,
            description="Metadata", errors=_ERRORS)
@require_role("compliance")
def get_export(export_id: int) -> Response:
    return respond(_export_body(export_id))


@bp.post("/exports/<int:export_id>/approve")
@documented("Approve an export (a second compliance key; not its creator) (role: compliance)",
            response=ExportOut, description="Metadata", errors=_ERRORS)
@require_role("compliance")
def approve_export(export_id: int) -> Response:
    exports.approve_export(db_session(), export_id, _actor(), request_id=request_id())
    return respond(_export_body(export_id))


@bp.get("/exports/<int:export_id>/file")
@documented("Download an approved export file (role: compliance)",
            response_media={"text/csv": str, "application/json": ExportFileOut},
            description="The export file; X-Content-SHA256 carries its digest",
            errors=(*_ERRORS, 409))
@require_role("compliance")
def download_export(export_id: int) -> Response:
    key = settings().export_key_bytes()
    export, path = exports.open_download(db_session(), export_id, _actor(), settings().export_dir,
                                         key=key, request_id=request_id())
    mimetype = "text/csv" if export.format == "csv" else "application/json"
    name = f"disclosure-{export.request_id}-export-{export.id}.{export.format}"
    # The file is decrypted as it streams; the digest was checked just before.
    response = Response(stream_with_context(exports.plaintext(export, path, key)), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Content-Length"] = str(export.size_bytes)
    response.set_etag(export.sha256)
    response.headers["X-Content-SHA256"] = export.sha256
    response.headers["X-Record-Count"] = str(export.record_count)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- full sender details of one comment -------------------------------------------------

@bp.get("/requests/<int:case_id>/comments/<int:comment_id>/sender")
@documented("One comment's full sender record within an open case whose scope covers it, after "
            "its export was approved (audited with the case) (role: compliance)",
            response=SenderRecordOut, description="The record", errors=(*_ERRORS, 403))
@require_role("compliance")
def view_case_sender(case_id: int, comment_id: int) -> Response:
    """Within an open case whose scope covers the comment, once its export was approved."""
    return respond(SenderRecordOut.model_validate(sender_records.view_sender(
        db_session(), comment_id, _actor(), case_id=case_id, request_id=request_id())))


@bp.get("/comments/<int:comment_id>/sender")
@documented("One comment's full sender record within a case (?case_id=; audited) (role: compliance)",
            response=SenderRecordOut, description="The record",
            query=(Query("case_id", ID_SCHEMA, "The disclosure case the record is read within",
                         required=True),),
            errors=(*_ERRORS, 403, 422))
@require_role("compliance")
def view_sender(comment_id: int) -> Response:
    raw = request.args.get("case_id")
    case_id: int | None = None
    if raw is not None:
        # isascii: str.isdigit() also accepts digits int() refuses (superscripts)
        if not (raw.isascii() and raw.isdigit()):
            raise ApiError(422, "validation_error", "The request is invalid.", [
                {"field": "query.case_id", "code": "invalid", "message": "Give a case id."}])
        case_id = int(raw)
    return respond(SenderRecordOut.model_validate(sender_records.view_sender(
        db_session(), comment_id, _actor(), case_id=case_id, request_id=request_id())))


# -- legal holds ------------------------------------------------------------------------

@bp.post("/holds")
@documented("Place a legal hold on a scope (role: compliance)", body=HoldIn, response=HoldOut,
            status=201, description="The hold", errors=(*_ERRORS, 413, 422))
@require_role("compliance")
def create_hold() -> Response:
    body = parse_body(HoldIn, request.get_data(cache=False))
    actor = _actor()
    hold = holds.create_hold(db_session(), scope=_scope(body.scope, actor), reference=body.reference,
                             notes=body.notes, expires_at=body.expires_at, actor=actor,
                             request_id=request_id())
    payload = _hold_body(hold)
    return _created(payload, payload.links.self)


@bp.get("/holds")
@documented("Active legal holds (all=true for every hold) (role: compliance)", response=HoldListOut,
            description="Holds",
            query=(Query("all", {"type": "string"},
                         "1, true or yes: released and expired holds too"),),
            errors=_ERRORS)
@require_role("compliance")
def list_holds() -> Response:
    include_inactive = request.args.get("all", "").lower() in ("1", "true", "yes")
    found = holds.list_holds(db_session(), _actor(), include_inactive=include_inactive)
    return respond(HoldListOut(holds=[_hold_body(hold) for hold in found]))


@bp.get("/holds/<int:hold_id>")
@documented("A legal hold (role: compliance)", response=HoldOut, description="The hold",
            errors=_ERRORS)
@require_role("compliance")
def get_hold(hold_id: int) -> Response:
    return respond(_hold_body(holds.visible_hold(db_session(), hold_id, _actor())))


@bp.post("/holds/<int:hold_id>/release")
@documented("Release a legal hold (role: compliance)", response=HoldOut, description="The hold",
            errors=(*_ERRORS, 409))
@require_role("compliance")
def release_hold(hold_id: int) -> Response:
    return respond(_hold_body(holds.release_hold(db_session(), hold_id, _actor(),
                                                 request_id=request_id())))


# -- reader erasure ---------------------------------------------------------------------

@bp.post("/erasures")
@documented("Erase a reader's sender details (held records are kept and named; audited) "
            "(role: compliance)", body=ErasureIn, response=ErasureOut,
            description="What was erased and what was kept", errors=(*_ERRORS, 413, 422))
@require_role("compliance")
def erase_sender() -> Response:
    """Erase a reader's sender details except held records, which are named with their holds."""
    body = parse_body(ErasureIn, request.get_data(cache=False))
    actor = _actor()
    session = db_session()
    site_id = resolve_site(session, body.site, actor)
    result = retention.erase_sender(session, email=body.email, pseudonym_key=settings().pseudonym_key,
                                    actor=actor, site_id=site_id, request_id=request_id())
    return respond(ErasureOut.model_validate({**result.as_dict(), "site_id": site_id}))
