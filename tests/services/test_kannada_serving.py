"""The Kannada head where the service loads its models: the worker's task, the Perspective
endpoint and ``score`` (the shipped artifacts in models/, no data folder needed)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from moderation.classifier.artifact import load_classifier
from moderation.classifier.kannada import head_version
from moderation.cli import build_cli
from moderation.store import Verdict
from tests.support.factories import auth, comment_body, make_key, make_site
from workers import tasks

KILL = "ನಿನ್ನನ್ನು ಕೊಲ್ಲುತ್ತೇನೆ"
ROMAN_CLEAN = "Kannada cinema nodi khushi aytu, super guru"
ENGLISH = "Thanks for the clear report on the new bus routes."
HINDI = "मैं तुम्हें जान से मार दूंगा"


def _verdict(app: Flask, comment_id: int) -> Verdict:
    with app.extensions["db"].session() as session:
        verdict = session.scalars(select(Verdict).where(Verdict.comment_id == comment_id)).first()
        assert verdict is not None
        return verdict


def test_the_worker_scores_kannada_with_the_head_and_records_it(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.extensions["celery"], "send_task", lambda *a, **k: None)
    tasks.classifier.cache_clear()
    token = make_key(app, "site", make_site(app))
    client = app.test_client()
    ids = {}
    for name, text in (("kill", KILL), ("roman", ROMAN_CLEAN), ("en", ENGLISH), ("hi", HINDI)):
        response = client.post("/v1/comments", json=comment_body(comment=text, external_id=name),
                               headers=auth(token))
        assert response.status_code == 202, response.get_data(as_text=True)
        ids[name] = int(response.get_json()["id"])
    with app.app_context():
        for comment_id in ids.values():
            tasks.moderate_comment.run(comment_id, request_id="req-kn")
    base = load_classifier().version
    verdicts = {name: _verdict(app, i) for name, i in ids.items()}
    codes = {name: [r["code"] for r in v.reasons] for name, v in verdicts.items()}
    assert verdicts["kill"].decision != "approved"
    assert verdicts["kill"].model_version == f"{base}+{head_version()}"
    assert "language:unsupported" not in codes["kill"] + codes["roman"]
    assert verdicts["roman"].decision == "approved"
    assert verdicts["en"].model_version == base and verdicts["en"].decision == "approved"
    assert "language:unsupported" in codes["hi"]


def test_perspective_reads_kannada_but_not_hindi(app: Flask) -> None:
    client = app.test_client()
    key = make_key(app, "site", make_site(app, "kn-site"))

    def analyze(text: str) -> Any:
        body = {"comment": {"text": text}, "requestedAttributes": {"TOXICITY": {}}}
        return client.post(f"/v1alpha1/comments:analyze?key={key}", data=json.dumps(body),
                           content_type="application/json")

    answer = analyze(KILL)
    assert answer.status_code == 200, answer.get_json()
    data = answer.get_json()
    assert data["detectedLanguages"] == ["kn"]
    assert data["attributeScores"]["TOXICITY"]["summaryScore"]["value"] > 0.15
    assert analyze(HINDI).status_code == 400


def test_score_cli_routes_kannada(tmp_path: Path) -> None:
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "text"], ["1", KILL], ["2", ENGLISH], ["3", HINDI]])
    result = CliRunner().invoke(build_cli(), ["score", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    reasons = [[r["code"] for r in json.loads(row["reasons"])] for row in rows]
    assert rows[0]["language"] == "kn" and rows[0]["verdict"] != "approved"
    assert "language:unsupported" not in reasons[0]
    assert "language:unsupported" in reasons[2]
    off = CliRunner(env={"MODERATION_KANNADA": "off"}).invoke(
        build_cli(), ["score", str(src), "-o", str(out)])
    assert off.exit_code == 0, off.output
    with out.open(encoding="utf-8", newline="") as fh:
        first = next(csv.DictReader(fh))
    assert "language:unsupported" in [r["code"] for r in json.loads(first["reasons"])]
