"""Webhook signatures (the Standard Webhooks vector) and the outbound-safety rules of
the HTTP client, against a real local receiver."""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any

import pytest

from moderation.services import webhook_http, webhooks
from tests.support.webhook_receiver import receiving

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


def test_signature_matches_the_standard_webhooks_test_vector() -> None:
    # From the Standard Webhooks reference libraries' tests.
    signature = webhooks.sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                              1614265330, b'{"test": 2432232314}')
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    # the prefix is optional when the key is decoded
    assert webhooks.sign("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
                         1614265330, b'{"test": 2432232314}') == signature


def test_every_active_secret_signs_and_a_receiver_with_either_verifies() -> None:
    old, new = webhooks.new_secret(), webhooks.new_secret()
    assert old.startswith("whsec_") and len(webhooks.secret_key(old)) == 32
    body, stamp = b'{"a":1}', int(time.time())
    header = webhooks.signature_header([old, new], "msg_1", stamp, body)
    assert len(header.split(" ")) == 2 and all(part.startswith("v1,") for part in header.split(" "))
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(stamp), "webhook-signature": header}
    assert webhooks.verify(old, headers, body) and webhooks.verify(new, headers, body)
    assert not webhooks.verify(webhooks.new_secret(), headers, body)
    assert not webhooks.verify(old, headers, body + b" ")
    assert not webhooks.verify(old, {**headers, "webhook-id": "msg_2"}, body)
    stale = {**headers, "webhook-timestamp": str(stamp - 600)}
    assert not webhooks.verify(old, stale, body)


@pytest.mark.parametrize("address, why", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"), ("192.168.0.10", "private"),
    ("172.16.5.4", "private"), ("169.254.10.1", "link-local"), ("fe80::1", "link-local"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"), ("0.0.0.0", "unspecified"),
    ("240.0.0.1", "reserved"), ("100.64.0.1", "not a public"), ("fd00::1", "private"),
    ("::ffff:127.0.0.1", "loopback"), ("169.254.169.254", "metadata"), ("fd00:ec2::254", "metadata"),
])
def test_non_public_addresses_are_refused(address: str, why: str) -> None:
    refusal = webhook_http.address_refusal(ipaddress.ip_address(address))
    assert refusal is not None and why in refusal


def test_public_addresses_pass_and_allowed_networks_open_only_themselves() -> None:
    assert webhook_http.address_refusal(ipaddress.ip_address("93.184.216.34")) is None
    assert webhook_http.address_refusal(ipaddress.ip_address("2606:4700::1111")) is None
    assert webhook_http.address_refusal(ipaddress.ip_address("127.0.0.1"), LOOPBACK) is None
    assert webhook_http.address_refusal(ipaddress.ip_address("10.0.0.1"), LOOPBACK) is not None
    # metadata stays refused even inside an allowed network
    everything = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))
    assert "metadata" in (webhook_http.address_refusal(ipaddress.ip_address("169.254.169.254"),
                                                       everything) or "")


@pytest.mark.parametrize("url, why", [
    ("ftp://example.com/x", "http and https"), ("file:///etc/passwd", "http and https"),
    ("http:///nohost", "no host"), ("https://user:pw@example.com/", "credentials"),
    ("http://localhost/hook", "loopback"), ("http://127.0.0.1:8080/", "loopback"),
    ("http://[::1]/", "loopback"), ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://2130706433/", "loopback"),  # 127.0.0.1 as one number
    ("http://does-not-exist.invalid/", "does not resolve"),
])
def test_urls_are_refused_before_any_connection(url: str, why: str) -> None:
    with pytest.raises(webhook_http.Refused, match=why):
        webhook_http.resolve(url)


def test_a_post_to_loopback_is_refused_at_send_time_unless_allowed() -> None:
    with receiving() as receiver:
        refused = webhook_http.post(receiver.url, b"{}", {})
        assert refused.status is None and refused.error is not None and "loopback" in refused.error
        assert receiver.received == []
        sent = webhook_http.post(receiver.url, b"{}", {"content-type": "application/json"}, allowed=LOOPBACK)
    assert sent.ok and sent.status == 200 and sent.address == "127.0.0.1" and sent.excerpt == "ok"
    assert len(receiver.received) == 1


def test_redirects_are_not_followed() -> None:
    with receiving(plan=["redirect"]) as receiver:
        answer = webhook_http.post(receiver.url, b"{}", {}, allowed=LOOPBACK)
    assert answer.status == 307 and not answer.ok
    assert answer.error is not None and "redirect not followed" in answer.error
    assert len(receiver.received) == 1  # nothing went to /elsewhere


def test_a_receiver_that_drips_its_answer_hits_the_hard_deadline() -> None:
    with receiving(plan=["slow"]) as receiver:
        started = time.monotonic()
        answer = webhook_http.post(receiver.url, b"{}", {}, allowed=LOOPBACK, timeout=1.5,
                                   max_response_bytes=1000)
        took = time.monotonic() - started
    assert answer.status is None and answer.error is not None and "timed out" in answer.error
    assert took < 3.0


def test_only_the_first_bytes_of_an_answer_are_read() -> None:
    with receiving(plan=["big"]) as receiver:
        answer = webhook_http.post(receiver.url, b"{}", {}, allowed=LOOPBACK, timeout=4,
                                   max_response_bytes=2)
    assert answer.status == 200 and answer.excerpt == "xx"


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a second lookup would answer a private address; there is none."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def rebinding(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "hooks.rebind.test":
            lookups.append(host)
            target = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"
            return real(target, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with receiving() as receiver:
        answer = webhook_http.post(f"http://hooks.rebind.test:{receiver.port}/hooks", b"{}", {},
                                   allowed=LOOPBACK)
        assert answer.ok and answer.address == "127.0.0.1"
        assert lookups == ["hooks.rebind.test"]  # resolved once, connected to what was checked
        assert receiver.received[0].headers["host"] == f"hooks.rebind.test:{receiver.port}"
        # and the next attempt resolves again, and refuses the private answer
        second = webhook_http.post(f"http://hooks.rebind.test:{receiver.port}/hooks", b"{}", {},
                                   allowed=LOOPBACK)
    assert second.status is None and second.error is not None and "10.0.0.1" in second.error
    assert len(receiver.received) == 1
