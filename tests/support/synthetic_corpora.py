"""A small synthetic copy of ``../shared/data``: every file the training reads, same columns.

Lets the whole training protocol (``train`` and ``train-tier2``) run in a test without the
real corpora. The texts are template sentences, so the figures mean nothing; the point is
that every step runs and writes a loadable artifact and a model card.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path
from typing import Any

CLEAN = ["the council approved the new bus route", "thanks for the clear report on the floods",
         "the match ended in a draw after extra time", "prices at the market rose again",
         "the minister will visit the district next week", "good interview with the head teacher",
         "the museum opens a new wing in spring", "rain is expected over the weekend"]
TOXIC = {"abusive": "you are a pathetic idiot", "obscene": "what a fucking mess",
         "threat": "i will kill you for this",
         "discriminatory": "those vermin immigrants ruin it"}


def _row(rng: random.Random, p_toxic: float = 0.4) -> tuple[str, set[str], int]:
    """(text, categories, start of the toxic phrase or -1)."""
    clean = rng.choice(CLEAN)
    if rng.random() >= p_toxic:
        return clean, set(), -1
    cat = rng.choice(sorted(TOXIC))
    return f"{clean}, {TOXIC[cat]}", {cat}, len(clean) + 2


def _write(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)


def write_corpora(root: Path, n: int = 80, seed: int = 0) -> Path:
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    for i in range(2 * n):
        text, cats, _ = _row(rng)
        rows.append([f"j{i}", text, int(bool(cats) and "discriminatory" not in cats), 0,
                     int("obscene" in cats), int("threat" in cats), int("abusive" in cats),
                     int("discriminatory" in cats), "random" if i % 2 else "toxic"])
    _write(root / "jigsaw_toxic_partial/train_subset.csv",
           ["id", "comment_text", "toxic", "severe_toxic", "obscene", "threat", "insult",
            "identity_hate", "sampling_pool"], rows)

    civil, ann, spans = [], [], []
    for i in range(n):
        text, cats, start = _row(rng, 0.6)
        civil.append([str(1000 + i), text, int(bool(cats)), int("abusive" in cats), int("threat" in cats),
                      int("discriminatory" in cats), int("obscene" in cats), 0])
        for a in range(3):
            ann.append([f"c{i}a{a}", str(1000 + i)])
            if start >= 0:
                spans.append([f"c{i}a{a}", start, len(text)])
    _write(root / "civil_comments_toxic_spans/comment_level_labels.csv",
           ["comment_id", "comment_text", "toxic_majority", "insult_majority", "threat_majority",
            "identity_attack_majority", "profane_obscene_majority", "other_toxicity_majority"],
           civil)
    _write(root / "civil_comments_toxic_spans/annotations.csv", ["annotation", "comment_id"], ann)
    _write(root / "civil_comments_toxic_spans/spans.csv", ["annotation", "start", "end"], spans)

    def three_way() -> tuple[str, int]:  # 0 hate, 1 offensive, 2 neither
        text, cats, _ = _row(rng, 0.6)
        return text, 0 if "discriminatory" in cats else 1 if cats else 2

    dav = [[i, *three_way()] for i in range(n)]
    _write(root / "davidson_hate_offensive/labeled_data.csv", ["", "tweet", "class"], dav)
    hx = []
    for _ in range(n):
        text, c = three_way()
        hx.append([text, {0: 2, 1: 1, 2: 0}[c]])
    _write(root / "hatexplain/hatexplain_preprocessed.csv", ["text", "label"], hx)

    def hate_rows(k: int) -> list[list[Any]]:
        out = []
        for _ in range(k):
            text, cats, _ = _row(rng, 0.5)
            out.append([text, int("discriminatory" in cats or "abusive" in cats)])
        return out

    _write(root / "stormfront_hate/stormfront_sentences.csv", ["text", "post_id", "label"],
           [[t, f"p{i}", "hate" if y else "noHate"] for i, (t, y) in enumerate(hate_rows(n))])
    _write(root / "sbic_dev/SBIC.v2.agg.dev.csv", ["post", "offensiveYN", "whoTarget"],
           [[t, float(y), float(y and rng.random() < 0.6)] for t, y in hate_rows(n)])
    for split, k in (("train", n), ("val", n // 4)):
        _write(root / f"tweeteval/offensive_{split}.csv", ["text", "label"], hate_rows(k))
        _write(root / f"tweeteval/hate_{split}.csv", ["text", "label"], hate_rows(k))
    return root
