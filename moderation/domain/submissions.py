"""What intake needs to know about a validated comment, independent of how it arrived.

The API's pydantic ``CommentIn`` satisfies these protocols, and so can any other
edge (an import, Coral's external moderation) without the services importing it.
"""

from __future__ import annotations

from typing import Protocol


class Author(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def email(self) -> str: ...


class Sender(Protocol):
    @property
    def ip(self) -> str: ...
    @property
    def user_agent(self) -> str | None: ...


class CommentSubmission(Protocol):
    @property
    def article_id(self) -> str: ...
    @property
    def article_url(self) -> str | None: ...
    @property
    def parent_id(self) -> str | None: ...
    @property
    def external_id(self) -> str | None: ...
    @property
    def title(self) -> str: ...
    @property
    def comment(self) -> str: ...
    @property
    def author(self) -> Author: ...
    @property
    def sender(self) -> Sender: ...
