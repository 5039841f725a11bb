"""Serve each site's active model: loaded once per process, chosen per comment's site.

The worker asks, per batch, which of the batch's sites have an active site model (one
indexed query) and loads an artifact the first time it sees that row; rows never change
their artifact, so the cache is keyed by row id and a new activation or a rollback is
picked up by the next batch. A site without one, or whose model was trained on another
base version (stale until the next ``adapt`` run) or can't be loaded, is scored by the
base: a site model affects its own site only, and never stops moderation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.classifier.model import ArtifactError
from moderation.classifier.site_model import SiteAdaptedClassifier, SiteModel, fast_tier
from moderation.pipeline.run import covered_languages
from moderation.store import SiteModel as SiteModelRow
from moderation.store.site_models import ACTIVE

log = logging.getLogger(__name__)


class SiteClassifiers:
    """Per-process cache of the sites' active models over one base classifier."""

    def __init__(self, base: Any) -> None:
        self.base = base
        self._fast = fast_tier(base)
        self._loaded: dict[int, Any] = {}  # by site_models row id
        self._by_site: dict[int, int] = {}
        self._refused: set[int] = set()

    def for_sites(self, session: Session, site_ids: Iterable[int]) -> dict[int, Any]:
        """The adapted classifier of each of ``site_ids`` that has a usable active model."""
        ids = sorted(set(site_ids))
        if self._fast is None or not ids:
            return {}
        out: dict[int, Any] = {}
        for row_id, site_id, base_version in session.execute(
                select(SiteModelRow.id, SiteModelRow.site_id, SiteModelRow.base_version)
                .where(SiteModelRow.site_id.in_(ids), SiteModelRow.status == ACTIVE)):
            clf = self._load(session, row_id, site_id, base_version)
            if clf is not None:
                out[site_id] = clf
        return out

    def _load(self, session: Session, row_id: int, site_id: int,
              base_version: str) -> Any:
        assert self._fast is not None
        if row_id in self._loaded:
            return self._loaded[row_id]
        if row_id in self._refused:
            return None
        if base_version != self._fast.version:
            log.warning("site %s: site model %s was trained on base %s, this worker runs %s; "
                        "scoring with the base until the next adapt run",
                        site_id, row_id, base_version, self._fast.version)
            self._refused.add(row_id)
            return None
        data = session.scalar(select(SiteModelRow.artifact).where(SiteModelRow.id == row_id))
        try:
            if data is None:
                raise ArtifactError("no artifact stored")
            clf = SiteAdaptedClassifier(self._fast, SiteModel.from_bytes(data),
                                        covered_languages(self.base))
        except ArtifactError as exc:
            log.error("site %s: site model %s can't be loaded (%s); scoring with the base",
                      site_id, row_id, exc)
            self._refused.add(row_id)
            return None
        served: Any = clf
        over = getattr(self.base, "over", None)
        if callable(over):  # the Kannada routing: the site's comments in Kannada keep the head
            served = over(clf)
        old = self._by_site.get(site_id)
        if old is not None:
            self._loaded.pop(old, None)
        self._by_site[site_id] = row_id
        self._loaded[row_id] = served
        return served
