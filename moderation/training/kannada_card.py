"""The Kannada section of models/MODEL_CARD.md, rendered from the head's stored report.

The section sits between two HTML comments, so ``train-kannada`` can replace it, and the
fast tier's card renderer (``model_card.card_from_artifact``) renders it again from the head
that ``KN_LATEST`` names next to the fast artifact: the card stays what the artifacts render.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

START = "<!-- kannada-head:start -->"
END = "<!-- kannada-head:end -->"


def _f(x: Any, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def render_section(meta: dict[str, Any], art: dict[str, Any]) -> str:
    r = meta["report"]
    best, t, dev = r["cv"]["best"], r["thresholds"], r.get("dev", {})
    L = [START, f"## Kannada head: {art['version']}", "",
         "Comments whose main language is Kannada (`kn`, Kannada script) or romanised Kannada "
         "(`kn-Latn`), as `moderation/pipeline/language.py` identifies them, are scored by a "
         "separate linear head (`moderation/classifier/kannada.py`); every other comment by the "
         "model above, unchanged (a test asserts bit-identical English scores). Trained by "
         "`python -m moderation train-kannada --data ../shared/data` (`make train-kannada`, "
         f"{r['training_seconds']:.0f} s), artifact `{Path(art['path']).name}` "
         f"({art['bytes'] / 1e3:.0f} kB, plain arrays).", "",
         "### Data",
         f"DravidianCodeMix Kannada offensive-language corpus (YouTube comments; CC BY 4.0; "
         f"adeepH/Dravidian-OLI @ 17235d2). Train split only for fitting and model choice: "
         f"{r['data']['train_rows']:,} rows after dropping `not-Kannada` (never used as "
         f"negatives: not annotated), {r['data']['train_offensive']:,} offensive (any "
         "`Offensive_*` label). The dev split is used once, at the end.", "",
         "### Method",
         "Text normalised like the base (URLs, handles, leetspeak, repeats, punctuation) but NFC "
         "and with Kannada vowel signs and viramas kept (`normalize_indic`); hashed word "
         f"uni+bigrams (2^{16}) and char {best['char_min']}–{best['char_max']}-grams (2^{18}), "
         f"sublinear tf-idf, logistic regression C={best['C']:g}; Platt-calibrated on "
         "out-of-fold scores. Only the columns seen in training are stored.", "",
         f"### Cross-validation (train split, {r['cv']['folds']} folds by `{r['cv']['fold_rule']}`)",
         "| char n-grams | C | OOF ROC AUC |", "|---|---|---|"]
    L += [f"| {g['char_min']}–{g['char_max']} | {g['C']:g} | {g['oof_roc_auc']:.4f} |"
          for g in r["cv"]["grid"]]
    oof = r["oof"]
    L += ["", f"Chosen setting, out-of-fold: ROC AUC {oof['roc_auc']:.3f}; per script: "
          + ", ".join(f"{k} {_f(v['roc_auc'])} ({v['rows']} rows)" for k, v in oof["per_script"].items())
          + ".", ""]
    g = r["group"]
    L += ["### Targeted at a group → discriminatory?",
          f"`Offensive_Targeted_Insult_Group` ({g['group_rows']} train rows): a group-vs-rest head "
          f"reaches OOF ROC AUC {g['group_vs_rest_oof_roc_auc']:.3f}, but only "
          f"{g['group_vs_other_offensive_oof_roc_auc']:.3f} at telling group insults from other "
          "offensive comments, and in a reading of 25 random group rows the groups are mostly "
          "a film star's fans, TikTok users, the video's dislikers or the media, not "
          "protected identities. So the head does **not** "
          "score `discriminatory`; it scores `toxicity` and `abusive`. `obscene`, `threat` and "
          "`discriminatory` keep the base's scores (English profanity and threats inside "
          "code-mixed comments are what the base reads; on Kannada script it sees no known "
          "words and stays low), and the threat rules still run.", ""]
    L += ["### Thresholds",
          f"The head's own thresholds, from out-of-fold Kannada scores: review = highest "
          f"threshold holding ≥ {t['review_recall_target']:.0%} of offensive comments "
          f"(P ≥ {t['review']:.3f}); reject = lowest threshold with precision ≥ "
          f"{t['reject_precision_target']:.0%} at it and above (P ≥ {t['reject']:.3f}). "
          "Each is mapped onto the base's review/reject threshold of `toxicity` and of "
          "`abusive` by an affine map in logit space (monotone, exact at both points), so the "
          "policy and the API are unchanged. Out of fold at these thresholds: "
          f"{_pct(oof['at_thresholds']['offensive_held'])} of offensive held, "
          f"{_pct(oof['at_thresholds']['offensive_rejected'])} rejected; "
          f"{_pct(oof['at_thresholds']['not_offensive_below_review'])} of non-offensive below review, "
          f"{_pct(oof['at_thresholds']['not_offensive_rejected'])} rejected.", ""]
    if dev:
        at = dev["at_thresholds"]
        L += ["### Dev split (evaluated once)",
              f"{dev['rows']} rows, {dev['offensive']} offensive. **ROC AUC {_f(dev['roc_auc'])}** "
              f"(target ≥ 0.85).", "",
              "| script | rows | offensive | ROC AUC |", "|---|---|---|---|"]
        L += [f"| {k} | {v['rows']} | {v['offensive']} | {_f(v['roc_auc'])} |"
              for k, v in dev["per_script"].items()]
        L += ["", f"Head alone at its thresholds: {_pct(at['offensive_held'])} of offensive held "
              f"(review or reject), {_pct(at['offensive_rejected'])} rejected (precision "
              f"{_f(at['precision_at_reject'])}); {_pct(at['not_offensive_below_review'])} of "
              f"non-offensive below review, {_pct(at['not_offensive_rejected'])} rejected.", ""]
        s = dev.get("served")
        if s:
            L += [f"As served (language identification, routing, every rule, default policy; base "
                  f"`{s['base_version']}`): {_pct(s['routed_to_head'])} of dev comments reach the "
                  f"head ({_pct(s['routed_offensive'])} of the offensive ones); the rest are "
                  "identified as English (short comments made mostly of English words, such as "
                  "\"Super sir\", or with more Latin than Kannada letters) and keep the base's "
                  f"scores. Served `toxicity` ROC AUC {_f(s['served_toxicity_roc_auc'])}.", "",
                  "| classifier | offensive held | offensive rejected | non-offensive approved | "
                  "non-offensive rejected | `language:unsupported` |", "|---|---|---|---|---|---|"]
            for name in ("base_alone", "routed"):
                v = s[name]
                L.append(f"| {name.replace('_', ' ')} | {_pct(v['offensive_held'])} | "
                         f"{_pct(v['offensive_rejected'])} | {_pct(v['not_offensive_approved'])} | "
                         f"{_pct(v['not_offensive_rejected'])} | {_pct(v['unsupported_reason'])} |")
            L.append("")
    langs = r["languages"]
    L += ["### Coverage",
          (f"Declared covered: {', '.join(f'`{x}`' for x in langs)} (dev ROC AUC ≥ 0.85 and no "
           "script with ≥ 50 rows below 0.80), so these comments no longer get "
           "`language:unsupported`." if langs else
           "Not declared covered (the dev figures do not reach the bar): Kannada comments are "
           "scored by the head but still get `language:unsupported`."), "",
          "### Known limits",
          "- YouTube comments on films and celebrities, not news comments: insults at actors, "
          "fans and politicians dominate; identity-based abuse, threats and obscenity are rare "
          "and not separately labelled.",
          "- Konkani written in Kannada script (Mangaluru) is identified as `kn` and scored by "
          "this head, but was never validated.",
          "- Short code-mixed comments made mostly of English words are identified as English and "
          "scored by the base (see the routing share above); the other way round, the few English "
          "comments identified as romanised Kannada are scored by this head "
          "(`benchmarks/kannada_routing.py` measures what that does to English).",
          "- Spans of head-scored categories cover the whole comment.",
          "- Bag of n-grams, 4.7k training rows: spelling variants of romanised Kannada that the "
          "corpus lacks carry no evidence.", END]
    return "\n".join(L) + "\n"


def head_section(models_dir: Path) -> str | None:
    """The Kannada section for the head ``models_dir/KN_LATEST`` names (None: no head)."""
    from moderation.classifier.artifact import read_metadata
    from moderation.classifier.kannada import KN_LATEST

    pointer = models_dir / KN_LATEST
    if not pointer.is_file():
        return None
    path = models_dir / pointer.read_text().strip()
    meta = read_metadata(path)
    if "report" not in meta:
        return None
    art = {"path": str(path), "bytes": path.stat().st_size, "version": meta["version"]}
    return render_section(meta, art)


def with_section(rendered: str, models_dir: Path) -> str:
    """A freshly rendered card with the Kannada section of the head next to the artifact."""
    section = head_section(models_dir)
    if section is None:
        return rendered
    return rendered.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n"


def write_section(card: Path, meta: dict[str, Any], art: dict[str, Any]) -> None:
    """Put the Kannada section into ``card``, replacing the previous one (else appended)."""
    section = render_section(meta, art).rstrip("\n")
    text = card.read_text() if card.is_file() else ""
    if START in text and END in text:
        text = text[: text.index(START)] + section + text[text.index(END) + len(END):]
    else:
        text = (text.rstrip("\n") + "\n\n" if text else "") + section + "\n"
    card.write_text(text)
