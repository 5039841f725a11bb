"""A disabled person's API keys are refused at once (401 ``key_owner_disabled``), even when
another process disabled the account and this process still has the key cached; the
refusal is audited (once per window, not once per retry); enabling the account brings the
keys back; machine keys (no owner) are not affected."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation import keys
from moderation.domain.actors import CLI
from moderation.services import api_keys, users
from moderation.store import ApiKey, AuditEvent
from tests.support.console import make_user
from tests.support.factories import auth, make_key


def _key_of(app: Flask, username: str, role: str, name: str) -> str:
    with app.extensions["db"].session() as session:
        user = users.find_user(session, username)
        assert user is not None
        _key, token = api_keys.create_key(session, role=role, site=None, name=name,
                                          actor=users.actor_for(session, user))
        return token


def _set_disabled(app: Flask, username: str, disabled: bool) -> None:
    """As the CLI does it: another session, and nothing clears this app's key cache."""
    with app.extensions["db"].session() as session:
        user = users.find_user(session, username)
        assert user is not None
        if disabled:
            users.disable_user(session, user, actor=CLI)
        else:
            users.enable_user(session, user, actor=CLI)


def test_a_disabled_persons_keys_are_refused_at_once_and_audited(app: Flask, client: FlaskClient) -> None:
    app.extensions["key_cache"].ttl_seconds = 3600  # a long cache must not keep the key alive
    person = make_user(app, "ravi", "admin", display_name="Ravi Kumar")
    token = _key_of(app, "ravi", "admin", "ravi-laptop")
    machine = make_key(app, "admin")
    # A key made with the person's key belongs to the person too.
    made = client.post("/v1/keys", headers=auth(token), json={"role": "moderator"})
    assert made.status_code == 201, made.get_json()
    second = made.get_json()["token"]
    assert client.get("/v1/sites", headers=auth(token)).status_code == 200
    assert client.get("/v1/comments", headers=auth(second)).status_code == 200
    assert app.extensions["key_cache"].get(keys.hash_token(token)) is not None  # cached

    _set_disabled(app, "ravi", True)
    for _ in range(3):
        refused = client.get("/v1/sites", headers=auth(token))
        assert refused.status_code == 401
        assert refused.get_json()["error"]["code"] == "key_owner_disabled"
    assert client.get("/v1/comments", headers=auth(second)).get_json()["error"]["code"] \
        == "key_owner_disabled"
    assert client.get("/v1/sites", headers=auth(machine)).status_code == 200

    with app.extensions["db"].session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.key_refused")
                                 .order_by(AuditEvent.id)).all()
        first_key = session.scalars(select(ApiKey).where(ApiKey.name == "ravi-laptop")).one()
        disabled = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.disable")).one()
    assert [e.target_id for e in events].count(str(first_key.id)) == 1  # not once per retry
    assert len(events) == 2
    assert events[0].after is not None and events[0].after["owner_user_id"] == person.id
    assert disabled.after is not None and first_key.id in disabled.after["keys_refused"]
    assert len(disabled.after["keys_refused"]) == 2

    _set_disabled(app, "ravi", False)
    assert client.get("/v1/sites", headers=auth(token)).status_code == 200


def test_a_key_acting_for_a_disabled_person_by_person_id_is_refused(app: Flask, client: FlaskClient) -> None:
    person = make_user(app, "meera", "moderator", display_name="Meera")
    token = make_key(app, "moderator")
    with app.extensions["db"].session() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.token_prefix == token[:10])).one()
        key.person_id = f"user:{person.id}"  # an older key: no owner column, only its person
        session.commit()
    assert client.get("/v1/comments", headers=auth(token)).status_code == 200
    _set_disabled(app, "meera", True)
    refused = client.get("/v1/comments", headers=auth(token))
    assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "key_owner_disabled"
