"""Start a throwaway PostgreSQL server for the test session.

Debian keeps the server binaries off PATH (``pg_config --bindir`` finds them), and
``initdb``/``postgres`` refuse to run as root, so as root we run them as the
``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from moderation.embedded_redis import free_port, wait_for_port


@dataclass
class PostgresServer:
    url: str  # server URL without a database name
    process: subprocess.Popen[bytes] | None
    datadir: Path | None
    command: list[str] | None = None
    port: int | None = None

    def halt(self) -> None:
        """Stop the server (fast shutdown), keeping its data for :meth:`resume`."""
        assert self.process is not None and self.datadir is not None
        # Signal the postmaster itself: runuser does not pass SIGINT on to its child.
        postmaster = int((self.datadir / "postmaster.pid").read_text().split()[0])
        os.kill(postmaster, signal.SIGINT)
        self.process.wait(timeout=30)

    def resume(self) -> None:
        assert self.command is not None and self.port is not None
        self.process = subprocess.Popen(self.command, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        wait_for_port(self.port, timeout=30)
        _wait_accepting(self)

    def database_url(self, name: str) -> str:
        return f"{self.url}/{name}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.datadir is not None:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _bindir() -> Path:
    out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def _as_user(args: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


def start_postgres() -> PostgresServer:
    bindir = _bindir()
    root = Path(tempfile.mkdtemp(prefix="moderation-pg-"))
    datadir = root / "data"
    sockets = root / "sockets"
    datadir.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        for path in (root, datadir, sockets):
            os.chown(path, user.pw_uid, user.pw_gid)
    subprocess.run(
        _as_user([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "-A", "trust",
                  "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )
    port = free_port()
    command = _as_user([str(bindir / "postgres"), "-D", str(datadir), "-p", str(port),
                        "-k", str(sockets), "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                        "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                        "-c", "max_connections=200"])
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port, timeout=30)
    server = PostgresServer(f"postgresql+psycopg://postgres@127.0.0.1:{port}", process, datadir,
                            command, port)
    _wait_accepting(server)
    return server


def _wait_accepting(server: PostgresServer, timeout: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    dsn = server.url.replace("postgresql+psycopg", "postgresql") + "/postgres"
    while True:
        try:
            psycopg.connect(dsn, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def external_server(url: str) -> PostgresServer:
    """Use a server given by TEST_DATABASE_URL (``postgresql+psycopg://user@host:port``)."""
    return PostgresServer(url.rstrip("/"), None, None)


def admin_execute(server: PostgresServer, sql: str) -> None:
    import psycopg

    dsn = server.url.replace("postgresql+psycopg", "postgresql") + "/postgres"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]
