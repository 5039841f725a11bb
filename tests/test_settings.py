"""Settings: safe development defaults, and a production start refused on any of them
with one message naming the variable."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moderation.senders import pseudonym
from moderation.settings import (
    DEV_PSEUDONYM_KEY,
    DEV_SECRET,
    ConfigurationError,
    Settings,
    load_settings,
)

PRODUCTION = {
    "MODERATION_ENV": "production",
    "MODERATION_SECRET_KEY": "a-private-session-secret-0123",
    "MODERATION_PSEUDONYM_KEY": "a-private-pseudonym-key-4567",
    "DATABASE_URL": "postgresql+psycopg://moderation:s3cret-pw@db:5432/moderation",
    "REDIS_URL": "redis://redis:6379/0",
    "MODERATION_AUDIT_KEY": "a-private-audit-chain-key-89ab",
    "MODERATION_EXPORT_KEY": "a-private-export-encryption-key-cdef",
    "MODERATION_TOTP_KEY": "a-private-totp-encryption-key-0f1e",
    "MODERATION_INTEGRATION_KEY": "a-private-integration-key-2a3b",
}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what each test sets: none of the developer's or CI's variables."""
    for name in list(os.environ):
        if name.startswith("MODERATION_") or name in ("DATABASE_URL", "REDIS_URL"):
            monkeypatch.delenv(name)


def production(monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> None:
    for name, value in {**PRODUCTION, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)


def test_development_starts_on_the_defaults() -> None:
    settings = load_settings()
    assert settings.env == "development"
    assert settings.secret_key == DEV_SECRET and settings.pseudonym_key == DEV_PSEUDONYM_KEY
    assert settings.database_url.startswith("sqlite") and settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.tier2 == "off"


def test_production_starts_when_everything_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch)
    settings = load_settings()
    assert settings.env == "production"
    assert settings.pseudonym_key == PRODUCTION["MODERATION_PSEUDONYM_KEY"]


@pytest.mark.parametrize(("changes", "variable", "says"), [
    ({"MODERATION_SECRET_KEY": None}, "MODERATION_SECRET_KEY", "private value"),
    ({"MODERATION_SECRET_KEY": DEV_SECRET}, "MODERATION_SECRET_KEY", "private value"),
    ({"MODERATION_PSEUDONYM_KEY": None}, "MODERATION_PSEUDONYM_KEY", "private value"),
    ({"MODERATION_PSEUDONYM_KEY": PRODUCTION["MODERATION_SECRET_KEY"]}, "MODERATION_PSEUDONYM_KEY",
     "must differ from MODERATION_SECRET_KEY"),
    ({"DATABASE_URL": None}, "DATABASE_URL", "SQLite"),
    ({"DATABASE_URL": "postgresql+psycopg://moderation:moderation@postgres:5432/moderation"},
     "DATABASE_URL", "POSTGRES_PASSWORD"),
    ({"REDIS_URL": None}, "REDIS_URL", "localhost"),
    ({"MODERATION_AUDIT_KEY": None}, "MODERATION_AUDIT_KEY", "audit chain"),
    ({"MODERATION_INTEGRATION_KEY": None}, "MODERATION_INTEGRATION_KEY",
     "not derived from MODERATION_SECRET_KEY"),
    ({"MODERATION_INTEGRATION_KEY": PRODUCTION["MODERATION_SECRET_KEY"]}, "MODERATION_INTEGRATION_KEY",
     "must differ from MODERATION_SECRET_KEY"),
], ids=["secret-unset", "secret-dev", "pseudonym-unset", "pseudonym-is-secret", "database-unset",
        "compose-password", "redis-unset", "audit-key-unset", "integration-key-unset",
        "integration-key-is-secret"])
def test_production_refuses_a_development_default(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, str | None], variable: str, says: str
) -> None:
    production(monkeypatch, **changes)
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("Refusing to start: ") and "\n" not in message
    assert variable in message and says in message
    # the value itself is never echoed (it may be a secret or carry a password)
    for value in changes.values():
        if value and value != DEV_SECRET:
            assert value not in message


def test_every_refusal_is_listed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_ENV", "production")
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    for variable in ("MODERATION_SECRET_KEY", "MODERATION_PSEUDONYM_KEY", "DATABASE_URL", "REDIS_URL",
                     "MODERATION_AUDIT_KEY"):
        assert variable in str(refused.value)


def test_outside_production_the_defaults_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_ENV", "test")
    assert load_settings().secret_key == DEV_SECRET


@pytest.mark.parametrize("env", ["development", "production"])
def test_a_soft_time_limit_not_below_the_hard_one_is_refused_everywhere(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    production(monkeypatch, MODERATION_ENV=env, MODERATION_TASK_SOFT_TIME_LIMIT="60",
               MODERATION_TASK_TIME_LIMIT="60")
    with pytest.raises(ConfigurationError, match="MODERATION_TASK_SOFT_TIME_LIMIT .60. must be below "
                                                 "MODERATION_TASK_TIME_LIMIT .60."):
        load_settings()
    monkeypatch.setenv("MODERATION_TASK_TIME_LIMIT", "61")
    assert load_settings().task_soft_time_limit == 60


@pytest.mark.parametrize("value", ["lastest", "models/no-such-artifact.npz"])
def test_an_unknown_tier2_is_refused_with_the_allowed_values(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("MODERATION_TIER2", value)
    with pytest.raises(ConfigurationError) as refused:
        load_settings()
    assert "MODERATION_TIER2" in str(refused.value)
    assert "off, latest, or the path of an existing second-tier artifact" in str(refused.value)


@pytest.mark.parametrize(("value", "normalised"), [
    ("", "off"), ("off", "off"), ("OFF", "off"), ("false", "off"), ("0", "off"), ("latest", "latest"),
    (" Latest ", "latest"),
])
def test_tier2_words_are_normalised(monkeypatch: pytest.MonkeyPatch, value: str, normalised: str) -> None:
    monkeypatch.setenv("MODERATION_TIER2", value)
    assert load_settings().tier2 == normalised


def test_tier2_accepts_an_existing_artifact_path(tmp_path: Path) -> None:
    artifact = tmp_path / "t2.npz"
    artifact.write_bytes(b"")
    assert load_settings(tier2=str(artifact)).tier2 == str(artifact)


def test_paths_are_typed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.export_dir == Path("var/exports") and settings.model_path is None
    assert settings.audit_checkpoint_file == Path("var/audit-checkpoints.jsonl")
    assert settings.audit_key_file is None and settings.audit_signing_key_file is None
    monkeypatch.setenv("MODERATION_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.setenv("MODERATION_MODEL_PATH", str(tmp_path / "clf.npz"))
    settings = load_settings()
    assert settings.export_dir == tmp_path / "exports"
    assert settings.model_path == tmp_path / "clf.npz"
    monkeypatch.setenv("MODERATION_MODEL_PATH", "")
    assert load_settings().model_path is None  # empty means the default artifact


def test_an_unknown_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_ENV", "prod")
    with pytest.raises(ConfigurationError, match="MODERATION_ENV "):
        load_settings()


def test_a_field_error_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_SECRET_KEY", "short")
    with pytest.raises(ConfigurationError, match="MODERATION_SECRET_KEY .*16 characters"):
        load_settings()


def test_the_app_refuses_to_build_in_production_on_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    from moderation import create_app

    monkeypatch.setenv("MODERATION_ENV", "production")
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        create_app()


def test_settings_is_the_pydantic_model_behind_load_settings() -> None:
    assert isinstance(load_settings(), Settings)


def test_pseudonyms_are_keyed_per_site_and_by_their_own_key() -> None:
    one = pseudonym("key-one-0123456789", 1, "Reader@Example.com ")
    assert one.startswith("snd_") and len(one) == 24
    assert one == pseudonym("key-one-0123456789", 1, "reader@example.com")  # normalised email
    assert one != pseudonym("key-one-0123456789", 2, "reader@example.com")  # not linkable across sites
    assert one != pseudonym("key-two-0123456789", 1, "reader@example.com")


def test_production_takes_the_integration_key_from_a_file_and_never_derives_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    key_file = tmp_path / "integration.key"
    key_file.write_text("a-private-integration-key-from-a-file\n")
    production(monkeypatch, MODERATION_INTEGRATION_KEY=None,
               MODERATION_INTEGRATION_KEY_FILE=str(key_file))
    from_file = load_settings().integration_key_bytes()
    # another secret key: the integration key (and every Coral secret it encrypts) stays
    production(monkeypatch, MODERATION_INTEGRATION_KEY=None, MODERATION_INTEGRATION_KEY_FILE=str(key_file),
               MODERATION_SECRET_KEY="another-private-session-secret-9876")
    assert load_settings().integration_key_bytes() == from_file
