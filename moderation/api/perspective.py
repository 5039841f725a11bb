"""A Perspective-compatible API (``v1alpha1``): move off Google's shut-down service by changing one URL.

- ``POST /v1alpha1/comments:analyze``: scores for the requested attributes
  (``moderation/pipeline/analysis.py`` maps them onto our categories). The text is
  never stored, whatever ``doNotStore`` says.
- ``POST /v1alpha1/comments:suggestscore``: a reader's or moderator's suggested score,
  recorded as labelled feedback for the key's site (audited).
- ``GET /$discovery/rest?version=v1alpha1``: the discovery document, so Google's own
  client library works unmodified against this server.

Authenticated with a site key as ``?key=`` (how Perspective's clients send it) or as
``Authorization: Bearer``. Errors come in Google's shape
(``{"error": {"code", "message", "status", "details": [{"@type", "errorType"}]}}``).
"""

from __future__ import annotations

import html
import re
import time
from typing import Any, TypeVar

from flask import Blueprint, Response, g, jsonify, request
from prometheus_client import Counter, Histogram
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from werkzeug.exceptions import HTTPException

from moderation.api.auth import authenticate_token, bearer_token
from moderation.api.context import db_session, request_id
from moderation.api.discovery import discovery_document
from moderation.api.operations import Out, Query, documented
from moderation.api.ratelimit import enforce_key_limit
from moderation.api.schemas import parse_json_body
from moderation.domain.errors import DomainError
from moderation.pipeline.analysis import ATTRIBUTES, LANGUAGE_INDEPENDENT, analyze, detect_language
from moderation.services import feedback
from moderation.services.access import actor_for_key
from moderation.services.analysis_models import covered_languages, language_model, scorer
from moderation.store import Site

bp = Blueprint("perspective", __name__)
T = TypeVar("T")

#: Perspective refuses comments over 20 KB (UTF-8 bytes); so do we.
MAX_COMMENT_BYTES = 20 * 1024
ERROR_TYPE = "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
           404: "NOT_FOUND", 413: "INVALID_ARGUMENT", 422: "INVALID_ARGUMENT",
           429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}

REQUESTS = Counter("moderation_perspective_requests_total",
                   "Perspective-compatible API requests, by method and outcome", ["method", "outcome"])
LATENCY = Histogram("moderation_perspective_seconds", "Perspective-compatible analyze latency",
                    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1.0))


class GoogleErrorDetail(Out):
    type_: str = Field(alias="@type")
    errorType: str  # noqa: N815


class GoogleErrorBody(Out):
    code: int
    message: str
    status: str
    details: list[GoogleErrorDetail] | None = None


class GoogleError(Out):
    """Errors of the Perspective-compatible API, in Google's shape."""

    error: GoogleErrorBody


class ScoreOut(Out):
    value: float
    type: str


class SpanScoreOut(Out):
    begin: int
    end: int
    score: ScoreOut


class AttributeScoresOut(Out):
    spanScores: list[SpanScoreOut]  # noqa: N815
    summaryScore: ScoreOut  # noqa: N815


class AnalyzeCommentResponse(Out):
    attributeScores: dict[str, AttributeScoresOut]  # noqa: N815
    languages: list[str]
    detectedLanguages: list[str]  # noqa: N815
    clientToken: str | None = None  # noqa: N815


class SuggestCommentScoreResponse(Out):
    detectedLanguages: list[str]  # noqa: N815
    clientToken: str | None = None  # noqa: N815


class DiscoveryDocument(BaseModel):
    model_config = ConfigDict(extra="allow")
    kind: str
    rootUrl: str  # noqa: N815


_GOOGLE_ERRORS = {status: (text, GoogleError) for status, text in (
    (400, "Invalid request, in Google's error shape (see details[].errorType)"),
    (401, "Unknown or revoked API key"), (403, "Missing or non-site API key"),
    (404, "Unknown API version"), (413, "Body too large"),
    (429, "Rate limited; see Retry-After"), (500, "Internal error"),
    (503, "A dependency is unavailable"))}


class PerspectiveError(DomainError):
    """An error answered in Google's shape, with Perspective's ``errorType``."""

    def __init__(self, message: str, error_type: str | None = None, status: int = 400) -> None:
        super().__init__(message, code=error_type or "INVALID_ARGUMENT")
        self.status = status
        self.error_type = error_type


def _google_error(error: DomainError) -> Response:
    status = error.status if error.status != 422 else 400
    body: dict[str, Any] = {"code": status, "message": error.message,
                            "status": _STATUS.get(status, "INVALID_ARGUMENT")}
    error_type = getattr(error, "error_type", None)
    if error_type:
        body["details"] = [{"@type": ERROR_TYPE, "errorType": error_type}]
    elif error.details:
        body["message"] = error.message + " " + "; ".join(
            f"{d.get('field')}: {d.get('message')}" for d in error.details)
    response = jsonify({"error": GoogleErrorBody.model_validate(body).model_dump(by_alias=True,
                                                                                 exclude_none=True)})
    response.status_code = status
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Response:
    REQUESTS.labels(request.path.rsplit(":", 1)[-1], "error").inc()
    return _google_error(error)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    REQUESTS.labels(request.path.rsplit(":", 1)[-1], "error").inc()
    return _google_error(PerspectiveError(error.description or error.name, status=status))


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class TextEntry(_Loose):
    text: str | None = None
    type: str = "PLAIN_TEXT"


class AttributeParameters(_Loose):
    scoreType: str | None = None  # noqa: N815 (Perspective's field names)
    scoreThreshold: float | None = Field(default=None, ge=0, le=1)  # noqa: N815


class AnalyzeCommentRequest(_Loose):
    comment: TextEntry | None = None
    requestedAttributes: dict[str, AttributeParameters | None] | None = None  # noqa: N815
    languages: list[str] | None = None
    doNotStore: bool | None = None  # noqa: N815
    clientToken: str | None = Field(default=None, max_length=1000)  # noqa: N815
    sessionId: str | None = Field(default=None, max_length=1000)  # noqa: N815
    communityId: str | None = Field(default=None, max_length=1000)  # noqa: N815
    spanAnnotations: bool | None = None  # noqa: N815
    context: dict[str, Any] | None = None
    dropUnsupportedAttributes: bool | None = None  # noqa: N815


class Score(_Loose):
    value: float = Field(ge=0, le=1)
    type: str | None = "PROBABILITY"


class AttributeScore(_Loose):
    summaryScore: Score  # noqa: N815


class SuggestCommentScoreRequest(_Loose):
    comment: TextEntry | None = None
    attributeScores: dict[str, AttributeScore] | None = None  # noqa: N815
    languages: list[str] | None = None
    communityId: str | None = Field(default=None, max_length=1000)  # noqa: N815
    clientToken: str | None = Field(default=None, max_length=1000)  # noqa: N815
    context: dict[str, Any] | None = None


def _parse(model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(parse_json_body(request.get_data()))
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}"
                             for e in exc.errors()[:5])
        raise PerspectiveError(f"Invalid JSON payload: {problems}") from None


def _site() -> Site:
    """Authenticate the site key (``?key=`` or bearer) and count it against its rate limit."""
    token = request.args.get("key") or bearer_token()
    if not token:
        raise PerspectiveError("The request is missing a valid API key.", status=403)
    key = authenticate_token(token)
    if key.role != "site" or key.site_id is None:
        raise PerspectiveError("The API key is not a site key.", status=403)
    site = db_session().get(Site, key.site_id)
    if site is None:
        raise PerspectiveError("The API key's site no longer exists.", status=403)
    enforce_key_limit(key, site)
    g.api_key = key
    g.actor = actor_for_key(key)
    return site


_TAG = re.compile(r"<[^>]*>")


def _text(entry: TextEntry | None) -> str:
    if entry is None or entry.text is None or not entry.text.strip():
        raise PerspectiveError("Comment must be non-empty.", "COMMENT_EMPTY")
    if len(entry.text.encode("utf-8")) > MAX_COMMENT_BYTES:
        raise PerspectiveError(f"Comment must be at most {MAX_COMMENT_BYTES} bytes.", "COMMENT_TOO_LONG")
    if entry.type not in ("PLAIN_TEXT", "HTML"):
        raise PerspectiveError(f"Unknown comment type: {entry.type}.", "INVALID_ARGUMENT")
    text = html.unescape(_TAG.sub(" ", entry.text)) if entry.type == "HTML" else entry.text
    if not text.strip():
        raise PerspectiveError("Comment must be non-empty.", "COMMENT_EMPTY")
    return text


def _known_attributes(attributes: dict[str, T] | None, missing: str) -> dict[str, T]:
    """The request's attribute map, refused when empty or naming an attribute we don't score."""
    if not attributes:
        raise PerspectiveError(missing, "NO_REQUESTED_ATTRIBUTES")
    unknown = sorted(name for name in attributes if name not in ATTRIBUTES)
    if unknown:
        raise PerspectiveError(f"Unknown attribute: {', '.join(unknown)}.", "ATTRIBUTE_NOT_SUPPORTED")
    return attributes


@bp.post("/v1alpha1/comments:analyze")
@documented("Perspective-compatible analysis (site key as ?key= or bearer); never stores the text",
            public=True, body=AnalyzeCommentRequest, response=AnalyzeCommentResponse,
            query=(Query("key", {"type": "string"}, "A site API key"),),
            other_responses=_GOOGLE_ERRORS)
def analyze_comment() -> Response:
    started = time.perf_counter()
    _site()
    body: AnalyzeCommentRequest = _parse(AnalyzeCommentRequest)
    text = _text(body.comment)
    requested = _known_attributes(body.requestedAttributes, "No requested attributes.")
    guess = detect_language(text, language_model())
    detected = [guess.language] if guess.language != "und" else []
    request_languages = [lang.strip() for lang in body.languages or [] if lang.strip()] or detected
    # the client's languages and what the comment is really written in must both be covered:
    # a Hindi comment sent as "en" is still a comment the model can't read
    checked = dict.fromkeys([*(lang.lower() for lang in request_languages), *detected])
    covered = covered_languages()
    missing = [lang for lang in checked if not _covered(lang, covered)]
    attributes = []
    for name in requested:
        if name in LANGUAGE_INDEPENDENT or not missing:
            attributes.append(name)
        elif not body.dropUnsupportedAttributes:
            raise PerspectiveError(f"Attribute {name} does not support request languages: "
                                   f"{','.join(missing)}", "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE")
    result = analyze(text, attributes, scorer(), language=guess,
                     span_annotations=bool(body.spanAnnotations))
    scores: dict[str, Any] = {}
    for name in attributes:
        value = result.scores[name]
        threshold = (requested.get(name) or AttributeParameters()).scoreThreshold
        if threshold is not None and value < threshold:
            continue
        scores[name] = {
            "spanScores": [{"begin": s.begin, "end": s.end,
                            "score": {"value": s.score, "type": "PROBABILITY"}}
                           for s in result.spans[name]],
            "summaryScore": {"value": value, "type": "PROBABILITY"},
        }
    answer: dict[str, Any] = {"attributeScores": scores, "languages": request_languages,
                              "detectedLanguages": detected}
    if body.clientToken is not None:
        answer["clientToken"] = body.clientToken
    REQUESTS.labels("analyze", "ok").inc()
    LATENCY.observe(time.perf_counter() - started)
    return jsonify(answer)


@bp.post("/v1alpha1/comments:suggestscore")
@documented("Perspective-compatible score suggestion, recorded as feedback for the key's site",
            public=True, body=SuggestCommentScoreRequest, response=SuggestCommentScoreResponse,
            query=(Query("key", {"type": "string"}, "A site API key"),),
            other_responses=_GOOGLE_ERRORS)
def suggest_score() -> Response:
    site = _site()
    body: SuggestCommentScoreRequest = _parse(SuggestCommentScoreRequest)
    text = _text(body.comment)
    suggested = _known_attributes(body.attributeScores, "No attribute scores were suggested.")
    guess = detect_language(text, language_model())
    feedback.record_suggestion(
        db_session(), site=site, text=text, language=guess.language,
        scores={name: score.summaryScore.value for name, score in suggested.items()},
        community_id=body.communityId, client_token=body.clientToken, actor=g.actor,
        request_id=request_id())
    REQUESTS.labels("suggestscore", "ok").inc()
    answer: dict[str, Any] = {"detectedLanguages": [guess.language] if guess.language != "und" else []}
    if body.clientToken is not None:
        answer["clientToken"] = body.clientToken
    return jsonify(answer)


@bp.get("/$discovery/rest")
@documented("The Perspective API's discovery document (for Google's client libraries)", public=True,
            response=DiscoveryDocument, query=(Query("version", {"type": "string", "enum": ["v1alpha1"]}),),
            other_responses={404: _GOOGLE_ERRORS[404]})
def discovery() -> Response:
    version = request.args.get("version", "v1alpha1")
    if version != "v1alpha1":
        raise PerspectiveError(f"Unknown API version: {version}.", status=404)
    return jsonify(discovery_document(request.url_root))


def _covered(language: str, covered: frozenset[str]) -> bool:
    """``en-GB`` is covered by ``en``; romanised ``hi-Latn`` only by itself."""
    language = language.lower()
    if language in covered:
        return True
    base, _, script = language.partition("-")
    return script != "latn" and base in covered
