"""Rate limits per API key and per sender IP on intake, stored in Redis via Flask-Limiter.

Counters live in Redis, so a limit holds across every web process. Limits come
from the site's policy (``rate_limits.per_key``, ``rate_limits.per_sender_ip``,
e.g. ``"100/minute"`` or ``"10/second;500/hour"``), else these defaults. An
exceeded limit answers ``429`` with ``Retry-After``. If Redis is unreachable the
request is let through (and logged): rate limiting must not take intake down.

Keys are namespaced by a hash of the database URL, so deployments (or test
databases) sharing one Redis never share counters.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

from flask import Flask, current_app
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many

from moderation.errors import ApiError
from moderation.store import ApiKey, Site

log = logging.getLogger(__name__)

#: A busy site posts through one key: allow bursts well above a large newsroom's peak.
DEFAULT_PER_KEY = "6000/minute"
DEFAULT_PER_SENDER_IP = "120/minute"


def init_app(app: Flask) -> None:
    settings = app.extensions["settings"]
    prefix = "ratelimit:" + hashlib.sha256(settings.database_url.encode()).hexdigest()[:12]
    limiter = Limiter(key_func=lambda: "global", app=app, storage_uri=settings.redis_url,
                      strategy="fixed-window", default_limits=[], headers_enabled=False,
                      storage_options={"socket_connect_timeout": 1, "socket_timeout": 1})
    app.extensions["rate_limits"] = (limiter, prefix)


def _enforce(limits: str, scope: str, identifier: str) -> None:
    limiter, prefix = current_app.extensions["rate_limits"]
    items: list[RateLimitItem] = parse_many(limits)
    try:
        for item in items:
            if not limiter.limiter.hit(item, prefix, scope, identifier):
                reset_at = limiter.limiter.get_window_stats(item, prefix, scope, identifier).reset_time
                retry = max(1, math.ceil(reset_at - time.time()))
                raise ApiError(429, "rate_limited",
                               f"Too many requests ({item}); retry in {retry} s.",
                               headers={"Retry-After": str(retry)})
    except ApiError:
        raise
    except Exception as exc:  # Redis down: fail open rather than refuse every request
        log.warning("rate limiting skipped, storage unavailable: %s", exc)


def _site_limit(site: Site | None, name: str, default: str) -> str:
    limits = ((site.policy or {}).get("rate_limits") or {}) if site is not None else {}
    value = limits.get(name)
    return value if isinstance(value, str) and value else default


def enforce_key_limit(key: ApiKey, site: Site | None) -> None:
    """Count one request for ``key`` (its site's ``per_key`` limit, else the default)."""
    _enforce(_site_limit(site, "per_key", DEFAULT_PER_KEY), "key", str(key.id))


def enforce_sender_ip_limit(site: Site, ip: str) -> None:
    """Count one submitted comment from sender ``ip`` on ``site``."""
    _enforce(_site_limit(site, "per_sender_ip", DEFAULT_PER_SENDER_IP), f"ip:{site.id}", ip)
