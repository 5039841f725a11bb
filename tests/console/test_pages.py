"""The console's work pages through the Flask client: scope, escaping, masking, decisions
through the API's services (409 rules, audit, the person's name), bans, search, dashboard,
admin thresholds with their preview."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from moderation.domain.actors import Actor
from moderation.services import revisions
from moderation.store import AuditEvent, Ban, Comment, Decision, Verdict
from tests.console.conftest import create_person, sign_in, token_for
from tests.support.factories import auth, make_key, make_site
from tests.support.moderation_data import add_comment

XSS = "<script>alert(1)</script><img src=x onerror=alert(1)>"
HX = {"HX-Request": "true"}


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-comment-id="(\d+)"', html)]


def _setup(app: Flask, client: FlaskClient) -> tuple[int, int]:
    one, two = make_site(app, "news-one"), make_site(app, "news-two")
    person = create_person(app, "desk-asha", site_ids=(one,), display_name="Asha Rao")
    sign_in(client, person)
    return one, two


def test_queue_lists_waiting_comments_oldest_first_with_site_counts(app: Flask, client: FlaskClient) -> None:
    one, two = _setup(app, client)
    old = add_comment(app, one, created_at=datetime.now(UTC) - timedelta(hours=3))
    new = add_comment(app, one)
    add_comment(app, one, status="approved")
    other = add_comment(app, two)
    html = client.get("/console/queue").get_data(as_text=True)
    assert _ids(html) == [old, new]
    assert other not in _ids(html)
    assert re.search(rf'data-site-queue="{one}">.*?data-waiting>2<', html, re.S)
    assert "news-two" not in html  # another site isn't even named
    assert "3 h" in html  # the oldest item's age


def test_cards_mark_spans_escape_text_and_mask_the_sender(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    text = "You idiot. " + XSS
    add_comment(app, one, text=text, email="reader.person@example.org", ip="198.51.100.23",
                reasons=[{"code": "classifier:abusive", "message": "Looks abusive.",
                          "spans": [{"start": 4, "end": 9, "category": "abusive"}]}])
    html = client.get("/console/queue").get_data(as_text=True)
    assert '<mark data-category="abusive"' in html and ">idiot</mark>" in html
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "198.51.100.23" not in html and "reader.person@example.org" not in html
    assert "198.51.100.0/24" in html and "r***@example.org" in html
    assert "Looks abusive." in html
    comment_id = _ids(html)[0]
    for path in (f"/console/comments/{comment_id}", f"/console/queue/next?after={comment_id - 1}",
                 "/console/comments?q=idiot", f"/console/comments/{comment_id}/ban", "/console/bans",
                 "/console/dashboard"):
        page = client.get(path).get_data(as_text=True)
        assert "198.51.100.23" not in page and "reader.person@example.org" not in page, path
        assert "<script>alert(1)" not in page, path


def test_article_links_only_for_http_urls(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    good, bad = add_comment(app, one), add_comment(app, one)
    with app.extensions["db"].session() as session:
        session.get(Comment, good).article_url = "https://news.example/budget-2026"
        session.get(Comment, bad).article_url = "javascript:alert(1)"
        session.commit()
    html = client.get("/console/queue").get_data(as_text=True)
    assert 'href="https://news.example/budget-2026"' in html
    assert "javascript:" not in html


def test_next_card_fragment_is_the_one_after(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    first, second = add_comment(app, one), add_comment(app, one)
    html = client.get(f"/console/queue/next?after={first}").get_data(as_text=True)
    assert _ids(html) == [second]
    assert "data-queue-empty" in client.get(f"/console/queue/next?after={second}").get_data(as_text=True)


def test_deciding_from_the_queue_swaps_in_the_next_card_and_records_the_person(
        app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    ids = [add_comment(app, one) for _ in range(3)]
    token = token_for(client)
    response = client.post(f"/console/comments/{ids[0]}/decision", headers=HX, data={
        "decision": "rejected", "reason": "personal attack", "from": "queue", "after": str(ids[1]),
        "csrf_token": token})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'data-decided="{ids[0]}"' in html and 'hx-swap-oob="beforeend:#cards"' in html
    assert _ids(html) == [ids[2]]
    with app.extensions["db"].session() as session:
        decision = session.query(Decision).filter_by(comment_id=ids[0]).one()
        assert decision.actor == "Asha Rao" and decision.actor_id.startswith("user:")
        assert session.get(Comment, ids[0]).status == "rejected"
        events = session.query(AuditEvent).filter_by(action="comment.decide", target_id=str(ids[0]))
        assert events.count() == 1
    admin_key = make_key(app, "moderator", None, "api-reader")
    body = client.get(f"/v1/comments/{ids[0]}", headers=auth(admin_key)).get_json()
    assert "Asha Rao" in body["decisions"][0]["moderator"]


def test_a_second_decision_is_a_409_until_overridden_with_confirmation(
        app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    comment = add_comment(app, one)
    token = token_for(client)
    data = {"decision": "approved", "csrf_token": token, "from": "queue"}
    assert client.post(f"/console/comments/{comment}/decision", headers=HX, data=data).status_code == 200
    again = client.post(f"/console/comments/{comment}/decision", headers=HX,
                        data={**data, "decision": "rejected"})
    assert again.status_code == 409 and "Already decided" in again.get_data(as_text=True)
    unconfirmed = client.post(f"/console/comments/{comment}/decision",
                              data={**data, "decision": "rejected", "from": "comment", "override": "yes"})
    assert unconfirmed.status_code == 303
    with app.extensions["db"].session() as session:
        assert session.get(Comment, comment).status == "approved"
    confirmed = client.post(f"/console/comments/{comment}/decision", data={
        **data, "decision": "rejected", "from": "comment", "override": "yes", "confirm": "yes"})
    assert confirmed.status_code == 303
    page = client.get(f"/console/comments/{comment}").get_data(as_text=True)
    assert page.count("data-decision-row") == 2 and "comment.decide" in page
    assert re.search(r"<td>Asha Rao</td><td><code>comment.decide</code>", page)  # the audit trail's who
    with app.extensions["db"].session() as session:
        assert session.get(Comment, comment).status == "rejected"


def test_the_comment_page_shows_each_revision_with_its_text_time_and_verdict(
        app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    comment = add_comment(app, one, text="First words " + XSS)
    token = token_for(client)
    assert client.post(f"/console/comments/{comment}/decision", data={
        "decision": "rejected", "csrf_token": token, "from": "comment"}).status_code == 303
    with app.extensions["db"].session() as session:
        revisions.edit_comment(session, comment_id=comment, actor=Actor.system("test"),
                               text="Second, calmer words", title=None, base_revision=None,
                               request_id=None, enqueue=lambda _id, _rid: None)
    with app.extensions["db"].session() as session:
        session.add(Verdict(comment_id=comment, revision=2, decision="approved", scores={"toxicity": 0.1},
                            reasons=[], model_version="fake-2", policy_version=1,
                            created_at=datetime.now(UTC)))
        session.commit()
    html = client.get(f"/console/comments/{comment}").get_data(as_text=True)
    rows = re.findall(r'<tr data-revision="(\d+)">(.*?)</tr>', html, re.S)
    assert [number for number, _row in rows] == ["2", "1"]  # newest first
    current, first = rows[0][1], rows[1][1]
    assert "(current)" in current and "Second, calmer words" in current
    assert re.search(r"data-revision-verdict>approved", current)
    assert "First words &lt;script&gt;" in first and "<script>alert" not in html
    assert re.search(r"data-revision-verdict>needs review: The comment looks abusive.", first)
    assert "replaced " in first and "rejected by Asha Rao at " in first


def test_an_unedited_comment_says_so(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    comment = add_comment(app, one)
    html = client.get(f"/console/comments/{comment}").get_data(as_text=True)
    assert "Not edited" in html and "data-revision=" not in html


def test_another_sites_comment_is_a_404_everywhere(app: Flask, client: FlaskClient) -> None:
    _one, two = _setup(app, client)
    foreign = add_comment(app, two)
    token = token_for(client)
    assert client.get(f"/console/comments/{foreign}").status_code == 404
    assert client.get(f"/console/comments/{foreign}/ban").status_code == 404
    assert client.post(f"/console/comments/{foreign}/decision",
                       data={"decision": "approved", "csrf_token": token}).status_code == 404
    assert client.get(f"/console/queue?site_id={two}").status_code == 404
    assert client.get(f"/console/comments?site_id={two}").status_code == 404
    with app.extensions["db"].session() as session:
        assert session.get(Comment, foreign).status == "needs_review"


def test_a_post_without_the_csrf_token_is_refused(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    comment = add_comment(app, one)
    response = client.post(f"/console/comments/{comment}/decision", data={"decision": "approved"})
    assert response.status_code == 400
    with app.extensions["db"].session() as session:
        assert session.get(Comment, comment).decided_at is None


def test_reject_all_pending_from_one_sender_after_confirmation(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    theirs = [add_comment(app, one, email="troll@example.com") for _ in range(3)]
    mine = add_comment(app, one, email="someone@example.com")
    with app.extensions["db"].session() as session:
        pseudonym = session.get(Comment, theirs[0]).sender_pseudonym
    page = client.get(f"/console/senders/{pseudonym}/reject?site_id={one}")
    assert page.status_code == 200 and page.get_data(as_text=True).count("data-comment-ref") == 3
    token = token_for(client)
    refused = client.post(f"/console/senders/{pseudonym}/reject",
                          data={"site_id": one, "reason": "spam run", "csrf_token": token})
    assert refused.status_code == 422
    done = client.post(f"/console/senders/{pseudonym}/reject",
                       data={"site_id": one, "reason": "spam run", "confirm": "yes", "csrf_token": token})
    assert done.status_code == 303
    with app.extensions["db"].session() as session:
        assert [session.get(Comment, i).status for i in theirs] == ["rejected"] * 3
        assert session.get(Comment, mine).status == "needs_review"


def test_ban_from_a_comment_uses_the_hidden_address_then_lift_it(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    comment = add_comment(app, one, ip="192.0.2.55", email="who@example.net")
    form = client.get(f"/console/comments/{comment}/ban").get_data(as_text=True)
    assert "192.0.2.55" not in form and "who@example.net" not in form
    token = token_for(client)
    response = client.post(f"/console/comments/{comment}/ban", data={
        "target": "ip", "expires_in_days": "7", "reason": "flooding", "csrf_token": token})
    assert response.status_code == 303
    with app.extensions["db"].session() as session:
        ban = session.query(Ban).one()
        assert (ban.kind, ban.value, ban.site_id) == ("ip", "192.0.2.55/32", one)
        assert ban.expires_at is not None and ban.created_by == "Asha Rao"
    listing = client.get("/console/bans").get_data(as_text=True)
    assert f'data-ban-id="{ban.id}"' in listing and "192.0.2.55" not in listing
    assert client.post(f"/console/bans/{ban.id}/lift", data={"csrf_token": token}).status_code == 303
    with app.extensions["db"].session() as session:
        assert session.get(Ban, ban.id).lifted_at is not None
    bad = client.post(f"/console/comments/{comment}/ban", data={
        "target": "cidr", "cidr": "not-a-network", "expires_in_days": "7", "csrf_token": token})
    assert bad.status_code == 422 and "203.0.113.0/24" in bad.get_data(as_text=True)


def test_search_filters_and_cursor_pages(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    ids = [add_comment(app, one, text=f"about the bridge {i}") for i in range(5)]
    add_comment(app, one, text="about the river")
    html = client.get("/console/comments?q=bridge&limit=2&sort=oldest").get_data(as_text=True)
    rows = [int(i) for i in re.findall(r'data-comment-row="(\d+)"', html)]
    assert rows == ids[:2]
    next_link = re.search(r'data-next-page href="([^"]+)"', html)
    assert next_link
    html = client.get(next_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'data-comment-row="(\d+)"', html)] == ids[2:4]
    bad = client.get("/console/comments?min_score=2&status=nope")
    assert bad.status_code == 422 and "A number from 0 to 1." in bad.get_data(as_text=True)


def test_dashboard_draws_svg_charts(app: Flask, client: FlaskClient) -> None:
    one, _two = _setup(app, client)
    comment = add_comment(app, one, status="approved")
    add_comment(app, one)
    token = token_for(client)
    client.post(f"/console/comments/{comment}/decision", data={
        "decision": "rejected", "override": "yes", "confirm": "yes", "csrf_token": token})
    html = client.get("/console/dashboard").get_data(as_text=True)
    assert '<svg viewBox' in html and 'data-chart="per-day"' in html
    assert 'data-figure="waiting">1<' in html
    assert "100.0%" in html  # the one machine approval was overridden
    assert "Asha Rao" in html


def test_admin_previews_thresholds_on_stored_scores(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-one")
    for score in (0.1, 0.3, 0.6, 0.95):
        add_comment(app, site, status="approved", toxicity=score, reasons=[],
                    scores={"toxicity": score, "abusive": score})
    admin = create_person(app, "chief", "admin")
    sign_in(client, admin)
    page = client.get(f"/console/admin/sites/{site}/policy")
    assert page.status_code == 200
    form = {f"{n}.review": "0.5" for n in ("toxicity", "abusive", "obscene", "threat", "discriminatory",
                                            "defamatory", "personal_information", "spam")}
    form.update({"toxicity.reject": "0.9", "abusive.reject": "0.9", "abusive.review": "0.2",
                 "action": "preview", "csrf_token": token_for(client, f"/console/admin/sites/{site}/policy")})
    html = client.post(f"/console/admin/sites/{site}/policy", data=form).get_data(as_text=True)
    preview = re.search(r"data-preview>(.*?)</p>", html, re.S)
    assert preview and "(4 scored)" in preview.group(1)
    assert "data-held>50.0%" in preview.group(1) and "data-rejected>25.0%" in preview.group(1)
    form["action"] = "save"
    assert client.post(f"/console/admin/sites/{site}/policy", data=form).status_code == 303
    assert client.get("/console/admin/sites").status_code == 200
    assert client.get("/console/admin/keys").status_code == 200


def test_admins_read_the_queue_but_only_moderators_decide(app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "news-one")
    comment = add_comment(app, site)
    admin = create_person(app, "chief", "admin")
    sign_in(client, admin)
    html = client.get("/console/queue").get_data(as_text=True)
    assert _ids(html) == [comment] and "data-decision=" not in html
    refused = client.post(f"/console/comments/{comment}/decision",
                          data={"decision": "approved", "csrf_token": token_for(client)})
    assert refused.status_code == 403
    with app.extensions["db"].session() as session:
        assert session.get(Comment, comment).decided_at is None
