"""Answers in the same request: ``Prefer: wait=N`` on intake and edits (RFC 7240).

The view stores the comment (committed, enqueued) as always, then, if the request
asked to wait, waits up to N seconds *from the start of the request* (at most
``prefer.MAX_WAIT_SECONDS``) for the worker's verdict and answers it with ``200`` and
``Preference-Applied: wait=N``; when the time runs out it gives the answer it would
have given without the header (``202``). The request's own database session is
closed first, and each look at the comment uses a short session of its own, so a
waiting request holds no transaction and no pooled connection (on SQLite, no lock
that the worker's write would queue behind). The waking up is
``moderation/verdict_signal.py``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import current_app, request
from pydantic import BaseModel

from moderation.api.context import database, db_session, settings
from moderation.api.prefer import requested_wait
from moderation.services.settled import Settled, settled
from moderation.verdict_signal import waiter

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Wait:
    """What the request asked for: ``seconds`` (as applied), until ``deadline`` (monotonic)."""

    seconds: int
    deadline: float

    @property
    def applied(self) -> dict[str, str]:
        return {"Preference-Applied": f"wait={self.seconds}"}


def requested() -> Wait | None:
    """The request's ``Prefer: wait``, timed from now (call it first thing in the view)."""
    seconds = requested_wait(request.headers.getlist("Prefer"))
    return None if seconds is None else Wait(seconds, time.monotonic() + seconds)


def when_settled(wait: Wait, comment_id: int, build: Callable[[Settled], M]) -> M | None:
    """``build(settled)`` once the comment's current revision is settled, or None if the
    deadline passes first."""
    db_session().close()  # nothing held while waiting: the comment was committed already

    def check() -> M | None:
        with database().session() as session:
            state = settled(session, comment_id)
            return None if state is None else build(state)

    return waiter(current_app.extensions, settings()).wait(comment_id, check, wait.deadline)
