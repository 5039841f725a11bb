"""``train`` and ``score``: placeholder module, filled in by the classifier work."""

from __future__ import annotations

import click

COMMANDS: list[click.Command] = []
