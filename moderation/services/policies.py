"""Site policies: the validated shape an admin may set, reading it back, and changing it.

A policy is stored on ``sites.policy`` as the admin's overrides only (validated
here). What a site's policy *is* comes from one resolver,
:func:`moderation.pipeline.policy.resolve_policy`, of (overrides, model thresholds,
settings): :func:`site_policy` applies it to a stored site for the intake API, the
admin read side and the CLI, and the worker applies it with its loaded classifier's
thresholds. The web side reads the same thresholds from the model artifacts' metadata
(:func:`model_thresholds`, once per process), so what is shown is what is applied.

Every change (a replacement, :func:`set_policy`, or a JSON merge patch, RFC 7396,
:func:`patch_policy`) bumps ``sites.policy_version`` with a compare-and-swap on the
version it read (or the one ``If-Match`` named: a stale one is a 412), appends a
``policy.update`` audit event, and applies to comments moderated after it (each
verdict records the version it used).
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from limits import parse_many
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from moderation import audit
from moderation.classifier.model import ArtifactError
from moderation.classifier.tier2 import service_thresholds
from moderation.domain.actors import Actor
from moderation.domain.errors import Invalid, PreconditionFailed, Unavailable
from moderation.pipeline.policy import (
    DEFAULT_CLEAN_BELOW,
    FALLBACK_THRESHOLDS,
    Policy,
    PolicyDefaults,
    policy_document,
    resolve_policy,
)
from moderation.pipeline.structure import DEFAULT_MAX_LENGTH
from moderation.store import Site

if TYPE_CHECKING:
    from moderation.settings import Settings


def _network(value: str) -> str:
    try:
        return str(ipaddress.ip_network(value.strip(), strict=False))
    except ValueError:
        raise ValueError("is not an IP address or CIDR network") from None


def _email(value: str) -> str:
    value = value.strip().casefold()
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain:
        raise ValueError("is not an email address")
    return value


def _domain(value: str) -> str:
    value = value.strip().casefold().lstrip("@")
    if not value or "." not in value or any(c.isspace() for c in value) or "@" in value:
        raise ValueError("is not a domain name")
    return value


def _term(value: str) -> str:
    if not value.strip() or len(value) > 200:
        raise ValueError("must be 1-200 characters")
    return value.strip()


def _rate(value: str) -> str:
    try:
        if not parse_many(value):
            raise ValueError
    except ValueError:
        raise ValueError("is not a rate limit such as '100/minute' or '10/second;500/hour'") from None
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ThresholdsIn(_Strict):
    """Either level may be left out: it keeps the model's (or the fallback) value."""

    review: float | None = Field(default=None, ge=0, le=1)
    reject: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdsIn:
        if self.reject is not None and self.review is not None and self.reject < self.review:
            raise ValueError("reject must not be below review")
        return self


class WordIn(_Strict):
    term: Annotated[str, AfterValidator(_term)]
    action: Literal["reject", "review", "none"] = "reject"


class BlocklistsIn(_Strict):
    ips: list[Annotated[str, AfterValidator(_network)]] = Field(default_factory=list, max_length=10_000)
    emails: list[Annotated[str, AfterValidator(_email)]] = Field(default_factory=list, max_length=10_000)
    email_domains: list[Annotated[str, AfterValidator(_domain)]] = Field(
        default_factory=list, max_length=10_000)
    disposable_domains: bool = False
    words: list[WordIn] = Field(default_factory=list, max_length=5_000)


class RateLimitsIn(_Strict):
    per_key: Annotated[str, AfterValidator(_rate)] | None = None
    per_sender_ip: Annotated[str, AfterValidator(_rate)] | None = None


class PolicyIn(_Strict):
    """A site's policy overrides: every field is optional and keeps the default when left out."""

    max_length: int = Field(default=DEFAULT_MAX_LENGTH, ge=1, le=100_000,
                            description="Longest comment, in characters after NFC normalisation "
                                        "(default: MODERATION_MAX_COMMENT_LENGTH)")
    mode: Literal["post", "pre"] = "post"
    clean_below: float = Field(
        default=DEFAULT_CLEAN_BELOW, ge=0, le=1,
        description="pre mode: a comment is clearly clean (approved without review) when every "
                    "category scores below this fraction of its review threshold")
    unsupported_languages: Literal["review", "classifier"] = Field(
        default="review",
        description="A comment in a language the classifier was not validated on: 'review' holds "
                    "it for a person (reason language:unsupported); 'classifier' trusts the scores")
    thresholds: dict[str, ThresholdsIn] = Field(
        default_factory=dict, description="Per category; left out: the model's thresholds")
    blocklists: BlocklistsIn = Field(default_factory=BlocklistsIn)
    rate_limits: RateLimitsIn = Field(default_factory=RateLimitsIn)

    @field_validator("thresholds")
    @classmethod
    def _known_categories(cls, value: dict[str, ThresholdsIn]) -> dict[str, ThresholdsIn]:
        unknown = sorted(set(value) - set(FALLBACK_THRESHOLDS))
        if unknown:
            raise ValueError(f"unknown threshold categories: {', '.join(unknown)}; "
                             f"known: {', '.join(FALLBACK_THRESHOLDS)}")
        return value


def validate_policy(data: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a policy document; raises pydantic's ValidationError."""
    return PolicyIn.model_validate(data).model_dump(exclude_unset=True, exclude_none=True)


# --- resolving -------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelThresholds:
    """The serving model's version and its review/reject thresholds per category."""

    version: str
    thresholds: Mapping[str, Mapping[str, float]]


def policy_defaults(settings: Settings) -> PolicyDefaults:
    """What the settings contribute to every site's policy."""
    return PolicyDefaults(max_length=settings.max_comment_length)


@functools.lru_cache(maxsize=8)
def _read_model_thresholds(model_path: str | Path | None, tier2: str,
                           kannada: str = "latest") -> ModelThresholds:
    version, thresholds = service_thresholds(model_path or None, tier2, kannada)
    return ModelThresholds(version, thresholds)


def model_thresholds(settings: Settings) -> ModelThresholds:
    """The thresholds the workers' classifier applies (the same artifacts, chosen by the same
    MODERATION_MODEL_PATH and MODERATION_TIER2), read once per process from their metadata.
    Raises :class:`Unavailable` when the artifact can't be read (retried on the next call)."""
    try:
        return _read_model_thresholds(settings.model_path, settings.tier2, settings.kannada)
    except ArtifactError as exc:
        raise Unavailable(f"The model's thresholds can't be read: {exc}") from None


def site_policy(
    site: Site, thresholds: Mapping[str, Mapping[str, float]], defaults: PolicyDefaults
) -> Policy:
    """The site's effective policy: the one resolver applied to its stored overrides."""
    return resolve_policy(site.policy or {}, version=site.policy_version,
                          model_thresholds=thresholds, defaults=defaults)


def length_limit(site: Site, settings: Settings) -> int:
    """The comment length limit intake enforces: the resolved policy's, as the worker's."""
    # The length limit doesn't depend on the model, so intake never reads the artifact.
    return site_policy(site, {}, policy_defaults(settings)).max_length


def effective_policy(site: Site, settings: Settings) -> dict[str, Any]:
    """The site's resolved policy as the admin API and CLI show it."""
    return policy_document(site_policy(site, model_thresholds(settings).thresholds,
                                       policy_defaults(settings)))


def policy_record(site: Site, settings: Settings) -> dict[str, Any]:
    """What ``GET /v1/sites/{id}/policy`` and ``sites policy show`` answer."""
    return {"site_id": site.id, "policy_version": site.policy_version,
            "model_version": model_thresholds(settings).version,
            "policy": effective_policy(site, settings), "overrides": site.policy or {}}


# --- changing --------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge recursively, ``null`` removes a member,
    anything else (arrays included) replaces the target."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            merged.pop(name, None)
        else:
            merged[name] = merge_patch(merged.get(name), value)
    return merged


def _details(exc: ValidationError) -> list[dict[str, Any]]:
    details = []
    for item in exc.errors(include_url=False, include_input=False):
        code, message = item["type"], item["msg"]
        if code == "extra_forbidden":
            code, message = "unknown_field", "Unknown field."
        elif code == "value_error":
            message = "Value " + message.removeprefix("Value error, ")
        field = ".".join(str(part) for part in item["loc"]) or "body"
        details.append({"field": field, "code": code, "message": message})
    return details


def parse_policy(data: Mapping[str, Any], thresholds: Mapping[str, Mapping[str, float]]) -> dict[str, Any]:
    """The stored form of a policy document, checked against the model's thresholds as well
    (an override of one level must stay on the right side of the other); raises Invalid."""
    try:
        stored = validate_policy(dict(data))
    except ValidationError as exc:
        raise Invalid("The policy is invalid.", details=_details(exc)) from None
    resolved = resolve_policy(stored, version=0, model_thresholds=thresholds, defaults=PolicyDefaults())
    problems = [
        {"field": f"thresholds.{name}", "code": "value_error",
         "message": f"With the model's thresholds this reads review {t.review} and reject {t.reject}; "
                    "reject must not be below review."}
        for name in stored.get("thresholds", {})
        if (t := resolved.thresholds[name]).reject is not None and t.reject < t.review
    ]
    if problems:
        raise Invalid("The policy is invalid.", details=problems)
    return stored


def etag(version: int) -> str:
    """The policy version as an HTTP entity tag."""
    return f'"{version}"'


def _stale(current: int) -> PreconditionFailed:
    return PreconditionFailed(
        f"The policy is at version {current}, not the one If-Match named; read it again "
        "and reapply the change.", headers={"ETag": etag(current)})


#: A change without If-Match is retried this many times when another change lands first.
_ATTEMPTS = 5


def _change(
    session: Session, site: Site, change: Any, *, actor: Actor, request_id: str | None,
    thresholds: Mapping[str, Mapping[str, float]], if_match: Collection[int] | None,
) -> Site:
    for _attempt in range(_ATTEMPTS):
        stored_before, version = session.execute(
            select(Site.policy, Site.policy_version).where(Site.id == site.id)).one()
        if if_match is not None and version not in if_match:
            session.rollback()
            raise _stale(version)
        stored = parse_policy(change(stored_before or {}), thresholds)
        swapped = session.execute(
            update(Site).where(Site.id == site.id, Site.policy_version == version)
            .values(policy=stored, policy_version=version + 1)
            .execution_options(synchronize_session=False))
        if swapped.rowcount == 1:  # type: ignore[attr-defined]
            audit.record(session, actor=actor, action="policy.update", target_type="site",
                         target_id=site.id, site_id=site.id,
                         before={"policy": stored_before or {}, "policy_version": version},
                         after={"policy": stored, "policy_version": version + 1},
                         request_id=request_id)
            session.commit()
            session.refresh(site)
            return site
        session.rollback()  # another change landed between the read and the swap
        if if_match is not None:
            raise _stale(session.scalars(select(Site.policy_version).where(Site.id == site.id)).one())
    raise PreconditionFailed("The policy kept changing while this change was applied; try again.")


def set_policy(
    session: Session, site: Site, data: dict[str, Any], *, actor: Actor, request_id: str | None,
    thresholds: Mapping[str, Mapping[str, float]], if_match: Collection[int] | None = None,
) -> Site:
    """Replace the site's policy overrides, bump its version and audit the change. Commits.

    ``thresholds``: the model's (validation checks overrides against them); ``if_match``:
    the versions the caller's change was based on (None: whatever is current)."""
    return _change(session, site, lambda _before: data, actor=actor, request_id=request_id,
                   thresholds=thresholds, if_match=if_match)


def patch_policy(
    session: Session, site: Site, patch: dict[str, Any], *, actor: Actor, request_id: str | None,
    thresholds: Mapping[str, Mapping[str, float]], if_match: Collection[int] | None = None,
) -> Site:
    """Apply a JSON merge patch (RFC 7396) to the site's stored overrides: members left out
    keep their values, ``null`` removes an override (back to the default). Otherwise as
    :func:`set_policy`."""
    return _change(session, site, lambda before: merge_patch(before, patch), actor=actor,
                   request_id=request_id, thresholds=thresholds, if_match=if_match)


__all__ = ["ModelThresholds", "PolicyIn", "ValidationError", "effective_policy", "length_limit",
           "merge_patch", "model_thresholds", "patch_policy", "policy_defaults", "policy_record",
           "set_policy", "site_policy", "validate_policy"]
