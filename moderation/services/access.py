"""Who is acting on compliance data, what they may see, and the refusals services raise.

Services raise the domain errors (``moderation/domain/errors.py``); the HTTP edge
maps them to the JSON error shape and the CLI to messages and exit codes.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import object_session

from moderation.domain.actors import Actor
from moderation.domain.errors import Conflict, Corrupted, DomainError, Invalid, NotFound, Refused
from moderation.store import ApiKey, User

#: The compliance services raise the domain errors; these names are kept for them.
ComplianceError = DomainError

#: Ids are 32-bit integers in the database; larger ones can't name anything.
MAX_ID = 2**31 - 1


def in_id_range(value: int) -> bool:
    return 0 < value <= MAX_ID


def actor_for_key(key: ApiKey) -> Actor:
    """The actor a bearer key authenticates as, acting for the person who owns it.

    A key's person is its owner account (``owner_user_id``: shown as "Name (key name)"),
    else the person of the actor that created it (``person_id``: an admin key that creates
    compliance keys owns them), else the key itself (``key:<id>``).
    """
    owner_name = None
    if key.owner_user_id is not None:
        session = object_session(key)
        owner = session.get(User, key.owner_user_id) if session is not None else None
        owner_name = owner.display_name if owner is not None else None
    actor = Actor.for_key(key_id=key.id, name=key.name, role=key.role, site_id=key.site_id,
                          owner_user_id=key.owner_user_id, owner_name=owner_name)
    if key.owner_user_id is None and key.person_id:
        actor = replace(actor, person_id=key.person_id)
    return actor


SYSTEM_RETENTION = Actor.system("retention")


__all__ = ["MAX_ID", "SYSTEM_RETENTION", "Actor", "ComplianceError", "Conflict", "Corrupted",
           "Invalid", "NotFound", "Refused", "actor_for_key", "in_id_range"]
