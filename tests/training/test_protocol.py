"""The whole training protocol end to end on a small synthetic copy of the data folder:
``train`` writes a loadable artifact and model card, ``train-tier2`` builds on it, and the
service loader pairs them (and refuses the pair once the fast model changes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from moderation.classifier import ArtifactError, ToxicityClassifier, load_classifier
from moderation.classifier.artifact import read_metadata
from moderation.classifier.features import HashedFeaturizer
from moderation.classifier.tier2 import CascadeClassifier, load_service_classifier, load_tier2
from moderation.pipeline.types import CLASSIFIER_CATEGORIES
from moderation.training.corpora import FILES
from moderation.training.model_card import card_from_artifact
from tests.support.synthetic_corpora import write_corpora

# training fits word priors on sentence embeddings, so it needs the encoder extra
pytestmark = pytest.mark.skipif(
    os.environ.get("MODERATION_TEST_TIER2") != "required"
    and __import__("importlib").util.find_spec("sentence_transformers") is None,
    reason="training needs the encoder extra (pip install -r requirements-tier2.txt)",
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:  # type: ignore[type-arg]
    from moderation.training.fast import train

    root = tmp_path_factory.mktemp("protocol")
    data = write_corpora(root / "data")
    out = root / "models"
    report = train(data, out, progress=False, featurizer=HashedFeaturizer(word_bits=12, char_bits=14))
    return data, out, report


def test_train_writes_a_loadable_artifact_and_a_model_card(trained: tuple[Path, Path, dict]) -> None:  # type: ignore[type-arg]
    _, out, report = trained
    path = Path(report["artifact"]["path"])
    assert (out / "LATEST").read_text().strip() == path.name
    clf = load_classifier(path)
    assert clf.version == report["artifact"]["version"]
    assert clf.predict("you are a pathetic idiot").scores["abusive"] > \
        clf.predict("the council approved the new bus route").scores["abusive"]
    card = (out / "MODEL_CARD.md").read_text()
    for heading in ("## Leave-one-source-out", "## Thresholds", "## Identity-term bias",
                    "## Explanations (spans)", "MODEL_CARD_TIER2.md"):
        assert heading in card
    assert set(report["meta"]["data_fingerprint"]) == set(FILES)  # every file read is hashed
    # the card is rendered from the training report stored in the artifact, and says so
    stored = read_metadata(path)["report"]
    assert stored["hyperparameters"]["c_values"] and stored["templates"]["smoke_cases"]
    card_from_artifact(path, out / "again.md")
    assert (out / "again.md").read_text() == card
    # the word-prior table travels with the artifact and joins the score
    assert clf.priors is not None and len(clf.priors.hashes) == report["word_priors"]["words"]
    assert clf.priors.weight[CLASSIFIER_CATEGORIES.index("toxicity")] > 0


def test_train_tier2_builds_on_that_model(trained: tuple[Path, Path, dict], tmp_path: Path) -> None:  # type: ignore[type-arg]
    from moderation.training.tier2 import train_tier2
    from moderation.training.tier2_card import tier2_card_from_artifact

    data, out, report = trained
    fast_path = Path(report["artifact"]["path"])
    t2 = train_tier2(data, out, fast_path, progress=False)
    t2_path = Path(t2["artifact"]["path"])
    assert (out / "TIER2_LATEST").read_text().strip() == t2_path.name
    card = (out / "MODEL_CARD_TIER2.md").read_text()
    assert "## Leave-one-source-out" in card and "## Audits" in card
    tier2_card_from_artifact(t2_path, out / "again-t2.md")
    assert (out / "again-t2.md").read_text() == card
    cascade = load_service_classifier(fast_path, str(t2_path), kannada="off")  # the cascade alone
    assert isinstance(cascade, CascadeClassifier)
    assert cascade.version == f"{report['artifact']['version']}+{t2['artifact']['version']}"
    outs = cascade.predict_batch(["what a fucking mess", "rain is expected over the weekend"])
    assert len(outs) == 2 and {o.tier for o in outs} <= {"fast", "tier2"}

    # a retrained fast model invalidates the second tier
    other = load_classifier(fast_path)
    other.version = "clf-retrained-9"
    assert isinstance(other, ToxicityClassifier)
    with pytest.raises(ArtifactError, match="Retrain the second tier"):
        load_tier2(t2_path, other)
