"""The sender: TLS keeps the host name while the socket goes to the checked address;
slow receivers time out; the Host header names the URL's host."""

from __future__ import annotations

import socket
import ssl
from typing import Any

import pytest

from itpm.webhooks import sender
from tests.webhooks.conftest import Receiver

PUBLIC = "93.184.216.34"


def test_https_connects_to_the_checked_address_with_the_host_name_for_sni(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port))],
    )
    seen: dict[str, Any] = {}

    class FakeSocket:
        def close(self) -> None:
            return

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> FakeSocket:
        seen["address"] = address
        return FakeSocket()

    def wrap_socket(self: ssl.SSLContext, sock: Any, server_hostname: str | None = None) -> Any:
        seen["server_hostname"] = server_hostname
        seen["verify"] = self.verify_mode
        raise ssl.SSLError("test: stop here")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", wrap_socket)
    result = sender.send("https://hooks.example.com:8443/itpm", "{}", {}, timeout=1)
    assert seen == {
        "address": (PUBLIC, 8443),
        "server_hostname": "hooks.example.com",
        "verify": ssl.CERT_REQUIRED,
    }
    assert "SSLError" in result.error and not result.ok


def test_a_slow_receiver_times_out(receiver: Receiver) -> None:
    receiver.delays["/slow"] = 2
    result = sender.send(receiver.url("/slow"), "{}", {}, timeout=0.5)
    assert not result.ok
    assert "timed out" in result.error
    assert result.duration_ms < 1900


def test_the_host_header_is_the_urls_host(receiver: Receiver) -> None:
    result = sender.send(receiver.url("/hook"), '{"a":1}', {"x-test": "1"}, timeout=2)
    assert result.ok and result.status == 200
    request = receiver.requests[0]
    assert request.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert request.headers["x-test"] == "1"
    assert request.body == '{"a":1}'
