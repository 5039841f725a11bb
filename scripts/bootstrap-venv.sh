#!/usr/bin/env bash
# Create the project's virtualenv, installing Debian's venv support when it is missing.
set -euo pipefail
python="${1:-python3}"
venv="${2:-.venv}"
if [ -x "$venv/bin/python" ]; then exit 0; fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is required ($python is $("$python" --version 2>&1))." >&2
  exit 1
fi
if ! "$python" -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's python3-venv…" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    "$python" -m venv "$venv"
  else
    echo "'$python -m venv' failed: install your distribution's python3-venv package." >&2
    exit 1
  fi
fi
"$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
