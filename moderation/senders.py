"""Sender identity helpers: the keyed pseudonym and the masked forms moderators see."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress


def normalise_email(email: str) -> str:
    return email.strip().casefold()


#: Stands for "every site" in :func:`pseudonym` (only an all-sites erasure names its sender so).
ALL_SITES = "*"


def pseudonym(pseudonym_key: str, site_id: int | str, email: str) -> str:
    """A stable, keyed, non-reversible sender id, so a site's moderators spot repeat
    offenders: HMAC-SHA256(key, "<site id>:<normalised email>"), as ``snd_`` and 20 hex
    digits. Keyed per site, so the same reader has unrelated pseudonyms on two sites."""
    message = f"{site_id}:{normalise_email(email)}".encode()
    digest = hmac.new(pseudonym_key.encode(), message, hashlib.sha256)
    return "snd_" + digest.hexdigest()[:20]


def mask_ip(ip: str | None) -> str | None:
    """IPv4 → its /24 prefix, IPv6 → its /48 prefix; never the full address."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def mask_email(email: str | None) -> str | None:
    """``reader@example.com`` → ``r***@example.com``."""
    if not email or "@" not in email:
        return None
    local, _, domain = email.rpartition("@")
    return f"{local[:1]}***@{domain}"
