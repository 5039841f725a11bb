"""The import-linter contracts in pyproject.toml (run by ``make test`` as ``lint-imports``)
catch an import that breaks the layers: checked on a copy of the tree with one bad import."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")


def _tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("moderation", "workers"):
        shutil.copytree(ROOT / package, root / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--no-cache", "--no-logo"], cwd=root, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("module, line, contract", [
    ("moderation/classifier/model.py", "import flask  # noqa", "imports no web, queue or database"),
    ("moderation/classifier/spans.py", "import moderation.training.config  # noqa",
     "Serving (moderation.classifier) never imports offline training"),
    ("moderation/pipeline/run.py", "import moderation.store  # noqa", "The pure core sits below services"),
    ("moderation/settings.py", "import workers.tasks  # noqa", "moderation never imports workers"),
    ("moderation/classifier/features.py", "import moderation.classifier.model  # noqa",
     "No cycles are allowed in moderation.classifier."),
])
def test_a_new_import_that_breaks_a_layer_fails_lint_imports(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    root = _tree(tmp_path)
    path = root / module
    path.write_text(path.read_text() + f"\n{line}\n")
    result = _lint(root)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in " ".join(broken.split()), result.stdout[-3000:]
