"""The SSRF guard: about 30 URL forms that reach this server's network are refused, on
create and at connect time, and none of them ever opens a socket."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from itpm.webhooks import sender, ssrf

PUBLIC = "93.184.216.34"  # a public address (documentation sites use it)

REFUSED = [
    # scheme and user info
    "ftp://93.184.216.34/hook",
    "file:///etc/passwd",
    "gopher://93.184.216.34:70/_",
    "javascript:alert(1)",
    "http://evil@127.0.0.1/",
    "http://user:pass@93.184.216.34/",
    "http://93.184.216.34\\@127.0.0.1/",
    "http:// 127.0.0.1/",
    # names of this machine
    "http://localhost/",
    "http://LOCALHOST./admin",
    "http://api.localhost:8000/",
    # IPv4 private, loopback, link-local, CGNAT, unspecified, multicast, reserved
    "http://127.0.0.1/",
    "http://127.0.0.2:8000/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    # decimal, hex, octal and short IPv4 forms
    "http://2130706433/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://0/",
    "http://１２７.０.０.１/",  # full-width digits fold to 127.0.0.1 (IDNA)
    # IPv6 loopback, unspecified, link-local, unique-local, multicast, zones
    "http://[::1]/",
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://[fc00::1]/",
    "http://[fd12:3456::1]/",
    "http://[ff02::1]/",
    # IPv6 forms that embed a refused IPv4 address: mapped, compatible, 6to4, NAT64
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::127.0.0.1]/",
    "http://[2002:7f00:1::]/",
    "http://[2002:a9fe:a9fe::1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[64:ff9b::10.0.0.1]/",
]


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every socket connect attempt, recorded and refused (so nothing leaves the test)."""
    seen: list[Any] = []

    def connect(self: socket.socket, address: Any) -> None:
        seen.append(address)
        raise ConnectionRefusedError("test: no connections")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    return seen


def _resolver(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> list[str]:
    asked: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in table[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize("url", REFUSED)
def test_a_refused_url_is_refused_on_create_and_never_connects(
    url: str, connects: list[Any], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = []
    _resolver(monkeypatch, {})
    with pytest.raises(ssrf.UnsafeTarget):
        ssrf.check_url(url)
    result = sender.send(url, "{}", {}, timeout=1)
    assert result.error.startswith("refused"), result.error
    assert not result.ok
    assert connects == []


@pytest.mark.parametrize(
    ("host", "addresses"),
    [
        ("metadata.example", ["169.254.169.254"]),
        ("internal.example", ["10.1.2.3"]),
        ("mixed.example", [PUBLIC, "127.0.0.1"]),  # one bad address refuses the name
        ("six.example", ["::ffff:192.168.0.1"]),
        ("cgnat.example", ["100.100.100.100"]),
    ],
)
def test_a_name_that_resolves_to_a_refused_address_never_connects(
    host: str,
    addresses: list[str],
    connects: list[Any],
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = []
    _resolver(monkeypatch, {host: addresses})
    with pytest.raises(ssrf.UnsafeTarget, match="resolves to"):
        ssrf.check_url(f"https://{host}/hook")
    result = sender.send(f"https://{host}/hook", "{}", {}, timeout=1)
    assert "resolves to" in result.error
    assert connects == []


def test_dns_rebinding_cannot_switch_the_address_after_the_check(
    connects: list[Any], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The name is resolved once; the socket goes to that checked address, not a new answer."""
    settings.WEBHOOK_ALLOWED_HOSTS = []
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    asked: list[str] = []

    def getaddrinfo(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(
        socket,
        "create_connection",
        lambda address, *a, **k: connects.append(address) or (_ for _ in ()).throw(OSError("x")),
    )
    result = sender.send("http://rebind.example/hook", "{}", {}, timeout=1)
    assert asked == ["rebind.example"]
    assert connects == [(PUBLIC, 80)]
    assert "OSError" in result.error


def test_an_unresolvable_name_is_accepted_on_create_and_refused_at_connect_time(
    connects: list[Any], monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = []
    _resolver(monkeypatch, {})
    assert ssrf.check_url("https://not-yet.example/hook").host == "not-yet.example"
    result = sender.send("https://not-yet.example/hook", "{}", {}, timeout=1)
    assert "cannot resolve" in result.error
    assert connects == []


def test_public_targets_pass(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = []
    _resolver(monkeypatch, {"hooks.example.com": [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]})
    assert ssrf.check_url(f"http://{PUBLIC}:8080/x?y=1").path == "/x?y=1"
    target = ssrf.check_url("https://hooks.example.com/itpm")
    assert ssrf.resolve(target) == [PUBLIC, "2606:2800:220:1:248:1893:25c8:1946"]
    assert target.host_header == "hooks.example.com"


@pytest.mark.parametrize(
    ("allowed", "url", "ok"),
    [
        (["127.0.0.1"], "http://127.0.0.1:9000/hook", True),
        (["127.0.0.1"], "http://127.0.0.2:9000/hook", False),
        (["10.0.0.0/8"], "http://10.20.30.40/hook", True),
        (["10.0.0.0/8"], "http://192.168.1.1/hook", False),
        (["hooks.internal"], "http://hooks.internal/hook", True),
        (["hooks.internal"], "http://other.internal/hook", False),
    ],
)
def test_the_allow_list_lets_named_internal_targets_through(
    allowed: list[str], url: str, ok: bool, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.WEBHOOK_ALLOWED_HOSTS = allowed
    _resolver(monkeypatch, {"hooks.internal": ["10.9.9.9"], "other.internal": ["10.9.9.9"]})
    if ok:
        ssrf.resolve(ssrf.check_url(url))
    else:
        with pytest.raises(ssrf.UnsafeTarget):
            ssrf.resolve(ssrf.check_url(url))
