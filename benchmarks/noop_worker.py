"""Entry module for the floor's worker: ``celery -A benchmarks.noop_worker worker``."""

import os

from benchmarks.noop_app import make_celery

celery_app = make_celery(os.environ["REDIS_URL"])
