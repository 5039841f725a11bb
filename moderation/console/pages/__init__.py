"""The console's work pages, one module per page; :func:`register` puts them on the blueprint.

Each module's ``register(bp)`` only calls ``bp.add_url_rule`` with module-level view
functions, so a fresh ``console`` blueprint per application gets the same routes.
"""

from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    from moderation.console.pages import (
        admin_keys,
        admin_policy,
        admin_site_models,
        admin_sites,
        admin_webhooks,
        bans,
        comments,
        common,
        compliance_cases,
        compliance_exports,
        compliance_holds,
        compliance_ops,
        dashboard,
        queue,
        search,
    )

    common.register(bp)
    for module in (queue, comments, search, bans, dashboard, admin_sites, admin_site_models,
                   admin_keys, admin_policy, admin_webhooks, compliance_cases, compliance_exports,
                   compliance_holds, compliance_ops):
        module.register(bp)
