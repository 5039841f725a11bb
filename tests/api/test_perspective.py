"""The Perspective-compatible API: Google's client library and Coral's exact request work unmodified."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.serving import make_server

from moderation.store import AuditEvent, Comment, Feedback
from tests.support.factories import auth, make_key, make_site

ANALYZE = "/v1alpha1/comments:analyze"


@pytest.fixture
def site_key(app: Flask) -> str:
    return make_key(app, "site", make_site(app, "coral-site"))


def _analyze(client: FlaskClient, key: str, body: dict[str, Any]) -> Any:
    return client.post(f"{ANALYZE}?key={key}", data=json.dumps(body, indent=2),
                       content_type="application/json")


def test_coral_request_is_answered_and_nothing_is_stored(
    app: Flask, client: FlaskClient, site_key: str
) -> None:
    # exactly what Coral Talk sends: 2-space JSON, key in the query, endpoint with /v1alpha1
    body = {"comment": {"text": "You are a pathetic idiot and everyone here hates you."},
            "doNotStore": True, "requestedAttributes": {"TOXICITY": {}}, "languages": ["en"]}
    answer = _analyze(client, site_key, body)
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    summary = data["attributeScores"]["TOXICITY"]["summaryScore"]
    assert summary["type"] == "PROBABILITY" and 0.5 < summary["value"] <= 1
    assert data["languages"] == ["en"] and data["detectedLanguages"] == ["en"]
    span = data["attributeScores"]["TOXICITY"]["spanScores"][0]
    assert (span["begin"], span["end"]) == (0, len(body["comment"]["text"]))
    calm = _analyze(client, site_key, {**body, "comment": {"text": "Thanks for the clear report."}})
    assert calm.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] < summary["value"]
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_span_offsets_are_utf16_code_units(client: FlaskClient, site_key: str) -> None:
    text = "😀😀 you are an idiot"
    answer = _analyze(client, site_key, {"comment": {"text": text}, "spanAnnotations": True,
                                         "requestedAttributes": {"INSULT": {}}}).get_json()
    spans = answer["attributeScores"]["INSULT"]["spanScores"]
    start = text.index("idiot")
    assert any(s["begin"] == start + 2 and s["end"] == start + 2 + len("idiot") for s in spans), spans


def test_score_threshold_omits_an_attribute_below_it(client: FlaskClient, site_key: str) -> None:
    answer = _analyze(client, site_key, {"comment": {"text": "A calm and fair article."},
                                         "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.9},
                                                                 "SEVERE_TOXICITY": {}}}).get_json()
    assert set(answer["attributeScores"]) == {"SEVERE_TOXICITY"}


def _error(response: Any) -> tuple[int, str | None, str]:
    body = response.get_json()["error"]
    details = body.get("details") or [{}]
    assert body["code"] == response.status_code and body["status"]
    if details[0]:
        assert details[0]["@type"] == "type.googleapis.com/google.commentanalyzer.v1alpha1.Error"
    return response.status_code, details[0].get("errorType"), body["message"]


@pytest.mark.parametrize(("body", "error_type"), [
    ({"comment": {"text": "  "}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_EMPTY"),
    ({"comment": {"text": "x" * 20481}, "requestedAttributes": {"TOXICITY": {}}}, "COMMENT_TOO_LONG"),
    ({"comment": {"text": "hello"}}, "NO_REQUESTED_ATTRIBUTES"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {}}, "NO_REQUESTED_ATTRIBUTES"),
    ({"comment": {"text": "hello"}, "requestedAttributes": {"FLIRTATION": {}}}, "ATTRIBUTE_NOT_SUPPORTED"),
])
def test_errors_come_in_googles_shape(client: FlaskClient, site_key: str, body: dict[str, Any],
                                      error_type: str) -> None:
    status, found, _message = _error(_analyze(client, site_key, body))
    assert (status, found) == (400, error_type)


def test_a_language_the_model_cant_read_is_an_error_unless_dropped(
    client: FlaskClient, site_key: str
) -> None:
    hindi = {"comment": {"text": "मैं तुम्हें जान से मार दूंगा"}, "languages": ["en"],
             "requestedAttributes": {"THREAT": {}, "PERSONAL_INFORMATION_EXPERIMENTAL": {}}}
    status, error_type, message = _error(_analyze(client, site_key, hindi))
    assert (status, error_type) == (400, "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE")
    assert message == "Attribute THREAT does not support request languages: hi"
    dropped = _analyze(client, site_key, {**hindi, "dropUnsupportedAttributes": True}).get_json()
    assert set(dropped["attributeScores"]) == {"PERSONAL_INFORMATION_EXPERIMENTAL"}
    assert dropped["detectedLanguages"] == ["hi"]
    hinglish = {"comment": {"text": "Madarchod journalist, teri aukat kya hai"},
                "requestedAttributes": {"TOXICITY": {}}}
    assert _error(_analyze(client, site_key, hinglish))[1] == "LANGUAGE_NOT_SUPPORTED_BY_ATTRIBUTE"


def test_only_a_site_key_may_call(app: Flask, client: FlaskClient) -> None:
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    assert _error(client.post(ANALYZE, json=body))[0] == 403
    assert _error(client.post(f"{ANALYZE}?key=nope", json=body))[0] == 401
    moderator = make_key(app, "moderator")
    assert _error(client.post(ANALYZE, json=body, headers=auth(moderator)))[0] == 403
    site = make_key(app, "site", make_site(app, "bearer-site"))
    assert client.post(ANALYZE, json=body, headers=auth(site)).status_code == 200


def test_rate_limited_calls_are_429_in_googles_shape(app: Flask, client: FlaskClient) -> None:
    key = make_key(app, "site", make_site(app, "tight", {"rate_limits": {"per_key": "2/minute"}}))
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    codes = [_analyze(client, key, body).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    answer = _analyze(client, key, body)
    assert answer.get_json()["error"]["status"] == "RESOURCE_EXHAUSTED" and answer.headers["Retry-After"]


def test_suggestscore_records_feedback_for_the_site(app: Flask, client: FlaskClient, site_key: str) -> None:
    body = {"comment": {"text": "Nee ondu kothi, ninge yenu gothilla"}, "clientToken": "t-1",
            "attributeScores": {"TOXICITY": {"summaryScore": {"value": 0.9}}}}
    answer = client.post(f"/v1alpha1/comments:suggestscore?key={site_key}", json=body)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["clientToken"] == "t-1"
    with app.extensions["db"].session() as session:
        rows = list(session.scalars(select(Feedback)))
        assert [(r.attribute, r.score, r.text) for r in rows] == [
            ("TOXICITY", 0.9, body["comment"]["text"])]
        assert rows[0].actor.startswith("key:") and rows[0].language
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "feedback.suggest")))
        assert len(events) == 1 and events[0].site_id == rows[0].site_id


@pytest.fixture
def served(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def test_googles_own_client_library_works_unmodified(served: str, site_key: str) -> None:
    from googleapiclient import discovery  # requirements-dev.txt: this test must not skip

    client = discovery.build("commentanalyzer", "v1alpha1", developerKey=site_key,
                             discoveryServiceUrl=served + "/$discovery/rest?version=v1alpha1",
                             static_discovery=False, cache_discovery=False)
    answer = client.comments().analyze(body={
        "comment": {"text": "Shut up, you moron."}, "requestedAttributes": {"TOXICITY": {}, "INSULT": {}},
        "clientToken": "abc"}).execute()
    assert answer["clientToken"] == "abc"
    assert answer["attributeScores"]["INSULT"]["summaryScore"]["value"] > 0.5
    suggested = client.comments().suggestscore(body={
        "comment": {"text": "Shut up, you moron."},
        "attributeScores": {"INSULT": {"summaryScore": {"value": 1.0}}}}).execute()
    assert suggested["detectedLanguages"] == ["en"]


def test_the_discovery_document_points_at_this_server(client: FlaskClient) -> None:
    document = client.get("/$discovery/rest?version=v1alpha1", base_url="https://news.example").get_json()
    assert document["rootUrl"] == "https://news.example/"
    assert set(document["resources"]["comments"]["methods"]) == {"analyze", "suggestscore"}
    assert client.get("/$discovery/rest?version=v2").status_code == 404


def _summary(client: FlaskClient, key: str, text: str, attribute: str) -> tuple[float, list[str]]:
    body = {"comment": {"text": text}, "languages": ["en"], "spanAnnotations": True,
            "requestedAttributes": {attribute: {}}}
    answer = _analyze(client, key, body)
    assert answer.status_code == 200, answer.get_json()
    score = answer.get_json()["attributeScores"][attribute]
    return score["summaryScore"]["value"], [text[s["begin"]:s["end"]] for s in score["spanScores"]]


@pytest.mark.parametrize(("text", "attribute", "floor", "span"), [
    ("I will kill you", "THREAT", 0.95, "kill"),  # threat:direct
    ("The MLA should be lynched", "THREAT", 0.8, "lynched"),  # incitement the model misses
    ("Biharis are cockroaches", "IDENTITY_ATTACK", 0.8, "cockroaches"),  # dehumanisation
    ("Dalits are born useless", "IDENTITY_ATTACK", 0.8, "born useless"),
])
def test_a_rule_detected_threat_or_dehumanisation_scores_at_least_the_rules_severity(
    client: FlaskClient, site_key: str, text: str, attribute: str, floor: float, span: str
) -> None:
    value, spans = _summary(client, site_key, text, attribute)
    assert value >= floor
    assert span in spans


def test_figurative_violence_is_discounted_as_in_the_verdict(
    app: Flask, client: FlaskClient, site_key: str
) -> None:
    from moderation.pipeline.run import moderate
    from moderation.services.analysis_models import scorer

    model = scorer()
    text = "This budget will kill the middle class"
    raw = model.predict(text).scores["threat"]
    review = model.thresholds["threat"]["review"]
    assert raw >= review  # the model alone would flag it
    value, _ = _summary(client, site_key, text, "THREAT")
    assert value < review <= raw
    assert moderate(text, classifier=model).decision == "approved"


@pytest.mark.parametrize("text", [
    "The MLA should be lynched", "I will kill you", "This budget will kill the middle class",
    "Inflation is killing the poor", "Thanks for the clear report.",
    "If I see you at the rally you're dead",
])
def test_threat_crosses_the_review_threshold_exactly_when_the_verdict_holds_for_a_threat(
    app: Flask, client: FlaskClient, site_key: str, text: str
) -> None:
    from moderation.pipeline.run import moderate
    from moderation.services.analysis_models import scorer

    model = scorer()
    verdict = moderate(text, classifier=model)
    held_for_threat = any(r.code.startswith(("threat:", "classifier:threat"))
                          and r.code != "threat:non_literal" for r in verdict.reasons)
    value, _ = _summary(client, site_key, text, "THREAT")
    assert (value >= model.thresholds["threat"]["review"]) == held_for_threat
