"""``adapt --site NAME`` (train, gate and activate a site's model) and ``--rollback``.

Audited with the operating-system user as the actor (``system:cli``), like the other
operator commands. Exit status: 0 when a model was activated or rolled back, 1 when the
run kept the base or was refused (too few labels: the reason is printed), 2 on bad input
(an unknown site).
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path
from typing import Any

import click

from moderation.domain.actors import Actor


def _operator() -> Actor:
    return Actor.system("cli", f"command line ({getpass.getuser()})")


def _say(message: str) -> None:
    click.echo(message, err=True)


@click.command("adapt")
@click.option("--site", "site_name", required=True, help="The site's name.")
@click.option("--rollback", is_flag=True,
              help="Retire the active site model and reactivate the one before it (or the base).")
@click.option("--model", "model_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Base artifact (default: $MODERATION_MODEL_PATH or models/LATEST).")
def adapt_command(site_name: str, rollback: bool, model_path: Path | None) -> None:
    """Train SITE's model from its moderators' decisions; activate it only if it beats the base."""
    from moderation.classifier import ArtifactError
    from moderation.classifier.artifact import load_classifier
    from moderation.domain.errors import DomainError
    from moderation.services import adaptation
    from moderation.settings import load_settings
    from moderation.store.database import Database

    settings = load_settings()
    db = Database.from_settings(settings)
    with db.session() as session:
        try:
            site = adaptation.require_site(session, site_name)
            if rollback:
                gone, restored = adaptation.rollback(session, site, actor=_operator())
                click.echo(f"rolled back {gone.label}; site {site.name} now uses "
                           f"{restored.label if restored is not None else 'the base model'}")
                return
            try:
                base = load_classifier(model_path or settings.model_path)
            except ArtifactError as exc:
                raise click.ClickException(str(exc)) from None
            run = adaptation.run_adaptation(session, site, base, adaptation.adapt_config(settings),
                                            actor=_operator(), progress=_say)
        except DomainError as exc:
            click.echo(f"Error: {exc.message}", err=True)
            sys.exit(2 if exc.status == 404 else exc.exit_code)
    row = run.row
    click.echo(f"{row.label} ({row.status}): {row.reason}")
    if not run.activated:
        sys.exit(1)


def site_scoring(site_name: str, clf: Any) -> tuple[Any, Any]:
    """For ``score --site``: the site's classifier (its active model over ``clf``'s fast
    tier, or ``clf``) and the site's policy, as the worker applies them."""
    from moderation.services import adaptation, policies
    from moderation.services.site_serving import SiteClassifiers
    from moderation.settings import load_settings
    from moderation.store import Site
    from moderation.store.database import Database

    settings = load_settings()
    db = Database.from_settings(settings)
    with db.session() as session:
        site: Site | None = session.scalars(adaptation.select_site(site_name)).first()
        if site is None:
            raise click.BadParameter(f"no site named {site_name!r}", param_hint="--site")
        chosen: Any = SiteClassifiers(clf).for_sites(session, [site.id]).get(site.id, clf)
        policy = policies.site_policy(site, chosen.thresholds, policies.policy_defaults(settings))
    _say(f"site {site_name}: scoring with {chosen.version}")
    return chosen, policy


COMMANDS: list[click.Command] = [adapt_command]
