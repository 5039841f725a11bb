"""``python -m moderation score``: good input in order, malformed input refused by line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.cli import build_cli
from moderation.cli.classifier_commands import OUTPUT_COLUMNS


def _score(tmp_path: Path, artifact: Path, name: str, content: str) -> tuple[int, str, Path]:
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(build_cli(), ["score", str(src), "-o", str(out), "--model", str(artifact)])
    return result.exit_code, result.output, out


def _read(out: Path) -> list[dict[str, str]]:
    with out.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_scores_csv_in_order_with_every_column(tiny_artifact: Path, tmp_path: Path) -> None:
    content = 'id,text\n1,thanks for the article\n2,"you stupid idiot,\nleave"\n3,😀 kill you all\n'
    code, output, out = _score(tmp_path, tiny_artifact, "in.csv", content)
    assert code == 0, output
    rows = _read(out)
    assert [r["id"] for r in rows] == ["1", "2", "3"]
    assert tuple(rows[0]) == OUTPUT_COLUMNS
    assert rows[0]["verdict"] in ("approved", "rejected", "needs_review")
    assert rows[1]["verdict"] != "approved"
    assert float(rows[1]["abusive"]) > float(rows[0]["abusive"])
    reasons = json.loads(rows[1]["reasons"])
    spans = [s for r in reasons for s in r["spans"]]
    text = "you stupid idiot,\nleave"
    assert any("idiot" in text[s["start"] : s["end"]] for s in spans)


def test_scores_json_lines(tiny_artifact: Path, tmp_path: Path) -> None:
    content = '{"id": 7, "text": "nice"}\n\n{"id": "b", "text": "you moron"}\n'
    code, output, out = _score(tmp_path, tiny_artifact, "in.jsonl", content)
    assert code == 0, output
    assert [r["id"] for r in _read(out)] == ["7", "b"]


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("bad.jsonl", '{"id": 1, "text": "ok"}\n{"id": 2, "text": "ok"}\n{"id": 3, text}\n', "line 3"),
        ("bad.jsonl", '{"id": 1, "text": "ok"}\n{"id": 2}\n', "line 2"),
        ("bad.csv", "identifier,body\n1,x\n", "line 1"),
        ("bad.csv", "id,text\n1,ok\n2,ok,extra\n", "line 3"),
        ("bad.csv", 'id,text\n1,"unterminated\n', "line"),
    ],
)
def test_malformed_input_is_refused_naming_the_line(
    tiny_artifact: Path, tmp_path: Path, name: str, content: str, needle: str
) -> None:
    code, output, out = _score(tmp_path, tiny_artifact, name, content)
    assert code == 2
    assert needle in output
    assert "Traceback" not in output
    assert not out.exists()


def test_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    code, output, _ = _score(tmp_path, tmp_path / "none.npz", "in.csv", "id,text\n1,x\n")
    assert code == 1
    assert "not found" in output


def test_train_without_the_encoder_extra_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moderation.classifier import encoder

    def missing(self: encoder.SentenceEncoder) -> None:
        raise encoder.Tier2Unavailable("torch is missing")

    monkeypatch.setattr(encoder.SentenceEncoder, "load", missing)
    result = CliRunner().invoke(build_cli(), ["train", "--data", str(tmp_path),
                                              "--out", str(tmp_path / "models")])
    assert result.exit_code == 1
    assert "pip install -r requirements-tier2.txt" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "models").exists()
