"""The signed-in person's own account: password change, two-step sign-in, recovery codes."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from moderation.accounts import passwords
from moderation.api.context import db_session, settings
from moderation.console.auth import client_ip, current_actor, current_user, lifetimes, login_required
from moderation.domain.errors import Invalid
from moderation.services import console_sessions, users


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/account", "account", account, methods=["GET"])
    bp.add_url_rule("/account/password", "account_password", change_password, methods=["POST"])
    bp.add_url_rule("/account/recovery-codes", "account_recovery_codes", new_recovery_codes,
                    methods=["POST"])


def _page(errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    db = db_session()
    user = current_user()
    return render_template(
        "account.html", user=user, site_ids=users.user_site_ids(db, user),
        recovery_left=users.remaining_recovery_codes(db, user) if user.totp_enabled else 0,
        totp_required=user.role in settings().totp_roles,
        min_length=settings().password_min_length, errors=errors or {}), status


@login_required()
def account() -> ResponseReturnValue:
    return _page()


@login_required()
def change_password() -> ResponseReturnValue:
    """Change one's own password: every other session of the account ends, this one goes on
    under a new token."""
    db = db_session()
    user = current_user()
    current = request.form.get("current_password", "")
    new = request.form.get("new_password", "")
    if not passwords.verify_password(user.password_hash, current):
        return _page({"current_password": "That is not your current password."}, 422)
    if new != request.form.get("confirm_password", ""):
        return _page({"confirm_password": "The two new passwords differ."}, 422)
    try:
        users.set_password(db, user, new, min_length=settings().password_min_length,
                           actor=current_actor(), request_id=g.get("request_id"),
                           field="new_password")
    except Invalid as error:
        return _page({d["field"]: d["message"] for d in error.details}, 422)
    _row, token = console_sessions.start(db, user, stage=console_sessions.STAGE_FULL,
                                         lifetimes=lifetimes(), ip=client_ip(),
                                         user_agent=request.headers.get("User-Agent"))
    db.commit()
    session.clear()
    session["sid"] = token
    flash("Your password is changed; other browsers signed in as you are signed out.", "info")
    return redirect(url_for("console.account"))


@login_required()
def new_recovery_codes() -> ResponseReturnValue:
    """New recovery codes (the old ones stop working), after re-entering the password."""
    db = db_session()
    user = current_user()
    if not passwords.verify_password(user.password_hash, request.form.get("current_password", "")):
        return _page({"recovery_password": "That is not your current password."}, 422)
    codes = users.regenerate_recovery_codes(db, user, actor=current_actor(),
                                            request_id=g.get("request_id"))
    return render_template("totp_recovery_codes.html", codes=codes, next=url_for("console.account"))
