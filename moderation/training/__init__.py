"""Offline training of the classifier: corpora, the training protocols of both tiers,
evaluation and audits, and the model cards rendered from the report stored in each artifact.

Serving (``moderation.classifier``) never imports this package; training needs the extras
that serving does not (scikit-learn's solvers, the sentence encoder, the peer model).

Modules, in the order a training run uses them: ``config`` (hyperparameters), ``corpora``
and ``templates`` / ``threat_templates`` (data), ``dataset`` (featurised training set),
``linear`` and ``priors`` (fits), ``calibration`` (Platt and thresholds), ``audits`` and
``span_tuning`` (figures), ``fast`` and ``tier2`` (the protocols), ``model_card`` and
``tier2_card`` (the cards). ``language_id`` trains the Latin-script language model on its own.
"""
