"""``python -m moderation …``: the operator's command line.

Each command group lives in its own module and is registered in :func:`build_cli`.
Commands that touch the database build the Flask app themselves, so pure commands
(``score``, ``train``) start fast and need no configuration.
"""

from __future__ import annotations

import sys

import click


class _Refused(click.ClickException):
    """A configuration the service refuses: one line on stderr, exit status 2, no traceback."""

    exit_code = 2


class _Cli(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        from moderation.settings import ConfigurationError

        try:
            return super().invoke(ctx)
        except ConfigurationError as exc:
            raise _Refused(str(exc)) from None


def build_cli() -> click.Group:
    """Assemble the top-level command group from the per-topic modules."""
    from moderation.cli import (
        adapt_commands,
        audit_commands,
        classifier_commands,
        compliance,
        coral_commands,
        devstack,
        ops,
        users,
        webhooks,
    )

    @click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
    def cli() -> None:
        """Comment moderation service: operations, models and compliance."""

    for module in (ops, devstack, classifier_commands, compliance, audit_commands, users,
                   adapt_commands, webhooks, coral_commands):
        for command in module.COMMANDS:
            cli.add_command(command)
    return cli


def main() -> None:
    from moderation.settings import ConfigurationError

    try:
        build_cli()(prog_name="python -m moderation")
    except ConfigurationError as exc:  # refused outside a command (e.g. while importing one)
        click.echo(f"Error: {exc}", err=True)
        sys.exit(2)
