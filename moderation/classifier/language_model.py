"""The Latin-script language model at serving time: P(romanised Kannada | text).

A weight vector over hashed character 2-4-grams (trained by
``moderation/training/language_id.py``), stored as plain arrays in an ``.npz`` with
its held-out figures in the metadata; nothing in the file can run code.

The n-gram model alone mistakes short English ("nice", "ok", "good job") for
romanised Kannada, because the Kannada corpus is full of such code-mixed comments.
So a text counts as Kannada only when at least :data:`MIN_FOREIGN_SHARE` of its
words are outside an English vocabulary learned from the English training corpora.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

FEATURES = 2**18
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "models" / "langid-latin.npz"
FORMAT = 2
#: Share of a text's words that must be outside the English vocabulary to call it Kannada.
MIN_FOREIGN_SHARE = 0.3
_WORD = re.compile(r"[a-z]+")


def vectorizer() -> HashingVectorizer:
    return HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=FEATURES,
                             alternate_sign=False, norm="l2", lowercase=True)


class LatinLanguageModel:
    """Logistic regression on hashed character n-grams; :meth:`predict` is batched."""

    def __init__(self, coef: np.ndarray, intercept: float, report: dict[str, Any],
                 english_words: frozenset[str] = frozenset()) -> None:
        if coef.shape != (FEATURES,):
            raise ValueError(f"expected {FEATURES} weights, got {coef.shape}")
        self.coef = coef
        self.intercept = intercept
        self.report = report
        self.english_words = english_words
        self._vectorizer = vectorizer()

    def foreign_share(self, text: str) -> float:
        """The share of the text's words outside the English vocabulary (1.0 without one)."""
        words = _WORD.findall(text.lower())
        if not words or not self.english_words:
            return 1.0 if not self.english_words else 0.0
        return sum(1 for w in words if w not in self.english_words) / len(words)

    def predict(self, texts: Sequence[str]) -> list[float]:
        """P(romanised Kannada) per text; 0 for texts made (almost) only of English words."""
        gated = [i for i, text in enumerate(texts) if self.foreign_share(text) >= MIN_FOREIGN_SHARE]
        result = [0.0] * len(texts)
        if gated:  # the n-grams are the costly part: only for texts the vocabulary can't settle
            logits = self._vectorizer.transform([texts[i] for i in gated]) @ self.coef + self.intercept
            for i, p in zip(gated, 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64))),
                            strict=True):
                result[i] = float(p)
        return result

    __call__ = predict

    def save(self, path: Path) -> Path:
        meta = {"format": FORMAT, "kind": "langid-latin", "intercept": self.intercept,
                "report": self.report, "english_words": sorted(self.english_words)}
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
            return cls(arrays["coef"].astype(np.float32), float(meta["intercept"]), meta["report"],
                       frozenset(meta["english_words"]))


@lru_cache(maxsize=4)
def load_latin_model(path: str | None = None) -> LatinLanguageModel | None:
    """The shipped model (once per process), or None when the file is absent."""
    target = Path(path) if path else DEFAULT_PATH
    return LatinLanguageModel.load(target) if target.exists() else None
