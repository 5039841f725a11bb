"""Outbound HTTP for webhooks, with the safety rules every attempt passes.

- Only ``http`` and ``https`` URLs, without credentials in them.
- The host is resolved and **every** address it resolves to must be public: loopback,
  private, link-local, multicast, reserved, unspecified and other non-global addresses
  are refused unless a configured network allows them (``MODERATION_WEBHOOK_ALLOWED_NETWORKS``);
  cloud metadata addresses are refused always.
- The check runs when an endpoint is created or changed *and* before every attempt, and
  the attempt connects to the very address that was checked (the ``Host`` header and
  TLS server name stay the URL's host), so a DNS answer that changes between the check
  and the connection (DNS rebinding) can't point the request elsewhere.
- Redirects are never followed (a 3xx is a failed attempt), the whole attempt has a
  hard deadline, and at most a few kilobytes of the answer are read.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Instance metadata services (AWS, GCP and Azure share 169.254.169.254; AWS's IPv6 one;
#: Alibaba's; Azure's wire server). Never reachable, whatever is allowed.
METADATA_ADDRESSES = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"))


class Refused(Exception):
    """The URL or the address it resolves to is not allowed; the message says why."""


@dataclass(frozen=True)
class Target:
    """A URL checked for delivery: where to connect, and what to call the host."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def address_refusal(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> str | None:
    """Why ``address`` may not receive webhooks, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if any(address.version == net.version and address in net for net in allowed):
        return None
    for test, what in (("is_loopback", "a loopback address"), ("is_link_local", "a link-local address"),
                       ("is_multicast", "a multicast address"), ("is_unspecified", "an unspecified address"),
                       ("is_reserved", "a reserved address"), ("is_private", "a private address")):
        if getattr(address, test):
            return what
    if not address.is_global:
        return "not a public address"
    return None


def parse_url(url: str) -> SplitResult:
    """The URL's parts if it is an http(s) URL a webhook may use; :class:`Refused` if not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise Refused("only http and https URLs are allowed")
    if not parts.hostname:
        raise Refused("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise Refused("credentials in the URL are not allowed (the signature authenticates us)")
    if port == 0:
        raise Refused("port 0 is not allowed")
    if parts.fragment:
        raise Refused("a fragment (#...) means nothing to a receiver")
    return parts


def resolve(url: str, allowed: Sequence[IPNetwork] = ()) -> Target:
    """Check ``url`` and every address its host resolves to; the first one to connect to.

    Raises :class:`Refused` naming the first address that is not allowed.
    """
    parts = parse_url(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"{host} does not resolve: {exc}") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise Refused(f"{host} does not resolve")
    for text in addresses:
        why = address_refusal(ipaddress.ip_address(text.split("%")[0]), allowed)
        if why is not None:
            raise Refused(f"{host} resolves to {text}, {why}")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, host, port, path, addresses[0])


@dataclass(frozen=True)
class Answer:
    """What one attempt got: an HTTP status, or an error and no status."""

    status: int | None
    latency_ms: int
    error: str | None = None
    address: str | None = None
    excerpt: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    allowed: Sequence[IPNetwork] = (),
    connect_timeout: float = 2.0,
    timeout: float = 5.0,
    max_response_bytes: int = 16 * 1024,
) -> Answer:
    """POST ``body`` to ``url`` after the safety checks; never raises for network trouble.

    ``timeout`` bounds the whole attempt: a watchdog shuts the socket down at the
    deadline, so a receiver that answers one byte at a time can't hold the worker.
    """
    started = time.monotonic()

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        target = resolve(url, allowed)
    except Refused as exc:
        return Answer(None, elapsed_ms(), f"refused: {exc}")
    deadline = started + timeout
    raw: socket.socket | None = None
    watchdog: threading.Timer | None = None
    try:
        raw = socket.create_connection((target.address, target.port),
                                       timeout=min(connect_timeout, timeout))
        watchdog = threading.Timer(max(deadline - time.monotonic(), 0.0), _shutdown, (raw,))
        watchdog.daemon = True
        watchdog.start()
        sock: Any = raw
        if target.scheme == "https":
            context = ssl.create_default_context()
            sock = context.wrap_socket(raw, server_hostname=target.host)
        sock.settimeout(max(deadline - time.monotonic(), 0.05))
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)
        connection.sock = sock  # connected already, to the address that was checked
        connection.request("POST", target.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        data = response.read(max_response_bytes) if max_response_bytes else b""
        status = response.status
        retry_after = _retry_after(response.getheader("Retry-After"))
        location = response.getheader("Location")
        connection.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        late = time.monotonic() >= deadline
        what = f"timed out after {timeout:g} s" if late or isinstance(exc, TimeoutError) else (
            f"{type(exc).__name__}: {exc}")
        return Answer(None, elapsed_ms(), what, target.address)
    finally:
        if watchdog is not None:
            watchdog.cancel()
        if raw is not None:
            raw.close()
    error = None
    if 300 <= status < 400:
        error = f"redirect not followed ({status} to {location or 'nowhere'})"
    elif not 200 <= status < 300:
        error = f"answered {status}"
    return Answer(status, elapsed_ms(), error, target.address,
                  data.decode("utf-8", "replace") or None, retry_after)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds (only the delta-seconds form; an HTTP date is ignored)."""
    if value is None or not value.strip().isdigit():
        return None
    return float(value.strip())
