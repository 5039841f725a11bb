"""``python -m moderation score`` holds comments to the API's and worker's length limit."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from moderation.cli import build_cli

TEXT = "thanks for the article it was a good read"  # 41 characters


def _reason_codes(tmp_path: Path, artifact: Path) -> list[str]:
    src = tmp_path / "in.csv"
    src.write_text(f"id,text\n1,{TEXT}\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(build_cli(), ["score", str(src), "-o", str(out), "--model", str(artifact)])
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    return [reason["code"] for reason in json.loads(row["reasons"])]


def test_score_applies_moderation_max_comment_length(
    tiny_artifact: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MODERATION_MAX_COMMENT_LENGTH", "20")
    assert "too_long" in _reason_codes(tmp_path, tiny_artifact)
    monkeypatch.setenv("MODERATION_MAX_COMMENT_LENGTH", "100")
    assert "too_long" not in _reason_codes(tmp_path, tiny_artifact)
