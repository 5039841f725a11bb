"""Comment classifier: calibrated category probabilities with span explanations.

Pure Python + numpy; no Flask, Celery or SQLAlchemy. Load once per process with
:func:`load_classifier` and call :meth:`ToxicityClassifier.predict`.
"""

from moderation.classifier.artifact import load_classifier
from moderation.classifier.model import ArtifactError, ClassifierOutput, ToxicityClassifier

__all__ = ["ArtifactError", "ClassifierOutput", "ToxicityClassifier", "load_classifier"]
