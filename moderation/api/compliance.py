"""``/v1/compliance``: disclosure cases, exports with two-person approval, legal holds.

Every endpoint needs a ``compliance`` key. A key scoped to a site sees only that
site's cases, exports and holds (404 for anything else).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request, stream_with_context

from moderation.api.auth import current_key, require_role
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
from moderation.api.openapi import AUTHENTICATED_ERRORS, error_responses, json_response, schema_ref
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


def _case_body(case: DisclosureRequest) -> dict[str, Any]:
    return {
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
        "created_by": disclosure.person_record(db_session(), case.created_by),
        "created_at": iso(case.created_at),
        "closed_at": iso(case.closed_at),
        **_scope_report(case.scope, case.site_id, "case"),
        "close_reason": case.close_reason,
        "answered_at": iso(case.answered_at),
        "links": {"self": f"/v1/compliance/requests/{case.id}",
                  "exports": f"/v1/compliance/requests/{case.id}/exports"},
    }


def _export_body(export_id: int) -> dict[str, Any]:
    session = db_session()
    export = exports.visible_export(session, export_id, _actor())
    body = exports.describe(session, export)
    body["links"] = {"self": f"/v1/compliance/exports/{export.id}",
                     "approve": f"/v1/compliance/exports/{export.id}/approve",
                     "file": f"/v1/compliance/exports/{export.id}/file"}
    return body


def _hold_body(hold: LegalHold) -> dict[str, Any]:
    return {
        "id": hold.id,
        "active": holds.is_active(hold, datetime.now(UTC)),
        "reference": hold.reference,
        "scope": hold.scope,
        "site_id": hold.site_id,
        "notes": hold.notes,
        "expires_at": iso(hold.expires_at),
        "released_at": iso(hold.released_at),
        "created_by": disclosure.person_record(db_session(), hold.created_by),
        "created_at": iso(hold.created_at),
        **_scope_report(hold.scope, hold.site_id, "hold"),
        "links": {"self": f"/v1/compliance/holds/{hold.id}",
                  "release": f"/v1/compliance/holds/{hold.id}/release"},
    }


# -- disclosure cases -------------------------------------------------------------------

@bp.post("/requests")
@require_role("compliance")
def create_request() -> tuple[dict[str, Any], int, dict[str, str]]:
    body = parse_body(CaseIn, request.get_data(cache=False))
    actor = _actor()
    case_input = disclosure.CaseInput(
        authority=body.authority, legal_reference=body.legal_reference, legal_basis=body.legal_basis,
        received_at=body.received_at or datetime.now(UTC), due_at=body.due_at, notes=body.notes)
    case = disclosure.create_request(
        db_session(), case_input, _scope(body.scope, actor), actor,
        default_due_hours=settings().disclosure_default_due_hours, request_id=request_id())
    payload = _case_body(case)
    return payload, 201, {"Location": payload["links"]["self"]}


@bp.get("/requests")
@require_role("compliance")
def list_requests() -> dict[str, Any]:
    status = request.args.get("status")
    if status not in (None, "open", "exported", "closed"):
        raise ApiError(422, "validation_error", "The request is invalid.", [
            {"field": "query.status", "code": "invalid", "message": "Use open, exported or closed."}])
    cases = disclosure.list_requests(db_session(), _actor(), status=status)
    return {"requests": [_case_body(case) for case in cases]}


@bp.get("/requests/due")
@require_role("compliance")
def due_requests() -> dict[str, Any]:
    """Open cases that are overdue or due within the due-soon window, soonest first."""
    hours = settings().disclosure_due_soon_hours
    cases = disclosure.due_requests(db_session(), _actor(), within_hours=hours)
    return {"due_soon_hours": hours, "requests": [_case_body(case) for case in cases]}


@bp.get("/requests/<int:case_id>")
@require_role("compliance")
def get_request(case_id: int) -> dict[str, Any]:
    return _case_body(disclosure.visible_request(db_session(), case_id, _actor()))


@bp.post("/requests/<int:case_id>/close")
@require_role("compliance")
def close_request(case_id: int) -> dict[str, Any]:
    body = parse_body(CloseIn, request.get_data(cache=False), allow_empty=True)
    case = disclosure.close_request(db_session(), case_id, _actor(), reason=body.reason,
                                    request_id_header=request_id())
    return _case_body(case)


# -- exports ----------------------------------------------------------------------------

@bp.post("/requests/<int:case_id>/exports")
@require_role("compliance")
def create_export(case_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    body = parse_body(ExportIn, request.get_data(cache=False), allow_empty=True)
    options = exports.ExportOptions(export_dir=settings().export_dir,
                                    two_person_rule=settings().two_person_rule,
                                    key=settings().export_key_bytes())
    export = exports.create_export(db_session(), case_id, body.format, _actor(), options,
                                   request_id=request_id())
    payload = _export_body(export.id)
    return payload, 201, {"Location": payload["links"]["self"]}


@bp.get("/exports/<int:export_id>")
@require_role("compliance")
def get_export(export_id: int) -> dict[str, Any]:
    return _export_body(export_id)


@bp.post("/exports/<int:export_id>/approve")
@require_role("compliance")
def approve_export(export_id: int) -> dict[str, Any]:
    exports.approve_export(db_session(), export_id, _actor(), request_id=request_id())
    return _export_body(export_id)


@bp.get("/exports/<int:export_id>/file")
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
@require_role("compliance")
def view_case_sender(case_id: int, comment_id: int) -> dict[str, Any]:
    """Within an open case whose scope covers the comment, once its export was approved."""
    return sender_records.view_sender(db_session(), comment_id, _actor(), case_id=case_id,
                                      request_id=request_id())


@bp.get("/comments/<int:comment_id>/sender")
@require_role("compliance")
def view_sender(comment_id: int) -> dict[str, Any]:
    raw = request.args.get("case_id")
    case_id: int | None = None
    if raw is not None:
        if not raw.isdigit():
            raise ApiError(422, "validation_error", "The request is invalid.", [
                {"field": "query.case_id", "code": "invalid", "message": "Give a case id."}])
        case_id = int(raw)
    return sender_records.view_sender(db_session(), comment_id, _actor(), case_id=case_id,
                                      request_id=request_id())


# -- legal holds ------------------------------------------------------------------------

@bp.post("/holds")
@require_role("compliance")
def create_hold() -> tuple[dict[str, Any], int, dict[str, str]]:
    body = parse_body(HoldIn, request.get_data(cache=False))
    actor = _actor()
    hold = holds.create_hold(db_session(), scope=_scope(body.scope, actor), reference=body.reference,
                             notes=body.notes, expires_at=body.expires_at, actor=actor,
                             request_id=request_id())
    payload = _hold_body(hold)
    return payload, 201, {"Location": payload["links"]["self"]}


@bp.get("/holds")
@require_role("compliance")
def list_holds() -> dict[str, Any]:
    include_inactive = request.args.get("all", "").lower() in ("1", "true", "yes")
    found = holds.list_holds(db_session(), _actor(), include_inactive=include_inactive)
    return {"holds": [_hold_body(hold) for hold in found]}


@bp.get("/holds/<int:hold_id>")
@require_role("compliance")
def get_hold(hold_id: int) -> dict[str, Any]:
    return _hold_body(holds.visible_hold(db_session(), hold_id, _actor()))


@bp.post("/holds/<int:hold_id>/release")
@require_role("compliance")
def release_hold(hold_id: int) -> dict[str, Any]:
    return _hold_body(holds.release_hold(db_session(), hold_id, _actor(), request_id=request_id()))


# -- reader erasure ---------------------------------------------------------------------

@bp.post("/erasures")
@require_role("compliance")
def erase_sender() -> dict[str, Any]:
    """Erase a reader's sender details except held records, which are named with their holds."""
    body = parse_body(ErasureIn, request.get_data(cache=False))
    actor = _actor()
    session = db_session()
    site_id = resolve_site(session, body.site, actor)
    result = retention.erase_sender(session, email=body.email, pseudonym_key=settings().pseudonym_key,
                                    actor=actor, site_id=site_id, request_id=request_id())
    return {**result.as_dict(), "site_id": site_id}


# -- OpenAPI ----------------------------------------------------------------------------

OPENAPI_MODELS = (CaseIn, CloseIn, ErasureIn, ExportIn, HoldIn)
_OBJECT: dict[str, Any] = {"type": "object"}
_ERRORS = (*AUTHENTICATED_ERRORS, 404)


def _id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}}]


def _op(summary: str, ok: str, *errors: int, body: type[Any] | None = None, path_id: str | None = None,
        required: bool = True, status: str = "200") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary + " (role: compliance)",
                          "responses": {status: json_response(ok, _OBJECT),
                                        **error_responses(*_ERRORS, *errors)}}
    if body is not None:
        op["requestBody"] = {"required": required,
                             "content": {"application/json": {"schema": schema_ref(body)}}}
    if path_id is not None:
        op["parameters"] = _id(path_id)
    return op


_download = _op("Download an approved export file", "The file", 409, path_id="export_id")
_download["responses"]["200"] = {
    "description": "The export file; X-Content-SHA256 carries its digest",
    "content": {"text/csv": {"schema": {"type": "string"}},
                "application/json": {"schema": _OBJECT}},
}

OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/v1/compliance/requests": {
        "post": _op("Open a disclosure case; due_at defaults to received_at + 72 h", "The case",
                    413, 422, body=CaseIn, status="201"),
        "get": {**_op("List disclosure cases", "Cases", 422),
                "parameters": [{"name": "status", "in": "query", "required": False,
                                "schema": {"type": "string", "enum": ["open", "exported", "closed"]}}]},
    },
    "/v1/compliance/requests/due": {"get": _op("Open cases that are overdue or due soon", "Cases")},
    "/v1/compliance/requests/{case_id}": {"get": _op("A disclosure case", "The case", path_id="case_id")},
    "/v1/compliance/requests/{case_id}/close": {
        "post": _op("Close a case (ends its implied hold); a reason is required unless an export was "
                    "downloaded", "The case", 409, 422, body=CloseIn, path_id="case_id",
                    required=False)},
    "/v1/compliance/requests/{case_id}/exports": {
        "post": _op("Export the case's sender records (CSV or JSON); returns sha256 and record_count",
                    "The export's metadata", 409, 413, 422, body=ExportIn, path_id="case_id",
                    required=False, status="201")},
    "/v1/compliance/exports/{export_id}": {
        "get": _op("An export's status, digest, count and approvals", "Metadata", path_id="export_id")},
    "/v1/compliance/exports/{export_id}/approve": {
        "post": _op("Approve an export (a second compliance key; not its creator)", "Metadata",
                    path_id="export_id")},
    "/v1/compliance/exports/{export_id}/file": {"get": _download},
    "/v1/compliance/comments/{comment_id}/sender": {
        "get": {**_op("One comment's full sender record within a case (?case_id=; audited)", "The record",
                      403, 422, path_id="comment_id")}},
    "/v1/compliance/requests/{case_id}/comments/{comment_id}/sender": {
        "get": {**_op("One comment's full sender record within an open case whose scope covers it, "
                      "after its export was approved (audited with the case)", "The record", 403),
                "parameters": [*_id("case_id"), *_id("comment_id")]}},
    "/v1/compliance/holds": {
        "post": _op("Place a legal hold on a scope", "The hold", 413, 422, body=HoldIn, status="201"),
        "get": {**_op("Active legal holds (all=true for every hold)", "Holds"),
                "parameters": [{"name": "all", "in": "query", "required": False,
                                "schema": {"type": "string"}}]},
    },
    "/v1/compliance/erasures": {
        "post": _op("Erase a reader's sender details (held records are kept and named; audited)",
                    "What was erased and what was kept", 413, 422, body=ErasureIn)},
    "/v1/compliance/holds/{hold_id}": {"get": _op("A legal hold", "The hold", path_id="hold_id")},
    "/v1/compliance/holds/{hold_id}/release": {
        "post": _op("Release a legal hold", "The hold", 409, path_id="hold_id")},
}
