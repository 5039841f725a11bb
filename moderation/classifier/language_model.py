"""The Latin-script language model at serving time: P(romanised Kannada | text).

A weight vector over hashed character 2-4-grams (trained by
``moderation/training/language_id.py``), stored as plain arrays in an ``.npz`` with
its held-out figures in the metadata; nothing in the file can run code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

FEATURES = 2**18
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "models" / "langid-latin.npz"
FORMAT = 1


def vectorizer() -> HashingVectorizer:
    return HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=FEATURES,
                             alternate_sign=False, norm="l2", lowercase=True)


class LatinLanguageModel:
    """Logistic regression on hashed character n-grams; :meth:`predict` is batched."""

    def __init__(self, coef: np.ndarray, intercept: float, report: dict[str, Any]) -> None:
        if coef.shape != (FEATURES,):
            raise ValueError(f"expected {FEATURES} weights, got {coef.shape}")
        self.coef = coef
        self.intercept = intercept
        self.report = report
        self._vectorizer = vectorizer()

    def predict(self, texts: Sequence[str]) -> list[float]:
        if not texts:
            return []
        logits = self._vectorizer.transform(list(texts)) @ self.coef + self.intercept
        return [float(p) for p in 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))]

    __call__ = predict

    def save(self, path: Path) -> Path:
        meta = {"format": FORMAT, "kind": "langid-latin", "intercept": self.intercept,
                "report": self.report}
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            np.savez_compressed(handle, coef=self.coef.astype(np.float32),
                                meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8))
        return path

    @classmethod
    def load(cls, path: Path) -> LatinLanguageModel:
        with np.load(path, allow_pickle=False) as arrays:
            meta = json.loads(arrays["meta"].tobytes().decode())
            if meta.get("format") != FORMAT or meta.get("kind") != "langid-latin":
                raise ValueError(f"{path} is not a Latin language model (format {FORMAT})")
            return cls(arrays["coef"].astype(np.float32), float(meta["intercept"]), meta["report"])


@lru_cache(maxsize=4)
def load_latin_model(path: str | None = None) -> LatinLanguageModel | None:
    """The shipped model (once per process), or None when the file is absent."""
    target = Path(path) if path else DEFAULT_PATH
    return LatinLanguageModel.load(target) if target.exists() else None
