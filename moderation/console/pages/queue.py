"""The review queue: ``needs_review`` comments, oldest first, one card each, decided by key.

- ``GET /console/`` and ``/console/queue``: each visible site's waiting count and oldest
  age, then the first cards (``?site_id=`` narrows to one site).
- ``GET /console/queue/next?after=ID``: the next card after comment ``ID`` (a fragment).
- ``POST /console/comments/<id>/decision``: approve or reject. From the queue (htmx) the
  answer replaces the card with a one-line note and appends the next card, so the page
  never reloads; as a plain form it redirects back (POST/redirect/GET).
- ``GET|POST /console/senders/<pseudonym>/reject``: reject everything one sender still has
  waiting on one site, after a confirmation page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from moderation.console.auth import login_required
from moderation.domain.errors import NotFound
from moderation.services import console_queries

from . import actions
from .common import DECIDERS, READERS, filter_ids, is_htmx, parse_id, session, site_choice, visible_comment

PAGE_SIZE = 10
MAX_REASON = 1000


@login_required(*READERS)
def queue_page() -> ResponseReturnValue:
    site_id = site_choice(request.args.get("site_id"))
    overview = console_queries.queue_overview(session(), filter_ids(None))
    cards, _next = console_queries.queue_cards(session(), site_ids=filter_ids(site_id), limit=PAGE_SIZE)
    return render_template("pages/queue.html", overview=overview, cards=cards, site_id=site_id)


@login_required(*READERS)
def queue_next() -> ResponseReturnValue:
    site_id = site_choice(request.args.get("site_id"))
    after = parse_id(request.args.get("after"))
    cards, _next = console_queries.queue_cards(session(), site_ids=filter_ids(site_id), limit=1,
                                               after_id=after)
    return render_template("pages/_next_card.html", cards=cards, site_id=site_id)


def _reason() -> tuple[str, str | None]:
    reason = (request.form.get("reason") or "").strip()
    if len(reason) > MAX_REASON:
        return reason, f"The reason is at most {MAX_REASON} characters."
    return reason, None


@login_required(*DECIDERS)
def decide(comment_id: int) -> ResponseReturnValue:
    comment = visible_comment(comment_id)
    decision = request.form.get("decision", "")
    reason, problem = _reason()
    override = request.form.get("override") == "yes"
    from_queue = request.form.get("from") == "queue"
    if decision not in ("approved", "rejected"):
        problem = "Choose approve or reject."
    elif override and request.form.get("confirm") != "yes":
        problem = "Tick the confirmation to replace the earlier decision."
    # the revision the page showed (absent from an older page: decide the current one)
    revision = parse_id(request.form.get("revision"))
    if problem is None:
        result = actions.decide(comment.id, decision, reason, override, revision)
        if result.outcome == "not_found":
            raise NotFound.of("comment")
        if result.outcome == "conflict" and result.stale_revision is not None:
            problem = (f"Comment #{comment.id} was edited since you read it (revision {revision}, "
                       f"now revision {result.stale_revision}); nothing was decided. Read the new "
                       "text, then decide again.")
            status = 409
        elif result.outcome == "conflict":
            problem = (f"Already decided ({result.previous}) by someone else; open the comment to "
                       "override that decision.")
            status = 409
        else:
            status = 200
    else:
        status = 422
    if is_htmx() and from_queue:
        if problem is not None:
            card = console_queries.card_for(session(), comment)
            return render_template("pages/_card.html", card=card, problem=problem, in_queue=True), status
        site_id = site_choice(request.form.get("site_id"))
        after = parse_id(request.form.get("after")) or comment.id
        cards, _next = console_queries.queue_cards(session(), site_ids=filter_ids(site_id), limit=1,
                                                   after_id=max(after, comment.id))
        return render_template("pages/_decided.html", comment=comment, decision=decision,
                               cards=cards, site_id=site_id)
    if problem is not None:
        if is_htmx():
            story = console_queries.comment_story(session(), comment)
            return render_template("pages/comment.html", story=story, problem=problem), status
        flash(problem, "error")
    else:
        flash(f"Comment #{comment.id} {decision}.", "success")
    if from_queue:
        return redirect(url_for("console.queue", site_id=request.form.get("site_id") or None))
    return redirect(url_for("console.comment", comment_id=comment.id), 303)


@login_required(*DECIDERS)
def sender_bulk(pseudonym: str) -> ResponseReturnValue:
    site_id = parse_id(request.values.get("site_id"))
    if site_id is None:
        raise NotFound.of("site")
    site_choice(str(site_id))
    if not pseudonym.startswith("snd_") or len(pseudonym) > 32:
        raise NotFound.of("sender")
    waiting = console_queries.open_from_sender(session(), site_id, pseudonym)
    problem = None
    if request.method == "POST":
        reason, problem = _reason()
        if request.form.get("confirm") != "yes":
            problem = "Tick the confirmation to reject these comments."
        if problem is None:
            results = actions.decide_many([c.id for c in waiting], "rejected", reason)
            done = sum(1 for r in results if r.outcome == "decided")
            flash(f"Rejected {done} comment(s) from {pseudonym}.", "success")
            return redirect(url_for("console.queue", site_id=site_id), 303)
    return render_template("pages/sender_bulk.html", pseudonym=pseudonym, site_id=site_id,
                           waiting=waiting, problem=problem), (422 if problem else 200)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", "queue_home", queue_page)
    bp.add_url_rule("/queue", "queue", queue_page)
    bp.add_url_rule("/queue/next", "queue_next", queue_next)
    bp.add_url_rule("/comments/<int:comment_id>/decision", "decide", decide, methods=["POST"])
    bp.add_url_rule("/senders/<pseudonym>/reject", "sender_bulk", sender_bulk, methods=["GET", "POST"])
