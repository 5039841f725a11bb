"""The numpy n-gram hasher is position-independent and counts what it should."""

from __future__ import annotations

import numpy as np

from moderation.classifier.features import HashedFeaturizer


def test_same_text_hashes_identically_wherever_it_sits_in_a_batch() -> None:
    f = HashedFeaturizer(word_bits=12, char_bits=14)
    m = f.counts(["hello world", "xx hello world", "", "hello world"])
    assert set(m[0].indices) <= set(m[1].indices)
    assert (m[0] != m[3]).nnz == 0
    assert m[2].nnz == 0


def test_counts_word_unigrams_bigrams_and_char_ngrams() -> None:
    f = HashedFeaturizer(word_bits=16, char_bits=20)
    m = f.counts(["hello world"])
    # 2 unigrams + 1 bigram + per word " hello " → 6+5+4+3 char n-grams
    assert m.sum() == 3 + 2 * 18


def test_occurrences_record_token_offsets() -> None:
    occ = HashedFeaturizer(word_bits=12, char_bits=14).occurrences(["ab cd", "xyz"])
    assert occ.token_start.tolist() == [0, 3, 0]
    assert occ.token_end.tolist() == [2, 5, 3]
    assert occ.token_doc.tolist() == [0, 0, 1]
    assert np.all(occ.token >= 0)


def test_count_matrix_is_the_canonical_scipy_matrix_and_maps_every_occurrence() -> None:
    import scipy.sparse as sp

    f = HashedFeaturizer(word_bits=12, char_bits=14)
    texts = ["hello world hello", "", "aaaa aaaa aaaa", "xyz", "hello world " * 300]
    occ = f.occurrences(texts)
    counts, entry = f.count_matrix(occ, len(texts))
    ref = sp.csr_matrix((occ.share, (occ.doc, occ.feature)), shape=(len(texts), f.n_features))
    ref.sum_duplicates()
    assert counts.has_canonical_format
    assert np.array_equal(counts.indptr, ref.indptr)
    assert np.array_equal(counts.indices, ref.indices)
    assert np.array_equal(counts.data, ref.data)
    rows = np.repeat(np.arange(len(texts)), np.diff(counts.indptr))
    assert np.array_equal(rows[entry], occ.doc)
    assert np.array_equal(counts.indices[entry], occ.feature)
