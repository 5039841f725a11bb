"""Readers for the labelled corpora in ``../shared/data``, mapped onto our categories.

Each corpus labels only some categories; the others are *unknown* (NaN), not negative,
and are left out of that category's training and metrics. The mapping follows the data
README; see ``models/MODEL_CARD.md`` for the table.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moderation.pipeline.types import CLASSIFIER_CATEGORIES

NAN = float("nan")

#: Sources written as news/forum comments (as opposed to tweets or pre-tokenised text).
COMMENT_SOURCES = ("jigsaw", "civil", "stormfront", "sbic")

#: Files read, relative to the data folder (their sha256 is the data fingerprint).
FILES = (
    "jigsaw_toxic_partial/train_subset.csv",
    "civil_comments_toxic_spans/comment_level_labels.csv",
    "civil_comments_toxic_spans/annotations.csv",
    "civil_comments_toxic_spans/spans.csv",
    "davidson_hate_offensive/labeled_data.csv",
    "stormfront_hate/stormfront_sentences.csv",
    "hatexplain/hatexplain_preprocessed.csv",
    "sbic_dev/SBIC.v2.agg.dev.csv",
    "tweeteval/offensive_train.csv",
    "tweeteval/offensive_val.csv",
    "tweeteval/hate_train.csv",
    "tweeteval/hate_val.csv",
)


@dataclass
class Corpus:
    texts: list[str]
    sources: np.ndarray  # str
    groups: np.ndarray  # str: rows sharing a group never straddle train/validation
    labels: np.ndarray  # float (n, len(CLASSIFIER_CATEGORIES)), NaN = unknown
    jigsaw_random: np.ndarray  # bool: Jigsaw's uniformly sampled rows
    ids: np.ndarray  # str: id within its source (Civil comment_id for span evaluation)

    def subset(self, mask: np.ndarray) -> Corpus:
        idx = np.flatnonzero(mask)
        return Corpus(
            texts=[self.texts[i] for i in idx],
            sources=self.sources[idx],
            groups=self.groups[idx],
            labels=self.labels[idx],
            jigsaw_random=self.jigsaw_random[idx],
            ids=self.ids[idx],
        )


def _rows(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(1 << 30)
    with path.open(newline="", encoding="utf-8") as fh:
        yield from csv.DictReader(fh)


def fingerprint(data_dir: Path) -> dict[str, str]:
    out = {}
    for rel in FILES:
        out[rel] = hashlib.sha256((data_dir / rel).read_bytes()).hexdigest()
    return out


def _lab(**kw: float) -> list[float]:
    return [kw.get(c, NAN) for c in CLASSIFIER_CATEGORIES]


def load_corpus(data_dir: Path) -> Corpus:
    texts: list[str] = []
    sources: list[str] = []
    groups: list[str] = []
    labels: list[list[float]] = []
    rand: list[bool] = []
    ids: list[str] = []

    def add(text: str, source: str, group: str, lab: list[float], rid: str = "",
            is_rand: bool = False) -> None:
        if not text or not text.strip():
            return
        texts.append(text)
        sources.append(source)
        groups.append(f"{source}:{group}")
        labels.append(lab)
        rand.append(is_rand)
        ids.append(rid)

    for r in _rows(data_dir / "jigsaw_toxic_partial/train_subset.csv"):
        v = {k: float(r[k]) for k in ("toxic", "severe_toxic", "obscene", "threat", "insult",
                                      "identity_hate")}
        add(
            r["comment_text"],
            "jigsaw",
            r["id"],
            _lab(
                toxicity=float(max(v.values()) > 0),
                abusive=float(v["toxic"] > 0 or v["insult"] > 0 or v["severe_toxic"] > 0),
                obscene=v["obscene"],
                threat=v["threat"],
                discriminatory=v["identity_hate"],
            ),
            r["id"],
            r["sampling_pool"] == "random",
        )

    for r in _rows(data_dir / "civil_comments_toxic_spans/comment_level_labels.csv"):
        m = {k: float(r[k + "_majority"]) for k in ("toxic", "insult", "threat",
             "identity_attack", "profane_obscene", "other_toxicity")}
        add(
            r["comment_text"],
            "civil",
            r["comment_id"],
            _lab(
                toxicity=m["toxic"],
                abusive=float(m["insult"] or m["other_toxicity"]),
                obscene=m["profane_obscene"],
                threat=m["threat"],
                discriminatory=m["identity_attack"],
            ),
            r["comment_id"],
        )

    for r in _rows(data_dir / "davidson_hate_offensive/labeled_data.csv"):
        c = int(r["class"])
        add(
            r["tweet"],
            "davidson",
            r[""],
            _lab(toxicity=float(c < 2), abusive=float(c < 2), discriminatory=float(c == 0)),
        )

    for r in _rows(data_dir / "stormfront_hate/stormfront_sentences.csv"):
        if r["label"] not in ("hate", "noHate"):
            continue
        h = float(r["label"] == "hate")
        add(r["text"], "stormfront", r["post_id"], _lab(toxicity=h, discriminatory=h))

    for i, r in enumerate(_rows(data_dir / "hatexplain/hatexplain_preprocessed.csv")):
        c = int(r["label"])
        add(
            r["text"],
            "hatexplain",
            str(i),
            _lab(toxicity=float(c > 0), abusive=float(c > 0), discriminatory=float(c == 2)),
        )

    for i, r in enumerate(_rows(data_dir / "sbic_dev/SBIC.v2.agg.dev.csv")):
        off = float(r["offensiveYN"] or 0) >= 0.5
        group = off and float(r["whoTarget"] or 0) >= 0.5
        add(
            r["post"],
            "sbic",
            str(i),
            _lab(toxicity=float(off), abusive=float(off), discriminatory=float(group)),
        )

    for split in ("train", "val"):
        for i, r in enumerate(_rows(data_dir / f"tweeteval/offensive_{split}.csv")):
            y = float(r["label"])
            add(r["text"], "olid", f"{split}{i}", _lab(toxicity=y, abusive=y))
        for i, r in enumerate(_rows(data_dir / f"tweeteval/hate_{split}.csv")):
            y = float(r["label"])
            # HatEval's "not hate" tweets may still be offensive: toxicity unknown there
            add(r["text"], "hateval", f"{split}{i}", _lab(toxicity=y if y else NAN, discriminatory=y))

    return Corpus(
        texts=texts,
        sources=np.array(sources),
        groups=np.array(groups),
        labels=np.array(labels, dtype=np.float64),
        jigsaw_random=np.array(rand),
        ids=np.array(ids),
    )


def civil_gold_spans(data_dir: Path) -> dict[str, set[int]]:
    """Civil comment_id → characters marked toxic by a strict majority of its annotators."""
    ann_comment: dict[str, str] = {}
    n_ann: dict[str, int] = {}
    for r in _rows(data_dir / "civil_comments_toxic_spans/annotations.csv"):
        ann_comment[r["annotation"]] = r["comment_id"]
        n_ann[r["comment_id"]] = n_ann.get(r["comment_id"], 0) + 1
    votes: dict[str, dict[int, set[str]]] = {}
    for r in _rows(data_dir / "civil_comments_toxic_spans/spans.csv"):
        cid = ann_comment.get(r["annotation"])
        if cid is None:
            continue
        per = votes.setdefault(cid, {})
        for ch in range(int(r["start"]), int(r["end"])):
            per.setdefault(ch, set()).add(r["annotation"])
    gold: dict[str, set[int]] = {}
    for cid, n in n_ann.items():
        per = votes.get(cid, {})
        gold[cid] = {ch for ch, who in per.items() if len(who) * 2 > n}
    return gold
