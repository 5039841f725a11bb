"""The optional second tier: sentence embeddings + a linear head, for unsure comments only.

A comment whose fast-tier probability reaches its category's ``escalate`` level in any
category is re-scored as

    z = fast raw score + (embedding · coef + intercept)
    p = sigmoid(platt_a * z + platt_b)

per category, i.e. the embedding head adds evidence to the fast linear score rather than
replacing it. Every other comment keeps its fast-tier probabilities. The cascade has its
own calibration and thresholds, chosen on out-of-fold cascade scores by the same rule as the
fast tier (``python -m moderation train-tier2``), and spans still come from the fast tier's
token contributions, which remain part of ``z``.

The artifact is plain arrays + JSON (.npz, ``allow_pickle=False``) and names the fast model
and the encoder weights (sha256) it was trained with; any other pairing is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from moderation.classifier.artifact import (
    MODELS_DIR,
    default_path,
    load_classifier,
    parse_thresholds,
    read_artifact,
    read_metadata,
    write_npz,
)
from moderation.classifier.encoder import DIM, SentenceEncoder, encoder_text
from moderation.classifier.model import ArtifactError, ClassifierOutput, ToxicityClassifier, in_chunks
from moderation.pipeline.types import CLASSIFIER_CATEGORIES, Span

FORMAT = "moderation-tier2-v1"
#: models/TIER2_LATEST names the default second-tier artifact.
TIER2_LATEST = "TIER2_LATEST"
_ARRAYS = ("coef", "intercept", "platt_a", "platt_b", "escalate")


@dataclass
class Tier2Head:
    """Embedding head, cascade calibration, escalation levels and cascade thresholds."""

    version: str
    fast_version: str
    encoder_sha256: str
    coef: np.ndarray  # (n_categories, DIM)
    intercept: np.ndarray
    platt_a: np.ndarray
    platt_b: np.ndarray
    escalate: np.ndarray  # fast-tier probability per category that sends a comment here
    thresholds: dict[str, dict[str, float]]
    metadata: dict[str, Any] = field(default_factory=dict)

    def combined_raw(self, fast_raw: np.ndarray, emb: np.ndarray) -> np.ndarray:
        """Raw cascade scores: fast raw scores plus the embedding head's."""
        return fast_raw + np.asarray(emb, dtype=np.float64) @ self.coef.T + self.intercept

    def calibrate(self, combined: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.platt_a * combined + self.platt_b)))

    def escalated(self, fast_probs: np.ndarray) -> np.ndarray:
        """Rows the fast tier is unsure about: any category at or above its escalate level."""
        return np.asarray((fast_probs >= self.escalate).any(axis=1))


def save_tier2(head: Tier2Head, path: Path) -> Path:
    meta = dict(head.metadata)
    meta.update(format=FORMAT, version=head.version, fast_version=head.fast_version,
                encoder_sha256=head.encoder_sha256, categories=list(CLASSIFIER_CATEGORIES),
                thresholds=head.thresholds)
    return write_npz(path, meta, **{k: np.asarray(getattr(head, k), dtype=np.float64)
                                    for k in _ARRAYS})


def default_tier2_path() -> Path:
    pointer = MODELS_DIR / TIER2_LATEST
    if not pointer.is_file():
        raise ArtifactError(
            f"no second-tier model: {pointer} is missing. Train one with "
            "`python -m moderation train-tier2 --data ../shared/data`."
        )
    return MODELS_DIR / pointer.read_text().strip()


def load_tier2(path: str | Path, fast: ToxicityClassifier) -> Tier2Head:
    """Load a second-tier artifact and check that it belongs to ``fast``."""
    p = Path(path)
    meta, raw = read_artifact(p, FORMAT, _ARRAYS, "second-tier artifact", "train-tier2")
    arrays = {k: v.astype(np.float64) for k, v in raw.items()}
    if meta.get("fast_version") != fast.version:
        raise ArtifactError(
            f"{p} was trained on top of the fast model {meta.get('fast_version')}, but "
            f"{fast.version} is loaded. Retrain the second tier: "
            "python -m moderation train-tier2 --data ../shared/data"
        )
    n_cat = len(CLASSIFIER_CATEGORIES)
    try:
        if arrays["coef"].shape != (n_cat, DIM):
            raise ValueError(f"coef shape {arrays['coef'].shape} != {(n_cat, DIM)}")
        if any(arrays[k].shape != (n_cat,) for k in _ARRAYS[1:]):
            raise ValueError("per-category arrays have the wrong shape")
        thresholds = parse_thresholds(meta)
        return Tier2Head(
            version=str(meta["version"]), fast_version=str(meta["fast_version"]),
            encoder_sha256=str(meta["encoder_sha256"]), thresholds=thresholds, metadata=meta,
            **arrays,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"corrupt second-tier artifact {p}: {exc}") from exc


@dataclass
class CascadeClassifier:
    """The fast tier for every comment, the second tier for the ones it is unsure about.

    Same interface as :class:`ToxicityClassifier` (``version``, ``thresholds``,
    ``predict``, ``predict_batch``), so the pipeline, worker and scoring CLI use either.
    Each output's ``tier`` says which tier's probabilities it carries.
    """

    fast: ToxicityClassifier
    head: Tier2Head
    encoder: SentenceEncoder

    def __post_init__(self) -> None:
        if self.encoder.sha256 != self.head.encoder_sha256:
            raise ArtifactError(
                f"second tier {self.head.version} was trained with other encoder weights "
                f"(sha256 {self.head.encoder_sha256[:12]}…, installed "
                f"{self.encoder.sha256[:12]}…). Reinstall requirements-tier2.txt or retrain: "
                "python -m moderation train-tier2 --data ../shared/data"
            )

    @property
    def version(self) -> str:
        return f"{self.fast.version}+{self.head.version}"

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        return self.head.thresholds

    @property
    def metadata(self) -> dict[str, Any]:
        return {"fast": self.fast.metadata, "tier2": self.head.metadata}

    def predict(self, text: str) -> ClassifierOutput:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        return in_chunks(self._predict_chunk, texts)

    def _predict_chunk(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        chunk = self.fast.score_chunk(texts)
        probs = self.fast.calibrate(chunk.raw)
        rows = np.flatnonzero(self.head.escalated(probs))
        if len(rows):
            emb = self.encoder.encode([encoder_text(chunk.stages[i]) for i in rows])
            probs[rows] = self.head.calibrate(self.head.combined_raw(chunk.raw[rows], emb))
        outputs = self.fast.explain_chunk(chunk, probs, self.head.thresholds)
        for i in rows.tolist():
            outputs[i] = replace(_whole_comment_spans(texts[i], outputs[i], self.head.thresholds),
                                 tier="tier2")
        return outputs

    def spans_for(self, text: str, categories: Sequence[str]) -> tuple[Span, ...]:
        return self.fast.spans_for(text, categories)


def _whole_comment_spans(text: str, out: ClassifierOutput,
                         thresholds: dict[str, dict[str, float]]) -> ClassifierOutput:
    """A category flagged by the cascade whose fast-tier tokens explain none of it was driven
    by the sentence embedding, which reads the comment as a whole: its span is the whole
    comment (so every classifier reason still points at text)."""
    explained = {sp.category for sp in out.spans}
    missing = [c for c in CLASSIFIER_CATEGORIES
               if out.scores[c] >= thresholds[c]["review"] and c not in explained]
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    if not missing or start >= end:
        return out
    extra = tuple(Span(start, end, c) for c in missing)
    return ClassifierOutput(scores=out.scores, spans=out.spans + extra)


def tier2_path(tier2: str) -> Path | None:
    """The second-tier artifact a ``MODERATION_TIER2`` value names; None: the fast tier alone."""
    choice = tier2.strip()
    if choice.lower() in ("", "off", "0", "false", "no"):
        return None
    return default_tier2_path() if choice.lower() == "latest" else Path(choice)


def service_thresholds(model_path: str | Path | None, tier2: str,
                       kannada: str | None = None) -> tuple[str, dict[str, dict[str, float]]]:
    """(version, thresholds) of the classifier :func:`load_service_classifier` would return,
    read from the artifacts' metadata alone (no arrays, no encoder): what a web process
    needs to show the thresholds the workers apply. The Kannada head (``kannada``, see
    :func:`moderation.classifier.kannada.head_path`) adds its version, not thresholds."""
    from moderation.classifier.kannada import head_version

    fast = Path(model_path) if model_path is not None else default_path()
    fast_meta = read_metadata(fast)
    path = tier2_path(tier2)
    meta = fast_meta if path is None else read_metadata(path)
    try:
        version = str(fast_meta["version"]) if path is None else f"{fast_meta['version']}+{meta['version']}"
        kn = head_version(kannada)
        if kn is not None:
            version = f"{version}+{kn}"
        return version, parse_thresholds(meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"corrupt model artifact {path or fast}: {exc}") from exc


def load_service_classifier(
    model_path: str | Path | None, tier2: str, threads: int | None = None,
    kannada: str | None = None,
) -> Any:
    """The classifier a worker or the scoring CLI runs.

    ``tier2``: "" or "off" → the fast tier alone (the default); "latest" → the artifact
    models/TIER2_LATEST names; anything else → a second-tier artifact path.
    ``kannada``: the Kannada head ("latest", "off" or a path; None: $MODERATION_KANNADA,
    else "latest"), which scores the comments written in Kannada: a
    :class:`~moderation.classifier.kannada.RoutedClassifier` over the tiers above.
    """
    from moderation.classifier.kannada import with_kannada

    fast = load_classifier(model_path)
    path = tier2_path(tier2)
    if path is None:
        return with_kannada(fast, kannada)
    head = load_tier2(path, fast)
    encoder = SentenceEncoder(threads=threads)
    cascade = CascadeClassifier(fast, head, encoder)
    encoder.load()
    return with_kannada(cascade, kannada)
