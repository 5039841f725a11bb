"""Saving and loading the classifier as plain arrays (.npz, no pickle) plus JSON metadata.

Loading never executes code: ``np.load(..., allow_pickle=False)`` only reads numeric arrays,
and the metadata is JSON stored as bytes. The artifact records the scikit-learn version
that trained it; a different installed version is refused, because thresholds and
calibration were validated for that exact training stack.
"""

from __future__ import annotations

import json
import os
import zipfile
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

import numpy as np

from moderation.classifier.features import HashedFeaturizer
from moderation.classifier.model import ArtifactError, ToxicityClassifier
from moderation.classifier.word_priors import WordPriors
from moderation.pipeline.types import CLASSIFIER_CATEGORIES

#: v2 adds the word-prior table (``word_priors.py``); v1 artifacts (no table) still load.
FORMAT = "moderation-linear-v2"
FORMATS = ("moderation-linear-v1", FORMAT)
MODELS_DIR = Path(__file__).resolve().parents[2] / "models"
#: models/LATEST names the default artifact file.
LATEST = "LATEST"
ENV_VAR = "MODERATION_MODEL_PATH"
_ARRAYS = ("idf", "coef", "intercept", "platt_a", "platt_b")
_PRIOR_ARRAYS = ("prior_hash", "prior", "prior_weight")


def installed_sklearn() -> str:
    return pkg_version("scikit-learn")


def save_classifier(clf: ToxicityClassifier, path: Path) -> Path:
    meta = dict(clf.metadata)
    meta.update(
        format=FORMAT if clf.priors is not None else FORMATS[0],
        version=clf.version,
        categories=list(CLASSIFIER_CATEGORIES),
        thresholds=clf.thresholds,
        featurizer={
            "word_bits": clf.featurizer.word_bits,
            "char_bits": clf.featurizer.char_bits,
            "char_min": clf.featurizer.char_min,
            "char_max": clf.featurizer.char_max,
        },
        span_rel=clf.span_rel,
        span_abs=clf.span_abs,
    )
    return write_npz(
        path,
        meta,
        idf=clf.idf.astype(np.float32),
        # float16 halves the file; scores move by < 1e-3 (checked at training time)
        coef=clf.coef.astype(np.float16),
        intercept=clf.intercept.astype(np.float64),
        platt_a=clf.platt_a.astype(np.float64),
        platt_b=clf.platt_b.astype(np.float64),
        **_prior_arrays(clf.priors),
    )


def _prior_arrays(priors: WordPriors | None) -> dict[str, np.ndarray]:
    if priors is None:
        return {}
    return {
        "prior_hash": priors.hashes.astype(np.uint64),
        # float16: a prior moves by < 0.01 logit, times a weight of 0.5
        "prior": priors.priors.astype(np.float16),
        "prior_weight": priors.weight.astype(np.float64),
    }


def write_npz(path: Path, meta: dict[str, Any], **arrays: np.ndarray) -> Path:
    """Write numeric arrays plus JSON metadata (as bytes) atomically; records scikit-learn.

    The metadata may carry the training report (``meta["report"]``) that the model card is
    rendered from (``moderation.training.model_card``)."""
    meta = dict(meta)
    meta.setdefault("sklearn_version", installed_sklearn())
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    # top-level keys sorted (stable bytes); nested objects keep their order, so the training
    # report's tables come back in the order the model card prints them
    doc = json.dumps(dict(sorted(meta.items())))
    meta_bytes = np.frombuffer(doc.encode(), dtype=np.uint8)
    np.savez_compressed(tmp, meta=meta_bytes, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)
    return path


def default_path() -> Path:
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env)
    pointer = MODELS_DIR / LATEST
    if not pointer.is_file():
        raise ArtifactError(
            f"no default model: {pointer} is missing. Train one with "
            "`python -m moderation train --data ../shared/data` or set "
            f"{ENV_VAR} to an artifact path."
        )
    return MODELS_DIR / pointer.read_text().strip()


def read_metadata(path: Path) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return dict(json.loads(z["meta"].tobytes()))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise ArtifactError(f"cannot read model artifact {path}: {exc}") from exc


def read_artifact(
    p: Path, fmt: str | tuple[str, ...], keys: tuple[str, ...], kind: str, retrain: str,
    optional: tuple[str, ...] = (),
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """(metadata, arrays) of an .npz artifact, after the checks every artifact shares: it
    exists and parses, has format ``fmt`` (or one of them) and our categories, and was built
    with the installed scikit-learn (else the message names ``python -m moderation
    {retrain}``). Arrays named in ``optional`` are read when present."""
    if not p.is_file():
        raise ArtifactError(f"{kind} not found: {p}")
    try:
        with np.load(p, allow_pickle=False) as z:
            meta = dict(json.loads(z["meta"].tobytes()))
            arrays = {k: np.asarray(z[k]) for k in keys}
            arrays.update({k: np.asarray(z[k]) for k in optional if k in z.files})
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
        raise ArtifactError(f"corrupt {kind} {p}: {exc}") from exc
    formats = (fmt,) if isinstance(fmt, str) else fmt
    if meta.get("format") not in formats:
        raise ArtifactError(
            f"{p}: unknown artifact format {meta.get('format')!r}, want {' or '.join(formats)}"
        )
    built, installed = meta.get("sklearn_version"), installed_sklearn()
    if built != installed:
        raise ArtifactError(
            f"{p} was built with scikit-learn {built}, but scikit-learn {installed} is "
            "installed. Install the pinned version (pip install -r requirements.txt) or "
            f"retrain: python -m moderation {retrain} --data ../shared/data"
        )
    if tuple(meta.get("categories", ())) != CLASSIFIER_CATEGORIES:
        raise ArtifactError(f"{p}: categories {meta.get('categories')} != {CLASSIFIER_CATEGORIES}")
    return meta, arrays


def parse_thresholds(meta: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Review/reject thresholds from artifact metadata; ValueError unless every category has them."""
    thresholds = {
        c: {"reject": float(t["reject"]), "review": float(t["review"])}
        for c, t in meta["thresholds"].items()
    }
    if set(thresholds) != set(CLASSIFIER_CATEGORIES):
        raise ValueError("thresholds do not cover every category")
    return thresholds


def load_classifier(path: str | Path | None = None) -> ToxicityClassifier:
    """Load an artifact; ``None`` means $MODERATION_MODEL_PATH, else models/LATEST."""
    p = Path(path) if path is not None else default_path()
    meta, arrays = read_artifact(p, FORMATS, _ARRAYS, "model artifact", "train", _PRIOR_ARRAYS)
    try:
        featurizer = HashedFeaturizer(**meta["featurizer"])
        thresholds = parse_thresholds(meta)
        n_cat = len(CLASSIFIER_CATEGORIES)
        if arrays["coef"].shape != (n_cat, featurizer.n_features) or arrays["idf"].shape != (
            featurizer.n_features,
        ):
            raise ValueError(f"array shapes {arrays['coef'].shape} do not match the featurizer")
        priors = None
        if meta["format"] == FORMAT:
            if not all(k in arrays for k in _PRIOR_ARRAYS):
                raise ValueError("the word-prior table is missing")
            priors = WordPriors(arrays["prior_hash"].astype(np.uint64),
                                arrays["prior"].astype(np.float32),
                                arrays["prior_weight"].astype(np.float64))
            if priors.priors.shape[1] != n_cat:
                raise ValueError(f"word priors cover {priors.priors.shape[1]} categories, not {n_cat}")
        return ToxicityClassifier(
            version=str(meta["version"]),
            thresholds=thresholds,
            featurizer=featurizer,
            idf=arrays["idf"].astype(np.float64),
            coef=arrays["coef"].astype(np.float32),
            intercept=arrays["intercept"],
            platt_a=arrays["platt_a"],
            platt_b=arrays["platt_b"],
            span_rel=float(meta.get("span_rel", 0.3)),
            span_abs=float(meta.get("span_abs", 0.02)),
            metadata=meta,
            priors=priors,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ArtifactError(f"corrupt model artifact {p}: {exc}") from exc
