"""Render models/SITE_ADAPTATION.md (learning from moderators) from benchmarks/adapt.py's report."""

from __future__ import annotations

from typing import Any


def render_card(report: dict[str, Any]) -> str:
    return str(report)
