"""Shared fixtures: real Redis and PostgreSQL servers, a fresh database per test,
and the Flask ``app`` / ``client`` / ``runner`` trio.

Database-backed fixtures are parametrised over ``sqlite`` and ``postgres`` so the
same tests prove both. ``MODERATION_TEST_POSTGRES=required`` (set by ``make test``)
turns a PostgreSQL server that can't start into an error instead of a skip.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from moderation import create_app
from moderation.embedded_redis import free_port, start_redis
from moderation.store.migrate import upgrade
from tests.support.postgres import PostgresServer, admin_execute, external_server, start_postgres

_counter = itertools.count()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    process = start_redis(port, tmp_path_factory.mktemp("redis"))
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    external = os.environ.get("TEST_DATABASE_URL")
    try:
        server = external_server(external) if external else start_postgres()
    except (OSError, subprocess.CalledProcessError) as exc:
        if os.environ.get("MODERATION_TEST_POSTGRES") == "required":
            raise
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    admin_execute(server, "DROP DATABASE IF EXISTS moderation_template")
    admin_execute(server, "CREATE DATABASE moderation_template")
    upgrade(server.database_url("moderation_template"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A freshly migrated, empty database of each kind."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "moderation.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = f"moderation_test_{os.getpid()}_{next(_counter)}"
    admin_execute(server, f"CREATE DATABASE {name} TEMPLATE moderation_template")
    yield server.database_url(name)
    admin_execute(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def app(database_url: str, redis_url: str) -> Iterator[Flask]:
    app = create_app({"database_url": database_url, "redis_url": redis_url, "env": "test",
                      "secret_key": "test-secret-key-0123456789"})
    app.testing = True
    yield app
    app.extensions["db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
