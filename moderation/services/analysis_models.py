"""The models a web process needs to answer analyses itself (the Perspective-compatible API).

Loaded once per process on first use, from the same artifact the workers use
(``MODERATION_MODEL_PATH`` or ``models/LATEST``), so an analysis scores a text
exactly as the moderation pipeline would.
"""

from __future__ import annotations

import threading

from moderation.classifier.artifact import load_classifier, read_metadata
from moderation.classifier.language_model import LatinLanguageModel, load_latin_model
from moderation.classifier.model import ToxicityClassifier
from moderation.pipeline.run import covered_languages as pipeline_languages
from moderation.settings import load_settings

_lock = threading.Lock()
_loaded: dict[str, ToxicityClassifier] = {}


def _model_path() -> str | None:
    path = load_settings().model_path
    return str(path) if path else None


def scorer() -> ToxicityClassifier:
    path = _model_path() or ""
    model = _loaded.get(path)
    if model is None:
        with _lock:
            model = _loaded.get(path)
            if model is None:
                model = _loaded[path] = load_classifier(path or None)
    return model


def covered_languages() -> frozenset[str]:
    """The languages the classifier declares it was validated on (lower case), as the pipeline reads them."""
    return frozenset(str(lang).lower() for lang in pipeline_languages(scorer()))


def language_model() -> LatinLanguageModel | None:
    return load_latin_model()


__all__ = ["covered_languages", "language_model", "read_metadata", "scorer"]
