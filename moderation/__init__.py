"""Comment moderation service: the Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from moderation.settings import Settings, load_settings


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the web application.

    ``test_config`` overrides settings fields by name (``database_url``, ``redis_url``,
    ...); everything else comes from the environment (see moderation/settings.py).
    """
    from moderation import errors, logs, webhook_queue
    from moderation.api import context, converters, guards
    from moderation.api import init_app as init_api
    from moderation.celery_setup import celery_init_app
    from moderation.console import init_app as init_console
    from moderation.store import encrypted
    from moderation.store.database import Database

    settings: Settings = load_settings(**(test_config or {}))
    encrypted.configure(settings.totp_key_bytes())
    app = Flask(__name__)
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
    )
    app.extensions["settings"] = settings
    app.extensions["db"] = Database.from_settings(settings)
    logs.init_app(app)
    converters.init_app(app)  # before any route is added
    context.init_app(app)
    errors.init_app(app)
    guards.init_app(app)
    init_api(app)
    init_console(app)
    celery_init_app(app)
    webhook_queue.init_app(app)
    if settings.proxy_hops:
        # Trust exactly this many proxies' X-Forwarded-For/-Proto/-Host (README, "Deployment"):
        # request.remote_addr, and so each comment's submitted_from, is then the client's address.
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app
