"""The console's decision forms carry the revision the moderator read: a comment the site
edited meanwhile is not decided (a 409 with a clear message, the new text shown), as the
API's ``revision`` does (tests/api/test_edits.py)."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from moderation.domain.actors import Actor
from moderation.services import revisions
from moderation.store import Comment, Decision
from tests.console.conftest import create_person, sign_in
from tests.support.factories import make_site
from tests.support.moderation_data import add_comment

HX = {"HX-Request": "true"}


def _edit(app: Flask, comment_id: int, text: str) -> None:
    with app.extensions["db"].session() as session:
        revisions.edit_comment(session, comment_id=comment_id, actor=Actor.system("test", "the site"),
                               text=text, title=None, base_revision=None, request_id=None,
                               enqueue=lambda _id, _rid: None)
    with app.extensions["db"].session() as session:  # moderated again, back in the queue
        comment = session.get(Comment, comment_id)
        assert comment is not None
        comment.status = "needs_review"
        session.commit()


def _form(html: str, comment_id: int) -> dict[str, str]:
    """The hidden fields of the decision form for ``comment_id`` on a page."""
    form = re.search(rf'action="/console/comments/{comment_id}/decision".*?</form>', html, re.S)
    assert form, "no decision form"
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(0)))


def _decisions(app: Flask, comment_id: int) -> list[Decision]:
    with app.extensions["db"].session() as session:
        return list(session.query(Decision).filter_by(comment_id=comment_id))


def test_a_decision_on_a_revision_edited_meanwhile_is_refused_with_the_new_text(
        app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-one")
    sign_in(client, create_person(app, "desk-asha", site_ids=(site,), display_name="Asha Rao"))
    comment = add_comment(app, site, text="The first words the moderator reads.")
    queue = client.get("/console/queue").get_data(as_text=True)
    read_in_queue = _form(queue, comment)
    assert read_in_queue["revision"] == "1"
    read_on_page = _form(client.get(f"/console/comments/{comment}").get_data(as_text=True), comment)
    assert read_on_page["revision"] == "1"

    _edit(app, comment, "Entirely different words, written after the page was read.")

    # from the queue (htmx): the card comes back with the new text and the problem
    answer = client.post(f"/console/comments/{comment}/decision", headers=HX,
                         data={**read_in_queue, "decision": "approved"})
    assert answer.status_code == 409
    html = answer.get_data(as_text=True)
    assert "was edited since you read it (revision 1, now revision 2)" in html
    assert "written after the page was read" in html and _form(html, comment)["revision"] == "2"
    # from the comment page (a plain form): back to the page, which says why
    plain = client.post(f"/console/comments/{comment}/decision",
                        data={**read_on_page, "decision": "rejected"})
    assert plain.status_code == 303
    page = client.get(plain.headers["Location"]).get_data(as_text=True)
    assert "was edited since you read it" in page and "nothing was decided" in page
    assert _decisions(app, comment) == []
    with app.extensions["db"].session() as session:
        assert session.get(Comment, comment).status == "needs_review"  # type: ignore[union-attr]

    # with the revision now shown, the decision goes through, on revision 2
    fresh = _form(client.get(f"/console/comments/{comment}").get_data(as_text=True), comment)
    assert client.post(f"/console/comments/{comment}/decision",
                       data={**fresh, "decision": "approved"}).status_code == 303
    assert [(d.decision, d.revision) for d in _decisions(app, comment)] == [("approved", 2)]
