"""HTTP edge: one blueprint per module, wired by :func:`init_app`."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from moderation.api import auth, comments, compliance, health, metrics, openapi

    auth.init_app(app)
    metrics.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(comments.bp)
    app.register_blueprint(compliance.bp)
    from moderation.api import (
        admin,
        audit_log,
        bans,
        coral,
        decisions,
        perspective,
        ratelimit,
        review,
        site_models,
        stats,
    )

    ratelimit.init_app(app)
    for module in (review, decisions, bans, stats, admin, audit_log, perspective, site_models, coral):
        app.register_blueprint(module.bp)
    from moderation.api import webhooks

    app.register_blueprint(webhooks.bp)
