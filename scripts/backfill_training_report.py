"""One-off: store the training report in the metadata of the artifacts shipped in models/.

Artifacts trained before the report was stored (``clf-*`` up to clf-2026.11.30-4) kept only
headline metrics, and their cards read the hyperparameters from whatever the training code
said when the card was rendered. This script, run once and kept for provenance, gives each
shipped artifact the report its card needs, WITHOUT retraining:

- the hyperparameters and template facts are evaluated from the training modules as they
  were in the commit that trained the artifact (``git show <commit>:<path>``);
- the figures are read back from the model card that training wrote for it (as printed:
  three decimals, one for percentages), except the span figures, which the metadata kept
  at full precision.

The arrays are copied unchanged (the script checks them bit for bit), so scores do not move.
Second-tier artifacts already stored their report; they gain the two fields the tier-2 card
read from the code (the leave-one-source-out order and the number of folds).

    .venv/bin/python scripts/backfill_training_report.py          # rewrite models/*.npz
    .venv/bin/python -m moderation model-card                       # then re-render and diff
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from moderation.classifier.artifact import write_npz  # noqa: E402
from moderation.pipeline.types import CLASSIFIER_CATEGORIES as CATS  # noqa: E402

MODELS = ROOT / "models"
#: artifact → (commit whose code trained it, commit whose MODEL_CARD.md is its last card)
FAST = {
    "clf-2026.11.30-3.npz": ("3c7bbfd", "86ade15"),
    "clf-2026.11.30-4.npz": ("e8dd633", "8479f79"),
}
TIER2 = {"t2-2026.11.30-2.npz": "f511d08", "t2-2026.11.30-3.npz": "e8dd633"}
OLD = "moderation/classifier"


def git_show(commit: str, path: str) -> str:
    return subprocess.run(["git", "show", f"{commit}:{path}"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout


def constants(source: str, env: dict[str, Any]) -> dict[str, Any]:
    """Top-level UPPER_CASE assignments of a module's source that evaluate on their own."""
    ns = dict(env)
    for node in ast.parse(source).body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id.isupper() and value is not None:
            try:
                ns[target.id] = eval(compile(ast.Expression(value), "<const>", "eval"), ns)  # noqa: S307
            except Exception:  # noqa: BLE001 - computed at import from functions: not a setting
                continue
    return ns


def hyperparameters(commit: str) -> dict[str, Any]:
    src = git_show(commit, f"{OLD}/training.py")
    corpora = constants(git_show(commit, f"{OLD}/corpora.py"), {})
    c = constants(src, {"CLASSIFIER_CATEGORIES": CATS, "COMMENT_SOURCES": corpora["COMMENT_SOURCES"]})
    # literals inside functions in that code (checked, not assumed)
    assert 'solver="lbfgs", max_iter=300, tol=1e-4' in src
    assert "for r in (0.3, 0.5, 0.7, 0.85) for b in (0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7)" in src
    hp: dict[str, Any] = {
        "n_folds": c["N_FOLDS"], "solver": "lbfgs", "max_iter": 300, "tol": 1e-4,
        "c_values": dict(c["C_VALUES"]), "c_grid_note": c["C_GRID_NOTE"],
        "source_cap": c["SOURCE_CAP"], "source_multiplier": dict(c["SOURCE_MULTIPLIER"]),
        "template_weight": c["TEMPLATE_WEIGHT"], "hate_template_weight": c["HATE_TEMPLATE_WEIGHT"],
        "threat_templates_source": c["THREAT_TEMPLATES"],
        "reject_precision": c["REJECT_PRECISION"], "review_precision": dict(c["REVIEW_PRECISION"]),
        "pool_sources": list(c["POOL_SOURCES"]),
    }
    if "PRIOR_WEIGHT" in c:  # word priors came with clf-2026.11.30-4
        hp.update(prior_weight=dict(c["PRIOR_WEIGHT"]), prior_c=c["PRIOR_C"],
                  prior_min_count=c["PRIOR_MIN_COUNT"], embed_sample_cap=c["EMBED_SAMPLE_CAP"],
                  embed_full_sources=list(c["EMBED_FULL_SOURCES"]))
    hp["loso_plan"] = {s: list(v) for s, v in c["LOSO_PLAN"].items()}
    hp["span_rel_grid"] = [0.3, 0.5, 0.7, 0.85]
    hp["span_abs_grid"] = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7]
    return hp


def template_facts(commit: str) -> dict[str, Any]:
    tp = constants(git_show(commit, f"{OLD}/templates.py"), {})
    th = constants(git_show(commit, f"{OLD}/threat_templates.py"), {})
    smoke = constants(git_show(commit, f"{OLD}/smoke_cases.py"), {})
    return {
        "identity_train_frames": len(tp["TRAIN_FRAMES"]),
        "identity_terms": sum(len(v) for v in tp["IDENTITIES"].values()),
        "hate_train_frames": len(tp["HATE_TRAIN_FRAMES"]), "hate_example": tp["HATE_TRAIN_FRAMES"][0],
        "audit_frames": len(tp["AUDIT_FRAMES"]), "audit_example": tp["AUDIT_FRAMES"][0],
        "audit_toxic_frames": len(tp["AUDIT_TOXIC_FRAMES"]),
        "audit_toxic_example": tp["AUDIT_TOXIC_FRAMES"][0],
        "threat_train_frames": len(th["THREAT_TRAIN_FRAMES"]),
        "violence_train_frames": len(th["VIOLENCE_TRAIN_FRAMES"]), "threat_targets": len(th["TARGETS"]),
        "audit_threat_frames": len(th["AUDIT_THREAT_FRAMES"]),
        "audit_threat_example": th["AUDIT_THREAT_FRAMES"][1],
        "audit_violence_frames": len(th["AUDIT_VIOLENCE_FRAMES"]),
        "audit_violence_example": th["AUDIT_VIOLENCE_FRAMES"][1],
        "smoke_cases": len(smoke["CASES"]),
    }


# --- reading the figures back from a card -------------------------------------------------


def num(cell: str) -> float | None:
    cell = cell.strip()
    return None if cell == "–" else float(cell)


def integer(cell: str) -> int:
    return int(cell.strip())


def pct(cell: str) -> float | None:
    cell = cell.strip()
    return None if cell == "–" else float(cell.rstrip("%")) / 100


def section(lines: list[str], start: str, stop: str) -> list[str]:
    i = next(k for k, line in enumerate(lines) if line.startswith(start))
    j = next(k for k in range(i + 1, len(lines)) if lines[k].startswith(stop))
    return lines[i + 1 : j]


def rows(block: list[str]) -> list[list[str]]:
    """Cells of the table rows in ``block`` (header and rule skipped)."""
    table = [line for line in block if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table[2:]]


def compare_row(cells: list[str]) -> dict[str, Any]:
    n, pos = integer(cells[1]), integer(cells[2])
    o = {"n": n, "positives": pos, "roc_auc": num(cells[3]), "pr_auc": num(cells[5]),
         "f1": num(cells[7]), "best_f1": num(cells[9])}
    p = {"n": n, "positives": pos, "roc_auc": num(cells[4]), "pr_auc": num(cells[6]),
         "f1": num(cells[8]), "best_f1": num(cells[10])}
    return {"ours": o, "peer": p}


def tables_by_heading(block: list[str]) -> dict[str, list[list[str]]]:
    out: dict[str, list[list[str]]] = {}
    heads = [k for k, line in enumerate(block) if line.startswith("### ")]
    for a, b in zip(heads, [*heads[1:], len(block)], strict=True):
        out[block[a][4:].strip()] = rows(block[a:b])
    return out


def figures(card: str, meta: dict[str, Any]) -> dict[str, Any]:
    lines = card.split("\n")
    text = card
    rep: dict[str, Any] = {}
    rep["template_rows"] = int(re.search(r"Dixon et al\. 2018\): (\d+) template sentences", text)[1])
    rep["hate_template_rows"] = int(re.search(r"Their counterpart: (\d+) slur-free", text)[1])
    rep["threat_template_rows"] = int(re.search(r"Threat augmentation: (\d+) template", text)[1])
    wp = re.search(r"category \(C=([\d.]+), .*? embeddings of (\d+) rows \(every Jigsaw row, at most "
                   r"(\d+) per other source, all templates; embedded in (\d+) s\), and is then applied "
                   r"to the encoder's embedding of each of (\d+) words on its own \(corpus words seen "
                   r"(\d+)\+ times.*?\(weights: (.*?); other categories 0\)", text)
    if wp:
        weights = {w.rsplit(" ", 1)[0]: float(w.rsplit(" ", 1)[1]) for w in wp[7].split(", ")}
        rep["word_priors"] = {"embedded_rows": int(wp[2]), "words": int(wp[5]),
                              "embed_seconds": float(wp[4]), "weight": weights, "C": float(wp[1]),
                              "min_count": int(wp[6]), "sample_cap": int(wp[3])}
    rep["training_seconds"] = float(re.search(r"training took (\d+) s on 2 cores", text)[1])
    rep["rows"] = meta["training_rows"] - rep["template_rows"] - rep["hate_template_rows"] \
        - rep["threat_template_rows"]

    sources: dict[str, Any] = {}
    for cells in rows(section(lines, "## Data", "Label mapping")):
        pos = {c: (None if v == "n/a" else int(v)) for c, v in zip(CATS, cells[3:], strict=True)}
        sources[cells[0]] = {"rows": int(cells[1]), "positives": pos,
                             "comment_style": cells[2] == "True"}
    rep["sources"] = sources

    loso = tables_by_heading(section(lines, "## Leave-one-source-out", "### Regularisation grid"))
    rep["loso"] = {c: {r[0]: compare_row(r) for r in t} for c, t in loso.items()}
    in_domain = tables_by_heading(section(lines, "## In-domain", "## Thresholds"))
    rep["in_domain"] = {}
    for head, t in in_domain.items():
        key = "jigsaw_random" if head.startswith("Jigsaw random rows") else head
        rep["in_domain"][key] = {r[0]: compare_row(r) for r in t}
    # the card prints the per-source tables first, Jigsaw's random rows on top
    rep["in_domain"] = {k: rep["in_domain"][k] for k in sorted(rep["in_domain"], key=lambda k: (
        k == "jigsaw_random", k))}

    thresholds: dict[str, Any] = {}
    for r in rows(section(lines, "## Thresholds", "### Clean comments")):
        prev, rate = re.fullmatch(r"(\S+) \((\S+)\)", r[2]).groups()  # type: ignore[union-attr]
        obs = re.fullmatch(r"(\S+) \((\d+)\) / (\S+) \((\d+)\)", r[8]).groups()  # type: ignore[union-attr]
        thresholds[r[0]] = {
            "pool_sources": r[1].split(", "), "pool_prevalence": num(prev), "stream_rate": num(rate),
            "review_precision_target": float(r[3]),
            "review": {"threshold": num(r[4]), "recall": num(r[6])},
            "reject": {"threshold": num(r[5]), "recall": num(r[7])},
            "jigsaw_random_observed": {"review_precision": num(obs[0]), "review_flagged": int(obs[1]),
                                       "reject_precision": num(obs[2]), "reject_flagged": int(obs[3])},
            "ece_jigsaw_random": num(r[9]),
        }
    rep["thresholds"] = thresholds
    rep["clean_fpr"] = {r[0]: {"n": int(r[1]), "review": pct(r[2]), "reject": pct(r[3])}
                        for r in rows(section(lines, "### Clean comments", "## Identity-term bias"))}
    rep["bias"] = {r[0]: {"n": int(r[1]), "fpr": num(r[2]), "fpr_toxicity": num(r[3])}
                   for r in rows(section(lines, "### Real comments", "### Held-out templates"))}

    block = section(lines, "### Held-out templates", "### Held-out threat templates")
    header = next(line for line in block if line.startswith("| group"))
    versions = re.findall(r"\((clf-[\d.]+-\d+)\)", header)
    keys = ["previous", "current"][-len(versions):]
    audit: dict[str, Any] = {k: {"groups": {}} for k in keys}
    for r in rows(block):
        for k, cell in zip(keys, r[1:], strict=True):
            fpr, tpr, score = (num(x) for x in cell.split(" / "))
            audit[k]["groups"][r[0]] = {"fpr": fpr, "tpr": tpr, "mean_score": score}
    terms_line = next(line for line in block if line.startswith("Mean overall toxicity"))
    terms = terms_line.split("(current model): ", 1)[1].rstrip(";").split("; ")
    audit["current"]["terms"] = {t.rsplit(" ", 1)[0]: float(t.rsplit(" ", 1)[1]) for t in terms}
    rep["template_audit"] = audit

    threat: dict[str, Any] = {}
    for k, r in zip(keys, rows(section(lines, "### Held-out threat templates", "## Smoke set")),
                    strict=True):
        med = r[3].split(" / ")
        threat[k] = {"version": r[0], "threat_recall": num(r[1]), "any_recall": num(r[2]),
                     "threat_score_threats": num(med[0]), "threat_score_non_threats": num(med[1]),
                     "non_threat_held_as_threat": num(r[4]), "non_threat_held_any": num(r[5])}
    rep["threat_audit"] = threat

    smoke_block = section(lines, "## Smoke set", "## Explanations")
    n_cases = int(re.search(r"^(\d+) hand-written", smoke_block[0])[1])
    passes = re.findall(r"^- (clf-[\d.]+-\d+): (\d+)% pass$", "\n".join(smoke_block), re.M)
    failures = [line[2:] for line in smoke_block[smoke_block.index("Failures of the current model:") + 2:]
                if line.startswith("- ")]
    smoke: dict[str, Any] = {}
    for k, (version, shown) in zip(keys, passes, strict=True):
        if k == "current":
            rate = (n_cases - len(failures)) / n_cases
        else:  # the one rate out of n_cases that prints as shown
            (rate,) = [p / n_cases for p in range(n_cases + 1) if f"{p / n_cases:.0%}" == f"{shown}%"]
        smoke[k] = {"version": version, "pass_rate": rate}
    smoke["current"]["failures"] = failures
    rep["smoke"] = smoke
    rep["spans"] = dict(meta["metrics"]["spans"])  # full precision in the metadata
    return rep


def rewrite(path: Path, meta: dict[str, Any]) -> None:
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: np.asarray(z[k]) for k in z.files if k != "meta"}
    write_npz(path, meta, **arrays)
    with np.load(path, allow_pickle=False) as z:
        for k, v in arrays.items():  # bit for bit, dtype included
            assert z[k].dtype == v.dtype and np.array_equal(z[k], v), k


def read_meta(path: Path) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as z:
        return dict(json.loads(z["meta"].tobytes()))


def main() -> None:
    corpora_files = constants(git_show("HEAD", "moderation/training/corpora.py"), {})["FILES"]
    for name, (code, card_commit) in FAST.items():
        path = MODELS / name
        meta = read_meta(path)
        card = git_show(card_commit, "models/MODEL_CARD.md")
        assert card.startswith(f"# Model card: {meta['version']}\n"), name
        report = figures(card, meta)
        report["hyperparameters"] = hyperparameters(code)
        report["templates"] = template_facts(code)
        report["provenance"] = (
            f"stored after training (no retraining): hyperparameters and template facts from the "
            f"code of commit {code}, figures read back from the model card of commit "
            f"{card_commit} as printed (span figures from the metadata)")
        order = ["rows", "template_rows", "threat_template_rows", "hate_template_rows",
                 "hyperparameters", "templates", "sources", "word_priors", "thresholds",
                 "clean_fpr", "in_domain", "bias", "loso", "spans", "template_audit",
                 "threat_audit", "smoke", "training_seconds", "provenance"]
        meta["report"] = {k: report[k] for k in order if k in report}
        # the order training wrote them in (the metadata had them sorted)
        meta["data_fingerprint"] = {f: meta["data_fingerprint"][f] for f in corpora_files}
        libs = meta["libraries"]
        meta["libraries"] = {k: libs[k] for k in ("scikit-learn", "numpy", "scipy", "python")}
        rewrite(path, meta)
        print(f"{name}: report stored ({len(json.dumps(meta['report']))} bytes of JSON)")
    for name, code in TIER2.items():
        path = MODELS / name
        meta = read_meta(path)
        c = constants(git_show(code, f"{OLD}/training.py"),
                      {"CLASSIFIER_CATEGORIES": CATS})
        meta["report"]["n_folds"] = c["N_FOLDS"]
        meta["report"]["loso_sources"] = list(c["LOSO_PLAN"])
        libs = meta["libraries"]  # the order training wrote them in (the metadata had them sorted)
        meta["libraries"] = {k: libs[k] for k in ("scikit-learn", "numpy", "torch",
                                                  "sentence-transformers", "python")}
        rewrite(path, meta)
        print(f"{name}: n_folds and loso_sources added")


if __name__ == "__main__":
    main()
