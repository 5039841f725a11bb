"""Admin API: sites, policies (validated, versioned, applied by the worker), keys; and the CLI."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from moderation.services import moderation as moderation_service
from moderation.store import ApiKey, Comment, Verdict
from tests.support.factories import auth, make_key
from tests.support.fake_classifier import FakeClassifier
from tests.support.moderation_data import add_comment


def _moderate(app: Flask, comment_id: int) -> Verdict:
    with app.extensions["db"].session() as session:
        outcome = moderation_service.moderate_comment(session, comment_id, FakeClassifier())
        assert outcome.verdict_id is not None
        verdict = session.get(Verdict, outcome.verdict_id)
        assert verdict is not None
        return verdict


def test_policy_changes_are_versioned_and_apply_to_later_comments(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = client.post("/v1/sites", headers=auth(admin), json={"name": "daily"}).get_json()
    assert site["policy_version"] == 1 and site["policy"]["max_length"] == 2000
    first = add_comment(app, site["id"], status="pending", text="The minister met the zorbwick today.")
    assert _moderate(app, first).decision == "approved"

    policy = {"blocklists": {"words": [{"term": "zorbwick", "action": "reject"},
                                       {"term": "minister", "action": "none"}]}}
    changed = client.put(f"/v1/sites/{site['id']}/policy", headers=auth(admin), json=policy)
    assert changed.status_code == 200
    assert changed.get_json()["policy_version"] == 2
    second = add_comment(app, site["id"], status="pending", text="The minister met the zorbwick today.")
    verdict = _moderate(app, second)
    assert verdict.decision == "rejected" and verdict.policy_version == 2
    assert {r["code"] for r in verdict.reasons} >= {"blocklist:banned_term", "blocklist:noted_term"}
    with app.extensions["db"].session() as session:
        comment = session.get(Comment, second)
        assert comment is not None and " blocklist:banned_term " in (comment.reason_codes or "")
    moderator = make_key(app, "moderator", site["id"])
    listed = client.get("/v1/comments?reason=blocklist:banned_term", headers=auth(moderator)).get_json()
    assert [item["id"] for item in listed["items"]] == [second]

    review = client.put(f"/v1/sites/{site['id']}/policy", headers=auth(admin),
                        json={"blocklists": {"words": [{"term": "zorbwick", "action": "review"}]}})
    assert review.get_json()["policy_version"] == 3
    third = add_comment(app, site["id"], status="pending", text="A ZORBWICK, clearly.")
    assert _moderate(app, third).decision == "needs_review"


def test_sender_blocklists_and_bans_reject_with_blocklist_sender(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = client.post("/v1/sites", headers=auth(admin), json={
        "name": "blocking", "policy": {"blocklists": {"ips": ["192.0.2.0/24"],
                                                      "email_domains": ["spam.example"],
                                                      "disposable_domains": True}}}).get_json()["id"]
    mod = make_key(app, "moderator", site)

    def verdict_for(**sender: str) -> str:
        comment = add_comment(app, site, status="pending", **sender)  # type: ignore[arg-type]
        verdict = _moderate(app, comment)
        return verdict.decision if verdict.decision != "rejected" else \
            ",".join(r["code"] for r in verdict.reasons)

    assert verdict_for(ip="192.0.2.10") == "blocklist:sender"
    assert verdict_for(email="a@x.spam.example") == "blocklist:sender"
    assert verdict_for(email="a@mailinator.com") == "blocklist:sender"
    assert verdict_for(email="fine@example.com", ip="203.0.113.5") == "approved"

    ban = client.post("/v1/bans", headers=auth(mod), json={
        "site_id": site, "kind": "email", "value": "Fine@Example.com", "reason": "abuse",
        "expires_in_days": 1})
    assert ban.status_code == 201 and ban.get_json()["value"] == "f***@example.com"
    assert verdict_for(email="fine@example.com", ip="203.0.113.5") == "blocklist:sender"
    assert client.delete(f"/v1/bans/{ban.get_json()['id']}", headers=auth(mod)).status_code == 200
    assert client.get("/v1/bans", headers=auth(mod)).get_json()["items"] == []
    assert verdict_for(email="fine@example.com", ip="203.0.113.5") == "approved"


def test_invalid_policies_are_refused_and_change_nothing(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = client.post("/v1/sites", headers=auth(admin), json={"name": "strict"}).get_json()["id"]
    for bad in ({"mode": "sometimes"}, {"max_length": 0}, {"thresholds": {"nonsense": {"review": 0.5}}},
                {"thresholds": {"abusive": {"review": 0.9, "reject": 0.5}}},
                {"blocklists": {"ips": ["not-an-ip"]}}, {"blocklists": {"words": [{"term": " "}]}},
                {"blocklists": {"words": [{"term": "x", "action": "explode"}]}},
                {"rate_limits": {"per_key": "lots"}}, {"unknown": 1}):
        response = client.put(f"/v1/sites/{site}/policy", headers=auth(admin), json=bad)
        assert response.status_code == 422, bad
    assert client.get(f"/v1/sites/{site}/policy", headers=auth(admin)).get_json()["policy_version"] == 1
    assert client.post("/v1/sites", headers=auth(admin), json={"name": "strict"}).status_code == 409


def test_keys_are_shown_once_and_stored_hashed(app: Flask, client: FlaskClient) -> None:
    admin = make_key(app, "admin")
    site = client.post("/v1/sites", headers=auth(admin), json={"name": "keyed"}).get_json()["id"]
    created = client.post("/v1/keys", headers=auth(admin),
                          json={"role": "site", "site_id": site, "name": "cms"}).get_json()
    token = created["token"]
    assert token.startswith("mod_") and len(token) > 40
    listed = client.get(f"/v1/keys?site_id={site}", headers=auth(admin)).get_data(as_text=True)
    assert token not in listed and '"name": "cms"' in listed.replace('":"', '": "')
    with app.extensions["db"].session() as session:
        stored = session.scalars(select(ApiKey).where(ApiKey.name == "cms")).one()
        assert token not in (stored.token_hash, stored.token_prefix)
    for bad in ({"role": "site"}, {"role": "admin", "site_id": site}, {"role": "root"}):
        assert client.post("/v1/keys", headers=auth(admin), json=bad).status_code == 422, bad
    assert client.post("/v1/keys", headers=auth(admin),
                       json={"role": "moderator", "site_id": 999}).status_code == 404


def test_cli_keys_list_revoke_and_site_policy(app: Flask, database_url: str, monkeypatch: object) -> None:
    from click.testing import CliRunner

    from moderation.cli import build_cli

    mp = monkeypatch  # pytest.MonkeyPatch
    mp.setenv("DATABASE_URL", database_url)  # type: ignore[attr-defined]
    mp.setenv("MODERATION_SECRET_KEY", "test-secret-key-0123456789")  # type: ignore[attr-defined]
    cli, runner = build_cli(), CliRunner()
    assert runner.invoke(cli, ["sites", "create", "paper"]).exit_code == 0
    created = runner.invoke(cli, ["keys", "create", "--role", "moderator", "--site", "paper",
                                  "--name", "desk"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("mod_")
    assert runner.invoke(cli, ["keys", "create", "--role", "admin", "--site", "paper"]).exit_code != 0
    listed = runner.invoke(cli, ["keys", "list"])
    assert "desk" in listed.output and token not in listed.output
    key_id = next(line.split()[0] for line in listed.output.splitlines() if "desk" in line)
    assert runner.invoke(cli, ["keys", "revoke", key_id]).exit_code == 0
    assert "revoked" in runner.invoke(cli, ["keys", "list"]).output

    shown = runner.invoke(cli, ["sites", "policy", "show", "paper"])
    assert shown.exit_code == 0 and '"policy_version": 1' in shown.output
    setp = runner.invoke(cli, ["sites", "policy", "set", "paper"],
                         input='{"mode": "pre", "blocklists": {"words": [{"term": "scum"}]}}')
    assert setp.exit_code == 0, setp.output
    assert '"policy_version": 2' in runner.invoke(cli, ["sites", "policy", "show", "paper"]).output
    bad = runner.invoke(cli, ["sites", "policy", "set", "paper"], input='{"mode": "never"}')
    assert bad.exit_code != 0 and "mode" in bad.output
    admin = make_key(app, "admin")
    events = app.test_client().get("/v1/audit", headers=auth(admin)).get_json()["items"]
    assert [e["action"] for e in events][:3] == ["policy.update", "key.revoke", "key.create"]
    assert events[0]["actor"] == "system:cli" and events[0]["actor_name"] == "command line"
