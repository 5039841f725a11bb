"""The training set: the corpora plus the always-trained template rows, featurised once."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from tqdm import tqdm

from moderation.classifier.features import MAX_CHARS, HashedFeaturizer
from moderation.classifier.normalize import normalize
from moderation.training.config import (
    CATS,
    EMBED_FULL_SOURCES,
    EMBED_SAMPLE_CAP,
    HATE_TEMPLATES,
    TEMPLATES,
    THREAT_TEMPLATES,
)
from moderation.training.corpora import COMMENT_SOURCES, Corpus, load_corpus
from moderation.training.templates import hate_sentences, training_sentences
from moderation.training.threat_templates import training_rows as threat_training_rows


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
                      words)


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
                        hate_labels])
    sources = np.concatenate([corpus.sources, np.full(len(identity), TEMPLATES),
                              np.full(len(threats), THREAT_TEMPLATES),
                              np.full(len(hate), HATE_TEMPLATES)])
    return TrainingSet(corpus, fz.counts, labels, sources, np.arange(n, n + len(templates)),
                       identity, threats, hate, fz.token_hash, fz.token_row, fz.words)


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


def source_table(corpus: Corpus) -> dict[str, Any]:
    """Rows and positives per source and category (None: the source does not label it)."""
    out: dict[str, Any] = {}
    for src in np.unique(corpus.sources):
        m = corpus.sources == src
        out[str(src)] = {
            "rows": int(m.sum()),
            "positives": {c: (None if np.isnan(corpus.labels[m, j]).all()
                              else int(np.nansum(corpus.labels[m, j])))
                          for j, c in enumerate(CATS)},
            "comment_style": str(src) in COMMENT_SOURCES,
        }
    return out
