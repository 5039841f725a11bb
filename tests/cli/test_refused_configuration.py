"""A configuration the service refuses ends the CLI with its one-line message and exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from moderation.cli import build_cli


def _production_on_defaults() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("MODERATION_") and k not in ("DATABASE_URL", "REDIS_URL")}
    return {**env, "MODERATION_ENV": "production"}


def test_python_m_moderation_refuses_in_one_line_with_exit_2() -> None:
    result = subprocess.run([sys.executable, "-m", "moderation", "sites", "create", "news"],
                            env=_production_on_defaults(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: Refusing to start: ")
    assert "MODERATION_" in lines[0]  # names the refused variable
    assert result.stdout == ""


def test_the_command_group_turns_the_refusal_into_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_ENV", "prod")  # not an environment the service knows
    result = CliRunner().invoke(build_cli(), ["sites", "create", "news"])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Error: Refusing to start: MODERATION_ENV " in result.output
