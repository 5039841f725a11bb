"""Training with source-aware validation, calibration, thresholds and the model-card figures.

Every category learns from every corpus that labels it, with per-source class weights: within
each source its positives and its negatives carry equal total weight, and each source's total
is capped, so neither a corpus's base rate nor its style (Wikipedia talk, news comments,
tweets) can predict the label. Template sentences that mention identities in a neutral way are
added as negatives (see ``templates.py``).

Protocol (all seeded):
1. 4-fold grouped cross-validation over every source → out-of-fold (OOF) scores: in-domain
   metrics, Platt calibration, thresholds, clean-comment false-positive rates and the
   identity-term audit. Calibration and thresholds use the comment-style sources pooled, each
   source counting equally.
2. Leave-one-source-out: every comment-style source (toxicity, abusive, discriminatory; all
   categories for Civil Comments, whose held-out model is also used to measure spans) and every
   other hate corpus (discriminatory).
3. The shipped model is refit on every source with the chosen settings.

Every fit, in every fold, also fits the word-prior heads (``word_priors.py``) on the sentence
embeddings of that fold's training rows only, so no validated row informs its own prior.
Training therefore needs the encoder (``requirements-tier2.txt``); serving does not.
"""

from __future__ import annotations

import datetime as dt
import platform
import re
import time
from collections import Counter
from dataclasses import dataclass
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from moderation.classifier import evaluation as ev
from moderation.classifier.corpora import (
    COMMENT_SOURCES,
    Corpus,
    civil_gold_spans,
    fingerprint,
    load_corpus,
)
from moderation.classifier.encoder import SentenceEncoder, encoder_texts
from moderation.classifier.features import (
    MAX_CHARS,
    HashedFeaturizer,
    document_frequency,
    idf_from_df,
    tfidf,
)
from moderation.classifier.model import BatchClassifier, ToxicityClassifier
from moderation.classifier.normalize import normalize
from moderation.classifier.spans import kept_tokens, token_contributions
from moderation.classifier.templates import hate_sentences, identity_words, training_sentences
from moderation.classifier.threat_templates import training_rows as threat_training_rows
from moderation.classifier.word_priors import WordPriors, from_words
from moderation.pipeline.types import CLASSIFIER_CATEGORIES

CATS = CLASSIFIER_CATEGORIES
N_FOLDS = 4
#: Inverse regularisation per category, chosen on leave-one-source-out ROC AUC in a pilot
#: (``C_GRID_NOTE``; the grid is not rerun by every training, it would double its time).
C_VALUES = {"toxicity": 0.5, "abusive": 0.5, "obscene": 4.0, "threat": 4.0, "discriminatory": 1.0}
C_GRID_NOTE = (
    "Pilot on the same data, features and weights. toxicity, held out civil / sbic / stormfront "
    "/ jigsaw: C=16 0.592 / – / – / – (stopped), C=4 0.601 / 0.712 / 0.792 / 0.886 (mean "
    "0.748), C=1 0.609 / 0.723 / 0.799 / 0.902 (0.758), C=0.5 0.610 / 0.730 / 0.800 / 0.911 "
    "(0.763) → 0.5, also used for abusive. Same setup trained the old way (Jigsaw + Civil only, "
    "unweighted, C=4): 0.630 / 0.652 / 0.704 / 0.751 (0.684). Word n-grams only (no char "
    "n-grams), C=1: civil 0.596 vs 0.609 with them, so char n-grams were kept. discriminatory, "
    "held out civil / sbic / stormfront / jigsaw / davidson / hateval / hatexplain: C=4 0.681 / "
    "0.737 / 0.790 / 0.870 / 0.674 / 0.633 / 0.748 (0.733), C=1 0.696 / 0.749 / 0.807 / 0.894 "
    "/ 0.686 / 0.632 / 0.738 (0.743) → 1. obscene and threat are labelled by Jigsaw and Civil "
    "only (one held-out source each), so they keep the previous C=4."
)
#: A source's total weight per category is min(rows, SOURCE_CAP), split equally between its
#: positives and negatives; no corpus can dominate and no source's base rate is learnable.
SOURCE_CAP = 15000.0
#: Extra weight on top of the cap for a few sources. Jigsaw is the one corpus here that is
#: a uniform sample of a comment stream (its random rows) labelled against general comment
#: rules for every category, so it gets 3x. In the pilot (leave-one-source-out ROC AUC for
#: toxicity, civil / jigsaw / sbic / stormfront / olid, and in-domain Jigsaw random rows):
#: x1 0.612 / 0.909 / 0.722 / 0.799 / 0.747 (mean 0.758), in-domain 0.941; x2 on Jigsaw and
#: Civil 0.754, in-domain 0.942; x3 on Jigsaw 0.625 / 0.909 / 0.720 / 0.791 / 0.750 (0.759),
#: in-domain 0.951. Down-weighting tweets (x0.3 on OLID: 0.751) or Davidson (x0.2: 0.756)
#: did not help held-out comments.
#: The threat templates (``threat_templates.py``, 384 rows) get 10x: about 6% of the threat
#: head's positive weight, enough to teach news-style threats without drowning the corpora.
SOURCE_MULTIPLIER = {"jigsaw": 3.0, "threat_templates": 10.0}
#: Total weight of the identity template rows (all negatives) per category.
TEMPLATE_WEIGHT = 1500.0
TEMPLATES = "templates"
THREAT_TEMPLATES = "threat_templates"
#: Slur-free group hate × every identity term (``templates.HATE_TRAIN_FRAMES``), positives
#: for discriminatory only, with the same total weight as the neutral identity templates so
#: each identity word is balanced between the classes. In a trial (discriminatory head,
#: leave-one-source-out ROC AUC) they left real corpora unchanged (sbic 0.758 → 0.760,
#: stormfront 0.811 → 0.811, hateval 0.638 → 0.641, hatexplain 0.739 → 0.738, civil 0.712
#: → 0.712) and lifted held-out identity frames (toxic vs benign) from 0.927 to 0.979.
HATE_TEMPLATES = "hate_templates"
HATE_TEMPLATE_WEIGHT = 1500.0
REJECT_PRECISION = 0.9
#: Review precision targets, met on the pooled comment-style validation set. The pool is
#: enriched with positives (prevalence ≈ 40% for toxicity, 10% for obscene, 14% for
#: discriminatory), so a pool precision overstates a stream's: the targets are set so that the
#: observed precision on Jigsaw's uniform sample (~8% toxic, a stream-like base rate) stays
#: ≥ 0.7 for toxicity/abusive/obscene (pool target 0.7 gave 0.47 there). threat and
#: discriminatory are rare and severe: a missed threat or communal-hate comment costs more than
#: a moderator's glance, so they accept a noisier queue (clean comments held ≤ 7% per source).
REVIEW_PRECISION = {"toxicity": 0.8, "abusive": 0.8, "obscene": 0.7, "threat": 0.3,
                    "discriminatory": 0.6}  # fmt: skip
#: Sources pooled (each counting equally) for calibration and thresholds: comment-style text.
POOL_SOURCES = COMMENT_SOURCES

#: Word priors (``word_priors.py``): weight of a comment's largest word prior in the raw
#: score, per category (others: 0). Pilot on 2,500 rows per source, leave-one-source-out
#: ROC AUC, fast tier alone → with the prior at weight 0.25 / 0.5 / 0.75 / 1.0, mean over
#: held-out sources: toxicity 0.758 → 0.767 / 0.769 / 0.768 / 0.766 (Civil 0.620 → 0.632 /
#: 0.637 / 0.639 / 0.640), discriminatory 0.752 → 0.764 / 0.768 / 0.768 / 0.766.
PRIOR_WEIGHT = {"toxicity": 0.5, "abusive": 0.5, "discriminatory": 0.5}
#: Regularisation of the word-prior heads (the second tier's embedding heads use the same).
PRIOR_C = 1.0
#: A corpus word joins the vocabulary from this many occurrences; the encoder's own
#: whole-word vocabulary is always in.
PRIOR_MIN_COUNT = 2
#: Rows per source that are embedded for the word-prior heads (and the second tier's head);
#: Jigsaw, the one corpus labelled for every category, is embedded whole.
EMBED_SAMPLE_CAP = 5000
EMBED_FULL_SOURCES = ("jigsaw",)


@dataclass
class Featurized:
    """Counts of every row plus its word tokens (hash and row, in row order) and a word count."""

    counts: sp.csr_matrix
    token_hash: np.ndarray
    token_row: np.ndarray
    words: Counter[str]


def featurize(texts: list[str], featurizer: HashedFeaturizer, progress: bool) -> Featurized:
    normalized = [normalize(t) for t in tqdm(texts, desc="normalise", disable=not progress)]
    blocks, hashes, rows = [], [], []
    for i in tqdm(range(0, len(normalized), 2000), desc="features", disable=not progress):
        chunk = normalized[i : i + 2000]
        occ = featurizer.occurrences(chunk)
        blocks.append(featurizer._counts_from(occ, len(chunk)))
        hashes.append(occ.token_hash)
        rows.append(occ.token_doc + i)
    words = Counter(w for t in normalized for w in t[:MAX_CHARS].split(" ") if w)
    return Featurized(sp.vstack(blocks).tocsr(), np.concatenate(hashes), np.concatenate(rows),
                      words)  # fmt: skip


def _fit(x: sp.csr_matrix, y: np.ndarray, w: np.ndarray, c: float, seed: int) -> tuple[np.ndarray, float]:
    lr = LogisticRegression(C=c, solver="lbfgs", max_iter=300, tol=1e-4, random_state=seed)
    lr.fit(x, y, sample_weight=w)
    return lr.coef_[0].astype(np.float32), float(lr.intercept_[0])


def source_weights(sources: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-row weights for one category (``y`` NaN = unlabelled → weight 0), mean 1.

    Within each source positives and negatives get equal total weight
    min(rows, SOURCE_CAP) · SOURCE_MULTIPLIER[source] / 2;
    a source with a single class is left out (it would teach its style, not the label),
    except the identity templates (negatives by design) and the hate templates (positives by
    design), which get fixed total weights.
    """
    w = np.zeros(len(y))
    known = ~np.isnan(y)
    for src in np.unique(sources[known]):
        m = known & (sources == src)
        if src == TEMPLATES:
            w[m] = TEMPLATE_WEIGHT / m.sum()
            continue
        if src == HATE_TEMPLATES:
            w[m] = HATE_TEMPLATE_WEIGHT / m.sum()
            continue
        pos, neg = m & (y == 1), m & (y == 0)
        if not pos.any() or not neg.any():
            continue
        total = min(float(m.sum()), SOURCE_CAP) * SOURCE_MULTIPLIER.get(str(src), 1.0)
        w[pos] = total / (2 * pos.sum())
        w[neg] = total / (2 * neg.sum())
    return w / w[w > 0].mean() if (w > 0).any() else w


def fit_linear(
    counts: sp.csr_matrix,
    labels: np.ndarray,
    sources: np.ndarray | None,
    rows: np.ndarray,
    featurizer: HashedFeaturizer,
    cats: tuple[str, ...],
    seed: int,
    progress: bool,
    desc: str,
    c_values: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fit the given categories on ``rows``: (idf, coef[len(CATS), F], intercept[len(CATS)]).

    With ``sources`` rows are weighted by :func:`source_weights`; without, uniformly.
    ``c_values`` overrides :data:`C_VALUES`.
    """
    cs = C_VALUES if c_values is None else c_values
    idf = idf_from_df(document_frequency(counts[rows]), len(rows))
    x = tfidf(counts[rows], idf, featurizer.n_word).astype(np.float32)
    coef = np.zeros((len(CATS), featurizer.n_features), dtype=np.float32)
    intercept = np.zeros(len(CATS))
    for cat in tqdm(cats, desc=desc, disable=not progress, leave=False):
        j = CATS.index(cat)
        y = labels[rows, j]
        if sources is None:
            w = (~np.isnan(y)).astype(np.float64)
        else:
            w = source_weights(sources[rows], y)
        use = w > 0
        coef[j], intercept[j] = _fit(x[use], y[use], w[use], cs[cat], seed)
    return idf, coef, intercept


def raw_scores(
    counts: sp.csr_matrix, rows: np.ndarray, idf: np.ndarray, coef: np.ndarray,
    intercept: np.ndarray, featurizer: HashedFeaturizer,
) -> np.ndarray:  # fmt: skip
    x = tfidf(counts[rows], idf, featurizer.n_word).astype(np.float32)
    return np.asarray(x @ coef.T) + intercept


def grouped_folds(groups: np.ndarray, n_folds: int, seed: int) -> np.ndarray:
    uniq, inv = np.unique(groups, return_inverse=True)
    perm = np.random.default_rng(seed).permutation(len(uniq))
    return (perm % n_folds)[inv]


def _logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def platt(raw: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Platt scaling fitted on weighted OOF scores of the validation pool."""
    lr = LogisticRegression(C=1e4).fit(raw.reshape(-1, 1), y, sample_weight=w * len(w) / w.sum())
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def _pool(corpus: Corpus, j: int) -> tuple[np.ndarray, list[str], np.ndarray, float, float]:
    """Validation pool of category ``j``: (mask, sources, weights, prevalence, stream rate).

    Every comment-style source that labels both classes, each source counting equally
    (weight 1/rows), so the pool's prevalence is the mean of the sources' prevalences. The
    stream rate is the base rate of Jigsaw's uniformly sampled rows.
    """
    y = corpus.labels[:, j]
    pool = ~np.isnan(y) & np.isin(corpus.sources, POOL_SOURCES)
    srcs = [str(s) for s in np.unique(corpus.sources[pool])
            if 0 < np.nansum(y[pool & (corpus.sources == s)]) < (pool & (corpus.sources == s)).sum()
            ]  # fmt: skip
    pool &= np.isin(corpus.sources, srcs)
    w = pool_weights(corpus.sources[pool])
    prevalence = float((w * y[pool]).sum() / w.sum())
    rate = float(np.clip(np.nanmean(y[corpus.jigsaw_random]), 1e-3, 0.5))
    return pool, srcs, w, prevalence, rate


def calibrate_pool(corpus: Corpus, oof: np.ndarray) -> dict[str, tuple[float, float]]:
    """Platt (a, b) per category from OOF raw scores on the validation pool, shifted from the
    pool's prevalence to the stream rate (monotone: decisions do not change)."""
    calib: dict[str, tuple[float, float]] = {}
    for j, c in enumerate(CATS):
        pool, _, w, prevalence, rate = _pool(corpus, j)
        pa, pb = platt(oof[pool, j], corpus.labels[pool, j], w)
        calib[c] = (pa, pb + _logit(rate) - _logit(prevalence))
    return calib


def thresholds_for(
    corpus: Corpus, p: np.ndarray
) -> tuple[dict[str, dict[str, float]], dict[str, Any]]:
    """Review/reject thresholds per category for calibrated OOF probabilities ``p``.

    Precision targets (:data:`REJECT_PRECISION`, :data:`REVIEW_PRECISION`) are met on the
    validation pool of :func:`_pool`.
    """
    thresholds: dict[str, dict[str, float]] = {}
    out: dict[str, Any] = {}
    for j, c in enumerate(CATS):
        y = corpus.labels[:, j]
        pool, srcs, w, prevalence, rate = _pool(corpus, j)
        yp = y[pool]
        rej = ev.threshold_for_precision(yp, p[pool, j], prevalence, REJECT_PRECISION, weight=w)
        rev = ev.threshold_for_precision(yp, p[pool, j], prevalence, REVIEW_PRECISION[c], weight=w)
        review_t = min(rev[0], rej[0])
        thresholds[c] = {"reject": round(rej[0], 4), "review": round(review_t, 4)}
        rr = corpus.jigsaw_random & ~np.isnan(y)
        out[c] = {
            "pool_sources": srcs,
            "pool_prevalence": prevalence,
            "stream_rate": rate,
            "review_precision_target": REVIEW_PRECISION[c],
            "reject": {"threshold": rej[0], "recall": rej[1], "precision": rej[2]},
            "review": {"threshold": review_t, "recall": rev[1], "precision": rev[2]},
            "jigsaw_random_observed": _observed(y[rr], p[rr, j], thresholds[c]),
            "ece_jigsaw_random": _ece(y[rr], p[rr, j]),
        }
    return thresholds, out


def choose_thresholds(
    corpus: Corpus, oof: np.ndarray
) -> tuple[dict[str, tuple[float, float]], dict[str, dict[str, float]], dict[str, Any]]:
    """Platt calibration (:func:`calibrate_pool`) and review/reject thresholds
    (:func:`thresholds_for`) per category from OOF raw scores.

    Probabilities are shifted to the base rate of Jigsaw's uniform sample, so that they read
    as "chance for a typical comment" (the pre-moderation policy compares them with
    ``clean_below``).
    """
    calib = calibrate_pool(corpus, oof)
    a = np.array([calib[c][0] for c in CATS])
    b = np.array([calib[c][1] for c in CATS])
    thresholds, out = thresholds_for(corpus, _sigmoid(a * oof + b))
    return calib, thresholds, out


def pool_weights(sources: np.ndarray) -> np.ndarray:
    """Weights making every source count equally in a pooled validation set."""
    uniq, inv, counts = np.unique(sources, return_inverse=True, return_counts=True)
    return 1.0 / counts[inv]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _peer_scores(texts: list[str], progress: bool) -> np.ndarray:
    from profanity_check import predict_prob

    out = []
    for i in tqdm(range(0, len(texts), 5000), desc="alt-profanity-check", disable=not progress):
        out.append(predict_prob(texts[i : i + 5000]))
    return np.concatenate(out)


def _compare(y: np.ndarray, ours: np.ndarray, peer: np.ndarray, threshold: float) -> dict[str, Any]:
    return {"ours": ev.binary_metrics(y, ours, threshold), "peer": ev.binary_metrics(y, peer, 0.5)}


#: Leave-one-source-out plan: held-out source → categories measured on it. Civil Comments
#: (news comments) is held out for every category, and its held-out model also measures spans.
LOSO_PLAN: dict[str, tuple[str, ...]] = {
    "civil": CATS,
    "jigsaw": ("toxicity", "discriminatory"),
    "sbic": ("toxicity", "discriminatory"),
    "stormfront": ("toxicity", "discriminatory"),
    "olid": ("toxicity",),
    "davidson": ("discriminatory",),
    "hatexplain": ("discriminatory",),
    "hateval": ("discriminatory",),
}


@dataclass
class TrainingSet:
    """The corpora plus the always-trained template rows, featurised once.

    Rows 0..n-1 are the corpora; the identity, threat and hate templates follow
    (``template_rows``) and are always trained on, never evaluated (their audits use
    separate, held-out frames).
    """

    corpus: Corpus
    counts: sp.csr_matrix
    labels: np.ndarray
    sources: np.ndarray
    template_rows: np.ndarray
    identity: list[str]
    threats: list[tuple[str, int]]
    hate: list[str]
    token_hash: np.ndarray  # every row's word tokens, in row order (see Featurized)
    token_row: np.ndarray
    words: Counter[str]

    @property
    def template_texts(self) -> list[str]:
        return self.identity + [t for t, _ in self.threats] + self.hate

    def texts(self, rows: np.ndarray) -> list[str]:
        n = len(self.corpus.texts)
        extra = self.template_texts
        return [self.corpus.texts[i] if i < n else extra[i - n] for i in rows.tolist()]


def training_set(data_dir: Path, featurizer: HashedFeaturizer, progress: bool) -> TrainingSet:
    corpus = load_corpus(data_dir)
    identity = training_sentences()
    threats = threat_training_rows()
    hate = hate_sentences()
    templates = identity + [t for t, _ in threats] + hate
    fz = featurize(corpus.texts + templates, featurizer, progress)
    n = len(corpus.texts)
    threat_labels = np.full((len(threats), len(CATS)), np.nan)
    # threat only: labelled for toxicity too, they cost 0.1-0.5 points of held-out toxicity
    # ROC AUC (stormfront, olid) in a trial, while the threat head needs them
    threat_labels[:, CATS.index("threat")] = [y for _, y in threats]
    hate_labels = np.full((len(hate), len(CATS)), np.nan)
    hate_labels[:, CATS.index("discriminatory")] = 1.0
    labels = np.vstack([corpus.labels, np.zeros((len(identity), len(CATS))), threat_labels,
                        hate_labels])  # fmt: skip
    sources = np.concatenate([corpus.sources, np.full(len(identity), TEMPLATES),
                              np.full(len(threats), THREAT_TEMPLATES),
                              np.full(len(hate), HATE_TEMPLATES)])  # fmt: skip
    return TrainingSet(corpus, fz.counts, labels, sources, np.arange(n, n + len(templates)),
                       identity, threats, hate, fz.token_hash, fz.token_row, fz.words)  # fmt: skip


def embedding_sample(corpus: Corpus, seed: int) -> np.ndarray:
    """Mask of the corpus rows that get a sentence embedding (the encoder is slow on 2 cores):
    every row of :data:`EMBED_FULL_SOURCES`, at most :data:`EMBED_SAMPLE_CAP` of each other."""
    rng = np.random.default_rng(seed)
    take = np.zeros(len(corpus.texts), dtype=bool)
    for src in np.unique(corpus.sources):
        rows = np.flatnonzero(corpus.sources == src)
        if src in EMBED_FULL_SOURCES or len(rows) <= EMBED_SAMPLE_CAP:
            take[rows] = True
        else:
            take[rng.choice(rows, EMBED_SAMPLE_CAP, replace=False)] = True
    return take


@dataclass
class PriorInputs:
    """Sentence embeddings of some training-set rows and of every vocabulary word."""

    rows: np.ndarray  # training-set rows with an embedding, ascending
    emb: np.ndarray  # (len(rows), DIM)
    words: list[str]
    word_emb: np.ndarray  # (len(words), DIM)
    seconds: float


def vocabulary(ts: TrainingSet, encoder: SentenceEncoder) -> list[str]:
    """Corpus words seen :data:`PRIOR_MIN_COUNT`+ times, plus the encoder's whole words that
    normalisation leaves unchanged, sorted; never a word that names an identity group
    (``templates.identity_words``): the heads see those words in hateful sentences far more
    often than in neutral ones, and on its own a word can't tell which (in a first run
    "gay", "jewish" and "homosexual" got discriminatory priors in the top 0.1%)."""
    words = {w for w, c in ts.words.items() if c >= PRIOR_MIN_COUNT}
    for w in encoder.vocabulary():
        if re.fullmatch(r"[a-z]{2,}", w) and normalize(w) == w:
            words.add(w)
    return sorted(words - identity_words())


def prior_inputs(ts: TrainingSet, encoder: SentenceEncoder, rows: np.ndarray, progress: bool
                 ) -> PriorInputs:  # fmt: skip
    """Embed ``rows`` (ascending) and the vocabulary once; every fold's heads reuse them."""
    t0 = time.perf_counter()
    words = vocabulary(ts, encoder)
    emb = encoder.encode(encoder_texts(ts.texts(rows)), progress=progress)
    word_emb = encoder.encode(words, progress=progress)
    return PriorInputs(rows, emb, words, word_emb, time.perf_counter() - t0)


def fit_word_priors(inputs: PriorInputs, ts: TrainingSet, train_rows: np.ndarray,
                    featurizer: HashedFeaturizer, seed: int) -> WordPriors:  # fmt: skip
    """Word-prior table from heads fitted on the embedded rows among ``train_rows``."""
    use = np.isin(inputs.rows, train_rows)
    rows, emb = inputs.rows[use], inputs.emb[use]
    priors = np.zeros((len(inputs.words), len(CATS)), dtype=np.float32)
    weight = np.zeros(len(CATS))
    for cat, beta in PRIOR_WEIGHT.items():
        j = CATS.index(cat)
        y = ts.labels[rows, j]
        w = source_weights(ts.sources[rows], y)
        ok = w > 0
        lr = LogisticRegression(C=PRIOR_C, max_iter=1000, random_state=seed)
        lr.fit(emb[ok], y[ok], sample_weight=w[ok])
        priors[:, j] = inputs.word_emb @ lr.coef_[0] + lr.intercept_[0]
        weight[j] = beta
    return from_words(featurizer, inputs.words, priors, weight)


def prior_term(ts: TrainingSet, rows: np.ndarray, priors: WordPriors) -> np.ndarray:
    """What ``priors`` adds to the raw scores of training-set ``rows`` (ascending)."""
    m = np.isin(ts.token_row, rows)
    doc = np.searchsorted(rows, ts.token_row[m])
    return priors.term(ts.token_hash[m], doc, len(rows))


def train(data_dir: Path, out_dir: Path, seed: int = 13, progress: bool = True,
          featurizer: HashedFeaturizer | None = None) -> dict[str, Any]:  # fmt: skip
    """Run the whole protocol and write the artifact + model card; returns the report."""
    from moderation.classifier.artifact import LATEST, save_classifier
    from moderation.classifier.model_card import write_model_card

    t0 = time.perf_counter()
    encoder = SentenceEncoder()
    encoder.load()  # fail now, not after featurising, when the encoder extra is missing
    np.random.seed(seed)
    previous = _previous_model(out_dir)
    fp = fingerprint(data_dir)
    featurizer = featurizer or HashedFeaturizer()  # tests pass a small one
    ts = training_set(data_dir, featurizer, progress)
    corpus, counts, train_labels, train_sources = ts.corpus, ts.counts, ts.labels, ts.sources
    template_rows = ts.template_rows
    identity, threats, hate = ts.identity, ts.threats, ts.hate
    templates = ts.template_texts
    n = len(corpus.texts)
    labels = corpus.labels
    all_rows = np.arange(n)
    report: dict[str, Any] = {"rows": n, "template_rows": len(identity),
                              "threat_template_rows": len(threats),
                              "hate_template_rows": len(hate),
                              "sources": _source_table(corpus)}  # fmt: skip

    embedded = np.concatenate([np.flatnonzero(embedding_sample(corpus, seed)), template_rows])
    inputs = prior_inputs(ts, encoder, embedded, progress)
    report["word_priors"] = {"embedded_rows": int(len(embedded)), "words": len(inputs.words),
                             "embed_seconds": inputs.seconds, "weight": PRIOR_WEIGHT,
                             "C": PRIOR_C, "min_count": PRIOR_MIN_COUNT,
                             "sample_cap": EMBED_SAMPLE_CAP}  # fmt: skip

    def fit(rows: np.ndarray, cats: tuple[str, ...], desc: str
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, WordPriors]:  # fmt: skip
        rows = np.concatenate([rows, template_rows])
        idf, coef, b = fit_linear(counts, train_labels, train_sources, rows, featurizer, cats,
                                  seed, progress, desc)  # fmt: skip
        return idf, coef, b, fit_word_priors(inputs, ts, rows, featurizer, seed)

    rand = corpus.jigsaw_random
    report["jigsaw_random_rates"] = {c: float(np.nanmean(labels[rand, j])) for j, c in enumerate(CATS)}

    # 1. grouped K-fold OOF
    folds = grouped_folds(corpus.groups, N_FOLDS, seed)
    oof = np.zeros((n, len(CATS)))
    for k in tqdm(range(N_FOLDS), desc="cross-validation", disable=not progress):
        tr, te = all_rows[folds != k], all_rows[folds == k]
        idf, coef, b, wp = fit(tr, CATS, f"fold {k}")
        oof[te] = raw_scores(counts, te, idf, coef, b, featurizer) + prior_term(ts, te, wp)

    calib, thresholds, threshold_report = choose_thresholds(corpus, oof)
    report["thresholds"] = threshold_report
    a = np.array([calib[c][0] for c in CATS])
    bb = np.array([calib[c][1] for c in CATS])
    oof_p = _sigmoid(a * oof + bb)
    report["clean_fpr"] = _clean_fpr(corpus, oof_p, thresholds)

    peer = _peer_scores(corpus.texts, progress)

    # in-domain metrics per source and category
    in_domain: dict[str, Any] = {}
    for src in np.unique(corpus.sources):
        for j, c in enumerate(CATS):
            m = (corpus.sources == src) & ~np.isnan(labels[:, j])
            if m.sum() and 0 < labels[m, j].sum() < m.sum():
                in_domain.setdefault(str(src), {})[c] = _compare(
                    labels[m, j], oof_p[m, j], peer[m], thresholds[c]["review"]
                )
    m = rand
    in_domain["jigsaw_random"] = {
        c: _compare(labels[m, j], oof_p[m, j], peer[m], thresholds[c]["review"])
        for j, c in enumerate(CATS)
        if labels[m, j].sum() >= 5
    }
    report["in_domain"] = in_domain

    # identity-term audit on OOF scores of non-toxic comments
    report["bias"] = _bias(corpus, oof_p, thresholds)

    # 2. leave-one-source-out
    loso: dict[str, dict[str, Any]] = {}
    span_rel, span_abs = 0.7, 0.0
    for src, cats in tqdm(LOSO_PLAN.items(), desc="leave-one-source-out", disable=not progress):
        held = corpus.sources == src
        idf_l, coef_l, b_l, wp_l = fit(all_rows[~held], cats, f"without {src}")
        rows = all_rows[held]
        raw_l = raw_scores(counts, rows, idf_l, coef_l, b_l, featurizer) + prior_term(ts, rows, wp_l)
        p_l = _sigmoid(a * raw_l + bb)
        for c in cats:
            j = CATS.index(c)
            k = ~np.isnan(labels[rows, j])
            loso.setdefault(c, {})[src] = _compare(
                labels[rows[k], j], p_l[k, j], peer[rows[k]], thresholds[c]["review"]
            )
        if src == "civil":
            held_clf = ToxicityClassifier(
                version="without-civil", thresholds=thresholds, featurizer=featurizer,
                idf=idf_l, coef=coef_l, intercept=b_l, platt_a=a, platt_b=bb,
                priors=wp_l)  # fmt: skip
            span_rel, span_abs, report["spans"] = _tune_spans(
                held_clf, corpus, rows, p_l, civil_gold_spans(data_dir), progress
            )
    report["loso"] = loso

    # 3. final model on everything
    idf, coef, b, wp = fit(all_rows, CATS, "final")
    version = next_version(out_dir, "clf")
    meta = {
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "seed": seed,
        "data_fingerprint": fp,
        "libraries": {p: pkg_version(p) for p in ("scikit-learn", "numpy", "scipy")}
        | {"python": platform.python_version()},
        "sklearn_version": pkg_version("scikit-learn"),
        "training_rows": n + len(templates),
        "calibration": "Platt on the pooled comment-style validation set (sources equal), "
        "shifted to Jigsaw random-row base rates",
        "metrics": _headline(report),
    }
    clf = ToxicityClassifier(
        version=version, thresholds=thresholds, featurizer=featurizer, idf=idf, coef=coef,
        intercept=b, platt_a=a, platt_b=bb, span_rel=span_rel, span_abs=span_abs, metadata=meta,
        priors=wp)  # fmt: skip
    path = save_classifier(clf, out_dir / f"{version}.npz")
    (out_dir / LATEST).write_text(path.name + "\n")
    report["template_audit"] = {"current": template_audit(clf)}
    report["threat_audit"] = {"current": threat_audit(clf)}
    report["smoke"] = {"current": smoke_pass_rate(clf)}
    if previous is not None:
        report["template_audit"]["previous"] = template_audit(previous)
        report["threat_audit"]["previous"] = threat_audit(previous)
        report["smoke"]["previous"] = smoke_pass_rate(previous)
    report["artifact"] = {"path": str(path), "bytes": path.stat().st_size, "version": version}
    report["training_seconds"] = time.perf_counter() - t0
    report["meta"] = meta
    write_model_card(report, out_dir / "MODEL_CARD.md")
    return report


def next_version(out_dir: Path, prefix: str) -> str:
    """``{prefix}-YYYY.MM.DD-N``, N one more than the highest artifact of today in out_dir."""
    today = dt.date.today().strftime("%Y.%m.%d")
    taken = [p.stem.rsplit("-", 1)[-1] for p in out_dir.glob(f"{prefix}-{today}-*.npz")]
    return f"{prefix}-{today}-{max([int(t) for t in taken if t.isdigit()], default=0) + 1}"


def _previous_model(out_dir: Path) -> ToxicityClassifier | None:
    """The artifact models/LATEST names before this run (for before/after figures), if any."""
    from moderation.classifier.artifact import LATEST, load_classifier

    pointer = out_dir / LATEST
    try:
        return load_classifier(out_dir / pointer.read_text().strip()) if pointer.is_file() else None
    except Exception:  # an unreadable old artifact only loses the comparison
        return None


def _source_table(corpus: Corpus) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for src in np.unique(corpus.sources):
        m = corpus.sources == src
        out[str(src)] = {
            "rows": int(m.sum()),
            "positives": {c: (None if np.isnan(corpus.labels[m, j]).all()
                              else int(np.nansum(corpus.labels[m, j])))
                          for j, c in enumerate(CATS)},
            "comment_style": str(src) in COMMENT_SOURCES,
        }  # fmt: skip
    return out


def _observed(y: np.ndarray, p: np.ndarray, t: dict[str, float]) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in ("reject", "review"):
        flag = p >= t[k]
        out[f"{k}_flagged"] = int(flag.sum())
        out[f"{k}_precision"] = float(y[flag].mean()) if flag.any() else float("nan")
        out[f"{k}_recall"] = float(flag[y == 1].mean()) if (y == 1).any() else float("nan")
    return out


def _ece(y: np.ndarray, p: np.ndarray, bins: int = 10, weight: np.ndarray | None = None) -> float:
    w = np.ones(len(y)) if weight is None else weight / weight.sum() * len(y)
    edges = np.linspace(0, 1, bins + 1)
    idx = np.clip(np.digitize(p, edges) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            wm = w[m]
            total += wm.sum() / w.sum() * abs(np.average(p[m], weights=wm) - np.average(y[m], weights=wm))
    return float(total)


def _flagged(p: np.ndarray, thresholds: dict[str, dict[str, float]]) -> np.ndarray:
    """As served: a comment is held when any category reaches its review threshold."""
    review = np.array([thresholds[c]["review"] for c in CATS])
    return np.asarray((p >= review).any(axis=1))


def _clean_fpr(corpus: Corpus, p: np.ndarray, thresholds: dict[str, dict[str, float]]) -> dict[str, Any]:
    """Share of comments labelled non-toxic that the classifier would hold or reject (OOF)."""
    jt = CATS.index("toxicity")
    review = _flagged(p, thresholds)
    reject = np.asarray((p >= np.array([thresholds[c]["reject"] for c in CATS])).any(axis=1))
    clean = corpus.labels[:, jt] == 0
    out: dict[str, Any] = {}
    masks = {str(s): clean & (corpus.sources == s) for s in np.unique(corpus.sources)}
    masks["jigsaw_random"] = clean & corpus.jigsaw_random
    for name, m in masks.items():
        if m.any():
            out[name] = {"n": int(m.sum()), "review": float(review[m].mean()),
                         "reject": float(reject[m].mean())}  # fmt: skip
    return out


def _bias(corpus: Corpus, p: np.ndarray, thresholds: dict[str, dict[str, float]]) -> dict[str, Any]:
    """FPR on real non-toxic comments by identity group mentioned (OOF scores).

    ``fpr_toxicity``: toxicity ≥ its review threshold (the previous card's definition);
    ``fpr``: any category ≥ its review threshold (what the pipeline does).
    """
    jt = CATS.index("toxicity")
    y = corpus.labels[:, jt]
    clean = y == 0
    tox = p[:, jt] >= thresholds["toxicity"]["review"]
    flagged = _flagged(p, thresholds)
    groups = [ev.identity_groups(corpus.texts[i]) if clean[i] else [] for i in range(len(y))]
    any_id = np.array([bool(gs) for gs in groups])

    def row(m: np.ndarray) -> dict[str, Any]:
        nan = float("nan")
        return {"n": int(m.sum()), "fpr": float(flagged[m].mean()) if m.any() else nan,
                "fpr_toxicity": float(tox[m].mean()) if m.any() else nan}  # fmt: skip

    out: dict[str, Any] = {"overall": row(clean), "any_identity": row(clean & any_id)}
    for g in ev.IDENTITY_TERMS:
        out[g] = row(clean & np.array([g in gs for gs in groups]))
    for src in POOL_SOURCES:
        s = clean & (corpus.sources == src)
        out[f"{src}_overall"] = row(s)
        out[f"{src}_any_identity"] = row(s & any_id)
    return out


def _probabilities(clf: BatchClassifier, texts: list[str]) -> np.ndarray:
    """Served probabilities (n, len(CATS)) of any classifier, fast tier or cascade."""
    return np.array([[o.scores[c] for c in CATS] for o in clf.predict_batch(texts)])


def template_audit(clf: BatchClassifier) -> dict[str, Any]:
    """Held-out identity templates: per group, share of benign sentences held (FPR), share of
    toxic ones held (TPR), and mean overall toxicity (max over categories) of the benign ones."""
    from moderation.classifier.templates import audit_sentences

    out: dict[str, Any] = {}
    per_term: dict[str, list[float]] = {}
    for toxic in (False, True):
        rows = audit_sentences(toxic)
        p = _probabilities(clf, [s for _, _, s in rows])
        flagged = _flagged(p, clf.thresholds)
        for i, (g, t, _) in enumerate(rows):
            d = out.setdefault(g, {"benign": [], "toxic": [], "score": []})
            d["toxic" if toxic else "benign"].append(bool(flagged[i]))
            if not toxic:
                d["score"].append(float(p[i].max()))
                per_term.setdefault(t, []).append(float(p[i].max()))
    res = {g: {"fpr": float(np.mean(d["benign"])), "tpr": float(np.mean(d["toxic"])),
               "mean_score": float(np.mean(d["score"]))} for g, d in out.items()}  # fmt: skip
    allb = [x for d in out.values() for x in d["benign"]]
    allt = [x for d in out.values() for x in d["toxic"]]
    res["all"] = {"fpr": float(np.mean(allb)), "tpr": float(np.mean(allt)),
                  "mean_score": float(np.mean([x for d in out.values() for x in d["score"]]))}  # fmt: skip
    return {"groups": res, "terms": {t: float(np.mean(v)) for t, v in per_term.items()}}


def threat_audit(clf: BatchClassifier) -> dict[str, Any]:
    """Held-out threat templates: share of threats held (threat at/above review) and share of
    news-style violence that is not a threat held for any category."""
    from moderation.classifier.threat_templates import audit_rows

    rows = audit_rows()
    p = _probabilities(clf, [s for s, _ in rows])
    y = np.array([t for _, t in rows], dtype=bool)
    j = CATS.index("threat")
    held_threat = p[:, j] >= clf.thresholds["threat"]["review"]
    held_any = _flagged(p, clf.thresholds)
    return {"version": clf.version, "threats": int(y.sum()), "non_threats": int((~y).sum()),
            "threat_recall": float(held_threat[y].mean()), "any_recall": float(held_any[y].mean()),
            "non_threat_held_as_threat": float(held_threat[~y].mean()),
            "non_threat_held_any": float(held_any[~y].mean()),
            "threat_score_threats": float(np.median(p[y, j])),
            "threat_score_non_threats": float(np.median(p[~y, j]))}  # fmt: skip


def smoke_pass_rate(clf: BatchClassifier) -> dict[str, Any]:
    """The hand-written smoke set through ``moderate()`` (reported, never used for selection)."""
    from moderation.classifier.smoke_cases import run_cases

    rate, failures = run_cases(clf)
    return {"version": clf.version, "pass_rate": rate, "failures": failures}


def _tune_spans(
    clf: ToxicityClassifier, corpus: Corpus, rows: np.ndarray, probs: np.ndarray,
    gold: dict[str, set[int]], progress: bool,
) -> tuple[float, float, dict[str, Any]]:  # fmt: skip
    """Choose span_rel/span_abs on even Civil ids, report char F1 on odd ids (held-out model)."""
    from moderation.classifier.normalize import normalize_with_offsets, to_original

    review = np.array([clf.thresholds[c]["review"] for c in CATS])
    items = []
    for i, r in enumerate(tqdm(rows, desc="span contributions", disable=not progress)):
        cid = str(corpus.ids[r])
        if cid not in gold:
            continue
        text = corpus.texts[r]
        norm, offs = normalize_with_offsets(text)
        cats = [j for j in range(len(CATS)) if probs[i, j] >= review[j]]
        starts, ends, contrib, fallback = token_contributions(clf, norm, list(range(len(CATS))))
        ranges = [to_original(text, offs, int(s), int(e)) for s, e in zip(starts, ends, strict=True)]
        items.append((int(cid) % 2, gold[cid], ranges, contrib, fallback, cats))

    def score(rel: float, ab: float, part: int, mode: str) -> float:
        f1s = []
        for half, g, ranges, contrib, fallback, cats in items:
            if half != part:
                continue
            use = [CATS.index("toxicity")] if mode == "toxicity" else cats
            chosen: list[tuple[int, int]] = []
            for j in use:
                if len(ranges):
                    keep = kept_tokens(contrib[j], fallback[j], rel, ab, mode == "served")
                    chosen += [ranges[k] for k in keep]
            f1s.append(ev.char_f1(ev.span_chars(chosen), g))
        return float(np.mean(f1s)) if f1s else float("nan")

    # chosen for what is served (spans only for categories at/above review), on even ids
    grid = [(r, b) for r in (0.3, 0.5, 0.7, 0.85) for b in (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7)]
    best = max(grid, key=lambda rb: score(rb[0], rb[1], 0, "served"))
    rep = {
        "span_rel": best[0], "span_abs": best[1],
        "test_comments": sum(1 for it in items if it[0] == 1),
        "char_f1_toxicity_spans": score(best[0], best[1], 1, "toxicity"),
        "char_f1_as_served": score(best[0], best[1], 1, "served"),
        "char_f1_empty_prediction": float(np.mean([ev.char_f1(set(), g) for h, g, *_ in items
                                                   if h == 1])),
    }  # fmt: skip
    return best[0], best[1], rep


def _headline(report: dict[str, Any]) -> dict[str, Any]:
    def pick(d: dict[str, Any]) -> dict[str, float]:
        o = d["ours"]
        return {k: round(o[k], 4) for k in ("roc_auc", "pr_auc", "f1") if k in o}

    return {
        "in_domain_jigsaw_random": {c: pick(v) for c, v in report["in_domain"]["jigsaw_random"].items()},
        "loso": {c: {s: pick(v) for s, v in d.items()} for c, d in report["loso"].items()},
        "spans": report["spans"],
    }  # fmt: skip
