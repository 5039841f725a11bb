"""The domain's own vocabulary, free of Flask, Celery and SQLAlchemy: who acts, and how it fails."""
