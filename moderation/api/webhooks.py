"""Admin API for signed webhooks: a site's endpoints, their secrets, the delivery log and
manual redelivery. Role ``admin``. Secrets are shown once, when created or rotated."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from flask import Blueprint, Response, request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from moderation.api.auth import current_actor, require_role
from moderation.api.context import db_session, request_id, settings
from moderation.api.operations import Out, Query, documented, respond
from moderation.api.schemas import errors_to_details, parse_json_body
from moderation.errors import validation_error
from moderation.services import webhooks
from moderation.store import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

bp = Blueprint("webhooks", __name__, url_prefix="/v1")

EventType = Literal["comment.moderated", "comment.decided", "comment.error", "comment.edited",
                    "comment.withdrawn", "case.due_soon"]
EventTypes = Annotated[list[EventType], Field(min_length=1, max_length=len(webhooks.EVENT_TYPES))]
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=8, max_length=2000)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: Url
    description: Description = ""
    event_types: EventTypes
    #: a compliance endpoint may subscribe to ``case.due_soon``
    compliance: bool = False


class EndpointPatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    url: Url | None = None
    description: Description | None = None
    event_types: EventTypes | None = None
    compliance: bool | None = None
    enabled: bool | None = None
    disabled_reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    #: how long the secrets in use keep signing next to the new one (0: stop at once)
    expire_previous_after_seconds: Annotated[int, Field(ge=0, le=30 * 86400)] = 86400


class SecretOut(Out):
    id: int
    created_at: str
    #: None: signs until the next rotation
    expires_at: str | None


class EndpointOut(Out):
    id: int
    site_id: int
    url: str
    description: str
    event_types: list[str]
    compliance: bool
    enabled: bool
    disabled_reason: str | None
    disabled_at: str | None
    failing_since: str | None
    #: the secrets (never their values), oldest first
    secrets: list[SecretOut]
    created_by: str
    created_at: str


class EndpointListOut(Out):
    items: list[EndpointOut]


class EndpointCreatedOut(EndpointOut):
    #: the signing secret (``whsec_...``), shown in this answer only
    secret: str


class AttemptOut(Out):
    attempted_at: str
    #: None: no HTTP answer (refused address, connection error, timeout)
    status_code: int | None
    latency_ms: int
    error: str | None
    address: str | None


class DeliveryOut(Out):
    id: int
    event_id: str
    event_type: str
    subject: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    next_attempt_at: str | None
    delivered_at: str | None
    last_error: str | None
    created_at: str
    #: the event's payload, as sent
    payload: dict[str, Any]
    log: list[AttemptOut]


class DeliveryListOut(Out):
    items: list[DeliveryOut]


def _body(model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(parse_json_body(request.get_data()))
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def endpoint_body(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {"id": endpoint.id, "site_id": endpoint.site_id, "url": endpoint.url,
            "description": endpoint.description, "event_types": list(endpoint.event_types),
            "compliance": endpoint.compliance, "enabled": endpoint.enabled,
            "disabled_reason": endpoint.disabled_reason, "disabled_at": _iso(endpoint.disabled_at),
            "failing_since": _iso(endpoint.failing_since),
            "secrets": [{"id": s["id"], "created_at": s["created_at"], "expires_at": s.get("expires_at")}
                        for s in endpoint.secrets],
            "created_by": endpoint.created_by, "created_at": endpoint.created_at.isoformat()}


def _delivery(delivery: WebhookDelivery, event: WebhookEvent, log: list[WebhookAttempt]) -> DeliveryOut:
    import json

    return DeliveryOut(
        id=delivery.id, event_id=event.public_id, event_type=event.type, subject=delivery.subject,
        status=delivery.status,  # type: ignore[arg-type]
        attempts=delivery.attempts,
        next_attempt_at=_iso(delivery.next_attempt_at) if delivery.status == "pending" else None,
        delivered_at=_iso(delivery.delivered_at), last_error=delivery.last_error,
        created_at=delivery.created_at.isoformat(), payload=json.loads(webhooks.envelope(event)),
        log=[AttemptOut(attempted_at=a.attempted_at.isoformat(), status_code=a.status_code,
                        latency_ms=a.latency_ms, error=a.error, address=a.address) for a in log])


def _allowed() -> tuple[Any, ...]:
    return tuple(settings().webhook_networks)


@bp.get("/sites/<int:site_id>/webhooks")
@documented("A site's webhook endpoints (role: admin)", response=EndpointListOut, description="Endpoints",
            errors=(404,))
@require_role("admin")
def list_endpoints(site_id: int) -> Response:
    items = webhooks.list_endpoints(db_session(), site_id)
    return respond(EndpointListOut.model_validate({"items": [endpoint_body(e) for e in items]}))


@bp.post("/sites/<int:site_id>/webhooks")
@documented("Add a webhook endpoint to a site; its signing secret is in this answer only (role: admin). "
            "The URL must resolve to public addresses (MODERATION_WEBHOOK_ALLOWED_NETWORKS)",
            body=EndpointIn, response=EndpointCreatedOut, status=201, description="The endpoint",
            errors=(404, 409, 413, 422))
@require_role("admin")
def create_endpoint(site_id: int) -> Response:
    payload: EndpointIn = _body(EndpointIn)
    endpoint, secret = webhooks.create_endpoint(
        db_session(), site_id=site_id, url=payload.url, description=payload.description,
        event_types=payload.event_types, compliance=payload.compliance, actor=current_actor(),
        request_id=request_id(), allowed=_allowed())
    return respond(EndpointCreatedOut.model_validate({**endpoint_body(endpoint), "secret": secret}),
                   status=201)


@bp.get("/webhooks/<int:endpoint_id>")
@documented("A webhook endpoint (role: admin)", response=EndpointOut, description="The endpoint",
            errors=(404,))
@require_role("admin")
def get_endpoint(endpoint_id: int) -> Response:
    endpoint = webhooks.get_endpoint(db_session(), endpoint_id, current_actor())
    return respond(EndpointOut.model_validate(endpoint_body(endpoint)))


@bp.patch("/webhooks/<int:endpoint_id>")
@documented("Change a webhook endpoint: URL, description, events, enable or disable it; re-enabling "
            "retries its pending deliveries at once (role: admin)", body=EndpointPatchIn,
            response=EndpointOut, description="The endpoint", errors=(404, 413, 422))
@require_role("admin")
def patch_endpoint(endpoint_id: int) -> Response:
    payload: EndpointPatchIn = _body(EndpointPatchIn)
    session = db_session()
    endpoint = webhooks.get_endpoint(session, endpoint_id, current_actor())
    endpoint = webhooks.update_endpoint(
        session, endpoint, webhooks.EndpointChange(
            url=payload.url, description=payload.description, event_types=payload.event_types,
            compliance=payload.compliance, enabled=payload.enabled, disabled_reason=payload.disabled_reason),
        actor=current_actor(), request_id=request_id(), allowed=_allowed())
    return respond(EndpointOut.model_validate(endpoint_body(endpoint)))


@bp.delete("/webhooks/<int:endpoint_id>")
@documented("Delete a webhook endpoint (kept disabled when it has a delivery log) (role: admin)",
            status=204, description="Deleted", errors=(404,))
@require_role("admin")
def delete_endpoint(endpoint_id: int) -> Response:
    session = db_session()
    endpoint = webhooks.get_endpoint(session, endpoint_id, current_actor())
    webhooks.delete_endpoint(session, endpoint, actor=current_actor(), request_id=request_id())
    return Response(status=204)


@bp.post("/webhooks/<int:endpoint_id>/secrets")
@documented("Rotate the signing secret: a new one signs from now on, next to the previous ones until "
            "they expire; the new secret is in this answer only (role: admin)", body=RotateIn,
            response=EndpointCreatedOut, status=201, description="The endpoint and its new secret",
            errors=(404, 413, 422))
@require_role("admin")
def rotate_secret(endpoint_id: int) -> Response:
    payload: RotateIn = _body(RotateIn)
    session = db_session()
    endpoint = webhooks.get_endpoint(session, endpoint_id, current_actor())
    endpoint, secret = webhooks.rotate_secret(
        session, endpoint, expire_previous_after=timedelta(seconds=payload.expire_previous_after_seconds),
        actor=current_actor(), request_id=request_id())
    return respond(EndpointCreatedOut.model_validate({**endpoint_body(endpoint), "secret": secret}),
                   status=201)


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@documented("The endpoint's delivery log, newest first, each with its attempts (role: admin)",
            response=DeliveryListOut, description="Deliveries",
            query=(Query("status", {"type": "string", "enum": ["pending", "delivered", "failed"]}),
                   Query("limit", {"type": "integer", "minimum": 1, "maximum": 200}),
                   Query("before", {"type": "integer", "minimum": 1},
                         "Only deliveries with a smaller id (the next page)")),
            errors=(404, 422))
@require_role("admin")
def list_deliveries(endpoint_id: int) -> Response:
    from moderation.api.params import QueryParams

    params = QueryParams(("status", "limit", "before"))
    status = params.choice("status", ("pending", "delivered", "failed"))
    limit = params.integer("limit", maximum=200, default=50) or 50
    before = params.integer("before")
    params.done()
    session = db_session()
    endpoint = webhooks.get_endpoint(session, endpoint_id, current_actor())
    rows = webhooks.deliveries(session, endpoint, status=status, limit=limit, before_id=before)
    logs = webhooks.attempts(session, [d.id for d, _e in rows])
    return respond(DeliveryListOut(items=[_delivery(d, e, logs.get(d.id, [])) for d, e in rows]))


@bp.post("/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver")
@documented("Send a delivery again, whatever its status, with a fresh retry window (role: admin)",
            response=DeliveryOut, status=202, description="The delivery, pending again", errors=(404,))
@require_role("admin")
def redeliver(endpoint_id: int, delivery_id: int) -> Response:
    session = db_session()
    endpoint = webhooks.get_endpoint(session, endpoint_id, current_actor())
    delivery = webhooks.get_delivery(session, endpoint, delivery_id)
    delivery = webhooks.redeliver(session, endpoint, delivery, actor=current_actor(),
                                  request_id=request_id())
    event = session.get(WebhookEvent, delivery.event_id)
    assert event is not None
    logs = webhooks.attempts(session, [delivery.id])
    return respond(_delivery(delivery, event, logs.get(delivery.id, [])), status=202)
