"""Failed sign-ins counted per account and per client IP in Redis, then a lockout.

After ``max_failures`` failures within ``window`` seconds, the account (or the IP) is
locked for ``lockout`` seconds: every sign-in attempt for it is refused with a clear
message, even with the right password, and the lockout is audited by the caller.
A success clears the account's failure count (not the IP's). Counters live in Redis so
the limits hold across web processes; if Redis is unreachable the attempt is allowed
and a warning logged (Argon2id still makes each guess slow).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Literal

log = logging.getLogger(__name__)

Scope = Literal["account", "ip"]


@dataclass(frozen=True)
class Limits:
    max_failures_account: int
    max_failures_ip: int
    window_seconds: int
    lockout_seconds: int


@dataclass(frozen=True)
class Lockout:
    scope: Scope
    retry_after: int  # seconds

    @property
    def message(self) -> str:
        minutes = max(1, -(-self.retry_after // 60))
        who = "this account" if self.scope == "account" else "your network address"
        return (f"Too many failed sign-ins for {who}. Sign-in is locked for about {minutes} "
                f"minute{'s' if minutes != 1 else ''}; try again later or ask an administrator.")


class SignInThrottle:
    def __init__(self, redis_client: Any, limits: Limits, namespace: str) -> None:
        self.redis = redis_client
        self.limits = limits
        self.prefix = "signin:" + hashlib.sha256(namespace.encode()).hexdigest()[:12]

    def _keys(self, scope: Scope, value: str) -> tuple[str, str]:
        ident = hashlib.sha256(value.encode()).hexdigest()[:32]
        return f"{self.prefix}:fail:{scope}:{ident}", f"{self.prefix}:lock:{scope}:{ident}"

    def locked(self, username: str, ip: str) -> Lockout | None:
        """The lockout in force for this account or IP, if any."""
        try:
            pipe = self.redis.pipeline(transaction=False)
            pipe.ttl(self._keys("account", username)[1])
            pipe.ttl(self._keys("ip", ip)[1])
            account_ttl, ip_ttl = pipe.execute()
        except Exception as exc:
            log.warning("sign-in throttling skipped, Redis unavailable: %s", exc)
            return None
        if account_ttl is not None and int(account_ttl) > 0:
            return Lockout("account", int(account_ttl))
        if ip_ttl is not None and int(ip_ttl) > 0:
            return Lockout("ip", int(ip_ttl))
        return None

    def failed(self, username: str, ip: str) -> list[Lockout]:
        """Count a failure; returns the lockouts it starts (empty when none)."""
        limits = self.limits
        started: list[Lockout] = []
        try:
            for scope, value, limit in (("account", username, limits.max_failures_account),
                                        ("ip", ip, limits.max_failures_ip)):
                fail_key, lock_key = self._keys(scope, value)  # type: ignore[arg-type]
                pipe = self.redis.pipeline(transaction=True)
                # SET NX EX starts the window (Redis 6 has no EXPIRE NX); INCR keeps the TTL.
                pipe.set(fail_key, 0, ex=limits.window_seconds, nx=True)
                pipe.incr(fail_key)
                _, count = pipe.execute()
                if int(count) >= limit:
                    if self.redis.set(lock_key, "1", ex=limits.lockout_seconds, nx=True):
                        started.append(Lockout(scope, limits.lockout_seconds))  # type: ignore[arg-type]
                    self.redis.delete(fail_key)
        except Exception as exc:
            log.warning("sign-in failure not counted, Redis unavailable: %s", exc)
        return started

    def succeeded(self, username: str) -> None:
        try:
            self.redis.delete(self._keys("account", username)[0])
        except Exception as exc:
            log.warning("sign-in success not recorded, Redis unavailable: %s", exc)

    def unlock(self, username: str) -> None:
        """Lift an account's lockout and failures (an admin's password reset does this)."""
        try:
            self.redis.delete(*self._keys("account", username))
        except Exception as exc:
            log.warning("sign-in lockout not lifted, Redis unavailable: %s", exc)
