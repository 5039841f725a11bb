"""Signed webhooks (Standard Webhooks): endpoints, signing, and the transactional outbox.

A change that sites may want to hear about (a verdict, a person's decision, an
error, an edit, a withdrawal, a lawful-request deadline) calls one ``record_*``
function *inside its own transaction*: the event row and one delivery row per
subscribed, enabled endpoint are written with the change and committed with it (or
rolled back with it). After the commit a delivery task is nudged; the beat sweep
finds anything the nudge missed. Delivery, retries and the outbound-safety rules are
in ``moderation/services/webhook_delivery.py`` and ``webhook_http.py``.

Payloads carry ids, statuses and reason codes, never the sender's personal data (no
name, e-mail, address or comment text): a receiver that needs more asks the API.

Signatures follow the Standard Webhooks specification: ``webhook-signature`` is a
space-separated list of ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, one
per active secret of the endpoint, so a secret can be rotated without downtime.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets as token_source
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.domain.errors import Conflict, Invalid, NotFound
from moderation.services import webhook_http
from moderation.services.webhook_http import IPNetwork
from moderation.store import Comment, Site, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

COMMENT_EVENTS = ("comment.moderated", "comment.decided", "comment.error", "comment.edited",
                  "comment.withdrawn")
CASE_EVENTS = ("case.due_soon",)
EVENT_TYPES = COMMENT_EVENTS + CASE_EVENTS
#: The display string of each event type (README, "Webhooks").
EVENT_DESCRIPTIONS = {
    "comment.moderated": "the pipeline gave a comment (revision) its verdict",
    "comment.decided": "a person approved or rejected a comment",
    "comment.error": "a comment could not be moderated",
    "comment.edited": "a comment's text changed; it is pending again",
    "comment.withdrawn": "the site withdrew a comment",
    "case.due_soon": "an open lawful-disclosure case is due soon (compliance endpoints only)",
}
SECRET_PREFIX = "whsec_"
#: Who acts when the service itself disables an endpoint.
SYSTEM_WEBHOOKS = Actor.system("webhooks")
MAX_ENDPOINTS_PER_SITE = 20
MAX_SECRETS = 5


# --- secrets and signatures -------------------------------------------------------------
def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes, base64 (the spec asks 24-64)."""
    return SECRET_PREFIX + base64.b64encode(token_source.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key a ``whsec_...`` secret stands for (the prefix is optional)."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<signature>`` of one message under one secret (Standard Webhooks, symmetric)."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets: Iterable[str], msg_id: str, timestamp: int, body: bytes) -> str:
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets)


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, tolerance: int = 300,
           now: float | None = None) -> bool:
    """Whether ``headers`` carry a valid ``v1`` signature of ``body`` under ``secret``,
    with a timestamp within ``tolerance`` seconds (what a receiver does; used by tests)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id, stamp, header = (lowered.get("webhook-id"), lowered.get("webhook-timestamp"),
                             lowered.get("webhook-signature"))
    if not (msg_id and stamp and header) or not stamp.isdigit():
        return False
    current = datetime.now(UTC).timestamp() if now is None else now
    if abs(current - int(stamp)) > tolerance:
        return False
    expected = sign(secret, msg_id, int(stamp), body).encode()
    return any(hmac.compare_digest(expected, candidate.encode()) for candidate in header.split(" "))


def active_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign now: every one without an expiry, or not yet expired."""
    found = []
    for item in endpoint.secrets:
        expires = item.get("expires_at")
        if expires is None or datetime.fromisoformat(expires) > now:
            found.append(str(item["secret"]))
    return found


# --- endpoints ---------------------------------------------------------------------------
@dataclass(frozen=True)
class EndpointChange:
    """What a caller asks to change (None: keep)."""

    url: str | None = None
    description: str | None = None
    event_types: Sequence[str] | None = None
    compliance: bool | None = None
    enabled: bool | None = None
    disabled_reason: str | None = None


def check_url(url: str, allowed: Sequence[IPNetwork]) -> None:
    """:class:`Invalid` (field ``url``) unless webhooks may be sent to ``url`` now."""
    try:
        webhook_http.resolve(url, allowed)
    except webhook_http.Refused as exc:
        raise Invalid.field("url", "refused", str(exc), "The webhook URL is not allowed.") from None


def _check_types(types: Sequence[str], compliance: bool) -> list[str]:
    unknown = [t for t in types if t not in EVENT_TYPES]
    if unknown:
        raise Invalid.field("event_types", "unknown",
                            f"Unknown event types {unknown}; known: {list(EVENT_TYPES)}.")
    if not types:
        raise Invalid.field("event_types", "empty", "Subscribe to at least one event type.")
    if not compliance and any(t in CASE_EVENTS for t in types):
        raise Invalid.field("event_types", "compliance_only",
                            "case.due_soon goes to compliance endpoints only (compliance: true).")
    return list(dict.fromkeys(types))


def _record(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What the audit log keeps of an endpoint (never its secrets)."""
    return {"url": endpoint.url, "description": endpoint.description,
            "event_types": list(endpoint.event_types), "compliance": endpoint.compliance,
            "enabled": endpoint.enabled, "disabled_reason": endpoint.disabled_reason,
            "secrets": [s["id"] for s in endpoint.secrets]}


def create_endpoint(
    session: Session, *, site_id: int, url: str, description: str, event_types: Sequence[str],
    compliance: bool, actor: Actor, request_id: str | None, allowed: Sequence[IPNetwork],
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its first secret (shown to the caller once). Commits."""
    if not 0 < site_id <= 2**31 - 1 or session.get(Site, site_id) is None:
        raise NotFound.of("site")
    types = _check_types(event_types, compliance)
    check_url(url, allowed)
    count = len(session.scalars(select(WebhookEndpoint.id).where(WebhookEndpoint.site_id == site_id)).all())
    if count >= MAX_ENDPOINTS_PER_SITE:
        raise Conflict(f"Site {site_id} has {count} endpoints already (at most {MAX_ENDPOINTS_PER_SITE}).",
                       code="too_many_endpoints")
    now = datetime.now(UTC)
    secret = new_secret()
    endpoint = WebhookEndpoint(
        site_id=site_id, url=url, description=description, event_types=types, compliance=compliance,
        secrets=[{"id": 1, "secret": secret, "created_at": now.isoformat(), "expires_at": None}],
        enabled=True, created_by=actor.id, created_at=now, updated_at=now)
    session.add(endpoint)
    session.flush()
    audit.record(session, actor=actor, action="webhook.endpoint.create", target_type="webhook_endpoint",
                 target_id=endpoint.id, site_id=site_id, after=_record(endpoint), request_id=request_id)
    session.commit()
    return endpoint, secret


def get_endpoint(session: Session, endpoint_id: int, actor: Actor | None = None) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id) if 0 < endpoint_id <= 2**31 - 1 else None
    if endpoint is None or (actor is not None and not actor.may_see(endpoint.site_id)):
        raise NotFound.of("webhook endpoint")
    return endpoint


def list_endpoints(session: Session, site_id: int | None = None) -> list[WebhookEndpoint]:
    """Every endpoint, or one site's (:class:`NotFound` for an unknown site)."""
    stmt = select(WebhookEndpoint).order_by(WebhookEndpoint.id)
    if site_id is not None:
        if not 0 < site_id <= 2**31 - 1 or session.get(Site, site_id) is None:
            raise NotFound.of("site")
        stmt = stmt.where(WebhookEndpoint.site_id == site_id)
    return list(session.scalars(stmt))


def update_endpoint(
    session: Session, endpoint: WebhookEndpoint, change: EndpointChange, *, actor: Actor,
    request_id: str | None, allowed: Sequence[IPNetwork],
) -> WebhookEndpoint:
    """Apply ``change``; re-enabling starts the pending deliveries' retry window over. Commits."""
    before = _record(endpoint)
    now = datetime.now(UTC)
    if change.url is not None and change.url != endpoint.url:
        check_url(change.url, allowed)
        endpoint.url = change.url
    if change.description is not None:
        endpoint.description = change.description
    compliance = endpoint.compliance if change.compliance is None else change.compliance
    types = list(endpoint.event_types) if change.event_types is None else list(change.event_types)
    endpoint.event_types = _check_types(types, compliance)
    endpoint.compliance = compliance
    if change.enabled is True and not endpoint.enabled:
        endpoint.enabled, endpoint.disabled_reason, endpoint.disabled_at = True, None, None
        endpoint.failing_since = None
        session.execute(update(WebhookDelivery)
                        .where(WebhookDelivery.endpoint_id == endpoint.id,
                               WebhookDelivery.status == "pending")
                        .values(next_attempt_at=now, first_attempt_at=None)
                        .execution_options(synchronize_session=False))
    elif change.enabled is False and endpoint.enabled:
        endpoint.enabled, endpoint.disabled_at = False, now
        endpoint.disabled_reason = change.disabled_reason or f"disabled by {actor.display_name}"
    endpoint.updated_at = now
    audit.record(session, actor=actor, action="webhook.endpoint.update", target_type="webhook_endpoint",
                 target_id=endpoint.id, site_id=endpoint.site_id, before=before, after=_record(endpoint),
                 request_id=request_id)
    session.commit()
    return endpoint


def rotate_secret(
    session: Session, endpoint: WebhookEndpoint, *, expire_previous_after: timedelta, actor: Actor,
    request_id: str | None,
) -> tuple[WebhookEndpoint, str]:
    """Add a new secret; the ones still active keep signing for ``expire_previous_after``
    (zero: they stop at once). Expired secrets are dropped. Commits."""
    before = _record(endpoint)
    now = datetime.now(UTC)
    kept = []
    for item in endpoint.secrets:
        expires = item.get("expires_at")
        if expires is not None and datetime.fromisoformat(expires) <= now:
            continue  # expired: no longer needed
        until = now + expire_previous_after
        if expires is None or datetime.fromisoformat(expires) > until:
            item = {**item, "expires_at": until.isoformat()}
        kept.append(item)
    kept = kept[-(MAX_SECRETS - 1):]
    secret = new_secret()
    next_id = max((int(s["id"]) for s in endpoint.secrets), default=0) + 1
    kept.append({"id": next_id, "secret": secret, "created_at": now.isoformat(), "expires_at": None})
    endpoint.secrets = kept
    endpoint.updated_at = now
    audit.record(session, actor=actor, action="webhook.endpoint.rotate_secret",
                 target_type="webhook_endpoint", target_id=endpoint.id, site_id=endpoint.site_id,
                 before=before,
                 after={**_record(endpoint),
                        "previous_expire_after_seconds": expire_previous_after.total_seconds()},
                 request_id=request_id)
    session.commit()
    return endpoint, secret


def delete_endpoint(session: Session, endpoint: WebhookEndpoint, *, actor: Actor,
                    request_id: str | None) -> None:
    """Disable for good: an endpoint with a delivery history is kept (disabled) so the log
    stays; one without any is removed. Commits."""
    has_history = session.scalar(select(WebhookDelivery.id).where(
        WebhookDelivery.endpoint_id == endpoint.id).limit(1)) is not None
    before = _record(endpoint)
    audit.record(session, actor=actor, action="webhook.endpoint.delete", target_type="webhook_endpoint",
                 target_id=endpoint.id, site_id=endpoint.site_id, before=before, request_id=request_id)
    if has_history:
        endpoint.enabled = False
        endpoint.disabled_at = datetime.now(UTC)
        endpoint.disabled_reason = f"deleted by {actor.display_name}"
        session.execute(update(WebhookDelivery)
                        .where(WebhookDelivery.endpoint_id == endpoint.id,
                               WebhookDelivery.status == "pending")
                        .values(status="failed", last_error="endpoint deleted")
                        .execution_options(synchronize_session=False))
    else:
        session.delete(endpoint)
    session.commit()


def disable_endpoint(session: Session, endpoint_id: int, reason: str) -> bool:
    """The service disables a failing endpoint (audited as ``system:webhooks``); in the
    caller's transaction. False: it was disabled already."""
    now = datetime.now(UTC)
    changed = session.execute(
        update(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.enabled.is_(True))
        .values(enabled=False, disabled_at=now, disabled_reason=reason[:500], updated_at=now)
        .execution_options(synchronize_session=False))
    if not changed.rowcount:  # type: ignore[attr-defined]
        return False
    site_id = session.scalar(select(WebhookEndpoint.site_id).where(WebhookEndpoint.id == endpoint_id))
    audit.record(session, actor=SYSTEM_WEBHOOKS, action="webhook.endpoint.disable",
                 target_type="webhook_endpoint", target_id=endpoint_id, site_id=site_id,
                 before={"enabled": True}, after={"enabled": False, "disabled_reason": reason[:500]})
    log.warning("webhook endpoint %s disabled: %s", endpoint_id, reason)
    return True


# --- the outbox --------------------------------------------------------------------------
def _msg_id() -> str:
    return "msg_" + token_source.token_urlsafe(18).replace("-", "A").replace("_", "B")


def _subscribers(
    session: Session, event_type: str, site_ids: Iterable[int | None], site_query: Any = None,
) -> dict[int | None, list[int]]:
    """Enabled endpoints subscribed to ``event_type``, by site (``None``: every site's
    compliance endpoints, for cases not confined to one site). ``site_query``: a SELECT
    of site ids instead of ``site_ids``."""
    wanted = set(site_ids)
    stmt = select(WebhookEndpoint.id, WebhookEndpoint.site_id, WebhookEndpoint.event_types).where(
        WebhookEndpoint.enabled.is_(True))
    if site_query is not None:
        stmt = stmt.where(WebhookEndpoint.site_id.in_(site_query))
    elif None not in wanted:
        stmt = stmt.where(WebhookEndpoint.site_id.in_([s for s in wanted if s is not None]))
    if event_type in CASE_EVENTS:
        stmt = stmt.where(WebhookEndpoint.compliance.is_(True))
    found: dict[int | None, list[int]] = {}
    for endpoint_id, site_id, types in session.execute(stmt.order_by(WebhookEndpoint.id)):
        if event_type in types:
            found.setdefault(site_id, []).append(endpoint_id)
    if None in wanted:
        found[None] = [i for ids in found.values() for i in ids]
    return found


def _write(session: Session, rows: Sequence[tuple[str, int | None, str, dict[str, Any], str | None]],
           subscribers: Mapping[int | None, list[int]]) -> int:
    """Insert events ``(type, site_id, subject, data, dedupe_key)`` and their deliveries."""
    now = datetime.now(UTC)
    written = 0
    for event_type, site_id, subject, data, dedupe_key in rows:
        endpoints = subscribers.get(site_id, [])
        if not endpoints:
            continue
        public_id = _msg_id()
        event_id = session.execute(insert(WebhookEvent).returning(WebhookEvent.id), [{
            "public_id": public_id, "type": event_type, "site_id": site_id, "subject": subject,
            "data": data, "dedupe_key": dedupe_key, "created_at": now}]).scalar_one()
        session.execute(insert(WebhookDelivery), [
            {"event_id": event_id, "endpoint_id": endpoint_id, "subject": subject, "status": "pending",
             "attempts": 0, "next_attempt_at": now, "created_at": now} for endpoint_id in endpoints])
        written += 1
    if written:
        _nudge_after_commit(session)
    return written


def record_comment_events(
    session: Session, event_type: str, comment_ids: Sequence[int], *, actor: Actor | None = None,
) -> int:
    """Write ``event_type`` for each comment to the outbox, in the caller's transaction
    (call it after the change, before the commit). The number of events written: none
    when no enabled endpoint of the comments' sites subscribes to it (one query)."""
    if not comment_ids:
        return 0
    ids = list(comment_ids)
    subscribers = _subscribers(session, event_type, (),
                               select(Comment.site_id).where(Comment.id.in_(ids)))
    if not subscribers:  # the usual case without webhooks: one indexed query, nothing else
        return 0
    rows = session.execute(
        select(Comment.id, Comment.site_id, Comment.external_id, Comment.article_id, Comment.status,
               Comment.revision, Comment.reason_codes, Comment.toxicity, Comment.last_decision,
               Comment.updated_at, Comment.error_reason)
        .where(Comment.id.in_(ids)).order_by(Comment.id)).all()
    decided_by = actor.id if actor is not None else "pipeline"
    events = []
    for row in rows:
        data: dict[str, Any] = {
            "comment_id": row.id, "external_id": row.external_id, "article_id": row.article_id,
            "status": row.status, "revision": row.revision,
            "reasons": (row.reason_codes or "").split(), "toxicity": row.toxicity,
            "decided_by": decided_by if event_type in ("comment.moderated", "comment.decided") else None,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        }
        if event_type == "comment.decided":
            data["decision"] = row.last_decision
        if event_type == "comment.error":
            data["error"] = (row.error_reason or "")[:200]
        if event_type in ("comment.edited", "comment.withdrawn") and actor is not None:
            data["changed_by"] = actor.id
        events.append((event_type, row.site_id, f"comment:{row.id}", data, None))
    return _write(session, events, subscribers)


def record_case_event(session: Session, event_type: str, *, case_id: int, site_id: int | None,
                      data: dict[str, Any], dedupe_key: str | None) -> int:
    """A lawful-request case event for the compliance endpoints (caller commits)."""
    if dedupe_key is not None and session.scalar(
            select(WebhookEvent.id).where(WebhookEvent.dedupe_key == dedupe_key)) is not None:
        return 0
    subscribers = _subscribers(session, event_type, {site_id})
    return _write(session, [(event_type, site_id, f"case:{case_id}", data, dedupe_key)], subscribers)


def _nudge_after_commit(session: Session) -> None:
    """Ask for a delivery run once this transaction commits (``session.info["webhook_notify"]``,
    set by ``moderation.webhook_queue``; without it the beat sweep delivers)."""
    notify = session.info.get("webhook_notify")
    if notify is None or session.info.get("webhook_nudge_pending"):
        return
    session.info["webhook_nudge_pending"] = True

    def after_commit(committed: Session) -> None:
        committed.info.pop("webhook_nudge_pending", None)
        try:
            notify()
        except Exception:  # never fail the change that was just committed
            log.warning("webhook delivery nudge failed; the sweep delivers", exc_info=True)

    def after_rollback(rolled_back: Session, _previous: Any) -> None:
        rolled_back.info.pop("webhook_nudge_pending", None)
        if orm_event.contains(rolled_back, "after_commit", after_commit):
            orm_event.remove(rolled_back, "after_commit", after_commit)

    orm_event.listen(session, "after_commit", after_commit, once=True)
    orm_event.listen(session, "after_soft_rollback", after_rollback, once=True)


# --- the delivery log --------------------------------------------------------------------
def deliveries(
    session: Session, endpoint: WebhookEndpoint, *, status: str | None = None, limit: int = 50,
    before_id: int | None = None,
) -> list[tuple[WebhookDelivery, WebhookEvent]]:
    """The endpoint's deliveries, newest first, with their events."""
    stmt = (select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
            .where(WebhookDelivery.endpoint_id == endpoint.id)
            .order_by(WebhookDelivery.id.desc()).limit(limit))
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    if before_id is not None:
        stmt = stmt.where(WebhookDelivery.id < before_id)
    return [(d, e) for d, e in session.execute(stmt).tuples()]


def attempts(session: Session, delivery_ids: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    found: dict[int, list[WebhookAttempt]] = {}
    if delivery_ids:
        for attempt in session.scalars(select(WebhookAttempt).where(
                WebhookAttempt.delivery_id.in_(list(delivery_ids))).order_by(WebhookAttempt.id)):
            found.setdefault(attempt.delivery_id, []).append(attempt)
    return found


def get_delivery(session: Session, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = session.get(WebhookDelivery, delivery_id) if 0 < delivery_id <= 2**31 - 1 else None
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound.of("delivery")
    return delivery


def redeliver(session: Session, endpoint: WebhookEndpoint, delivery: WebhookDelivery, *, actor: Actor,
              request_id: str | None) -> WebhookDelivery:
    """Send the event again (whatever became of it), with a fresh retry window. Commits.

    A pending delivery is only moved forward; a delivered or failed one is pending again,
    behind any earlier pending event about the same subject.
    """
    now = datetime.now(UTC)
    before = {"status": delivery.status, "attempts": delivery.attempts}
    delivery.status = "pending"
    delivery.next_attempt_at = now
    delivery.first_attempt_at = None
    delivery.leased_until = delivery.leased_by = None
    audit.record(session, actor=actor, action="webhook.delivery.redeliver", target_type="webhook_delivery",
                 target_id=delivery.id, site_id=endpoint.site_id, before=before,
                 after={"status": "pending", "endpoint_id": endpoint.id}, request_id=request_id)
    _nudge_after_commit(session)
    session.commit()
    return delivery


def envelope(event: WebhookEvent) -> bytes:
    """The body sent for ``event``: the same bytes on every attempt and to every endpoint."""
    return json.dumps({"id": event.public_id, "type": event.type,
                       "created_at": event.created_at.isoformat().replace("+00:00", "Z"),
                       "site": event.site_id, "data": event.data},
                      separators=(",", ":"), sort_keys=True).encode()
