"""Typed settings, read once from the environment.

Service-wide variables use the ``MODERATION_`` prefix; the two connection URLs use
the conventional unprefixed names ``DATABASE_URL`` and ``REDIS_URL``. Development
defaults are safe to run locally; ``MODERATION_ENV=production`` refuses to start
with the development secret.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-insecure-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MODERATION_", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    secret_key: str = Field(default=DEV_SECRET, min_length=16)
    database_url: str = Field(
        default="sqlite:///var/moderation.db",
        validation_alias=AliasChoices("DATABASE_URL", "MODERATION_DATABASE_URL"),
    )
    redis_url: str = Field(
        default="redis://127.0.0.1:6379/0",
        validation_alias=AliasChoices("REDIS_URL", "MODERATION_REDIS_URL"),
    )
    #: Default policy values for sites that don't override them.
    max_comment_length: int = Field(default=2000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    #: Path of the classifier artifact; empty means the default under models/.
    model_path: str = ""
    #: Optional second tier for comments the fast tier is unsure about: "" / "off" (the
    #: default), "latest" (models/TIER2_LATEST) or an artifact path. Needs
    #: requirements-tier2.txt (README, "Classifier").
    tier2: str = ""
    #: CPU threads each worker process gives the second tier's encoder.
    tier2_threads: int = Field(default=1, ge=1, le=64)
    #: Comments still pending after this many seconds are re-enqueued by the sweeper.
    sweeper_min_age_seconds: float = Field(default=30.0, ge=0)
    sweeper_interval_seconds: float = Field(default=10.0, gt=0)
    #: A moderation task claims and moderates up to this many pending comments at once
    #: (its own first), with one classifier call and one commit (README, "Operations").
    worker_batch: int = Field(default=32, ge=1, le=1000)
    #: How long a worker's claim on a batch keeps other workers off it. A comment claimed
    #: by a worker that died is moderated again after this (its task's redelivery, or the
    #: sweeper); a batch that takes longer risks duplicate work but never a second verdict.
    worker_claim_seconds: float = Field(default=10.0, gt=0)
    task_soft_time_limit: int = Field(default=30, ge=1)
    task_time_limit: int = Field(default=60, ge=2)
    #: The web side caches active API keys (and their sites' policies) this long per
    #: process: a key revoked, or a policy changed, through another process takes
    #: effect within this many seconds (at once in the process that made the change).
    key_cache_seconds: float = Field(default=5.0, ge=0)
    #: Retry-After (seconds) sent with 503 answers while a dependency is down.
    retry_after_seconds: int = Field(default=5, ge=1)
    log_json: bool = True
    #: Lawful disclosure and retention (see README, "Lawful requests and retention").
    #: Sender personal data older than this many days is anonymised, unless held.
    retention_days: int = Field(default=180, ge=1)
    #: A second compliance key must approve an export before it can be downloaded.
    #: On by default everywhere; MODERATION_TWO_PERSON_RULE=false turns it off.
    two_person_rule: bool = True
    #: Where export files are written (server-side; never served except via the API).
    export_dir: str = "var/exports"
    #: A case's due_at defaults to received_at plus this many hours (IT Rules 2021: 72).
    disclosure_default_due_hours: int = Field(default=72, ge=1)
    #: Open cases due within this many hours are listed as due soon.
    disclosure_due_soon_hours: int = Field(default=24, ge=1)
    #: --- Console accounts and sign-in (README, "Console accounts") ---
    #: A console session ends after this many idle minutes, and after this many hours
    #: however active it is.
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    console_session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    #: Session cookie ``Secure`` flag: "auto" sets it when the request came over HTTPS
    #: (put the service behind a proxy that sets X-Forwarded-Proto, see README).
    console_secure_cookie: Literal["auto", "always", "never"] = "auto"
    #: Reverse proxies in front of the service that set X-Forwarded-For/-Proto. 0: none, the
    #: TCP peer is the client. With 1, the console takes the client IP (sign-in throttling)
    #: and the scheme (the Secure flag) from the last entry of those headers.
    console_proxy_hops: int = Field(default=0, ge=0, le=5)
    #: Roles that must use a second factor (TOTP); add "moderator" to require it of everyone.
    console_totp_roles: str = "compliance,admin"
    #: Failed sign-ins allowed within ``console_failure_window_seconds`` per account and
    #: per client IP before that account or IP is locked for ``console_lockout_seconds``.
    console_max_failures_account: int = Field(default=5, ge=1)
    console_max_failures_ip: int = Field(default=20, ge=1)
    console_failure_window_seconds: int = Field(default=900, ge=1)
    console_lockout_seconds: int = Field(default=900, ge=1)
    #: Shortest password accepted for a personal account.
    password_min_length: int = Field(default=12, ge=8, le=128)

    #: --- the audit chain (README, "Lawful requests and retention") ---
    #: HMAC key of the audit chain; keep it outside the database. Or a file holding it.
    audit_key: str = Field(default="", repr=False)
    audit_key_file: str = ""
    #: Ed25519 private key (PEM) that signs audit checkpoints; development creates one
    #: under var/ when unset.
    audit_signing_key_file: str = ""
    #: Append-only file (JSON lines) the scheduled checkpoint task writes to.
    audit_checkpoint_file: str = "var/audit-checkpoints.jsonl"
    audit_checkpoint_interval_seconds: float = Field(default=3600.0, gt=0)

    def audit_key_bytes(self) -> bytes | None:
        """The configured audit key (None: the development key of moderation/audit.py)."""
        if self.audit_key:
            return self.audit_key.encode()
        if self.audit_key_file:
            from pathlib import Path

            return Path(self.audit_key_file).read_bytes().strip() or None
        return None

    @model_validator(mode="after")
    def _refuse_insecure_production(self) -> Settings:
        if self.env == "production" and self.secret_key == DEV_SECRET:
            raise ValueError(
                "MODERATION_SECRET_KEY must be set to a private value in production"
            )
        if self.env == "production" and not (self.audit_key or self.audit_key_file):
            raise ValueError("MODERATION_AUDIT_KEY (or MODERATION_AUDIT_KEY_FILE) must be set in "
                             "production: it keys the audit chain and must live outside the database")
        return self

    @property
    def totp_roles(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.console_totp_roles.split(",") if r.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests, CLI)."""
    return Settings(**overrides)  # type: ignore[arg-type]
