"""Personal accounts: create, list, change, disable, reset passwords, the second factor.

Every change is audited with the acting person (or ``system:cli``). Services raise
domain errors (``Invalid`` with field details, ``NotFound``, ``Conflict``); the console
and the CLI translate them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moderation import audit
from moderation.accounts import passwords, totp
from moderation.domain.actors import Actor
from moderation.domain.errors import Conflict, Invalid, NotFound
from moderation.store import ConsoleSession, RecoveryCode, Site, User, UserSite
from moderation.store.users import USER_ROLES

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


def _now() -> datetime:
    return datetime.now(UTC)


def user_record(user: User, site_ids: Iterable[int] | None = None) -> dict[str, Any]:
    """A user as shown to admins and recorded in the audit log (no hash, no secret)."""
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "all_sites": user.all_sites,
        "site_ids": sorted(site_ids) if site_ids is not None else None,
        "totp_enabled": user.totp_enabled,
        "created_at": user.created_at.isoformat() if user.created_at else None,
        "disabled_at": user.disabled_at.isoformat() if user.disabled_at else None,
    }


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    return session.scalars(select(User).where(User.username == normalise_username(username))).one_or_none()


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound.of("user")
    return user


def user_site_ids(session: Session, user: User) -> list[int] | None:
    """None: every site; otherwise the ids of the sites the user may act on."""
    if user.all_sites or user.role == "admin":
        return None
    return list(session.scalars(select(UserSite.site_id).where(UserSite.user_id == user.id)
                                .order_by(UserSite.site_id)))


def sites_requiring_totp(session: Session, user: User) -> list[str]:
    """The names of this moderator's sites that require a second factor of moderators."""
    if user.role != "moderator":
        return []
    query = select(Site.name).where(Site.moderator_totp_required.is_(True)).order_by(Site.id)
    site_ids = user_site_ids(session, user)
    if site_ids is not None:
        if not site_ids:
            return []
        query = query.where(Site.id.in_(site_ids))
    return list(session.scalars(query))


def totp_required(session: Session, user: User, roles: frozenset[str]) -> bool:
    """Must this person use a second factor? Their role is in ``roles``
    (MODERATION_CONSOLE_TOTP_ROLES), or a site they moderate requires it."""
    return user.role in roles or bool(sites_requiring_totp(session, user))


def actor_for(session: Session, user: User) -> Actor:
    return Actor.for_user(user_id=user.id, display_name=user.display_name, role=user.role,
                          site_ids=user_site_ids(session, user))


def list_users(session: Session, *, include_disabled: bool = True) -> list[User]:
    query = select(User).order_by(User.username)
    if not include_disabled:
        query = query.where(User.disabled_at.is_(None))
    return list(session.scalars(query))


def check_password(password: str, *, min_length: int, username: str = "", display_name: str = "",
                   field: str = "password") -> None:
    problems = passwords.password_problems(password, min_length=min_length, username=username,
                                           display_name=display_name)
    if problems:
        raise Invalid("The password is not acceptable.",
                      details=[{"field": field, "code": "weak_password", "message": p} for p in problems])


def _check_fields(username: str, display_name: str, role: str) -> None:
    details = []
    if not USERNAME.match(username):
        details.append({"field": "username", "code": "invalid",
                        "message": "Use 2-64 characters: lowercase letters, digits, '.', '_' or '-', "
                                   "starting with a letter or digit."})
    if not display_name.strip() or len(display_name.strip()) > 100:
        details.append({"field": "display_name", "code": "invalid",
                        "message": "A display name is 1-100 characters."})
    if role not in USER_ROLES:
        details.append({"field": "role", "code": "invalid",
                        "message": f"Choose one of: {', '.join(USER_ROLES)}."})
    if details:
        raise Invalid(details=details)


def _resolve_sites(session: Session, site_ids: Iterable[int]) -> list[int]:
    wanted = sorted(set(site_ids))
    found = set(session.scalars(select(Site.id).where(Site.id.in_(wanted)))) if wanted else set()
    missing = [s for s in wanted if s not in found]
    if missing:
        raise Invalid.field("site_ids", "unknown_site",
                            f"No such site: {', '.join(map(str, missing))}.")
    return wanted


def _set_sites(session: Session, user: User, site_ids: list[int]) -> None:
    session.execute(delete(UserSite).where(UserSite.user_id == user.id))
    for site_id in site_ids:
        session.add(UserSite(user_id=user.id, site_id=site_id))
    session.flush()


def _validate_scope(role: str, all_sites: bool, site_ids: list[int]) -> bool:
    """Admins always act on every site; other roles need all sites or at least one."""
    if role == "admin":
        if site_ids:
            raise Invalid.field("site_ids", "admin_unscoped", "Admins act on every site; give no sites.")
        return True
    if not all_sites and not site_ids:
        raise Invalid.field("site_ids", "required", "Give at least one site, or all sites.")
    if all_sites and site_ids:
        raise Invalid.field("site_ids", "conflict", "Give either all sites or a list of sites, not both.")
    return all_sites


def create_user(
    session: Session, *, username: str, display_name: str, role: str, password: str,
    all_sites: bool = False, site_ids: Iterable[int] = (), min_length: int = 12,
    actor: Actor, request_id: str | None = None,
) -> User:
    """Create an account and audit it. Commits."""
    username = normalise_username(username)
    display_name = display_name.strip()
    _check_fields(username, display_name, role)
    sites = _resolve_sites(session, site_ids)
    everything = _validate_scope(role, all_sites, sites)
    check_password(password, min_length=min_length, username=username, display_name=display_name)
    if find_user(session, username) is not None:
        raise Conflict(f"A user named {username!r} already exists.", code="user_exists")
    user = User(username=username, display_name=display_name, role=role, all_sites=everything,
                password_hash=passwords.hash_password(password), password_changed_at=_now())
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"A user named {username!r} already exists.", code="user_exists") from None
    if not everything:
        _set_sites(session, user, sites)
    audit.record(session, actor=actor, action="user.create", target_type="user", target_id=user.id,
                 after=user_record(user, None if everything else sites), request_id=request_id)
    session.commit()
    return user


def update_user(
    session: Session, user: User, *, display_name: str | None = None, role: str | None = None,
    all_sites: bool | None = None, site_ids: Iterable[int] | None = None,
    actor: Actor, request_id: str | None = None,
) -> User:
    """Change a user's name, role or sites. Commits; ends the user's sessions when the role
    or sites change, so the new scope applies at once."""
    before = user_record(user, user_site_ids(session, user))
    new_name = user.display_name if display_name is None else display_name.strip()
    new_role = user.role if role is None else role
    _check_fields(user.username, new_name, new_role)
    current_sites = user_site_ids(session, user) or []
    sites = _resolve_sites(session, current_sites if site_ids is None else site_ids)
    everything = _validate_scope(new_role, user.all_sites if all_sites is None else all_sites, sites)
    user.display_name, user.role, user.all_sites = new_name, new_role, everything
    _set_sites(session, user, [] if everything else sites)
    after = user_record(user, None if everything else sites)
    if (before["role"], before["site_ids"], before["all_sites"]) != (after["role"], after["site_ids"],
                                                                      after["all_sites"]):
        end_sessions(session, user, reason="scope_changed")
    audit.record(session, actor=actor, action="user.update", target_type="user", target_id=user.id,
                 before=before, after=after, request_id=request_id)
    session.commit()
    return user


def end_sessions(session: Session, user: User, *, reason: str) -> int:
    """End every open console session of ``user`` (the caller commits)."""
    result = session.execute(
        update(ConsoleSession)
        .where(ConsoleSession.user_id == user.id, ConsoleSession.ended_at.is_(None))
        .values(ended_at=_now(), end_reason=reason))
    return int(getattr(result, "rowcount", 0) or 0)


def disable_user(session: Session, user: User, *, actor: Actor, request_id: str | None = None) -> User:
    """Disable an account, end its sessions and refuse its API keys (idempotent). Commits.

    The keys are not revoked (enabling the account again brings them back); the API
    refuses them while the account is disabled (``moderation/api/auth.py``). The audit
    event lists them.
    """
    from moderation.services.api_keys import active_keys_of

    if user.disabled_at is not None:
        return user
    if actor.user_id == user.id:
        raise Conflict("You can't disable your own account.", code="self_disable")
    before = user_record(user)
    user.disabled_at = _now()
    end_sessions(session, user, reason="disabled")
    refused = [key.id for key in active_keys_of(session, user.id)]
    audit.record(session, actor=actor, action="user.disable", target_type="user", target_id=user.id,
                 before=before, after={**user_record(user), "keys_refused": refused},
                 request_id=request_id)
    session.commit()
    return user


def enable_user(session: Session, user: User, *, actor: Actor, request_id: str | None = None) -> User:
    if user.disabled_at is None:
        return user
    before = user_record(user)
    user.disabled_at = None
    audit.record(session, actor=actor, action="user.enable", target_type="user", target_id=user.id,
                 before=before, after=user_record(user), request_id=request_id)
    session.commit()
    return user


def set_password(
    session: Session, user: User, password: str, *, min_length: int, actor: Actor,
    reset_totp: bool = False, request_id: str | None = None, field: str = "password",
) -> User:
    """Set a new password (a reset by an admin, or the person's own change); ends every
    session of the user. ``reset_totp`` also removes the second factor and recovery codes,
    for a person who lost both. Commits."""
    check_password(password, min_length=min_length, username=user.username,
                   display_name=user.display_name, field=field)
    user.password_hash = passwords.hash_password(password)
    user.password_changed_at = _now()
    if reset_totp:
        _clear_totp(session, user)
    end_sessions(session, user, reason="password_changed")
    action = "user.password_change" if actor.user_id == user.id else "user.password_reset"
    audit.record(session, actor=actor, action=action, target_type="user", target_id=user.id,
                 after={"username": user.username, "totp_reset": reset_totp}, request_id=request_id)
    session.commit()
    return user


def _clear_totp(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


# --- sign-in checks ------------------------------------------------------------------------
def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, else None (same cost either way).

    Rehashes the password when the stored hash used older Argon2 parameters (the caller
    commits).
    """
    user = find_user(session, username) if len(username) <= 64 else None
    if user is None or len(password) > passwords.MAX_LENGTH:
        passwords.verify_password(passwords.dummy_hash(), password[:passwords.MAX_LENGTH])
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.is_active:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


# --- second factor ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Enrolment:
    secret: str
    uri: str


def start_enrolment(user: User, secret: str | None = None) -> Enrolment:
    """A new TOTP secret to show the person; nothing is stored until they confirm a code."""
    secret = secret or totp.new_secret()
    return Enrolment(secret, totp.provisioning_uri(secret, account=user.username))


def confirm_enrolment(
    session: Session, user: User, secret: str, code: str, *, actor: Actor, request_id: str | None = None,
) -> list[str]:
    """Turn TOTP on once the person typed a valid code for ``secret``; returns the new recovery
    codes (shown once). Commits."""
    step = totp.matching_step(secret, code)
    if step is None:
        raise Invalid.field("totp", "invalid_code",
                            "That code is not valid; check the time on your device and try again.")
    user.totp_secret = secret
    user.totp_enabled_at = _now()
    user.totp_last_step = step
    codes = _replace_recovery_codes(session, user)
    audit.record(session, actor=actor, action="user.totp_enable", target_type="user",
                 target_id=user.id, after={"username": user.username}, request_id=request_id)
    session.commit()
    return codes


def regenerate_recovery_codes(session: Session, user: User, *, actor: Actor,
                              request_id: str | None = None) -> list[str]:
    if not user.totp_enabled:
        raise Conflict("Set up an authenticator app first.", code="totp_not_enabled")
    codes = _replace_recovery_codes(session, user)
    audit.record(session, actor=actor, action="user.recovery_codes_regenerate", target_type="user",
                 target_id=user.id, after={"username": user.username}, request_id=request_id)
    session.commit()
    return codes


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(code)))
    session.flush()
    return codes


def remaining_recovery_codes(session: Session, user: User) -> int:
    return len(list(session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))))


def verify_second_factor(session: Session, user: User, code: str, *,
                         request_id: str | None = None) -> str | None:
    """Check a TOTP code (not replayable) or an unused recovery code (then used up).

    Returns ``"totp"`` or ``"recovery_code"`` when it matched, else None. The caller commits.
    """
    if not user.totp_enabled or user.totp_secret is None:
        return None
    step = totp.matching_step(user.totp_secret, code, after_step=user.totp_last_step)
    if step is not None:
        # A guarded UPDATE, so two requests racing with the same code can't both pass.
        claimed = session.execute(
            update(User)
            .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False))
        if not getattr(claimed, "rowcount", 0):
            return None
        session.refresh(user)
        return "totp"
    if not totp.looks_like_recovery_code(code):
        return None
    # Claim the code with a guarded UPDATE so two requests can't both use it.
    claimed = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == totp.hash_recovery_code(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=_now()))
    if not getattr(claimed, "rowcount", 0):
        return None
    audit.record(session, actor=actor_for(session, user), action="user.recovery_code_use", target_type="user",
                 target_id=user.id, after={"username": user.username,
                                           "remaining": remaining_recovery_codes(session, user)},
                 request_id=request_id)
    return "recovery_code"


def reset_totp(session: Session, user: User, *, actor: Actor, request_id: str | None = None) -> User:
    """Remove a user's second factor (they enrol again at their next sign-in). Commits."""
    _clear_totp(session, user)
    end_sessions(session, user, reason="totp_reset")
    audit.record(session, actor=actor, action="user.totp_reset", target_type="user",
                 target_id=user.id, after={"username": user.username}, request_id=request_id)
    session.commit()
    return user
