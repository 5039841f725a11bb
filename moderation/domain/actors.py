"""Who is acting: a person, a machine key or the system itself.

One :class:`Actor` value is built at the edge (the API from the bearer key or the
console session, the CLI from the operator, a task from its job name) and passed
into every service. Services record ``actor.id`` (stable, unique) and
``actor.display_name`` on audit events, decisions, bans, cases, exports and
approvals. ``person_id`` names the human behind the action: the two-person rule
compares persons, not keys, so two keys one person made count as one person.

Stable ids:
- ``user:<id>``: a personal account (the console; a key's owner);
- ``key:<id>``: an API key; a key without an owner counts as its own person;
- ``system:<job>``: the service itself (``system:cli``, ``system:retention``, ...).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["user", "key", "system"]


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated principal. ``site_ids`` None means every site."""

    kind: ActorKind
    id: str
    display_name: str
    role: str | None = None
    site_ids: frozenset[int] | None = None
    person_id: str | None = None  # defaults to ``id``
    key_id: int | None = None
    user_id: int | None = None

    def __post_init__(self) -> None:
        if self.person_id is None:
            object.__setattr__(self, "person_id", self.id)

    # --- constructors -------------------------------------------------------------
    @classmethod
    def system(cls, job: str, display_name: str | None = None) -> Actor:
        """The service acting on its own (a scheduled job, the local operator's CLI)."""
        return cls(kind="system", id=f"system:{job}", display_name=display_name or job,
                   role="system")

    @classmethod
    def for_key(
        cls,
        *,
        key_id: int,
        name: str,
        role: str,
        site_id: int | None,
        owner_user_id: int | None = None,
        owner_name: str | None = None,
    ) -> Actor:
        """An API key; a key a person made acts for that person (``person_id``)."""
        person = f"user:{owner_user_id}" if owner_user_id is not None else f"key:{key_id}"
        display = f"{owner_name} (key {name})" if owner_name else name
        return cls(kind="key", id=f"key:{key_id}", display_name=display, role=role,
                   site_ids=None if site_id is None else frozenset({site_id}),
                   person_id=person, key_id=key_id, user_id=owner_user_id)

    @classmethod
    def for_user(
        cls, *, user_id: int, display_name: str, role: str, site_ids: Iterable[int] | None
    ) -> Actor:
        """A signed-in person; ``site_ids`` None means every site."""
        return cls(kind="user", id=f"user:{user_id}", display_name=display_name, role=role,
                   site_ids=None if site_ids is None else frozenset(site_ids),
                   user_id=user_id)

    # --- scope ----------------------------------------------------------------------
    @property
    def is_scoped(self) -> bool:
        return self.site_ids is not None

    @property
    def site_id(self) -> int | None:
        """The one site of an actor confined to exactly one (a site key), else None."""
        if self.site_ids is not None and len(self.site_ids) == 1:
            return next(iter(self.site_ids))
        return None

    def may_see(self, site_id: int | None) -> bool:
        """Unscoped actors see everything; a scoped one only objects of its own sites."""
        return self.site_ids is None or (site_id is not None and site_id in self.site_ids)

    def visible_site_ids(self) -> list[int] | None:
        """None: every site; otherwise the sorted ids this actor may act on."""
        return None if self.site_ids is None else sorted(self.site_ids)

    def same_person(self, other_person_id: str | None) -> bool:
        return other_person_id is not None and other_person_id == self.person_id

    @property
    def label(self) -> str:
        """The stable id (kept for older call sites that recorded ``label``)."""
        return self.id

    def record(self) -> dict[str, str]:
        """How an action's author is shown in API answers: stable id and display name."""
        return {"id": self.id, "name": self.display_name}


#: The local operator running ``python -m moderation ...``.
CLI = Actor.system("cli", "command line")
