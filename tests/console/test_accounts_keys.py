"""Keys made by a person belong to that person: the audit log shows the person's name, and
the two-person rule counts two keys of one person as one person."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.services import api_keys, users
from moderation.services.access import actor_for_key
from moderation.store import ApiKey, AuditEvent
from tests.support.compliance_data import export_case, open_case, seed_comment
from tests.support.console import make_user
from tests.support.factories import auth, make_key, make_site


def _personal_key(app: Flask, username: str, role: str, name: str) -> str:
    with app.extensions["db"].session() as session:
        user = users.find_user(session, username)
        assert user is not None
        _key, token = api_keys.create_key(session, role=role, site=None, name=name,
                                          actor=users.actor_for(session, user))
        return token


def test_a_key_made_by_a_person_acts_for_that_person(app: Flask, client: FlaskClient) -> None:
    person = make_user(app, "ravi", "admin", display_name="Ravi Kumar")
    token = _personal_key(app, "ravi", "admin", "ravi-laptop")
    with app.extensions["db"].session() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.name == "ravi-laptop")).one()
        assert key.owner_user_id == person.id
        actor = actor_for_key(key)
    assert actor.person_id == f"user:{person.id}" and actor.display_name == "Ravi Kumar (key ravi-laptop)"
    assert client.post("/v1/sites", headers=auth(token), json={"name": "daily"}).status_code == 201
    with app.extensions["db"].session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "site.create")).one()
        created = session.scalars(select(AuditEvent).where(AuditEvent.action == "key.create")).one()
    assert event.actor == f"key:{key.id}" and event.actor_name == "Ravi Kumar (key ravi-laptop)"
    assert created.actor == f"user:{person.id}" and created.after is not None
    assert created.after["owner_user_id"] == person.id
    machine = make_key(app, "admin")  # made outside any person's session: no owner
    with app.extensions["db"].session() as session:
        assert session.scalars(select(ApiKey).where(ApiKey.token_prefix == machine[:10])
                               ).one().owner_user_id is None


def test_two_keys_of_one_person_cannot_satisfy_the_two_person_rule(app: Flask, client: FlaskClient) -> None:
    site = make_site(app)
    seed_comment(app, site)
    make_user(app, "meera", "compliance", display_name="Meera")
    first = _personal_key(app, "meera", "compliance", "meera-1")
    second = _personal_key(app, "meera", "compliance", "meera-2")
    colleague = make_key(app, "compliance")
    case = open_case(client, first, {"site": "news-one", "sender_email": "asha@example.com"})
    export = export_case(client, first, case["id"])
    refused = client.post(f"/v1/compliance/exports/{export['id']}/approve", headers=auth(second))
    assert refused.status_code == 403 and "different person" in refused.get_json()["error"]["message"]
    assert client.post(f"/v1/compliance/exports/{export['id']}/approve",
                       headers=auth(colleague)).status_code == 200
