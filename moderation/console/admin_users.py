"""Admin page for personal accounts: list, create, change role and sites, disable/enable,
reset a password (a generated one, shown once) or a second factor."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from moderation.accounts import passwords
from moderation.api.context import db_session, settings
from moderation.console.auth import current_actor, login_required, throttle
from moderation.domain.errors import Invalid
from moderation.services import sites as site_service
from moderation.services import users
from moderation.store.users import USER_ROLES, User


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/admin/users", "admin_users", list_page, methods=["GET"])
    bp.add_url_rule("/admin/users", "admin_user_create", create, methods=["POST"])
    bp.add_url_rule("/admin/users/<int:user_id>", "admin_user", edit_page, methods=["GET"])
    bp.add_url_rule("/admin/users/<int:user_id>", "admin_user_update", update, methods=["POST"])
    for action in ("disable", "enable", "reset-password", "reset-totp"):
        bp.add_url_rule(f"/admin/users/<int:user_id>/{action}",
                        f"admin_user_{action.replace('-', '_')}", _ACTIONS[action], methods=["POST"])


def _site_ids_from_form() -> list[int]:
    values = request.form.getlist("site_ids")
    try:
        return [int(v) for v in values]
    except ValueError:
        raise Invalid.field("site_ids", "invalid", "Choose sites from the list.") from None


def _errors(error: Invalid) -> dict[str, str]:
    out: dict[str, str] = {}
    for detail in error.details:
        out.setdefault(detail["field"], detail["message"])
    return out or {"form": error.message}


def _list(errors: dict[str, str] | None = None, form: dict[str, object] | None = None,
          status: int = 200) -> ResponseReturnValue:
    db = db_session()
    people = users.list_users(db)
    scopes = {u.id: users.user_site_ids(db, u) for u in people}
    return render_template("admin_users.html", people=people, scopes=scopes,
                           sites=site_service.list_sites(db), roles=USER_ROLES, errors=errors or {},
                           form=form or {}, min_length=settings().password_min_length), status


@login_required("admin")
def list_page() -> ResponseReturnValue:
    return _list()


@login_required("admin")
def create() -> ResponseReturnValue:
    db = db_session()
    form = {"username": request.form.get("username", ""),
            "display_name": request.form.get("display_name", ""),
            "role": request.form.get("role", ""), "all_sites": bool(request.form.get("all_sites"))}
    password = request.form.get("password", "")
    generated = not password
    password = password or passwords.generate_password()
    try:
        user = users.create_user(
            db, username=str(form["username"]), display_name=str(form["display_name"]),
            role=str(form["role"]), password=password, all_sites=bool(form["all_sites"]),
            site_ids=_site_ids_from_form(), min_length=settings().password_min_length,
            actor=current_actor(), request_id=g.get("request_id"))
    except Invalid as error:
        db.rollback()
        return _list(_errors(error), form, 422)
    # The password is shown once, as the answer to this POST (never in a cookie or URL).
    return render_template("admin_user_password.html", user=user,
                           password=password if generated else None, created=True)


def _user(user_id: int) -> User:
    return users.get_user(db_session(), user_id)


def _edit(user_id: int, errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    db = db_session()
    user = _user(user_id)
    return render_template("admin_user.html", user=user, site_ids=users.user_site_ids(db, user) or [],
                           sites=site_service.list_sites(db), roles=USER_ROLES,
                           errors=errors or {}), status


@login_required("admin")
def edit_page(user_id: int) -> ResponseReturnValue:
    return _edit(user_id)


@login_required("admin")
def update(user_id: int) -> ResponseReturnValue:
    db = db_session()
    user = _user(user_id)
    try:
        users.update_user(db, user, display_name=request.form.get("display_name", ""),
                          role=request.form.get("role", ""), all_sites=bool(request.form.get("all_sites")),
                          site_ids=_site_ids_from_form(), actor=current_actor(),
                          request_id=g.get("request_id"))
    except Invalid as error:
        db.rollback()
        return _edit(user_id, _errors(error), 422)
    flash(f"Saved {user.username}.", "info")
    return redirect(url_for("console.admin_user", user_id=user.id))


@login_required("admin")
def disable(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    users.disable_user(db_session(), user, actor=current_actor(), request_id=g.get("request_id"))
    flash(f"{user.username} is disabled and signed out everywhere.", "info")
    return redirect(url_for("console.admin_users"))


@login_required("admin")
def enable(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    users.enable_user(db_session(), user, actor=current_actor(), request_id=g.get("request_id"))
    flash(f"{user.username} is enabled again.", "info")
    return redirect(url_for("console.admin_users"))


@login_required("admin")
def reset_password(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    password = passwords.generate_password()
    users.set_password(db_session(), user, password, min_length=settings().password_min_length,
                       actor=current_actor(), reset_totp=bool(request.form.get("reset_totp")),
                       request_id=g.get("request_id"))
    throttle().unlock(user.username)
    return render_template("admin_user_password.html", user=user, password=password, created=False)


@login_required("admin")
def reset_totp(user_id: int) -> ResponseReturnValue:
    user = _user(user_id)
    users.reset_totp(db_session(), user, actor=current_actor(), request_id=g.get("request_id"))
    flash(f"Two-step sign-in for {user.username} is reset; they set it up again at their next sign-in.",
          "info")
    return redirect(url_for("console.admin_user", user_id=user.id))


_ACTIONS = {"disable": disable, "enable": enable, "reset-password": reset_password,
            "reset-totp": reset_totp}
