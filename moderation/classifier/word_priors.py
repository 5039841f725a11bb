"""Word priors: what a sentence encoder knows about single words, kept as a lookup table.

The linear model only knows words its ~110k training comments contain often enough; an
insult such as "imbecile" or "clown" that they rarely use gets almost no weight, while
a pretrained encoder places it next to "idiot". At training time (see
``training.fit_word_priors``) a logistic head per category is fitted on the encoder's
sentence embeddings of a sample of the training comments, and then applied to the
encoder's embedding of every vocabulary word on its own. The result, one logit per word
and category, is this table. Serving needs no encoder: a comment's prior for a category
is the **maximum** over its known words, and ``weight × prior`` is added to the linear
score. The maximum (not a mean) is deliberate: a comment is abusive when *one* word is,
however long the rest of it.

Words are looked up by the featurizer's 64-bit token hash (``Occurrences.token_hash``),
so the table costs one ``searchsorted`` per chunk and never sees the raw text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from moderation.classifier.features import HashedFeaturizer


@dataclass(frozen=True)
class WordPriors:
    """``priors[i, c]``: logit of category ``c`` for the word whose token hash is ``hashes[i]``.

    ``hashes`` is sorted ascending; ``weight[c]`` (0 for categories that do not use the
    table) scales the pooled prior before it joins the linear score.
    """

    hashes: np.ndarray  # uint64, sorted, unique
    priors: np.ndarray  # float32 (n_words, n_categories)
    weight: np.ndarray  # float64 (n_categories,)

    def __post_init__(self) -> None:
        n = len(self.hashes)
        if self.priors.shape[0] != n or self.priors.ndim != 2:
            raise ValueError(f"priors shape {self.priors.shape} does not match {n} words")
        if self.weight.shape != (self.priors.shape[1],):
            raise ValueError(f"weight shape {self.weight.shape} != ({self.priors.shape[1]},)")
        if n > 1 and not bool(np.all(self.hashes[1:] > self.hashes[:-1])):
            raise ValueError("word hashes must be sorted and unique")

    def lookup(self, token_hash: np.ndarray) -> np.ndarray:
        """Row of every token in the table, or -1 for unknown words."""
        if len(self.hashes) == 0 or len(token_hash) == 0:
            return np.full(len(token_hash), -1, dtype=np.int64)
        pos = np.searchsorted(self.hashes, token_hash)
        pos = np.minimum(pos, len(self.hashes) - 1)
        return np.where(self.hashes[pos] == token_hash, pos, -1).astype(np.int64)

    def pooled(
        self, token_hash: np.ndarray, token_doc: np.ndarray, n_docs: int, with_arg: bool = True
    ) -> tuple[np.ndarray, np.ndarray]:
        """(value, arg), both (n_docs, n_categories): the largest prior among each doc's
        known tokens (0 when it has none) and that token's index in ``token_hash`` (-1;
        all -1 unless ``with_arg``: scoring needs only the value, spans need the token).
        Categories whose weight is 0 get 0 and -1.

        ``token_doc`` must be non-decreasing (the featurizer emits tokens in doc order).
        """
        n_cat = self.priors.shape[1]
        value = np.zeros((n_docs, n_cat))
        arg = np.full((n_docs, n_cat), -1, dtype=np.int64)
        active = np.flatnonzero(self.weight)  # a weight-0 category needs neither
        rows = self.lookup(token_hash)
        known = np.flatnonzero(rows >= 0)
        if len(known) == 0 or len(active) == 0:
            return value, arg
        docs = token_doc[known]
        p = self.priors[rows[known]][:, active].astype(np.float64)  # (n_known, n_active)
        starts = np.flatnonzero(np.r_[True, docs[1:] != docs[:-1]])
        seg_docs = docs[starts]
        seg_max = np.maximum.reduceat(p, starts, axis=0)
        value[np.ix_(seg_docs, active)] = seg_max
        if not with_arg:
            return value, arg
        # first token of each doc reaching its maximum (tokens are in doc order)
        seg_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(known)]))
        hit = p == seg_max[seg_of]
        for k, c in enumerate(active.tolist()):
            h = np.flatnonzero(hit[:, k])
            first = h[np.r_[True, seg_of[h][1:] != seg_of[h][:-1]]]
            arg[seg_docs[seg_of[first]], c] = known[first]
        return value, arg

    def term(self, token_hash: np.ndarray, token_doc: np.ndarray, n_docs: int) -> np.ndarray:
        """What the table adds to the raw linear scores: weight × pooled prior."""
        value, _ = self.pooled(token_hash, token_doc, n_docs, with_arg=False)
        return value * self.weight


def word_hashes(featurizer: HashedFeaturizer, words: list[str]) -> np.ndarray:
    """The featurizer's token hash of each word (each must be one normalised token)."""
    if not words:
        return np.zeros(0, dtype=np.uint64)
    occ = featurizer.occurrences(words)
    if len(occ.token_hash) != len(words) or not np.array_equal(occ.token_doc, np.arange(len(words))):
        raise ValueError("every vocabulary entry must be exactly one token")
    return occ.token_hash


def from_words(
    featurizer: HashedFeaturizer, words: list[str], priors: np.ndarray, weight: np.ndarray
) -> WordPriors:
    """A table from vocabulary words and their priors (rows in ``words`` order)."""
    h = word_hashes(featurizer, words)
    order = np.argsort(h, kind="stable")
    h, p = h[order], priors[order]
    keep = np.r_[True, h[1:] != h[:-1]]  # a 64-bit collision keeps the first word
    return WordPriors(h[keep], p[keep].astype(np.float32), weight.astype(np.float64))
