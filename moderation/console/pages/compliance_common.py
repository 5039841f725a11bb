"""What the compliance pages share: who may use them, the scope builder's form, the
72-hour countdown, people's names, and the TOTP step-up that guards sender details
and export downloads.

Step-up: revealing a sender's full details or downloading an export needs a TOTP code
(or a recovery code) entered within the last :data:`STEP_UP_WINDOW`. The time is kept
on the server-side console session row (``console_sessions.stepped_up_at``), never in
the cookie, so ending the session ends the step-up too.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from flask import g, render_template, request
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from moderation.api.context import settings
from moderation.domain.errors import DomainError
from moderation.services import disclosure
from moderation.services.scopes import Scope, build_scope
from moderation.store import Comment, ConsoleSession, DisclosureRequest

from .common import actor, parse_id, session

#: Roles that may use the compliance pages (moderators may not; compliance officers may
#: not use the moderation pages either).
OFFICERS = ("compliance", "admin")
STEP_UP_WINDOW = timedelta(minutes=10)
MAX_COMMENT_IDS = 10_000


def request_id() -> str | None:
    value: str | None = g.get("request_id")
    return value


# --- people -----------------------------------------------------------------------------


def person(actor_id: str | None, name: str | None = None) -> dict[str, Any]:
    """An author as the pages show them: display name and stable id."""
    return disclosure.person_record(session(), actor_id, name)


def is_me(person_id: str | None) -> bool:
    return actor().same_person(person_id)


# --- step-up ----------------------------------------------------------------------------


def console_row() -> ConsoleSession:
    row: ConsoleSession = g.console_session
    return row


def stepped_up_until(now: datetime | None = None) -> datetime | None:
    """When the current step-up ends (None: there is none in force)."""
    at = console_row().stepped_up_at
    if at is None:
        return None
    until = at + STEP_UP_WINDOW
    return until if until > (now or datetime.now(UTC)) else None


def step_up_prompt(purpose: str, next_url: str | None = None, *, error: str | None = None,
                   status: int = 200) -> ResponseReturnValue:
    """The page asking for a fresh code before ``purpose`` (then back to ``next_url``).

    A plain 200 page with the form (``data-step-up``): what was asked for is not served."""
    target = next_url or request.full_path.rstrip("?")
    return render_template("pages/compliance/step_up.html", purpose=purpose, next=target,
                           error=error, window_minutes=int(STEP_UP_WINDOW.total_seconds() // 60)), status


# --- the countdown ----------------------------------------------------------------------

STATE_LABELS = {"overdue": "Overdue", "due_soon": "Due soon", "on_track": "On track",
                "answered": "Answered"}


@dataclass(frozen=True)
class Countdown:
    state: str
    label: str
    text: str


def _span(seconds: float) -> str:
    s = int(abs(seconds))
    days, hours, minutes = s // 86400, s % 86400 // 3600, s % 3600 // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def countdown(case: DisclosureRequest, now: datetime | None = None) -> Countdown:
    """The case's deadline as a state (for the colour) and words (for everyone)."""
    now = now or datetime.now(UTC)
    state = disclosure.due_state(case, within_hours=settings().disclosure_due_soon_hours, now=now)
    left = (case.due_at - now).total_seconds()
    if state == "answered":
        when = case.answered_at or case.closed_at
        text = "answered" + (f" {when.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if when else "")
    elif state == "overdue":
        text = f"overdue by {_span(left)}"
    else:
        text = f"{_span(left)} left"
    return Countdown(state, STATE_LABELS[state], text)


# --- the scope builder ------------------------------------------------------------------

SCOPE_FIELDS = ("site_id", "comment_ids", "sender_pseudonym", "article_id", "sender_email",
                "sender_ip", "since", "until")


@dataclass
class ScopeForm:
    """A scope read from a form: the resolved scope, or the problems field by field."""

    scope: Scope | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _ids(raw: str) -> list[int] | str:
    parts = [p for p in raw.replace(",", " ").split() if p]
    ids: list[int] = []
    for part in parts:
        number = parse_id(part)
        if number is None:
            return f"“{part[:20]}” is not a comment id."
        ids.append(number)
    if len(ids) > MAX_COMMENT_IDS:
        return f"At most {MAX_COMMENT_IDS} comment ids."
    return ids


def parse_when(raw: str, *, end_of_day: bool = False) -> datetime | str | None:
    """A date (``2026-11-01``) or date and time (``2026-11-01T09:30``), read as UTC."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        if len(raw) == 10:
            day = datetime.strptime(raw, "%Y-%m-%d").date()
            return datetime.combine(day, time.max if end_of_day else time.min, tzinfo=UTC)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return "Use a date such as 2026-11-01 or 2026-11-01T09:30 (UTC)."
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _pseudonym_ids(pseudonym: str, site_id: int | None) -> list[int]:
    query = select(Comment.id).where(Comment.sender_pseudonym == pseudonym).order_by(Comment.id)
    visible = actor().visible_site_ids()
    if site_id is not None:
        query = query.where(Comment.site_id == site_id)
    elif visible is not None:
        query = query.where(Comment.site_id.in_(visible))
    return list(session().scalars(query.limit(MAX_COMMENT_IDS + 1)))


def parse_scope(form: Mapping[str, str]) -> ScopeForm:
    """The scope builder's fields → a :class:`Scope` the actor may use (or field errors).

    The fields are those of the API's case scope; a sender's pseudonym (what moderators
    see) is turned into the ids of that sender's comments.
    """
    errors: dict[str, str] = {}
    raw_site = (form.get("site_id") or "").strip()
    site_id = parse_id(raw_site) if raw_site else None
    if raw_site and site_id is None:
        errors["site_id"] = "Choose a site from the list."
    ids: list[int] | None = None
    raw_ids = (form.get("comment_ids") or "").strip()
    if raw_ids:
        parsed = _ids(raw_ids)
        if isinstance(parsed, str):
            errors["comment_ids"] = parsed
        else:
            ids = parsed
    pseudonym = (form.get("sender_pseudonym") or "").strip()
    if len(pseudonym) > 64:
        errors["sender_pseudonym"] = "A pseudonym is at most 64 characters."
    article = (form.get("article_id") or "").strip() or None
    if article and len(article) > 200:
        errors["article_id"] = "An article id is at most 200 characters."
    email = (form.get("sender_email") or "").strip() or None
    if email and (len(email) > 320 or "@" not in email):
        errors["sender_email"] = "Type an email address."
    ip = (form.get("sender_ip") or "").strip() or None
    if ip:
        try:
            if "%" in ip:
                raise ValueError(ip)
            ipaddress.ip_network(ip, strict=False)
        except ValueError:
            errors["sender_ip"] = "Type an address (203.0.113.7) or a network (203.0.113.0/24)."
    since = parse_when(form.get("since") or "")
    until = parse_when(form.get("until") or "", end_of_day=True)
    if isinstance(since, str):
        errors["since"] = since
    if isinstance(until, str):
        errors["until"] = until
    if errors:
        return ScopeForm(errors=errors)
    assert not isinstance(since, str) and not isinstance(until, str)
    if pseudonym:
        found = _pseudonym_ids(pseudonym, site_id)
        if not found:
            return ScopeForm(errors={"sender_pseudonym": "No comments from this pseudonym here."})
        if len(found) > MAX_COMMENT_IDS:
            return ScopeForm(errors={"sender_pseudonym": "This sender has too many comments; "
                                                         "narrow by site, email or dates."})
        ids = sorted(set(found) & set(ids)) if ids is not None else found
        if not ids:
            return ScopeForm(errors={"sender_pseudonym": "None of the comment ids are this sender's."})
    try:
        scope = build_scope(session(), actor(), site=site_id, comment_ids=ids, article_id=article,
                            sender_email=email, sender_ip=ip, since=since, until=until)
        disclosure.require_narrow(scope)
    except DomainError as error:
        if error.status == 404:
            return ScopeForm(errors={"site_id": "Choose a site from the list."})
        detail = error.details[0] if error.details else {}
        where = "site_id" if str(detail.get("field", "")).endswith("site") else "scope"
        return ScopeForm(errors={where: detail.get("message", error.message)})
    if since and until and since > until:
        return ScopeForm(errors={"until": "The end is before the start."})
    return ScopeForm(scope=scope)


def describe_scope(scope: dict[str, Any], site_name: str | None) -> list[tuple[str, str]]:
    """A stored scope as (label, value) lines for a page."""
    lines: list[tuple[str, str]] = [("Site", site_name or "every site")]
    ids = scope.get("comment_ids")
    if ids:
        shown = ", ".join(str(i) for i in ids[:30]) + (f" … ({len(ids)} in all)" if len(ids) > 30 else "")
        lines.append(("Comment ids", shown))
    for key, label in (("article_id", "Article"), ("sender_email", "Sender email"),
                       ("sender_ip", "Sender IP or network"), ("since", "From"), ("until", "Until")):
        if scope.get(key):
            lines.append((label, str(scope[key])))
    return lines
