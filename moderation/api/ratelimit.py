"""Rate limits per API key and per sender IP on intake, stored in Redis via Flask-Limiter.

Counters live in Redis, so a limit holds across every web process. Limits come
from the site's policy (``rate_limits.per_key``, ``rate_limits.per_sender_ip``,
e.g. ``"100/minute"`` or ``"10/second;500/hour"``), else these defaults. An
exceeded limit answers ``429`` with ``Retry-After``. If Redis is unreachable, or
doesn't answer within ``MODERATION_RATELIMIT_BUDGET_SECONDS`` (a hung server), the
request is let through (and logged): rate limiting must not take intake down. After
such a miss the process skips the check for ``MODERATION_REDIS_COOLDOWN_SECONDS``.

Keys are namespaced by a hash of the database URL, so deployments (or test
databases) sharing one Redis never share counters.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any, cast

from flask import Flask, current_app
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many
from redis.backoff import NoBackoff
from redis.retry import Retry

from moderation.cooldown import Cooldown
from moderation.errors import ApiError
from moderation.store import ApiKey, Site

log = logging.getLogger(__name__)

#: A busy site posts through one key: allow bursts well above a large newsroom's peak.
DEFAULT_PER_KEY = "6000/minute"
DEFAULT_PER_SENDER_IP = "120/minute"


#: Fixed-window hits for several limits in one round trip, in order, stopping at the first
#: exceeded one (whose counter is still incremented, as ``limits``' own hit does): the same
#: keys, counting and expiry as ``limits``' ``incr_expire`` script, so counters are shared
#: with Flask-Limiter. Returns {index of the exceeded limit (1-based) or 0, its ttl}.
HIT_ALL = """
for i, key in ipairs(KEYS) do
    local current = redis.call("incrby", key, 1)
    if tonumber(current) == 1 then
        redis.call("expire", key, ARGV[2 * i - 1])
    end
    if tonumber(current) > tonumber(ARGV[2 * i]) then
        return {i, redis.call("ttl", key)}
    end
end
return {0, 0}
"""


def init_app(app: Flask) -> None:
    settings = app.extensions["settings"]
    prefix = "ratelimit:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    budget = settings.ratelimit_budget_seconds
    # One round trip per check, each socket operation bounded by the budget, no retries:
    # a frozen Redis accepts the connection but never answers, so only timeouts help.
    limiter = Limiter(key_func=lambda: "global", app=app, storage_uri=settings.redis_url,
                      strategy="fixed-window", default_limits=[], headers_enabled=False,
                      storage_options=cast(dict[str, str | int], {
                          "socket_connect_timeout": budget, "socket_timeout": budget,
                          "retry": Retry(NoBackoff(), 0)}))  # typed str | int, passed to redis-py
    app.extensions["rate_limits"] = (limiter, prefix)
    app.extensions["rate_limits_cooldown"] = Cooldown(settings.redis_cooldown_seconds)


def _hit_all_script() -> Any:
    """The registered script (evalsha, re-sent by redis-py if the server lost it)."""
    script = current_app.extensions.get("rate_limits_script")
    if script is None:
        limiter, _prefix = current_app.extensions["rate_limits"]
        script = limiter.limiter.storage.get_connection().register_script(HIT_ALL)
        current_app.extensions["rate_limits_script"] = script
    return script


def _enforce(*limits: tuple[str, str, str]) -> None:
    """Count one request against each ``(limits, scope, identifier)``, all in one round trip."""
    cooldown: Cooldown = current_app.extensions["rate_limits_cooldown"]
    if cooldown.active:  # Redis missed its budget moments ago: don't wait on it again yet
        return
    limiter, prefix = current_app.extensions["rate_limits"]
    items: list[RateLimitItem] = []
    keys: list[str] = []
    args: list[int] = []
    for spec, scope, identifier in limits:
        for item in parse_many(spec):
            items.append(item)
            keys.append(limiter.limiter.storage.prefixed_key(item.key_for(prefix, scope, identifier)))
            args += [item.get_expiry(), item.amount]
    try:
        exceeded, ttl = _hit_all_script()(keys=keys, args=args)
    except Exception as exc:  # Redis down or hung: fail open rather than refuse or hold requests
        cooldown.trip()
        log.warning("rate limiting skipped for %.1f s, storage unavailable: %s", cooldown.seconds, exc)
        return
    if exceeded:
        item = items[int(exceeded) - 1]
        retry = max(1, int(ttl))
        raise ApiError(429, "rate_limited", f"Too many requests ({item}); retry in {retry} s.",
                       headers={"Retry-After": str(retry)})


def _site_limit(site: Site | None, name: str, default: str) -> str:
    limits = ((site.policy or {}).get("rate_limits") or {}) if site is not None else {}
    value = limits.get(name)
    return value if isinstance(value, str) and value else default


def _key_limit(key: ApiKey, site: Site | None) -> tuple[str, str, str]:
    return _site_limit(site, "per_key", DEFAULT_PER_KEY), "key", str(key.id)


def _sender_ip_limit(site: Site, ip: str) -> tuple[str, str, str]:
    return _site_limit(site, "per_sender_ip", DEFAULT_PER_SENDER_IP), f"ip:{site.id}", ip


def enforce_key_limit(key: ApiKey, site: Site | None) -> None:
    """Count one request for ``key`` (its site's ``per_key`` limit, else the default)."""
    _enforce(_key_limit(key, site))


def enforce_intake_limits(key: ApiKey, site: Site, ip: str) -> None:
    """Both intake limits in one Redis round trip: the key's first (if it is exceeded the
    sender IP is not counted, as when they were two calls), then the sender IP's."""
    _enforce(_key_limit(key, site), _sender_ip_limit(site, ip))


def enforce_integration_limit(site: Site, source: str | None) -> None:
    """Count one request to a site's integration endpoint (Coral's phase) from ``source``
    (the sender's address), under the site's ``per_key`` limit: the integration stands in
    for a site key. Counted before the signature check, so a flood of unsigned requests
    from one address is refused here, before any secret is decrypted or audit row written,
    and the site's own Coral server (another address) keeps its budget."""
    _enforce((_site_limit(site, "per_key", DEFAULT_PER_KEY), f"coral:{site.id}", source or "unknown"))
