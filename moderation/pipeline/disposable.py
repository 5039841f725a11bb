"""Well-known disposable (throwaway) email domains, for the site option that blocks them.

A short, curated list of the largest providers; sites that need more add domains
to their ``email_domains`` blocklist. Subdomains of a listed domain match too.
"""

from __future__ import annotations

DISPOSABLE_DOMAINS: frozenset[str] = frozenset({
    "10minutemail.com", "10minutemail.net", "20minutemail.com", "33mail.com",
    "anonbox.net", "burnermail.io", "discard.email", "dispostable.com", "dropmail.me",
    "emailondeck.com", "fakeinbox.com", "getairmail.com", "getnada.com", "guerrillamail.biz",
    "guerrillamail.com", "guerrillamail.de", "guerrillamail.info", "guerrillamail.net",
    "guerrillamail.org", "guerrillamailblock.com", "harakirimail.com", "inboxkitten.com",
    "jetable.org", "mailcatch.com", "maildrop.cc", "mailinator.com", "mailinator.net",
    "mailnesia.com", "mailpoof.com", "mintemail.com", "moakt.com", "mohmal.com",
    "mytemp.email", "nada.email", "sharklasers.com", "spam4.me", "spamgourmet.com",
    "temp-mail.io", "temp-mail.org", "tempail.com", "tempmail.com", "tempmail.net",
    "tempmailo.com", "tempr.email", "throwawaymail.com", "trashmail.com", "trashmail.de",
    "trashmail.net", "yopmail.com", "yopmail.fr", "yopmail.net",
})
