"""The moderation pipeline: pure functions from a comment to a verdict.

Nothing in this package imports Flask, Celery or SQLAlchemy; the worker and the
scoring CLI both call :func:`moderation.pipeline.run.moderate`.
"""
