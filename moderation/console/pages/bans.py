"""Bans: create one from a comment (its sender's pseudonym, address, network or email), list
them, lift one. The comment's full address and email never reach the page: the form names
*which* of them to ban, and the server reads the value from the comment's sender record."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from moderation.console.auth import login_required
from moderation.domain.errors import NotFound
from moderation.senders import mask_ip
from moderation.services import bans as ban_service
from moderation.services import console_queries, review
from moderation.store import Ban

from . import actions
from .common import (
    DECIDERS,
    READERS,
    filter_ids,
    session,
    site_choice,
    visible_comment,
    visible_sites,
)


def shown(ban: Ban) -> str:
    """A ban's value as moderators may see it: never a full address or email (a single-address
    ban reads "one address in 203.0.113.0/24")."""
    if ban.kind == "ip":
        network = ipaddress.ip_network(ban.value, strict=False)
        if network.prefixlen == network.max_prefixlen:
            return f"one address in {mask_ip(str(network.network_address))}"
    return ban_service.shown_value(ban)


#: What can be banned from a comment, in the form's order.
TARGETS = {
    "pseudonym": "the sender's pseudonym (every comment from this email, stored as a keyed hash)",
    "ip": "this exact IP address",
    "network": "the address's network (the /24 or /48 shown)",
    "cidr": "a network you type (CIDR)",
    "email": "the sender's email address",
}
EXPIRIES = {"1": "1 day", "7": "7 days", "30": "30 days", "90": "90 days", "365": "1 year", "": "never"}


def _value(target: str, pseudonym: str, ip: str | None, email: str | None,
           cidr: str) -> tuple[str, str] | str:
    """(kind, value) for the service, or a message saying why not."""
    if target == "pseudonym":
        return "pseudonym", pseudonym
    if target in ("ip", "network"):
        if not ip:
            return "This comment's address was erased or never recorded."
        if target == "ip":
            return "ip", ip
        prefix = 24 if ipaddress.ip_address(ip).version == 4 else 48
        return "ip", str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
    if target == "cidr":
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            return "Type a network such as 203.0.113.0/24 or 2001:db8::/48."
        return "ip", str(network)
    if target == "email":
        return ("email", email) if email else "This comment's email was erased or never recorded."
    return "Choose what to ban."


@login_required(*DECIDERS)
def ban_from_comment(comment_id: int) -> ResponseReturnValue:
    comment = visible_comment(comment_id)
    card = console_queries.card_for(session(), comment)
    problem = None
    if request.method == "POST":
        target = request.form.get("target", "")
        reason = (request.form.get("reason") or "").strip()
        days = request.form.get("expires_in_days", "30")
        ip, email = review.sender_of(session(), comment.id)
        chosen = _value(target, comment.sender_pseudonym, ip, email, request.form.get("cidr") or "")
        if days not in EXPIRIES:
            problem = "Choose an expiry."
        elif len(reason) > 500:
            problem = "The reason is at most 500 characters."
        elif isinstance(chosen, str):
            problem = chosen
        else:
            kind, value = chosen
            expires = datetime.now(UTC) + timedelta(days=int(days)) if days else None
            try:
                ban = actions.create_ban(comment.site_id, kind, value, reason, expires)
            except ban_service.InvalidBan as exc:
                problem = f"The value {exc}."
            else:
                flash(f"Ban #{ban.id} created: {shown(ban)}.", "success")
                return redirect(url_for("console.bans", site_id=comment.site_id), 303)
    return render_template("pages/ban_new.html", card=card, targets=TARGETS, expiries=EXPIRIES,
                           problem=problem, form=request.form), (422 if problem else 200)


@login_required(*READERS)
def bans_page() -> ResponseReturnValue:
    site_id = site_choice(request.args.get("site_id"))
    show_all = request.args.get("show") == "all"
    rows = ban_service.list_bans(session(), site_ids=filter_ids(site_id), active_only=not show_all)
    now = datetime.now(UTC)
    return render_template("pages/bans.html", bans=rows, shown=shown,
                           active=lambda b: ban_service.is_active(b, now), sites=visible_sites(),
                           site_id=site_id, show_all=show_all)


@login_required(*DECIDERS)
def lift(ban_id: int) -> ResponseReturnValue:
    ban = console_queries.visible_ban(session(), ban_id, filter_ids(None))
    if ban is None:
        raise NotFound.of("ban")
    actions.lift_ban(ban)
    flash(f"Ban #{ban.id} lifted.", "success")
    return redirect(url_for("console.bans", site_id=request.form.get("site_id") or None), 303)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/comments/<int:comment_id>/ban", "ban_new", ban_from_comment, methods=["GET", "POST"])
    bp.add_url_rule("/bans", "bans", bans_page)
    bp.add_url_rule("/bans/<int:ban_id>/lift", "ban_lift", lift, methods=["POST"])
