"""Coral Talk's external moderation phase, and the admin API of a site's Coral secrets.

- ``POST /v1/integrations/coral/{site_id}``: Coral's ``ExternalModerationRequest``,
  authenticated by ``X-Coral-Signature`` (HMAC-SHA256 of the exact body with one of the
  site's registered ``empsec_…`` secrets; no API key). Answers Coral's
  ``ExternalModerationResponse`` at once (``moderation/services/coral.py``), or ``204``
  when we have no objection, so Coral's later phases still run.
- ``GET|POST /v1/sites/{site_id}/coral/secrets``, ``DELETE …/{secret_id}`` (role admin):
  register Coral's signing secrets (several during a rotation), list them (prefixes
  only), revoke them.

A missing or wrong signature is a ``401`` in the service's JSON error shape and an
audit event (``coral.signature.rejected``) on the site. Requests are counted against the
site's ``per_key`` rate limit per sending address *before* the signature is checked, so a
flood of unsigned requests is answered ``429`` without decrypting secrets or writing audit
rows.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Literal

from flask import Blueprint, Response, current_app, request
from prometheus_client import Counter, Histogram
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, model_validator

from moderation import audit
from moderation.api import ratelimit
from moderation.api.auth import current_actor, require_role
from moderation.api.context import db_session, request_id, settings
from moderation.api.operations import Out, Query, documented, respond
from moderation.api.schemas import errors_to_details, parse_json_body
from moderation.api.scope import in_range
from moderation.domain.actors import Actor
from moderation.errors import ApiError, not_found, validation_error
from moderation.pipeline.run import ClassifierLike
from moderation.queue import enqueue_moderation
from moderation.services import coral, coral_secrets, policies
from moderation.services.analysis_models import language_model, scorer
from moderation.services.site_serving import SiteClassifiers
from moderation.store import Site

log = logging.getLogger(__name__)
bp = Blueprint("coral", __name__, url_prefix="/v1")

REQUESTS = Counter("moderation_coral_requests_total",
                   "Coral external moderation requests, by outcome", ["outcome"])
LATENCY = Histogram("moderation_coral_seconds", "Coral external moderation answer latency",
                    buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0))
SIGNATURE_HEADER = "X-Coral-Signature"


# --- Coral's request (fields we don't read are allowed: Coral may add some) -------------

class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class CoralCommentIn(_Loose):
    body: str = Field(min_length=1)
    parentID: str | None = Field(default=None, min_length=1, max_length=200)  # noqa: N815
    #: not sent by Coral today; used to match an EDIT if a version sends it
    id: str | None = Field(default=None, min_length=1, max_length=200)


class CoralAuthorIn(_Loose):
    id: str = Field(min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=40)


class CoralStoryIn(_Loose):
    id: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=2000)


class CoralSiteIn(_Loose):
    id: str | None = Field(default=None, max_length=200)


class CoralTenantIn(_Loose):
    id: str | None = Field(default=None, max_length=200)
    domain: str | None = Field(default=None, max_length=500)


class ExternalModerationRequest(_Loose):
    """Coral's request, as its ``external.ts`` builds it (2-space JSON)."""

    action: Literal["NEW", "EDIT"]
    comment: CoralCommentIn
    author: CoralAuthorIn
    story: CoralStoryIn
    site: CoralSiteIn | None = None
    tenantID: str | None = Field(default=None, max_length=200)  # noqa: N815
    tenantDomain: str | None = Field(default=None, max_length=500)  # noqa: N815
    #: Coral 6.x sent ``tenant: {id, domain}`` instead of tenantID/tenantDomain
    tenant: CoralTenantIn | None = None

    @model_validator(mode="after")
    def _no_nul(self) -> ExternalModerationRequest:
        tenant, site = self.tenant or CoralTenantIn(), self.site or CoralSiteIn()
        values = (self.comment.body, self.comment.parentID, self.comment.id, self.author.id,
                  self.author.role, self.story.id, self.story.url, site.id, self.tenantID,
                  self.tenantDomain, tenant.id, tenant.domain)
        if any(value and "\x00" in value for value in values):
            raise ValueError("text fields must not contain NUL characters")
        return self


# --- Coral's response: only fields and values of its schema -----------------------------

CoralStatus = Literal["NONE", "APPROVED", "REJECTED", "PREMOD", "SYSTEM_WITHHELD"]
RejectionCode = Literal["OFFENSIVE", "ABUSIVE", "SPAM", "BANNED_WORD", "AD", "ILLEGAL_CONTENT",
                        "HARASSMENT_BULLYING", "MISINFORMATION", "HATE_SPEECH",
                        "IRRELEVANT_CONTENT", "OTHER"]


class RejectionReasonOut(Out):
    code: RejectionCode


class ModerationActionOut(Out):
    status: CoralStatus
    rejectionReason: RejectionReasonOut | None = None  # noqa: N815


class FlagActionOut(Out):
    actionType: Literal["FLAG"]  # noqa: N815
    reason: Literal["COMMENT_DETECTED_TOXIC", "COMMENT_DETECTED_SPAM"]


class ExternalModerationResponse(Out):
    """Coral's ``ExternalModerationResponse``; fields that don't apply are left out."""

    status: CoralStatus | None = None
    moderationAction: ModerationActionOut | None = None  # noqa: N815
    actions: list[FlagActionOut] | None = None
    tags: list[Literal["FEATURED", "STAFF"]] | None = None


def _coral_json(answer: dict[str, Any]) -> Response:
    # validated against the schema's models on the way out: a field or value outside
    # Coral's schema is a bug here, never something Coral has to cope with
    body = ExternalModerationResponse.model_validate(answer).model_dump_json(exclude_none=True)
    return current_app.response_class(body, status=200, mimetype="application/json")


def _request(data: ExternalModerationRequest) -> coral.CoralComment:
    tenant = data.tenant or CoralTenantIn()
    return coral.CoralComment(
        action=data.action, body=data.comment.body, parent_id=data.comment.parentID,
        author_id=data.author.id, author_role=data.author.role, story_id=data.story.id,
        story_url=data.story.url, coral_site_id=data.site.id if data.site else None,
        tenant_id=data.tenantID or tenant.id, tenant_domain=data.tenantDomain or tenant.domain,
        comment_id=data.comment.id)


def _reject_signature(site: Site, problem: str) -> ApiError:
    session = db_session()
    audit.record(session, actor=Actor.system("coral", "unverified Coral request"),
                 action="coral.signature.rejected", target_type="site", target_id=site.id,
                 site_id=site.id, after={"problem": problem, "remote_addr": request.remote_addr},
                 request_id=request_id())
    session.commit()
    REQUESTS.labels("unauthorized").inc()
    messages = {"missing": f"Send the {SIGNATURE_HEADER} header Coral signs its requests with.",
                "malformed": f"{SIGNATURE_HEADER} must be sha256=<64 hex digits>[,sha256=…].",
                "no_secret": "This site has no active Coral signing secret; register Coral's "
                             "with `python -m moderation coral-secret add`.",
                "mismatch": "No signature matches this body under the site's active secrets."}
    return ApiError(401, "invalid_signature", messages[problem])


_site_models: dict[int, SiteClassifiers] = {}  # by the base classifier's id(), one per process
_site_models_lock = threading.Lock()


def _classifier(site_id: int) -> ClassifierLike | None:
    """What the workers would score this site's comment with: its active site model, else
    the base classifier (None when that can't be loaded)."""
    try:
        base = scorer()
        with _site_models_lock:
            models = _site_models.get(id(base))
            if models is None:
                models = _site_models[id(base)] = SiteClassifiers(base)
        model: ClassifierLike = models.for_sites(db_session(), [site_id]).get(site_id, base)
        return model
    except Exception:  # hold the comment for the workers rather than fail Coral's phase
        log.exception("the classifier can't be loaded for Coral's phase")
        return None


@bp.post("/integrations/coral/<int:site_id>")
@documented("Coral Talk's external moderation phase: judge a new or edited comment at once and record "
            "it (authenticated by X-Coral-Signature; 204: no objection)", public=True,
            body=ExternalModerationRequest, response=ExternalModerationResponse,
            description="A decision for Coral (rejected or withheld)",
            query=(Query(SIGNATURE_HEADER, {"type": "string"},
                         "sha256=<hex HMAC-SHA256 of the body>, one per active secret", location="header"),),
            errors=(401, 404, 413, 422, 429, 503))
def external_moderation(site_id: int) -> Response:
    started = time.perf_counter()
    session = db_session()
    site = session.get(Site, site_id) if in_range(site_id) else None
    if site is None:
        raise not_found("site")
    ratelimit.enforce_integration_limit(site, request.remote_addr)  # before the costly part
    raw = request.get_data(cache=True)
    secrets = coral_secrets.active_secrets(session, site.id, settings().integration_key_bytes())
    check = coral_secrets.check_signature(raw, request.headers.get(SIGNATURE_HEADER), secrets)
    if check.secret_id is None:
        raise _reject_signature(site, check.problem or "mismatch")
    try:
        data = ExternalModerationRequest.model_validate(parse_json_body(raw))
    except ValidationError as exc:
        REQUESTS.labels("invalid").inc()
        raise validation_error(errors_to_details(exc),
                               "The body is not Coral's external moderation request.") from None
    classifier = _classifier(site.id)
    actor = Actor(kind="system", id="system:coral", display_name=f"Coral Talk (secret {check.secret_id})",
                  role="site", site_ids=frozenset({site.id}))
    outcome = coral.moderate_coral_comment(
        session, site=site, comment=_request(data), actor=actor, classifier=classifier,
        language_model=language_model(), defaults=policies.policy_defaults(settings()),
        pseudonym_key=settings().pseudonym_key, submitted_from=request.remote_addr,
        request_id=request_id(), enqueue=enqueue_moderation(current_app))
    answer = coral.coral_answer(outcome.status, outcome.result, outcome.policy)
    REQUESTS.labels(outcome.status).inc()
    LATENCY.observe(time.perf_counter() - started)
    headers = {"Moderation-Comment-Id": str(outcome.comment_id)}
    if not answer:
        return Response(status=204, headers=headers)
    response = _coral_json(answer)
    response.headers.update(headers)
    return response


# --- the site's secrets (admin) ------------------------------------------------------------

class CoralSecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    #: Coral's signing secret (``empsec_…``), copied from its external moderation phase
    secret: str = Field(min_length=1, max_length=300)
    name: str | None = Field(default=None, min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f]+$")
    #: when to stop accepting it (ISO 8601 with an offset); none: until revoked
    expires_at: AwareDatetime | None = Field(default=None, strict=False)


class CoralSecretOut(Out):
    id: int
    site_id: int
    prefix: str
    name: str | None
    created_at: str
    created_by: str
    expires_at: str | None
    revoked_at: str | None
    active: bool


class CoralSecretListOut(Out):
    items: list[CoralSecretOut]
    #: the URL to give Coral as the phase's endpoint
    endpoint: str


def _site(site_id: int) -> Site:
    site = db_session().get(Site, site_id) if in_range(site_id) else None
    if site is None:
        raise not_found("site")
    return site


def _endpoint(site: Site) -> str:
    return request.url_root.rstrip("/") + f"/v1/integrations/coral/{site.id}"


@bp.get("/sites/<int:site_id>/coral/secrets")
@documented("A site's Coral signing secrets (prefixes only) and its phase endpoint (role: admin)",
            response=CoralSecretListOut, description="The secrets",
            query=(Query("include_revoked", {"type": "boolean"}),), errors=(404,))
@require_role("admin")
def list_coral_secrets(site_id: int) -> Response:
    site = _site(site_id)
    include_revoked = request.args.get("include_revoked", "false").lower() in ("1", "true", "yes")
    rows = coral_secrets.list_secrets(db_session(), site, include_revoked=include_revoked)
    return respond(CoralSecretListOut(
        items=[CoralSecretOut.model_validate(coral_secrets.secret_record(row)) for row in rows],
        endpoint=_endpoint(site)))


@bp.post("/sites/<int:site_id>/coral/secrets")
@documented("Register one of Coral's signing secrets for a site; it is never shown again "
            "(role: admin)", body=CoralSecretIn, response=CoralSecretOut, status=201,
            description="The secret (prefix only)", errors=(404, 409, 413, 422))
@require_role("admin")
def add_coral_secret(site_id: int) -> Response:
    site = _site(site_id)
    try:
        payload = CoralSecretIn.model_validate(parse_json_body(request.get_data()))
    except ValidationError as exc:
        raise validation_error(errors_to_details(exc)) from None
    row = coral_secrets.add_secret(db_session(), site=site, secret=payload.secret,
                                   key=settings().integration_key_bytes(), actor=current_actor(),
                                   name=payload.name, expires_at=payload.expires_at,
                                   request_id=request_id())
    return respond(CoralSecretOut.model_validate(coral_secrets.secret_record(row)), status=201)


@bp.delete("/sites/<int:site_id>/coral/secrets/<int:secret_id>")
@documented("Revoke a Coral signing secret (role: admin)", response=CoralSecretOut,
            description="The revoked secret", errors=(404,))
@require_role("admin")
def revoke_coral_secret(site_id: int, secret_id: int) -> Response:
    site = _site(site_id)
    if not in_range(secret_id):
        raise not_found("coral secret")
    row = coral_secrets.revoke_secret(db_session(), site=site, secret_id=secret_id,
                                      actor=current_actor(), request_id=request_id())
    return respond(CoralSecretOut.model_validate(coral_secrets.secret_record(row)))
