"""The model cards are rendered from the training report stored in each artifact, never from
the training code's current settings."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from moderation.classifier.artifact import LATEST, MODELS_DIR, read_metadata, write_npz
from moderation.classifier.tier2 import TIER2_LATEST
from moderation.cli import build_cli
from moderation.training import config, smoke_cases, templates, threat_templates
from moderation.training import tier2 as tier2_training
from moderation.training.model_card import card_from_artifact
from moderation.training.tier2_card import tier2_card_from_artifact

FAST = MODELS_DIR / (MODELS_DIR / LATEST).read_text().strip()
SECOND = MODELS_DIR / (MODELS_DIR / TIER2_LATEST).read_text().strip()
SHIPPED = sorted([*MODELS_DIR.glob("clf-*.npz"), *MODELS_DIR.glob("t2-*.npz")])


def _render(artifact: Path, out: Path) -> str:
    if read_metadata(artifact)["format"].startswith("moderation-tier2"):
        tier2_card_from_artifact(artifact, out)
    else:
        card_from_artifact(artifact, out)
    return out.read_text()


def test_the_shipped_cards_are_what_their_artifacts_render(tmp_path: Path) -> None:
    assert _render(FAST, tmp_path / "fast.md") == (MODELS_DIR / "MODEL_CARD.md").read_text()
    assert _render(SECOND, tmp_path / "t2.md") == (MODELS_DIR / "MODEL_CARD_TIER2.md").read_text()


@pytest.mark.parametrize("artifact", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_artifact_stores_the_report_its_card_needs(artifact: Path, tmp_path: Path) -> None:
    meta = read_metadata(artifact)
    report = meta["report"]
    if meta["format"].startswith("moderation-tier2"):
        assert {"C", "weight", "escalate_share", "sample_cap"} <= set(meta["head"])
        assert report["loso_sources"] and report["n_folds"] == 4
    else:
        hp = report["hyperparameters"]
        assert set(hp["c_values"]) == set(meta["categories"])
        assert hp["source_cap"] == 15000 and hp["reject_precision"] == 0.9
        assert report["templates"]["smoke_cases"] == 40
    card = _render(artifact, tmp_path / "card.md")
    assert meta["version"] in card.split("\n", 1)[0]


def test_changing_a_training_constant_does_not_change_an_artifacts_card(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before_fast = _render(FAST, tmp_path / "a.md")
    before_t2 = _render(SECOND, tmp_path / "b.md")
    monkeypatch.setattr(config, "C_VALUES", dict.fromkeys(config.C_VALUES, 99.0))
    monkeypatch.setattr(config, "SOURCE_CAP", 1.0)
    monkeypatch.setattr(config, "SOURCE_MULTIPLIER", {"jigsaw": 7.0})
    monkeypatch.setattr(config, "TEMPLATE_WEIGHT", 3.0)
    monkeypatch.setattr(config, "REJECT_PRECISION", 0.5)
    monkeypatch.setattr(config, "POOL_SOURCES", ("olid",))
    monkeypatch.setattr(config, "N_FOLDS", 9)
    monkeypatch.setattr(config, "LOSO_PLAN", {"olid": ("toxicity",)})
    monkeypatch.setattr(config, "C_GRID_NOTE", "changed")
    monkeypatch.setattr(templates, "TRAIN_FRAMES", ("{g} only.",))
    monkeypatch.setattr(templates, "HATE_TRAIN_FRAMES", ("changed {g}",))
    monkeypatch.setattr(threat_templates, "TARGETS", ("nobody",))
    monkeypatch.setattr(smoke_cases, "CASES", ())
    monkeypatch.setattr(tier2_training, "HEAD_C", 123.0)
    monkeypatch.setattr(tier2_training, "HEAD_WEIGHT", 9.0)
    monkeypatch.setattr(tier2_training, "ESCALATE_SHARE", 0.99)
    monkeypatch.setattr(tier2_training, "LOSO_PLAN", {"olid": ("toxicity",)})
    assert _render(FAST, tmp_path / "c.md") == before_fast
    assert _render(SECOND, tmp_path / "d.md") == before_t2


def test_the_card_states_the_stored_hyperparameters_not_the_codes(tmp_path: Path) -> None:
    meta = read_metadata(FAST)
    meta["report"]["hyperparameters"]["c_values"]["toxicity"] = 0.25
    meta["report"]["hyperparameters"]["source_cap"] = 12345.0
    with np.load(FAST, allow_pickle=False) as z:
        arrays = {k: np.asarray(z[k]) for k in z.files if k != "meta"}
    edited = write_npz(tmp_path / FAST.name, meta, **arrays)
    card = _render(edited, tmp_path / "card.md")
    assert "C: toxicity 0.25, abusive 0.5" in card and "min(rows, 12345) in all" in card


def test_model_card_command_rerenders_and_refuses_an_artifact_without_a_report(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "MODEL_CARD.md"
    result = runner.invoke(build_cli(), ["model-card", "--model", str(FAST), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == (MODELS_DIR / "MODEL_CARD.md").read_text()

    meta = read_metadata(FAST)
    del meta["report"]
    with np.load(FAST, allow_pickle=False) as z:
        arrays = {k: np.asarray(z[k]) for k in z.files if k != "meta"}
    bare = write_npz(tmp_path / "bare.npz", meta, **arrays)
    result = runner.invoke(build_cli(), ["model-card", "--model", str(bare), "-o", str(out)])
    assert result.exit_code != 0
    assert "stores no training report" in result.output and "Traceback" not in result.output


def test_stored_report_keeps_the_order_the_card_prints() -> None:
    # top-level metadata keys are sorted; the report's tables keep their order
    with np.load(FAST, allow_pickle=False) as z:
        doc = z["meta"].tobytes().decode()
    keys = list(json.loads(doc))
    assert keys == sorted(keys)
    report = read_metadata(FAST)["report"]
    assert list(report["bias"])[:2] == ["overall", "any_identity"]
    assert list(report["in_domain"])[-1] == "jigsaw_random"
