"""Artifacts load without executing code, and anything wrong is refused with a clear message."""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from moderation.classifier import ArtifactError, ToxicityClassifier, load_classifier
from moderation.classifier.artifact import MODELS_DIR, installed_sklearn


def test_round_trip_gives_the_same_scores(tiny_clf: ToxicityClassifier, tiny_artifact: Path) -> None:
    loaded = load_classifier(tiny_artifact)
    assert loaded.version == tiny_clf.version
    assert loaded.thresholds == tiny_clf.thresholds
    a = tiny_clf.predict("you stupid idiot").scores
    b = loaded.predict("you stupid idiot").scores
    assert all(abs(a[k] - b[k]) < 2e-3 for k in a)  # coef stored as float16


def _rewrite_meta(src: Path, dst: Path, **changes: object) -> Path:
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays["meta"].tobytes())
    meta.update(changes)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(dst, **arrays)
    return dst


def test_refuses_artifact_built_with_another_sklearn(tiny_artifact: Path, tmp_path: Path) -> None:
    bad = _rewrite_meta(tiny_artifact, tmp_path / "old.npz", sklearn_version="0.24.2")
    with pytest.raises(ArtifactError) as err:
        load_classifier(bad)
    msg = str(err.value)
    assert "0.24.2" in msg and installed_sklearn() in msg and "moderation train" in msg


def test_refuses_missing_corrupt_and_pickled_artifacts(tiny_artifact: Path, tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="not found"):
        load_classifier(tmp_path / "nope.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip file")
    with pytest.raises(ArtifactError, match="corrupt"):
        load_classifier(junk)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, meta=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ArtifactError):
        load_classifier(pickled)
    truncated = tmp_path / "truncated.npz"
    with zipfile.ZipFile(tiny_artifact) as z, zipfile.ZipFile(truncated, "w") as out:
        out.writestr("meta.npy", z.read("meta.npy"))
    with pytest.raises(ArtifactError, match="corrupt"):
        load_classifier(truncated)


def test_env_var_overrides_the_default(tiny_artifact: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_MODEL_PATH", str(tiny_artifact))
    assert load_classifier().version == "clf-test-1"


@pytest.mark.skipif(not (MODELS_DIR / "LATEST").is_file(), reason="no committed artifact")
def test_committed_artifact_loads_fast_and_is_small(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODERATION_MODEL_PATH", raising=False)
    start = time.perf_counter()
    clf = load_classifier()
    assert time.perf_counter() - start < 3.0
    path = MODELS_DIR / (MODELS_DIR / "LATEST").read_text().strip()
    assert path.stat().st_size <= 50 * 1024 * 1024
    assert clf.metadata["sklearn_version"] == installed_sklearn()
    for cat, t in clf.thresholds.items():
        assert 0.0 <= t["review"] <= t["reject"] <= 1.0, cat
    toxic = clf.predict("you are a stupid f u c k i n g idiot").scores["toxicity"]
    clean = clf.predict("Thanks for the detailed report on the new metro line.").scores["toxicity"]
    assert toxic > 0.5 > clean
