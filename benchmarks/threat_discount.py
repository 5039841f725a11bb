"""The ``threat:non_literal`` discount, variant by variant, side by side in one run.

For each variant of when the pipeline discounts the classifier's threat score, prints
the functional suite's pass rates (rules and model; dev and test) for the functions the
discount matters to, and on the English corpora in ``../shared/data`` (default policy)
how many Civil Comments / Jigsaw threat-labelled comments are *approved* and how many of
those the discount *released* (held by the same pipeline without any discount), and how
many clean Civil comments the variant holds. Civil Comments and Jigsaw are read only as
counts here: they evaluate the rule, nothing is tuned on their texts.

    flock /tmp/moderation-heavy.lock .venv/bin/python -m benchmarks.threat_discount \
        --data ../shared/data
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from moderation.pipeline import run
from moderation.pipeline.checks import threats
from moderation.pipeline.run import ClassifierLike, PipelineInput, moderate_many
from moderation.training.functional_suite import (
    _corpus_slices,
    load_suite,
    pass_rates,
    run_suite,
    trusting_policy,
)

FUNCTIONS = ("threat_direct", "threat_incited", "threat_conditional", "threat_deserved",
             "negation", "counter_speech", "figurative", "reported_violence")


class CachedClassifier:
    """The shipped classifier with its outputs cached, so each variant costs no predictions."""

    def __init__(self, inner: ClassifierLike) -> None:
        self._inner = inner
        self._cache: dict[str, run.ClassifierOutputLike] = {}
        self.version = inner.version
        self.thresholds = inner.thresholds
        self.languages = getattr(inner, "languages", None)

    def predict(self, text: str) -> run.ClassifierOutputLike:
        return self.predict_batch([text])[0]

    def predict_batch(self, texts: Sequence[str]) -> list[run.ClassifierOutputLike]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            batch = getattr(self._inner, "predict_batch", None)
            outs = list(batch(todo)) if callable(batch) else [self._inner.predict(t) for t in todo]
            self._cache.update(zip(todo, outs, strict=True))
        return [self._cache[t] for t in texts]


@dataclass(frozen=True)
class Variant:
    name: str
    # (discount, check) to install; None keeps the module's own
    discount: Callable[..., None] | None = None
    check: Callable[[str], object] | None = None


def _legacy_discount(scores, reasons, policy, discounted) -> None:  # type: ignore[no-untyped-def]
    """The discount before the reject-threshold gate."""
    for name in discounted:
        levels = policy.thresholds.get(name)
        if name not in run.CLASSIFIER_CATEGORIES or levels is None:
            continue
        if any(r.code.startswith(f"{name}:") and r.code not in run.INFORMATIONAL_CODES
               for r in reasons):
            continue
        scores[name] = min(scores[name], levels.review * policy.clean_below / 2)


def _no_discount(scores, reasons, policy, discounted) -> None:  # type: ignore[no-untyped-def]
    return None


def _old_explain(text, covered, out):  # type: ignore[no-untyped-def]
    """Before: a violent word alone in quotes counted as explained (non-literal)."""
    quotes = threats._quoted_ranges(text)
    flagged = [span for f in out.findings if f.category == "threat" for span in f.spans]
    explained = [*covered, *((s, e) for s, e, _ in out.non_literal)]
    for m in threats.lex.VIOLENT_WORD.finditer(text):
        word = m.span()
        if any(s <= word[0] and word[1] <= e for s, e in [*flagged, *explained]):
            continue
        if threats._inside(word, quotes):
            out.non_literal.append((word[0], word[1], "quoted"))
        else:
            out.unexplained.append(word)


def _variant_check(*, old_quotes: bool, gated: frozenset[str] | None):  # type: ignore[no-untyped-def]
    """The shipped check with the old quote reading and/or another target gate."""
    def check(text: str):  # type: ignore[no-untyped-def]
        saved = threats._explain_violent_words, threats.TARGET_GATED
        if old_quotes:
            threats._explain_violent_words = _old_explain  # type: ignore[assignment]
        if gated is not None:
            threats.TARGET_GATED = gated  # type: ignore[misc]
        try:
            return threats.check(text)
        finally:
            threats._explain_violent_words, threats.TARGET_GATED = saved  # type: ignore[misc]
    return check


_NO_GATE: frozenset[str] = frozenset()
_EVERY_GUARD = frozenset({"figurative", "reported", "negated", "quoted", "condemned", "judicial"})
VARIANTS = (
    Variant("no discount at all", discount=_no_discount),
    Variant("before: always discount", discount=_legacy_discount,
            check=_variant_check(old_quotes=True, gated=_NO_GATE)),
    Variant("A: score gate only", check=_variant_check(old_quotes=True, gated=_NO_GATE)),
    Variant("B: target gate only", discount=_legacy_discount,
            check=_variant_check(old_quotes=True, gated=None)),
    Variant("C: quoted lone words not explained only", discount=_legacy_discount,
            check=_variant_check(old_quotes=False, gated=_NO_GATE)),
    Variant("B+C", discount=_legacy_discount),
    Variant("A+B+C (shipped)"),
    Variant("A+B+C, target gate on every guard",
            check=_variant_check(old_quotes=False, gated=_EVERY_GUARD)),
)


@contextmanager
def installed(variant: Variant) -> Iterator[None]:
    saved_discount, saved_checks = run.discount_explained, run.CONTENT_CHECKS
    if variant.discount is not None:
        run.discount_explained = variant.discount  # type: ignore[assignment]
    if variant.check is not None:
        run.CONTENT_CHECKS = tuple(variant.check if c is threats.check else c  # type: ignore[misc]
                                   for c in saved_checks)
    try:
        yield
    finally:
        run.discount_explained, run.CONTENT_CHECKS = saved_discount, saved_checks


def main(argv: Sequence[str] | None = None) -> int:
    from moderation.classifier import load_classifier

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="../shared/data")
    args = parser.parse_args(argv)
    classifier = CachedClassifier(load_classifier())
    _, cases = load_suite()
    policy = trusting_policy(classifier)
    slices = dict(_corpus_slices(Path(args.data)))
    civil_threat = slices["Civil Comments, threat by majority"]
    jigsaw_threat = slices["Jigsaw, labelled threat (any pool)"]
    civil_clean = slices["Civil Comments, most annotators: not toxic"]

    def decisions(texts: list[str]) -> list[str]:
        return [r.decision for r in moderate_many([PipelineInput(t) for t in texts],
                                                  classifier=classifier)]

    with installed(VARIANTS[0]):
        held_without = {name: [d != "approved" for d in decisions(texts)]
                        for name, texts in (("civil", civil_threat), ("jigsaw", jigsaw_threat))}

    header = ["variant", *(f"{f} dev/test" for f in FUNCTIONS),
              f"Civil threat approved (of {len(civil_threat)})", "of which released",
              f"Jigsaw threat approved (of {len(jigsaw_threat)})", "of which released",
              f"Civil clean held (of {len(civil_clean)})"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for variant in VARIANTS:
        with installed(variant):
            outcomes = run_suite(cases, classifier, policy)
            dev, test = pass_rates(outcomes, "dev"), pass_rates(outcomes, "test")
            cells = [f"{dev[f][0]}/{dev[f][1]} · {test[f][0]}/{test[f][1]}" for f in FUNCTIONS]
            for name, texts in (("civil", civil_threat), ("jigsaw", jigsaw_threat)):
                got = decisions(texts)
                approved = sum(d == "approved" for d in got)
                released = sum(d == "approved" and h for d, h in zip(got, held_without[name],
                                                                      strict=True))
                cells += [str(approved), str(released)]
            cells.append(str(sum(d != "approved" for d in decisions(civil_clean))))
        print(f"| {variant.name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
