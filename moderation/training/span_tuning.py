"""Choosing the span rule (``span_rel``, ``span_abs``) on Civil Comments' gold toxic spans."""

from __future__ import annotations

from typing import Any

import numpy as np
from tqdm import tqdm

from moderation.classifier.model import ToxicityClassifier
from moderation.classifier.normalize import normalize_with_offsets, to_original
from moderation.classifier.spans import kept_tokens, token_contributions
from moderation.training import evaluation as ev
from moderation.training.config import CATS, SPAN_ABS_GRID, SPAN_REL_GRID
from moderation.training.corpora import Corpus


def tune_spans(
    clf: ToxicityClassifier, corpus: Corpus, rows: np.ndarray, probs: np.ndarray,
    gold: dict[str, set[int]], progress: bool,
) -> tuple[float, float, dict[str, Any]]:
    """Choose span_rel/span_abs on even Civil ids, report char F1 on odd ids (held-out model)."""
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
    grid = [(r, b) for r in SPAN_REL_GRID for b in SPAN_ABS_GRID]
    best = max(grid, key=lambda rb: score(rb[0], rb[1], 0, "served"))
    rep = {
        "span_rel": best[0], "span_abs": best[1],
        "test_comments": sum(1 for it in items if it[0] == 1),
        "char_f1_toxicity_spans": score(best[0], best[1], 1, "toxicity"),
        "char_f1_as_served": score(best[0], best[1], 1, "served"),
        "char_f1_empty_prediction": float(np.mean([ev.char_f1(set(), g) for h, g, *_ in items
                                                   if h == 1])),
    }
    return best[0], best[1], rep
