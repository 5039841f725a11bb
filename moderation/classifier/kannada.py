"""The Kannada head: a small linear model for comments written in Kannada, and the routing
that sends them to it.

The fast tier was trained and validated on English only. Comments identified as Kannada
(``kn``, Kannada script) or romanised Kannada (``kn-Latn``) as their main language are
scored by this head instead; every other comment keeps the base classifier's output,
untouched (the base scores the whole batch exactly as it would alone, so English scores are
bit-identical with or without the head).

The head is one logistic regression on hashed word and char n-grams
(:class:`~moderation.classifier.features.HashedFeaturizer`) of the text normalised by
:func:`~moderation.classifier.normalize.normalize_indic` (the base normalisation would strip
Kannada's vowel signs and viramas), trained on the DravidianCodeMix Kannada train split
(``python -m moderation train-kannada``). Its calibrated probability P(offensive) becomes:

* ``toxicity`` and ``abusive``: mapped by a monotone transform (affine in logit space)
  that sends the head's own review and reject thresholds, chosen on out-of-fold Kannada
  scores, onto the base's review and reject thresholds of that category. So the policy
  (one set of thresholds per category, from the base) and the API need no change: a
  Kannada comment reaches the review (reject) threshold exactly when the head's probability
  reaches its own review (reject) threshold.
* ``obscene``, ``threat`` and ``discriminatory`` keep the base's scores: the corpus has no
  labels for them, and code-mixed comments carry English profanity and threats the base
  reads (see the model card for what the base's scores do on Kannada).

Spans of a head-scored category cover the whole comment (the head's evidence is not mapped
back to characters).

The artifact is plain arrays + JSON metadata (``.npz``, ``allow_pickle=False``): only the
hashed columns seen in training are stored (sorted ``index``, with their ``idf`` and
``weight``). ``languages`` in the metadata lists the languages the head was validated on;
the routed classifier declares them covered only when that list names them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from moderation.classifier.artifact import MODELS_DIR, read_metadata, write_npz
from moderation.classifier.features import HashedFeaturizer, tfidf
from moderation.classifier.model import ArtifactError, ClassifierOutput
from moderation.classifier.normalize import normalize_indic
from moderation.pipeline.language import LanguageGuess, LatinModel, identify
from moderation.pipeline.types import CLASSIFIER_CATEGORIES, Span

FORMAT = "moderation-kannada-v1"
#: models/KN_LATEST names the default Kannada head.
KN_LATEST = "KN_LATEST"
#: Main languages the head scores.
ROUTED = ("kn", "kn-Latn")
#: Categories whose score comes from the head (the others keep the base's).
HEAD_CATEGORIES = ("toxicity", "abusive")
ENV_VAR = "MODERATION_KANNADA"
_ARRAYS = ("index", "idf", "weight")
_EPS = 1e-6


def _logit(p: float | np.ndarray) -> Any:
    q = np.clip(p, _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
    return out


@dataclass
class KannadaHead:
    """Sparse weights of the head, its Platt calibration and its own thresholds."""

    version: str
    featurizer: HashedFeaturizer
    index: np.ndarray  # int64, sorted featurizer columns seen in training
    idf: np.ndarray  # float64, per column in ``index``
    weight: np.ndarray  # float64, per column in ``index``
    intercept: float
    platt_a: float
    platt_b: float
    #: {"review": p, "reject": p} in the head's calibrated probability
    thresholds: dict[str, float]
    #: languages the head was validated on (empty: it scores, but coverage is not claimed)
    languages: tuple[str, ...] = ()
    metadata: dict[str, Any] = field(default_factory=dict)

    def raw(self, texts: Sequence[str]) -> np.ndarray:
        """Raw linear scores of the texts (normalised here)."""
        if not texts:
            return np.zeros(0)
        return self.raw_counts(self.featurizer.counts([normalize_indic(t) for t in texts]))

    def raw_counts(self, counts: sp.csr_matrix) -> np.ndarray:
        """Raw linear scores from the featurizer's counts of normalised texts."""
        # columns the head never saw have no weight and no idf: drop them before tf-idf, as
        # training did (a column unseen in training had df 0 there, so it carries nothing)
        pos = np.searchsorted(self.index, counts.indices)
        pos = np.minimum(pos, max(len(self.index) - 1, 0))
        seen = self.index[pos] == counts.indices if len(self.index) else np.zeros(0, bool)
        idf_full = np.zeros(counts.shape[1])
        idf_full[self.index] = self.idf
        x = tfidf(counts, idf_full, self.featurizer.n_word)
        contrib = np.where(seen, self.weight[pos] * x.data, 0.0)
        row = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        out: np.ndarray = np.bincount(row, weights=contrib, minlength=x.shape[0]) + self.intercept
        return out

    def probability(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated P(offensive) per text."""
        return _sigmoid(self.platt_a * self.raw(texts) + self.platt_b)


def threshold_map(head: dict[str, float], base: dict[str, float]) -> tuple[float, float]:
    """(slope, offset) of the affine map in logit space sending the head's review and reject
    thresholds onto the base's: mapped = sigmoid(slope · logit(p) + offset). Monotone
    increasing; with equal head thresholds the slope is 1 and review maps exactly."""
    hr, hj = float(_logit(head["review"])), float(_logit(head["reject"]))
    br, bj = float(_logit(base["review"])), float(_logit(base["reject"]))
    slope = (bj - br) / (hj - hr) if hj - hr > 1e-9 and bj - br > 1e-9 else 1.0
    return slope, br - slope * hr


def map_probability(p: np.ndarray, slope: float, offset: float) -> np.ndarray:
    return _sigmoid(slope * _logit(p) + offset)


def save_head(head: KannadaHead, path: Path) -> Path:
    meta = dict(head.metadata)
    meta.update(format=FORMAT, version=head.version, categories=list(CLASSIFIER_CATEGORIES),
                head_categories=list(HEAD_CATEGORIES), languages=list(head.languages),
                intercept=float(head.intercept), platt_a=float(head.platt_a),
                platt_b=float(head.platt_b), head_thresholds=dict(head.thresholds),
                featurizer={"word_bits": head.featurizer.word_bits,
                            "char_bits": head.featurizer.char_bits,
                            "char_min": head.featurizer.char_min,
                            "char_max": head.featurizer.char_max})
    return write_npz(path, meta, index=head.index.astype(np.int64),
                     idf=head.idf.astype(np.float32), weight=head.weight.astype(np.float32))


def load_head(path: str | Path) -> KannadaHead:
    """Load a head artifact (no pickle); :class:`ArtifactError` if it is not a valid one."""
    p = Path(path)
    if not p.is_file():
        raise ArtifactError(f"Kannada head not found: {p}")
    meta = read_metadata(p)
    if meta.get("format") != FORMAT:
        raise ArtifactError(f"{p}: unknown artifact format {meta.get('format')!r}, want {FORMAT}")
    try:
        with np.load(p, allow_pickle=False) as z:
            arrays = {k: np.asarray(z[k]) for k in _ARRAYS}
    except (OSError, KeyError, ValueError) as exc:
        raise ArtifactError(f"corrupt Kannada head {p}: {exc}") from exc
    try:
        featurizer = HashedFeaturizer(**meta["featurizer"])
        index = arrays["index"].astype(np.int64)
        if not (index.shape == arrays["idf"].shape == arrays["weight"].shape) or (
                len(index) and (index[0] < 0 or index[-1] >= featurizer.n_features
                                or bool(np.any(np.diff(index) <= 0)))):
            raise ValueError("index, idf and weight are inconsistent")
        thresholds = {k: float(meta["head_thresholds"][k]) for k in ("review", "reject")}
        if not 0 < thresholds["review"] <= thresholds["reject"] < 1:
            raise ValueError(f"thresholds {thresholds} are not 0 < review <= reject < 1")
        return KannadaHead(
            version=str(meta["version"]), featurizer=featurizer, index=index,
            idf=arrays["idf"].astype(np.float64), weight=arrays["weight"].astype(np.float64),
            intercept=float(meta["intercept"]), platt_a=float(meta["platt_a"]),
            platt_b=float(meta["platt_b"]), thresholds=thresholds,
            languages=tuple(str(x) for x in meta.get("languages", ())), metadata=meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"corrupt Kannada head {p}: {exc}") from exc


def default_head_path() -> Path | None:
    """The head models/KN_LATEST names, or None when there is none."""
    pointer = MODELS_DIR / KN_LATEST
    if not pointer.is_file():
        return None
    return MODELS_DIR / pointer.read_text().strip()


def head_path(choice: str | None = None) -> Path | None:
    """The head a setting names: "latest" (the default; models/KN_LATEST, None if absent),
    "off" (no head) or an artifact path. ``None`` reads $MODERATION_KANNADA."""
    value = (os.environ.get(ENV_VAR, "latest") if choice is None else choice).strip()
    if value.lower() in ("off", "0", "false", "no"):
        return None
    if value.lower() in ("", "latest"):
        return default_head_path()
    return Path(value)


@dataclass
class RoutedClassifier:
    """The base classifier for every comment; the Kannada head for the Kannada ones.

    ``version`` is ``<base version>+<head version>``; each output of a head-scored comment
    carries that version, every other output the base's own (``ClassifierOutput.version``),
    so a verdict says which model scored it.
    """

    base: Any  # ToxicityClassifier, CascadeClassifier or SiteAdaptedClassifier
    head: KannadaHead
    latin_model: LatinModel | None = None
    #: Languages left to the base: those a site model over it was validated on (its
    #: moderators' own Kannada decisions outrank a head trained on YouTube comments).
    keep: tuple[str, ...] = ()
    _maps: dict[str, tuple[float, float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        base_t = self.base.thresholds
        self._maps = {c: threshold_map(self.head.thresholds, base_t[c]) for c in HEAD_CATEGORIES}

    @property
    def version(self) -> str:
        return f"{self.base.version}+{self.head.version}"

    @property
    def thresholds(self) -> dict[str, dict[str, float]]:
        thresholds: dict[str, dict[str, float]] = self.base.thresholds
        return thresholds

    @property
    def languages(self) -> tuple[str, ...]:
        from moderation.pipeline.run import covered_languages

        return tuple(dict.fromkeys((*covered_languages(self.base), *self.head.languages)))

    @property
    def metadata(self) -> dict[str, Any]:
        return {"base": getattr(self.base, "metadata", {}), "kannada": self.head.metadata}

    @property
    def fast(self) -> Any:
        """The base's linear fast tier (site models and the second tier build on it)."""
        from moderation.classifier.site_model import fast_tier

        return fast_tier(self.base)

    def over(self, base: Any) -> RoutedClassifier:
        """The same routing over another base (a site's adapted classifier): the languages the
        site model was validated on stay with it."""
        site_languages = tuple(getattr(getattr(base, "site", None), "languages", ()) or ())
        return RoutedClassifier(base, self.head, self.latin_model, keep=site_languages)

    def routed(self, texts: Sequence[str],
               languages: Sequence[LanguageGuess] | None = None) -> list[bool]:
        """Which texts the head scores: main language Kannada or romanised Kannada
        (``languages``: the texts' guesses when the caller has them, else identified here)."""
        guesses = identify(texts, self.latin_model) if languages is None else languages
        return [g.language in ROUTED and g.language not in self.keep for g in guesses]

    def predict(self, text: str) -> ClassifierOutput:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[ClassifierOutput]:
        return self.predict_identified(texts, None)

    def predict_identified(self, texts: Sequence[str],
                           languages: Sequence[LanguageGuess] | None) -> list[ClassifierOutput]:
        """``predict_batch`` with the texts' language guesses already made (the pipeline's)."""
        if languages is not None and len(languages) != len(texts):
            raise ValueError(f"{len(languages)} language guesses for {len(texts)} texts")
        base_version = str(self.base.version)
        # the base's outputs as they are (scores, spans, tier), named after the base
        outputs: list[ClassifierOutput] = [
            o if o.version else replace(o, version=base_version)
            for o in self.base.predict_batch(texts)]
        rows = [i for i, r in enumerate(self.routed(texts, languages)) if r]
        if not rows:
            return outputs
        probs = self.head.probability([texts[i] for i in rows])
        version = self.version
        for i, p in zip(rows, probs.tolist(), strict=True):
            outputs[i] = self._head_output(texts[i], float(p), outputs[i], version)
        return outputs

    def head_scores(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """The head categories' scores for head probabilities ``p`` (evaluation)."""
        return {c: map_probability(p, *self._maps[c]) for c in HEAD_CATEGORIES}

    def _head_output(self, text: str, p: float, base: ClassifierOutput,
                     version: str) -> ClassifierOutput:
        scores = dict(base.scores)
        for c in HEAD_CATEGORIES:
            scores[c] = float(map_probability(np.array([p]), *self._maps[c])[0])
        spans = tuple(s for s in base.spans if s.category not in HEAD_CATEGORIES)
        start, end = len(text) - len(text.lstrip()), len(text.rstrip())
        if start < end:
            spans += tuple(Span(start, end, c) for c in HEAD_CATEGORIES
                           if scores[c] >= self.thresholds[c]["review"])
        return ClassifierOutput(scores=scores, spans=spans, tier="fast", version=version)

    def spans_for(self, text: str, categories: Sequence[str]) -> tuple[Span, ...]:
        spans: tuple[Span, ...] = self.base.spans_for(text, categories)
        return spans


def with_kannada(classifier: Any, choice: str | None = None,
                 latin_model: LatinModel | None = None) -> Any:
    """``classifier`` routed through the Kannada head the setting names (see
    :func:`head_path`), or ``classifier`` itself when there is none ("off", or no
    models/KN_LATEST). ``latin_model`` defaults to the shipped Latin-script language model,
    the one the pipeline identifies languages with."""
    path = head_path(choice)
    if path is None:
        return classifier
    if latin_model is None:
        from moderation.classifier.language_model import load_latin_model

        latin_model = load_latin_model()
    return RoutedClassifier(classifier, load_head(path), latin_model)


def head_version(choice: str | None = None) -> str | None:
    """The version of the head the setting names, from its metadata alone (None: no head)."""
    path = head_path(choice)
    if path is None:
        return None
    try:
        return str(read_metadata(path)["version"])
    except KeyError as exc:
        raise ArtifactError(f"corrupt Kannada head {path}: no version") from exc
