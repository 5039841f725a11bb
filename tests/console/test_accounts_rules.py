"""Pure account rules: the password policy, Argon2id hashing, TOTP steps, recovery codes."""

from __future__ import annotations

import pyotp
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.accounts import passwords, totp


def test_policy_refuses_short_common_and_name_based_passwords() -> None:
    def problems(pw: str, **kw: str) -> list[str]:
        return passwords.password_problems(pw, min_length=12, **kw)

    assert problems("correct horse battery") == []
    assert any("at least 12" in p for p in problems("Tr0ub4dor&3"))
    for common in ("password1234", "Password123!", "qwertyuiop123", "aaaaaaaaaaaaaaa", "administrator1"):
        assert any("too common" in p for p in problems(common)), common
    assert any("username" in p for p in problems("my name is ravikumar!", username="ravikumar"))
    assert any("256" in p for p in problems("x" * 300))


def test_hashes_are_argon2id_and_verify_only_the_right_password() -> None:
    hashed = passwords.hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "correct horse batterY")
    assert not passwords.verify_password("not a hash", "anything")
    assert not passwords.needs_rehash(hashed)
    assert passwords.needs_rehash("$argon2id$v=19$m=1024,t=1,p=1$c29tZXNhbHQ$0Xw0hCQ8Jw2uOmSZv4Y5Gg")


def test_generated_passwords_pass_the_policy() -> None:
    for _ in range(20):
        assert passwords.password_problems(passwords.generate_password(), min_length=20) == []


def test_totp_accepts_adjacent_steps_and_refuses_replays() -> None:
    secret = totp.new_secret()
    now = 1_800_000_000.0
    step = int(now // 30)
    code = pyotp.TOTP(secret).at(now)
    assert totp.matching_step(secret, code, now=now) == step
    assert totp.matching_step(secret, f"{code[:3]} {code[3:]}", now=now) == step
    assert totp.matching_step(secret, code, now=now + 30) == step  # one step of drift
    assert totp.matching_step(secret, code, now=now + 90) is None
    assert totp.matching_step(secret, code, after_step=step, now=now) is None
    assert totp.matching_step(secret, "abcdef", now=now) is None
    assert "otpauth://totp/" in totp.provisioning_uri(secret, account="asha")


def test_recovery_codes_are_distinct_and_normalised() -> None:
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == totp.RECOVERY_CODE_COUNT
    code = codes[0]
    assert len(code) == 19 and code.count("-") == 3
    assert totp.hash_recovery_code(code) == totp.hash_recovery_code(code.upper().replace("-", " "))
    assert totp.looks_like_recovery_code(code) and not totp.looks_like_recovery_code("123456")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_policy_never_raises(password: str) -> None:
    assert isinstance(passwords.password_problems(password, min_length=12, username="u"), list)
