"""A site may require TOTP of its moderators (admin API and the admin console's Sites page):
a moderator of such a site without TOTP is sent to enrolment at sign-in, and one already
signed in reaches no page until it is set up; other sites' moderators are not affected."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.store import AuditEvent, Site
from tests.console.conftest import create_person, csrf_token, sign_in, token_for
from tests.support.factories import auth, make_key, make_site


def _password_step(client: FlaskClient, username: str) -> str:
    page = client.get("/console/login")
    response = client.post("/console/login", data={
        "username": username, "password": "plain-harbour-lantern-42",
        "csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code in (302, 303)
    return response.headers["Location"]


def test_the_admin_api_sets_it_and_sign_in_sends_the_moderator_to_enrolment(
        app: Flask, client: FlaskClient) -> None:
    strict, relaxed = make_site(app, "strict-news"), make_site(app, "relaxed-news")
    admin = make_key(app, "admin")
    body = client.get(f"/v1/sites/{strict}", headers=auth(admin)).get_json()
    assert body["moderator_totp_required"] is False
    changed = client.patch(f"/v1/sites/{strict}", headers=auth(admin), json={"moderator_totp_required": True})
    assert changed.status_code == 200 and changed.get_json()["moderator_totp_required"] is True
    assert client.patch(f"/v1/sites/{strict}", headers=auth(admin),
                        json={"moderator_totp_required": "yes"}).status_code == 422
    with app.extensions["db"].session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "site.update")).one()
        assert event.after == {"moderator_totp_required": True}

    create_person(app, "strict-mod", site_ids=(strict,))
    assert _password_step(client, "strict-mod").endswith("/console/totp/enrol")
    assert client.get("/console/queue").headers["Location"].endswith("/console/totp/enrol")
    enrol = client.get("/console/totp/enrol").get_data(as_text=True)
    assert "strict-news requires moderators" in enrol

    other = app.test_client()
    create_person(app, "relaxed-mod", site_ids=(relaxed,))
    assert _password_step(other, "relaxed-mod").endswith("/console/queue")  # no second step
    everywhere = app.test_client()
    create_person(app, "every-mod", all_sites=True)  # all sites include the strict one
    assert _password_step(everywhere, "every-mod").endswith("/console/totp/enrol")


def test_the_sites_page_toggles_it_and_a_signed_in_moderator_must_enrol(
        app: Flask, client: FlaskClient) -> None:
    site = make_site(app, "daily")
    moderator = create_person(app, "desk-mod", site_ids=(site,))
    desk = app.test_client()
    sign_in(desk, moderator)
    assert desk.get("/console/queue").status_code == 200
    assert moderator.totp_secret is None

    sign_in(client, create_person(app, "site-admin", role="admin"))
    page = client.get("/console/admin/sites").get_data(as_text=True)
    assert 'data-site-totp="optional"' in page
    answer = client.post(f"/console/admin/sites/{site}/totp", data={
        "moderator_totp_required": "yes", "csrf_token": token_for(client, "/console/admin/sites")})
    assert answer.status_code == 303
    assert 'data-site-totp="required"' in client.get("/console/admin/sites").get_data(as_text=True)
    assert client.post(f"/console/admin/sites/{site}/totp", data={
        "moderator_totp_required": "yes"}).status_code == 400  # CSRF
    with app.extensions["db"].session() as session:
        stored = session.get(Site, site)
        assert stored is not None and stored.moderator_totp_required

    moved = desk.get("/console/queue")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/console/totp/enrol")
    assert desk.get("/console/queue", headers={"HX-Request": "true"}).headers["HX-Redirect"] \
        .endswith("/console/totp/enrol")
    # a moderator can't switch it off
    assert desk.post(f"/console/admin/sites/{site}/totp", data={
        "moderator_totp_required": "no", "csrf_token": token_for(desk, "/console/totp/enrol")}
    ).status_code in (302, 403)
    # once set up, the pages come back
    fresh = app.test_client()
    sign_in(fresh, moderator)  # the helper enrols on the way
    assert moderator.totp_secret is not None
    assert fresh.get("/console/queue").status_code == 200
