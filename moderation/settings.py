"""Typed settings, read once from the environment.

Service-wide variables use the ``MODERATION_`` prefix; the two connection URLs use
the conventional unprefixed names ``DATABASE_URL`` and ``REDIS_URL``. Development
defaults are safe to run locally. ``MODERATION_ENV=production`` refuses to start on
any development default that would be unsafe there (the secrets, the SQLite
database, Redis on localhost, the compose file's database password); a few settings
that can't work anywhere (a soft time limit not below the hard one, an unknown
``MODERATION_TIER2``) are refused in every environment. :func:`load_settings` turns
each refusal into one :class:`ConfigurationError` naming the variable.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEV_SECRET = "dev-insecure-secret-change-me"
DEV_PSEUDONYM_KEY = "dev-insecure-pseudonym-key-change-me"
DEV_TOTP_KEY = "dev-insecure-totp-key-change-me"
DEFAULT_DATABASE_URL = "sqlite:///var/moderation.db"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: docker-compose.yml's database password before it had to be set (``${POSTGRES_PASSWORD:-moderation}``).
COMPOSE_DEFAULT_DB_PASSWORD = "moderation"

Environment = Literal["development", "test", "production"]
#: What ``MODERATION_TIER2`` may name besides an artifact path ("" and the usual
#: spellings of false mean "off").
TIER2_OFF_WORDS = ("", "off", "0", "false", "no")
TIER2_ALLOWED = "off, latest, or the path of an existing second-tier artifact"

#: The environment variable behind each field whose name is not ``MODERATION_<FIELD>``.
_UNPREFIXED = {"database_url": "DATABASE_URL", "redis_url": "REDIS_URL"}


def env_name(field: str) -> str:
    """The environment variable that sets ``field`` (an alias already is one)."""
    if field.isupper():
        return field
    return _UNPREFIXED.get(field, "MODERATION_" + field.upper())


class ConfigurationError(ValueError):
    """The environment describes a configuration the service refuses to start with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MODERATION_", extra="ignore")

    env: Environment = "development"
    #: Signs Flask sessions. Not used for pseudonyms (that's ``pseudonym_key``).
    secret_key: str = Field(default=DEV_SECRET, min_length=16)
    #: Keys the sender pseudonyms (HMAC of site and email). Changing it changes every
    #: new comment's pseudonym, so existing pseudonym bans stop matching.
    pseudonym_key: str = Field(default=DEV_PSEUDONYM_KEY, min_length=16)
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "MODERATION_DATABASE_URL"),
    )
    redis_url: str = Field(
        default=DEFAULT_REDIS_URL,
        validation_alias=AliasChoices("REDIS_URL", "MODERATION_REDIS_URL"),
    )
    #: Default policy values for sites that don't override them.
    max_comment_length: int = Field(default=2000, ge=1, le=100_000)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    #: Path of the classifier artifact; unset (or empty) means the default under models/.
    model_path: Path | None = None
    #: Optional second tier for comments the fast tier is unsure about: "off" (the
    #: default; "" and 0/false/no mean the same), "latest" (models/TIER2_LATEST) or an
    #: existing artifact path. Needs requirements-tier2.txt (README, "Classifier").
    #: Normalised: always "off", "latest" or a path.
    tier2: str = "off"
    #: CPU threads each worker process gives the second tier's encoder.
    tier2_threads: int = Field(default=1, ge=1, le=64)
    #: The Kannada head (models/MODEL_CARD.md, "Kannada"): "latest" (the default,
    #: models/KN_LATEST; nothing when it is absent), "off", or an artifact path. Comments
    #: in Kannada or romanised Kannada are scored by it, every other comment by the base.
    kannada: str = "latest"
    #: Comments still pending after this many seconds are re-enqueued by the sweeper,
    #: and each at most once per this many seconds.
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
    export_dir: Path = Path("var/exports")
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
    #: Deprecated: the old name of ``proxy_hops`` (MODERATION_PROXY_HOPS), read only when
    #: MODERATION_PROXY_HOPS is not set, with a DeprecationWarning (see ``_old_names``).
    console_proxy_hops: int | None = Field(default=None, ge=0, le=10)
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
    #: IP bans on networks with a shorter prefix than these are refused unless the
    #: request says "force": true (README, "Bans"): a /8 bans 16.7 million addresses.
    ban_min_prefix_ipv4: int = Field(default=16, ge=0, le=32)
    ban_min_prefix_ipv6: int = Field(default=32, ge=0, le=128)

    # -- Deployment and operations (README, "Deployment" and "Operations") --------------
    #: Intake's time budget (seconds) for one rate-limit check in Redis. Past it (or with
    #: Redis down) the request is let through, so a hung Redis can't hang intake.
    ratelimit_budget_seconds: float = Field(default=0.15, gt=0, le=5)
    #: Intake's time budget (seconds) for handing a comment to the broker. Past it the
    #: comment stays pending (already committed) and the sweeper enqueues it later.
    enqueue_budget_seconds: float = Field(default=0.2, gt=0, le=10)
    #: After Redis misses a budget, each process skips that call (rate limit or enqueue)
    #: for this many seconds instead of waiting again on every request; 0 never skips.
    redis_cooldown_seconds: float = Field(default=1.0, ge=0, le=300)
    #: Reverse proxies in front of the web server that append to X-Forwarded-For and set
    #: X-Forwarded-Proto/-Host. 0 (the default) trusts none of those headers: set it to the
    #: exact number of proxies, or clients can forge the address recorded as submitted_from.
    #: The console takes the client address (sign-in throttling) and the scheme (the
    #: cookie's Secure flag) from the same trusted headers.
    proxy_hops: int = Field(default=0, ge=0, le=10)
    #: When set, GET /metrics (and a worker's metrics port) require ``Authorization: Bearer
    #: <token>``; empty leaves them open, for a network only Prometheus can reach.
    metrics_token: str = ""
    #: A Celery worker started with ``-I moderation.worker_metrics`` serves its metrics here (0: off).
    worker_metrics_port: int = Field(default=0, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"
    #: Export files are deleted this many days after their case closes (unless held).
    export_retention_days: int = Field(default=30, ge=0)
    #: Key that encrypts export files at rest (any string; hashed to an AES-256 key),
    #: or a file holding it. Unset: a development key (refused in production).
    export_key: str = Field(default="", repr=False)
    export_key_file: Path | None = None

    #: --- Signed webhooks (README, "Webhooks") ---
    #: Comma-separated networks (CIDR) that webhook endpoints may resolve to although they
    #: are not public (loopback, private, link-local, ...). Empty: public addresses only.
    #: Cloud metadata addresses are refused whatever this says. ``make run`` and the tests
    #: allow loopback (``127.0.0.0/8,::1/128``).
    webhook_allowed_networks: str = ""
    #: Connecting to a receiver may take this long; the whole attempt (connect, send,
    #: answer) at most ``webhook_timeout_seconds``.
    webhook_connect_timeout_seconds: float = Field(default=2.0, gt=0, le=30)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0, le=30)
    #: At most this much of a receiver's answer is read (the rest is dropped).
    webhook_max_response_bytes: int = Field(default=16 * 1024, ge=0, le=1024 * 1024)
    #: Retries: exponential from the base delay (with jitter), each at most the max delay,
    #: for at most the window since the first attempt; then the delivery is failed.
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_max_delay_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=86400.0, gt=0)
    #: An endpoint whose every attempt failed for this long is disabled (audited).
    webhook_disable_after_seconds: float = Field(default=5 * 86400.0, gt=0)
    #: Deliveries one task claims at once, and how often beat looks for due ones.
    webhook_batch: int = Field(default=10, ge=1, le=500)
    webhook_sweep_interval_seconds: float = Field(default=5.0, gt=0)

    def export_key_bytes(self) -> bytes:
        """The AES-256 key export files are encrypted with (SHA-256 of the configured secret)."""
        import hashlib

        secret = self.export_key.encode() if self.export_key else (
            self.export_key_file.read_bytes().strip() if self.export_key_file else b"")
        return hashlib.sha256(secret or b"moderation-development-export-key").digest()

    #: Key that encrypts integration signing secrets at rest (Coral's ``empsec_…``), or a
    #: file holding it; any string, hashed to an AES-256 key. Required in production; unset
    #: elsewhere: derived from ``MODERATION_SECRET_KEY``.
    integration_key: str = Field(default="", repr=False)
    integration_key_file: Path | None = None

    def integration_key_bytes(self) -> bytes:
        """The AES-256 key integration signing secrets are encrypted with."""
        import hashlib

        secret = self.integration_key.encode() if self.integration_key else (
            self.integration_key_file.read_bytes().strip() if self.integration_key_file else b"")
        return hashlib.sha256(secret or b"integration-secrets:" + self.secret_key.encode()).digest()

    #: Key that encrypts TOTP secrets at rest (any string; hashed to an AES-256 key), or a
    #: file holding it. Unset: a development key (refused in production). Changing it
    #: makes the stored secrets unreadable: everyone then has to set up TOTP again.
    totp_key: str = Field(default="", repr=False)
    totp_key_file: Path | None = None

    def totp_key_bytes(self) -> bytes:
        """The AES-256 key TOTP secrets are encrypted with (SHA-256 of the configured secret)."""
        import hashlib

        secret = self.totp_key.encode() if self.totp_key else (
            self.totp_key_file.read_bytes().strip() if self.totp_key_file else b"")
        return hashlib.sha256(secret or DEV_TOTP_KEY.encode()).digest()

    #: --- the audit chain (README, "Lawful requests and retention") ---
    #: HMAC key of the audit chain; keep it outside the database. Or a file holding it.
    audit_key: str = Field(default="", repr=False)
    audit_key_file: Path | None = None
    #: Ed25519 private key (PEM) that signs audit checkpoints; development creates one
    #: under var/ when unset.
    audit_signing_key_file: Path | None = None
    #: Append-only file (JSON lines) the scheduled checkpoint task writes to.
    audit_checkpoint_file: Path = Path("var/audit-checkpoints.jsonl")
    audit_checkpoint_interval_seconds: float = Field(default=3600.0, gt=0)

    #: --- learning from moderators (README, "Learning from moderators") ---
    #: Labels of each class (approved, rejected) a site needs before its model trains.
    adapt_min_labels: int = Field(default=50, ge=1)
    #: The site model activates only if its validation ROC AUC beats the base's by this.
    adapt_margin: float = Field(default=0.02, ge=-1.0, le=1.0)
    #: Share of the site's most recent labels held out for validation.
    adapt_holdout_fraction: float = Field(default=0.2, gt=0.0, lt=1.0)
    #: Beat retrains a site after this many new decisions (0: nightly only) ...
    adapt_every_decisions: int = Field(default=500, ge=0)
    #: ... checked this often; and every night at adapt_nightly_hour (UTC) for every site
    #: with any new decision (-1: no nightly run).
    adapt_check_interval_seconds: float = Field(default=600.0, gt=0)
    adapt_nightly_hour: int = Field(default=2, ge=-1, le=23)

    def audit_key_bytes(self) -> bytes | None:
        """The configured audit key (None: the development key of moderation/audit.py)."""
        if self.audit_key:
            return self.audit_key.encode()
        if self.audit_key_file:
            return self.audit_key_file.read_bytes().strip() or None
        return None

    @field_validator("model_path", "audit_key_file", "audit_signing_key_file", "export_key_file",
                     "integration_key_file", "totp_key_file", mode="before")
    @classmethod
    def _empty_path_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_allowed_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        import ipaddress

        for item in (part.strip() for part in value.split(",")):
            if item:
                try:
                    ipaddress.ip_network(item, strict=False)
                except ValueError:
                    raise ValueError(f"{item!r} is not a network (CIDR such as 127.0.0.0/8)") from None
        return value

    @property
    def webhook_networks(self) -> tuple[Any, ...]:
        """``webhook_allowed_networks`` parsed (ipaddress networks)."""
        import ipaddress

        return tuple(ipaddress.ip_network(part.strip(), strict=False)
                     for part in self.webhook_allowed_networks.split(",") if part.strip())

    @field_validator("kannada", mode="before")
    @classmethod
    def _known_kannada(cls, value: Any) -> str:
        choice = str(value).strip()
        if choice.lower() in ("", "latest"):
            return "latest"
        if choice.lower() in TIER2_OFF_WORDS:
            return "off"
        if not Path(choice).is_file():
            raise ValueError(f"{choice!r} is not off, latest or an artifact path (no such file)")
        return choice

    @field_validator("tier2", mode="before")
    @classmethod
    def _known_tier2(cls, value: Any) -> str:
        choice = str(value).strip()
        if choice.lower() in TIER2_OFF_WORDS:
            return "off"
        if choice.lower() == "latest":
            return "latest"
        if not Path(choice).is_file():
            raise ValueError(f"{choice!r} is not {TIER2_ALLOWED} (no such file)")
        return choice

    @model_validator(mode="after")
    def _old_names(self) -> Settings:
        """Map deprecated variables onto their new names, warning about each."""
        if self.console_proxy_hops is not None:
            if "proxy_hops" in self.model_fields_set:
                detail = "ignored: MODERATION_PROXY_HOPS is set"
            else:
                self.proxy_hops = self.console_proxy_hops
                detail = "read as MODERATION_PROXY_HOPS"
            warnings.warn(f"MODERATION_CONSOLE_PROXY_HOPS is deprecated ({detail}); set "
                          "MODERATION_PROXY_HOPS, which covers the API and the console",
                          DeprecationWarning, stacklevel=2)
            logging.getLogger(__name__).warning(
                "MODERATION_CONSOLE_PROXY_HOPS is deprecated (%s); set MODERATION_PROXY_HOPS", detail)
            self.console_proxy_hops = None
        return self

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Settings:
        problems = [f"{name} {message}" for name, message in self._problems()]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def totp_roles(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.console_totp_roles.split(",") if r.strip())

    def _problems(self) -> list[tuple[str, str]]:
        """(variable, what is wrong with it) for every refused combination."""
        found: list[tuple[str, str]] = []
        if self.task_soft_time_limit >= self.task_time_limit:
            found.append((env_name("task_soft_time_limit"),
                          f"({self.task_soft_time_limit}) must be below "
                          f"{env_name('task_time_limit')} ({self.task_time_limit})"))
        if self.env != "production":
            return found
        if self.secret_key == DEV_SECRET:
            found.append((env_name("secret_key"), "must be set to a private value in production"))
        if self.pseudonym_key == DEV_PSEUDONYM_KEY:
            found.append((env_name("pseudonym_key"), "must be set to a private value in production"))
        elif self.pseudonym_key == self.secret_key:
            found.append((env_name("pseudonym_key"),
                          f"must differ from {env_name('secret_key')} in production"))
        if self.database_url == DEFAULT_DATABASE_URL:
            found.append(("DATABASE_URL", "must be set in production (the default is a local SQLite file)"))
        elif _password(self.database_url) == COMPOSE_DEFAULT_DB_PASSWORD:
            found.append(("DATABASE_URL", "uses docker-compose.yml's default database password; "
                                          "set POSTGRES_PASSWORD to a private value"))
        if self.redis_url == DEFAULT_REDIS_URL:
            found.append(("REDIS_URL", "must be set in production (the default is Redis on localhost)"))
        if not (self.audit_key or self.audit_key_file):
            found.append(("MODERATION_AUDIT_KEY (or MODERATION_AUDIT_KEY_FILE)",
                          "must be set in production: it keys the audit chain and must live "
                          "outside the database"))
        if not (self.export_key or self.export_key_file):
            found.append(("MODERATION_EXPORT_KEY (or MODERATION_EXPORT_KEY_FILE)",
                          "must be set in production: it encrypts disclosure exports at rest"))
        if not (self.totp_key or self.totp_key_file):
            found.append(("MODERATION_TOTP_KEY (or MODERATION_TOTP_KEY_FILE)",
                          "must be set in production: it encrypts the TOTP secrets at rest and "
                          "must live outside the database"))
        if not (self.integration_key or self.integration_key_file):
            found.append(("MODERATION_INTEGRATION_KEY (or MODERATION_INTEGRATION_KEY_FILE)",
                          "must be set in production: it encrypts Coral's signing secrets at rest "
                          "and is not derived from MODERATION_SECRET_KEY there (README, "
                          "\"Configuration\", says how to keep secrets already registered)"))
        elif self.integration_key and self.integration_key == self.secret_key:
            found.append((env_name("integration_key"),
                          f"must differ from {env_name('secret_key')} in production"))
        return found


def _password(database_url: str) -> str | None:
    try:
        return make_url(database_url).password
    except ArgumentError:
        return None


def _describe(error: ValidationError) -> str:
    lines = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        field = str(item["loc"][0]) if item["loc"] else ""
        lines.append(f"{env_name(field)} {message}" if field else message)
    return "; ".join(lines)


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides (tests, CLI).

    Raises :class:`ConfigurationError` with one line per refused variable.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigurationError(f"Refusing to start: {_describe(exc)}") from None
