"""The Celery app factory and config live in :mod:`moderation.celery_setup` (so that
``moderation`` never imports ``workers``); re-exported here for existing imports."""

from moderation.celery_setup import celery_config, celery_init_app

__all__ = ["celery_config", "celery_init_app"]
