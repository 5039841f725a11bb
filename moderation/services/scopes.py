"""The scope of a disclosure request or legal hold, and how records are matched to it.

A scope narrows comments by any of: comment ids, site, article id, sender email,
sender IP (an address or a CIDR block) and a submission-time window. Every given
criterion must match. The same rules are applied in SQL (exports) and in Python
(holds during retention and erasure); :meth:`Scope.matches` is the reference.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from moderation.services.access import Actor, Invalid, NotFound
from moderation.store import Comment, SenderDetails, Site

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Record:
    """What scope matching needs to know about one comment and its sender."""

    comment_id: int
    site_id: int
    article_id: str
    email: str | None
    ip: str | None
    created_at: datetime


def _network(value: str) -> Network:
    return ipaddress.ip_network(value.strip(), strict=False)


@dataclass(frozen=True)
class Scope:
    site_id: int | None = None
    comment_ids: tuple[int, ...] | None = None
    article_id: str | None = None
    sender_email: str | None = None
    sender_ip: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    # -- (de)serialisation: the JSON column holds exactly these keys ------------------
    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "site_id": self.site_id,
            "comment_ids": list(self.comment_ids) if self.comment_ids is not None else None,
            "article_id": self.article_id,
            "sender_email": self.sender_email,
            "sender_ip": self.sender_ip,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }
        return {name: value for name, value in data.items() if value is not None}

    @classmethod
    def from_json(cls, data: dict[str, Any], site_id: int | None) -> Scope:
        ids = data.get("comment_ids")
        return cls(
            site_id=site_id,
            comment_ids=tuple(int(i) for i in ids) if ids is not None else None,
            article_id=data.get("article_id"),
            sender_email=data.get("sender_email"),
            sender_ip=data.get("sender_ip"),
            since=datetime.fromisoformat(data["since"]) if data.get("since") else None,
            until=datetime.fromisoformat(data["until"]) if data.get("until") else None,
        )

    # -- matching ---------------------------------------------------------------------
    @property
    def network(self) -> Network | None:
        return _network(self.sender_ip) if self.sender_ip else None

    @property
    def needs_ip_check(self) -> bool:
        """True when SQL can only pre-filter the IP criterion (a CIDR block)."""
        network = self.network
        return network is not None and network.num_addresses > 1

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions over ``comments`` joined with ``sender_details``.

        A CIDR block is pre-filtered by its leading IPv4 octets where possible;
        rows must then pass :meth:`ip_matches` (see :attr:`needs_ip_check`).
        """
        conditions: list[ColumnElement[bool]] = []
        if self.site_id is not None:
            conditions.append(Comment.site_id == self.site_id)
        if self.comment_ids is not None:
            conditions.append(Comment.id.in_(self.comment_ids))
        if self.article_id is not None:
            conditions.append(Comment.article_id == self.article_id)
        if self.sender_email is not None:
            conditions.append(func.lower(SenderDetails.email) == self.sender_email.lower())
        network = self.network
        if network is not None:
            if network.num_addresses == 1:
                conditions.append(SenderDetails.ip == str(network.network_address))
            else:
                conditions.append(SenderDetails.ip.is_not(None))
                octets = network.prefixlen // 8
                if network.version == 4 and octets:
                    prefix = ".".join(str(network.network_address).split(".")[:octets]) + "."
                    conditions.append(SenderDetails.ip.startswith(prefix, autoescape=True))
        if self.since is not None:
            conditions.append(Comment.created_at >= self.since)
        if self.until is not None:
            conditions.append(Comment.created_at <= self.until)
        return conditions

    def ip_matches(self, ip: str | None) -> bool:
        network = self.network
        if network is None:
            return True
        if not ip:
            return False
        try:
            return ipaddress.ip_address(ip) in network
        except ValueError:
            return False

    def matches(self, record: Record) -> bool:
        """Whether one record falls inside the scope (the reference semantics)."""
        if self.site_id is not None and record.site_id != self.site_id:
            return False
        if self.comment_ids is not None and record.comment_id not in self.comment_ids:
            return False
        if self.article_id is not None and record.article_id != self.article_id:
            return False
        if self.sender_email is not None and (
            record.email is None or record.email.lower() != self.sender_email.lower()
        ):
            return False
        if not self.ip_matches(record.ip):
            return False
        if self.since is not None and record.created_at < self.since:
            return False
        return not (self.until is not None and record.created_at > self.until)


def resolve_site(session: Session, site: str | int | None, actor: Actor) -> int | None:
    """The site a new case or hold is confined to.

    A scoped key is always confined to its own site; naming another site answers
    exactly as naming one that doesn't exist (not found). A person on several sites
    must name one.
    """
    site_id: int | None = None
    if site is not None:
        where = Site.id == site if isinstance(site, int) else Site.name == site
        site_id = session.scalars(select(Site.id).where(where)).one_or_none()
        if site_id is None or not actor.may_see(site_id):
            raise NotFound("No such site.")
    if site_id is None and actor.is_scoped:
        if actor.site_id is None:  # a person on several sites names the one the case is about
            raise Invalid.field("scope.site", "required",
                                "Choose the site: you act on several, and a case or hold "
                                "covers one site.")
        return actor.site_id
    return site_id


def build_scope(
    session: Session,
    actor: Actor,
    *,
    site: str | int | None = None,
    comment_ids: Sequence[int] | None = None,
    article_id: str | None = None,
    sender_email: str | None = None,
    sender_ip: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Scope:
    """Validate and resolve a scope for ``actor`` (site names become ids)."""
    network = _network(sender_ip) if sender_ip else None
    return Scope(
        site_id=resolve_site(session, site, actor),
        comment_ids=tuple(sorted(set(comment_ids))) if comment_ids is not None else None,
        article_id=article_id,
        sender_email=sender_email.strip() if sender_email else None,
        sender_ip=str(network) if network is not None else None,
        since=since,
        until=until,
    )


#: Ids looked up per query when checking requested comment ids (well under any bind limit).
_ID_CHUNK = 1000


def out_of_scope_ids(session: Session, scope: Scope) -> list[int]:
    """The requested ``comment_ids`` that the scope's site doesn't hold, in order.

    Another site's comment and one that doesn't exist are reported alike, so a
    site-scoped officer learns nothing about other sites. Empty without ``comment_ids``.
    """
    if not scope.comment_ids:
        return []
    found: set[int] = set()
    ids = list(scope.comment_ids)
    for start in range(0, len(ids), _ID_CHUNK):
        query = select(Comment.id).where(Comment.id.in_(ids[start:start + _ID_CHUNK]))
        if scope.site_id is not None:
            query = query.where(Comment.site_id == scope.site_id)
        found.update(session.scalars(query))
    return [comment_id for comment_id in ids if comment_id not in found]


def out_of_scope_warning(ids: Sequence[int], *, site_bound: bool, what: str = "case") -> str | None:
    """What to tell the officer about ``ids`` (None when there are none)."""
    if not ids:
        return None
    shown = ", ".join(str(i) for i in ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
    where = (f"are not comments of this {what}'s site (another site's, or none at all)" if site_bound
             else "are not comments that exist")
    return f"{len(ids)} of the requested comment_ids {where}, so no record of them is covered: {shown}."
