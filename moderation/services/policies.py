"""Site policies: the validated shape an admin may set, reading it back, and changing it.

A policy is stored on ``sites.policy`` as the admin's overrides only (validated
here); the pipeline merges them with the defaults (``policy_from_dict``). Every
change bumps ``sites.policy_version`` and appends a ``policy.update`` audit
event, and applies to comments moderated after it (each verdict records the
version it used).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from limits import parse_many
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator
from sqlalchemy.orm import Session

from moderation import audit
from moderation.domain.actors import Actor
from moderation.pipeline.policy import FALLBACK_THRESHOLDS
from moderation.store import Site


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
    review: float = Field(ge=0, le=1)
    reject: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdsIn:
        if self.reject is not None and self.reject < self.review:
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
    max_length: int = Field(default=2000, ge=1, le=100_000)
    mode: Literal["post", "pre"] = "post"
    clean_below: float = Field(default=0.2, ge=0, le=1)
    thresholds: dict[str, ThresholdsIn] = Field(default_factory=dict)
    blocklists: BlocklistsIn = Field(default_factory=BlocklistsIn)
    rate_limits: RateLimitsIn = Field(default_factory=RateLimitsIn)

    @model_validator(mode="after")
    def _known_categories(self) -> PolicyIn:
        unknown = sorted(set(self.thresholds) - set(FALLBACK_THRESHOLDS))
        if unknown:
            raise ValueError(f"unknown threshold categories: {', '.join(unknown)}; "
                             f"known: {', '.join(FALLBACK_THRESHOLDS)}")
        return self


def validate_policy(data: dict[str, Any]) -> dict[str, Any]:
    """The stored form of a policy document; raises pydantic's ValidationError."""
    return PolicyIn.model_validate(data).model_dump(exclude_unset=True, exclude_none=True)


def effective_policy(site: Site) -> dict[str, Any]:
    """The site's overrides merged over the documented defaults (what the API shows)."""
    defaults = PolicyIn().model_dump()
    defaults["thresholds"] = {
        name: {"review": t.review, "reject": t.reject} for name, t in FALLBACK_THRESHOLDS.items()
    }
    stored = site.policy or {}
    merged = {**defaults, **{k: v for k, v in stored.items() if k not in ("thresholds", "blocklists",
                                                                          "rate_limits")}}
    merged["thresholds"] = {**defaults["thresholds"], **stored.get("thresholds", {})}
    merged["blocklists"] = {**defaults["blocklists"], **stored.get("blocklists", {})}
    merged["rate_limits"] = {**defaults["rate_limits"], **stored.get("rate_limits", {})}
    return merged


def set_policy(
    session: Session, site: Site, data: dict[str, Any], *, actor: Actor, request_id: str | None
) -> Site:
    """Replace the site's policy overrides, bump its version and audit the change. Commits."""
    stored = validate_policy(data)
    before = {"policy": site.policy or {}, "policy_version": site.policy_version}
    site.policy = stored
    # Incremented in SQL so two concurrent changes can't both claim the same version.
    site.policy_version = Site.policy_version + 1  # type: ignore[assignment]
    session.flush()
    session.refresh(site, ["policy_version"])
    audit.record(session, actor=actor, action="policy.update", target_type="site",
                 target_id=site.id, site_id=site.id, before=before,
                 after={"policy": stored, "policy_version": site.policy_version},
                 request_id=request_id)
    session.commit()
    return site


__all__ = ["PolicyIn", "ValidationError", "effective_policy", "set_policy", "validate_policy"]
