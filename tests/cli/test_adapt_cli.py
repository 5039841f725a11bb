"""``python -m moderation adapt --site NAME`` and ``score --site``: progress, clear errors,
exit statuses; on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask

from moderation.classifier.artifact import load_classifier
from moderation.cli import build_cli
from tests.support.adapt_data import INSULTS, seed_decisions, stream
from tests.support.factories import make_site
from tests.support.moderation_data import SECRET

Invoke = Callable[..., Result]


@pytest.fixture
def invoke(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("MODERATION_SECRET_KEY", SECRET)

    def run(*args: str) -> Result:
        return CliRunner().invoke(build_cli(), list(args), catch_exceptions=False)

    return run


def test_an_unknown_site_is_a_clear_error_with_exit_status_2(app: Flask, invoke: Invoke) -> None:
    result = invoke("adapt", "--site", "nowhere")
    assert result.exit_code == 2 and "No site named 'nowhere'" in result.output
    assert "Traceback" not in result.output


def test_too_few_labels_says_how_many_are_missing_and_exits_1(app: Flask, invoke: Invoke) -> None:
    make_site(app, "news-one")
    result = invoke("adapt", "--site", "news-one")
    assert result.exit_code == 1
    assert "refused" in result.output and "0 approved labels; at least 50 of each" in result.output


def test_rollback_without_a_site_model_exits_1(app: Flask, invoke: Invoke) -> None:
    make_site(app, "news-one")
    result = invoke("adapt", "--site", "news-one", "--rollback")
    assert result.exit_code == 1 and "has no active site model" in result.output


def test_adapt_trains_activates_and_score_site_uses_it_then_rollback(
    app: Flask, invoke: Invoke, tmp_path: Path
) -> None:
    site = make_site(app, "news-one")
    make_site(app, "news-two")
    seed_decisions(app, site, stream(400))
    result = invoke("adapt", "--site", "news-one")
    assert result.exit_code == 0, result.output
    assert "site news-one: 400 labels (" in result.output
    assert "training on 320 older labels, validating on the 80 most recent" in result.output
    assert f"site{site}.v1 (active): activated" in result.output

    src = tmp_path / "in.csv"
    src.write_text(f"id,text\n1,nodi {INSULTS[0]} mane {INSULTS[3]}\n2,nodi mane chennagide\n",
                   encoding="utf-8")
    toxicity = {}
    for name in ("news-one", "news-two"):
        out = tmp_path / f"{name}.csv"
        scored = invoke("score", str(src), "-o", str(out), "--site", name)
        assert scored.exit_code == 0, scored.output
        with out.open(encoding="utf-8") as fh:
            toxicity[name] = [float(r["toxicity"]) for r in csv.DictReader(fh)]
    base = load_classifier().version
    assert toxicity["news-one"][0] > 0.8 > toxicity["news-two"][0]  # site two keeps the base
    assert toxicity["news-one"][1] < 0.3

    rolled = invoke("adapt", "--site", "news-one", "--rollback")
    assert rolled.exit_code == 0 and f"rolled back site{site}.v1" in rolled.output
    assert "now uses the base model" in rolled.output
    again = invoke("score", str(src), "-o", str(tmp_path / "again.csv"), "--site", "news-one")
    assert f"scoring with {base}" in again.output


def test_score_with_an_unknown_site_is_a_usage_error(app: Flask, invoke: Invoke, tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,hello\n", encoding="utf-8")
    result = invoke("score", str(src), "-o", str(tmp_path / "o.csv"), "--site", "nowhere")
    assert result.exit_code == 2 and "no site named 'nowhere'" in result.output
