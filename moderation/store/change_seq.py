"""The change feed's position: ``comments.change_seq``, handed out in commit order.

A site polls ``GET /v1/comments?cursor=...`` for comments whose ``change_seq`` is
past the last one it saw. That is only safe if a row can never become visible with
a position *below* one a reader has already passed. Wall-clock timestamps and plain
sequences both break that: two transactions take 10 and 11, 11 commits first, a
reader pages past 11, then 10 commits and is never seen.

So the position comes from a one-row counter (``change_counter``) that every
transaction changing a comment increments, and the row lock on that counter is held
until the transaction ends. The next writer gets its number only after the previous
one has committed (and become visible), so positions are handed out in commit order
and a reader that has seen position N has already been able to see every position
below N.

- PostgreSQL: a *deferred* constraint trigger runs at COMMIT, so the counter's lock
  is held only for the commit itself, not for the whole transaction.
- SQLite: writers are already serialised (``BEGIN IMMEDIATE``), so a plain trigger
  gives the same order.

The triggers fire on the columns a site cares about (a new comment, its status,
text, revision, withdrawal, a moderator's decision), not on a worker's lease, so
claims don't move comments in the feed. Application code never writes
``change_seq``; every writer, current and future, is covered by the database.

SQLite drops a table's triggers when Alembic's batch mode recreates it: a migration
that recreates ``comments`` must call :func:`install` again (the change-feed tests
check that the triggers exist at head).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

#: The columns whose change moves a comment in the feed.
TRACKED_COLUMNS = ("status", "text", "title", "revision", "withdrawn_at", "last_decision",
                   "moderated_at")

_SQLITE_BUMP = """
    UPDATE change_counter SET value = value + 1 WHERE id = 1;
    UPDATE comments SET change_seq = (SELECT value FROM change_counter WHERE id = 1)
    WHERE id = NEW.id;
"""
SQLITE_DDL = (
    f"""CREATE TRIGGER comments_change_seq_insert AFTER INSERT ON comments
    FOR EACH ROW BEGIN {_SQLITE_BUMP} END""",
    f"""CREATE TRIGGER comments_change_seq_update
    AFTER UPDATE OF {", ".join(TRACKED_COLUMNS)} ON comments
    FOR EACH ROW BEGIN {_SQLITE_BUMP} END""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS comments_change_seq_update",
    "DROP TRIGGER IF EXISTS comments_change_seq_insert",
)

POSTGRES_DDL = (
    """CREATE OR REPLACE FUNCTION comments_bump_change_seq() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE next_position bigint;
    BEGIN
        -- The row lock taken here is held until COMMIT ends: commit-ordered positions.
        UPDATE change_counter SET value = value + 1 WHERE id = 1 RETURNING value INTO next_position;
        UPDATE comments SET change_seq = next_position WHERE id = NEW.id;
        RETURN NULL;
    END $$""",
    f"""CREATE CONSTRAINT TRIGGER comments_change_seq
    AFTER INSERT OR UPDATE OF {", ".join(TRACKED_COLUMNS)} ON comments
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION comments_bump_change_seq()""",
)
POSTGRES_DROP = (
    "DROP TRIGGER IF EXISTS comments_change_seq ON comments",
    "DROP FUNCTION IF EXISTS comments_bump_change_seq()",
)


def install(op: Any) -> None:
    """Create the triggers (from a migration: ``op`` is ``alembic.op``)."""
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DROP + SQLITE_DDL if dialect == "sqlite" else POSTGRES_DROP + POSTGRES_DDL:
        op.execute(statement)


def uninstall(op: Any) -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DROP if dialect == "sqlite" else POSTGRES_DROP:
        op.execute(statement)


def installed(connection: Any) -> bool:
    """Whether the triggers exist (a check for tests and ``doctor``-style commands)."""
    if connection.dialect.name == "sqlite":
        names = set(connection.execute(text(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'comments'"
        )).scalars())
        return {"comments_change_seq_insert", "comments_change_seq_update"} <= names
    found = connection.execute(text(
        "SELECT count(*) FROM pg_trigger WHERE tgname = 'comments_change_seq' AND NOT tgisinternal"
    )).scalar_one()
    return bool(found)
