"""Builders for sites, keys and request bodies used across the tests."""

from __future__ import annotations

import copy
from typing import Any

from flask import Flask

from moderation import keys
from moderation.store import Site


def make_site(app: Flask, name: str = "news-one", policy: dict[str, Any] | None = None) -> int:
    with app.extensions["db"].session() as session:
        site = Site(name=name, policy=policy or {})
        session.add(site)
        session.commit()
        return site.id


def make_key(app: Flask, role: str, site_id: int | None = None, name: str | None = None) -> str:
    with app.extensions["db"].session() as session:
        site = session.get(Site, site_id) if site_id is not None else None
        _key, token = keys.create_key(session, role=role, site=site, name=name)
        session.commit()
        return token


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


BASE_COMMENT: dict[str, Any] = {
    "article_id": "budget-2026",
    "title": "On the budget",
    "comment": "A thoughtful piece; the figures on rural spending deserve more attention.",
    "author": {"name": "Asha Rao", "email": "asha@example.com"},
    "sender": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"},
}


def comment_body(**overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE_COMMENT)
    body.update(overrides)
    return body
