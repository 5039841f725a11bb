"""The models a web process needs to answer analyses itself (the Perspective-compatible API).

Loaded once per process on first use, from the same artifact the workers use
(``MODERATION_MODEL_PATH`` or ``models/LATEST``), so an analysis scores a text
exactly as the moderation pipeline would.
"""

from __future__ import annotations

import threading
from typing import Any

from moderation.classifier.artifact import load_classifier, read_metadata
from moderation.classifier.kannada import with_kannada
from moderation.classifier.language_model import LatinLanguageModel, load_latin_model
from moderation.pipeline.run import covered_languages as pipeline_languages
from moderation.settings import load_settings

_lock = threading.Lock()
_loaded: dict[tuple[str, str], Any] = {}


def scorer() -> Any:
    """The fast tier, routed through the Kannada head the settings name (as the workers)."""
    settings = load_settings()
    key = (str(settings.model_path) if settings.model_path else "", settings.kannada)
    model = _loaded.get(key)
    if model is None:
        with _lock:
            model = _loaded.get(key)
            if model is None:
                model = _loaded[key] = with_kannada(load_classifier(key[0] or None), key[1],
                                                    load_latin_model())
    return model


def covered_languages() -> frozenset[str]:
    """The languages the classifier declares it was validated on (lower case), as the pipeline reads them."""
    return frozenset(str(lang).lower() for lang in pipeline_languages(scorer()))


def language_model() -> LatinLanguageModel | None:
    return load_latin_model()


__all__ = ["covered_languages", "language_model", "read_metadata", "scorer"]
