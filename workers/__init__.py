"""Celery application and tasks. Start a worker with ``celery -A workers.worker worker``."""
