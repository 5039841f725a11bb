"""``webhooks`` commands: list, add, change, rotate the secret, see the delivery log and
redeliver. Each change goes through ``moderation/services/webhooks.py`` and is audited
with the actor ``system:cli``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

import click

from moderation.domain.actors import CLI
from moderation.domain.errors import DomainError
from moderation.services import webhook_delivery, webhooks
from moderation.settings import load_settings
from moderation.store.database import Database

T = TypeVar("T")


def _run(action: Callable[[], T]) -> T:
    try:
        return action()
    except DomainError as exc:
        problems = "; ".join(f"{d['field']}: {d['message']}" for d in exc.details)
        error = click.UsageError if exc.exit_code == 2 else click.ClickException
        raise error(f"{exc.message} {problems}".strip()) from None


@click.group("webhooks")
def group() -> None:
    """Manage signed webhook endpoints (README, "Webhooks")."""


@group.command("list")
@click.option("--site-id", type=int, default=None)
def list_command(site_id: int | None) -> None:
    """List endpoints (never their secrets)."""
    with Database.from_settings(load_settings()).session() as session:
        for endpoint in _run(lambda: webhooks.list_endpoints(session, site_id)):
            state = "enabled" if endpoint.enabled else f"disabled ({endpoint.disabled_reason})"
            click.echo(f"{endpoint.id}\tsite {endpoint.site_id}\t{endpoint.url}\t"
                       f"{','.join(endpoint.event_types)}\t{state}")


@group.command("add")
@click.option("--site-id", type=int, required=True)
@click.option("--url", required=True)
@click.option("--event", "events", multiple=True, required=True,
              type=click.Choice(webhooks.EVENT_TYPES), help="An event type (repeat for several).")
@click.option("--description", default="")
@click.option("--compliance", is_flag=True, help="May receive case.due_soon.")
def add_command(site_id: int, url: str, events: tuple[str, ...], description: str, compliance: bool) -> None:
    """Add an endpoint; prints its signing secret (shown once)."""
    settings = load_settings()
    with Database.from_settings(settings).session() as session:
        endpoint, secret = _run(lambda: webhooks.create_endpoint(
            session, site_id=site_id, url=url, description=description, event_types=list(events),
            compliance=compliance, actor=CLI, request_id=None, allowed=settings.webhook_networks))
    click.echo(f"endpoint {endpoint.id} created; signing secret (shown once):\n{secret}")


@group.command("set")
@click.argument("endpoint_id", type=int)
@click.option("--url", default=None)
@click.option("--event", "events", multiple=True, type=click.Choice(webhooks.EVENT_TYPES))
@click.option("--description", default=None)
@click.option("--enable/--disable", "enabled", default=None)
@click.option("--reason", default=None, help="Why it is disabled.")
def set_command(endpoint_id: int, url: str | None, events: tuple[str, ...], description: str | None,
                enabled: bool | None, reason: str | None) -> None:
    """Change an endpoint; --enable retries its pending deliveries at once."""
    settings = load_settings()
    with Database.from_settings(settings).session() as session:
        endpoint = _run(lambda: webhooks.get_endpoint(session, endpoint_id))
        change = webhooks.EndpointChange(url=url, description=description,
                                         event_types=list(events) or None, enabled=enabled,
                                         disabled_reason=reason)
        endpoint = _run(lambda: webhooks.update_endpoint(
            session, endpoint, change, actor=CLI, request_id=None, allowed=settings.webhook_networks))
    click.echo(f"endpoint {endpoint.id}: {'enabled' if endpoint.enabled else 'disabled'}")


@group.command("rotate-secret")
@click.argument("endpoint_id", type=int)
@click.option("--keep-previous-hours", type=float, default=24.0, show_default=True,
              help="How long the secrets in use keep signing next to the new one.")
def rotate_command(endpoint_id: int, keep_previous_hours: float) -> None:
    """Add a new signing secret; prints it (shown once)."""
    with Database.from_settings(load_settings()).session() as session:
        endpoint = _run(lambda: webhooks.get_endpoint(session, endpoint_id))
        _endpoint, secret = webhooks.rotate_secret(
            session, endpoint, expire_previous_after=timedelta(hours=keep_previous_hours), actor=CLI,
            request_id=None)
    click.echo(secret)


@group.command("deliveries")
@click.argument("endpoint_id", type=int)
@click.option("--status", type=click.Choice(["pending", "delivered", "failed"]), default=None)
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True)
def deliveries_command(endpoint_id: int, status: str | None, limit: int) -> None:
    """The delivery log as JSON lines, newest first."""
    with Database.from_settings(load_settings()).session() as session:
        endpoint = _run(lambda: webhooks.get_endpoint(session, endpoint_id))
        rows = webhooks.deliveries(session, endpoint, status=status, limit=limit)
        logs = webhooks.attempts(session, [d.id for d, _e in rows])
        for delivery, event in rows:
            click.echo(json.dumps({
                "id": delivery.id, "event": event.public_id, "type": event.type, "status": delivery.status,
                "attempts": [{"at": a.attempted_at.isoformat(), "status_code": a.status_code,
                              "latency_ms": a.latency_ms, "error": a.error}
                             for a in logs.get(delivery.id, [])],
            }))


@group.command("redeliver")
@click.argument("endpoint_id", type=int)
@click.argument("delivery_id", type=int)
def redeliver_command(endpoint_id: int, delivery_id: int) -> None:
    """Send a delivery again (the workers pick it up)."""
    with Database.from_settings(load_settings()).session() as session:
        endpoint = _run(lambda: webhooks.get_endpoint(session, endpoint_id))
        delivery = _run(lambda: webhooks.get_delivery(session, endpoint, delivery_id))
        webhooks.redeliver(session, endpoint, delivery, actor=CLI, request_id=None)
    click.echo(f"delivery {delivery_id} is pending again")


@group.command("deliver-now")
def deliver_now_command() -> None:
    """Deliver whatever is due from this process (no worker needed); prints a summary."""
    settings = load_settings()
    with Database.from_settings(settings).session() as session:
        report = webhook_delivery.deliver_due(session, webhook_delivery.config_from(settings))
    click.echo(f"{report.delivered} delivered, {report.retried} to retry, {report.failed} failed")


COMMANDS: list[click.Command] = [group]
