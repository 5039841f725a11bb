"""One comment's page: the card, its edits (every revision's text and time with the verdict
and decisions it got), its verdict history, the decisions (who, when), the audit trail; a
decision form that overrides an earlier decision only after a confirmation."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from moderation.console.auth import login_required
from moderation.services import console_queries, revisions

from .common import READERS, session, visible_comment


@login_required(*READERS)
def comment_page(comment_id: int) -> ResponseReturnValue:
    comment = visible_comment(comment_id)
    story = console_queries.comment_story(session(), comment)
    edits = revisions.revision_history(session(), comment)
    return render_template("pages/comment.html", story=story, revisions=edits, problem=None)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/comments/<int:comment_id>", "comment", comment_page)
