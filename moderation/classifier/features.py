"""Hashed word 1–2-gram and char_wb 2–5-gram features, computed for a whole batch in numpy.

scikit-learn's char_wb analyser runs a Python loop per n-gram (~2,300 comments/s); this
vectoriser hashes every n-gram of a batch with a polynomial rolling hash in a handful of
numpy operations, so feature extraction stays well under the latency budget.

It also records which word token every n-gram occurrence came from. That is what makes
explanations exact: a token's contribution to a category's linear score is the sum of
weight × feature value over the n-grams it produced (word bigrams are shared half/half).

Input texts must already be normalised (single spaces, no leading/trailing space).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

_P = np.uint64(0x100000001B3)  # odd, so it has an inverse modulo 2**64
_P_INV = np.uint64(pow(int(_P), -1, 2**64))
_MIX1 = np.uint64(0xFF51AFD7ED558CCD)
_MIX2 = np.uint64(0xC4CEB9FE1A85EC53)
_WORD_SALT = np.uint64(0x9E3779B97F4A7C15)
_BIGRAM_MUL = np.uint64(0xD6E8FEB86659FD93)
_SPACE, _SEP = 32, 0
#: Longer texts are featurised on their first MAX_CHARS characters (bounds the cost of a
#: pasted novel; long comments rarely hide their only insult past this point).
MAX_CHARS = 2000


def _mix(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint64(33))
    h = h * _MIX1
    h = h ^ (h >> np.uint64(33))
    h = h * _MIX2
    return h ^ (h >> np.uint64(33))


class _Powers:
    """P**k and P**-k modulo 2**64, grown on demand."""

    def __init__(self) -> None:
        self.pw = np.ones(1, dtype=np.uint64)
        self.inv = np.ones(1, dtype=np.uint64)

    def ensure(self, n: int) -> None:
        if len(self.pw) > n:
            return
        size = max(n + 1, 2 * len(self.pw), 4096)
        with np.errstate(over="ignore"):
            one = np.ones(1, dtype=np.uint64)
            self.pw = np.cumprod(np.concatenate([one, np.full(size - 1, _P, dtype=np.uint64)]))
            self.inv = np.cumprod(np.concatenate([one, np.full(size - 1, _P_INV, dtype=np.uint64)]))


_POWERS = _Powers()


@dataclass(frozen=True)
class Occurrences:
    """Every n-gram occurrence of a batch: which doc, which feature, which token, what share."""

    doc: np.ndarray  # int64, per occurrence
    feature: np.ndarray  # int64, column index
    token: np.ndarray  # int64, global token index (into token_doc/token_start/token_end)
    share: np.ndarray  # float64, 1.0 or 0.5 for bigram halves
    token_doc: np.ndarray  # per token: doc index
    token_start: np.ndarray  # per token: start offset inside its (normalised) doc
    token_end: np.ndarray
    token_hash: np.ndarray  # per token: 64-bit hash of the word (word_priors looks it up)


@dataclass(frozen=True)
class ChunkFeatures:
    """The features of a batch, kept together so that scores and spans share one pass."""

    occ: Occurrences
    entry: np.ndarray  # per occurrence: its index in counts.data (and x.data)
    counts: sp.csr_matrix
    x: sp.csr_matrix  # tf-idf rows, same sparsity pattern as counts


@dataclass(frozen=True)
class HashedFeaturizer:
    word_bits: int = 18
    char_bits: int = 20
    char_min: int = 2
    char_max: int = 5

    @property
    def n_word(self) -> int:
        return 1 << self.word_bits

    @property
    def n_features(self) -> int:
        return (1 << self.word_bits) + (1 << self.char_bits)

    def occurrences(self, texts: list[str]) -> Occurrences:
        docs = [" " + t[:MAX_CHARS] + " " for t in texts]
        joined = "\x00".join(docs) + "\x00"
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        n = len(codes)
        lens = np.fromiter((len(d) + 1 for d in docs), dtype=np.int64, count=len(docs))
        doc_start = np.concatenate([[0], np.cumsum(lens)[:-1]])
        is_sep = codes == _SEP
        is_space = codes == _SPACE
        doc_of = np.concatenate([[0], np.cumsum(is_sep)[:-1]]).astype(np.int64)

        _POWERS.ensure(n + 1)
        with np.errstate(over="ignore"):
            prefix = np.zeros(n + 1, dtype=np.uint64)
            prefix[1:] = _POWERS.pw[:n] * np.cumsum(codes * _POWERS.inv[:n])
            # prefix[i] = sum_{j<i} codes[j] * P**(i-1-j), so that
            # hash of codes[a:b] = prefix[b] - prefix[a] * P**(b-a)  (all mod 2**64)

        boundary = is_sep | is_space
        cs_space = np.concatenate([[0], np.cumsum(boundary)]).astype(np.int64)
        cs_sep = np.concatenate([[0], np.cumsum(is_sep)]).astype(np.int64)

        # Word tokens: maximal runs of non-space, non-separator characters.
        prev_b = np.concatenate([[True], boundary[:-1]])
        next_b = np.concatenate([boundary[1:], [True]])
        w_start = np.flatnonzero(~boundary & prev_b)
        w_end = np.flatnonzero(~boundary & next_b) + 1
        w_doc = doc_of[w_start]
        # token index of every position inside a word (spaces before a word get the next word)
        tok_at = np.cumsum(~boundary & prev_b) - 1

        docs_idx: list[np.ndarray] = []
        feats: list[np.ndarray] = []
        toks: list[np.ndarray] = []
        shares: list[np.ndarray] = []
        with np.errstate(over="ignore"):
            w_hash = _mix((prefix[w_end] - prefix[w_start] * _POWERS.pw[w_end - w_start]) + _WORD_SALT)
            word_mask = np.uint64(self.n_word - 1)
            ids = np.arange(len(w_start), dtype=np.int64)
            docs_idx.append(w_doc)
            feats.append((w_hash & word_mask).astype(np.int64))
            toks.append(ids)
            shares.append(np.ones(len(ids)))
            same = w_doc[1:] == w_doc[:-1]
            left = ids[:-1][same]
            right = ids[1:][same]
            b_hash = _mix(w_hash[left] * _BIGRAM_MUL + w_hash[right])
            b_feat = (b_hash & word_mask).astype(np.int64)
            for half in (left, right):
                docs_idx.append(w_doc[half])
                feats.append(b_feat)
                toks.append(half)
                shares.append(np.full(len(half), 0.5))

            char_shift = np.uint64(64 - self.char_bits)
            for k in range(self.char_min, self.char_max + 1):
                a = np.arange(n - k + 1, dtype=np.int64)
                ok = (cs_sep[a + k] - cs_sep[a] == 0) & (cs_space[a + k - 1] - cs_space[a + 1] == 0)
                if k == 2:  # "  " only arises from an empty text
                    ok &= ~(boundary[a] & boundary[a + 1])
                a = a[ok]
                h = prefix[a + k] - prefix[a] * _POWERS.pw[k]
                h = _mix(h + np.uint64(k) * _WORD_SALT)
                docs_idx.append(doc_of[a])
                feats.append((h >> char_shift).astype(np.int64) + self.n_word)
                first_char = np.where(boundary[a], a + 1, a)
                toks.append(tok_at[first_char])
                shares.append(np.ones(len(a)))

        return Occurrences(
            doc=np.concatenate(docs_idx),
            feature=np.concatenate(feats),
            token=np.concatenate(toks),
            share=np.concatenate(shares),
            token_doc=w_doc,
            token_start=w_start - doc_start[w_doc] - 1,
            token_end=w_end - doc_start[w_doc] - 1,
            token_hash=w_hash,
        )

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        """Raw n-gram counts, shape (len(texts), n_features)."""
        occ = self.occurrences(texts)
        return self._counts_from(occ, len(texts))

    def _counts_from(self, occ: Occurrences, n_docs: int) -> sp.csr_matrix:
        # bigram halves count 0.5 each, so a bigram counts once in total
        m = sp.csr_matrix(
            (occ.share, (occ.doc, occ.feature)), shape=(n_docs, self.n_features), dtype=np.float64
        )
        m.sum_duplicates()
        return m

    def count_matrix(self, occ: Occurrences, n_docs: int) -> tuple[sp.csr_matrix, np.ndarray]:
        """(counts, entry): canonical CSR counts and, per occurrence, its index in ``counts.data``.

        The matrix is the one ``_counts_from`` builds (rows sorted by column, no
        duplicates; the sums are exact), but for a chunk of a few hundred comments sorting
        the keys with two 16-bit radix passes is faster, and the sort also says where
        every occurrence landed, which the span explanations need. On batches of many
        thousands the random gathers miss the cache and scipy's per-row sort wins, so
        ``counts`` (training) keeps that one and the classifier calls this per chunk.
        """
        n_occ = len(occ.doc)
        keys = occ.doc * self.n_features + occ.feature
        order = _radix_argsort(keys, n_docs * self.n_features)
        sorted_keys = keys[order]
        first = np.ones(n_occ, dtype=bool)
        first[1:] = sorted_keys[1:] != sorted_keys[:-1]
        entry_sorted = np.cumsum(first) - 1
        entry = np.empty(n_occ, dtype=np.int64)
        entry[order] = entry_sorted
        unique = sorted_keys[first]
        data = np.bincount(entry_sorted, weights=occ.share[order], minlength=len(unique))
        row = unique // self.n_features
        indptr = np.zeros(n_docs + 1, dtype=np.int32 if len(unique) < 2**31 else np.int64)
        np.cumsum(np.bincount(row, minlength=n_docs), out=indptr[1:])
        indices = (unique - row * self.n_features).astype(np.int32)
        m = sp.csr_matrix((data, indices, indptr), shape=(n_docs, self.n_features))
        m.has_canonical_format = True
        return m, entry


def _radix_argsort(keys: np.ndarray, bound: int) -> np.ndarray:
    """Stable argsort of non-negative int64 ``keys`` < ``bound``, 16 bits per pass.

    numpy sorts 16-bit integers with a radix sort in linear time (kind="stable").
    """
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    shift = 16
    while bound >> shift:
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
    return order


def tfidf(counts: sp.csr_matrix, idf: np.ndarray, n_word: int) -> sp.csr_matrix:
    """Sublinear tf × idf, L2-normalised separately over the word and the char block."""
    x = counts.copy()
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    is_word = x.indices < n_word
    sq = x.data**2
    row = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
    word_norm = np.sqrt(np.bincount(row, weights=sq * is_word, minlength=x.shape[0]))
    char_norm = np.sqrt(np.bincount(row, weights=sq * ~is_word, minlength=x.shape[0]))
    norm = np.where(is_word, word_norm[row], char_norm[row])
    x.data = x.data / np.maximum(norm, 1e-12)
    return x


def document_frequency(counts: sp.csr_matrix) -> np.ndarray:
    return np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)


def idf_from_df(df: np.ndarray, n_docs: int) -> np.ndarray:
    return np.log((1.0 + n_docs) / (1.0 + df)) + 1.0
