"""Send one signed webhook request through the SSRF guard (no proxies, pinned address)."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urljoin

from itpm.webhooks import ssrf

MAX_RESPONSE_BYTES = 4096
MAX_REDIRECTS = 3
REDIRECT_CODES = {301, 302, 303, 307, 308}


@dataclass
class SendResult:
    status: int | None = None
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    duration_ms: int = 0
    error: str = ""
    url: str = ""

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300 and not self.error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to an address checked beforehand, not to whatever the name resolves to now."""

    def __init__(self, target: ssrf.Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.pinned_address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.pinned_address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """As above, with TLS: SNI and the certificate check use the URL's host name."""

    def __init__(self, target: ssrf.Target, address: str, timeout: float) -> None:
        self.tls_context = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self.tls_context)
        self.pinned_address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.pinned_address, self.port), self.timeout)
        self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)


def _request_once(
    target: ssrf.Target, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int, dict[str, str], bytes]:
    addresses = ssrf.resolve(target)  # raises UnsafeTarget before any connection
    cls = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    connection = cls(target, addresses[0], timeout)
    try:
        connection.putrequest("POST", target.path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", target.host_header)
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        content = response.read(MAX_RESPONSE_BYTES)
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content
    finally:
        connection.close()


def send(url: str, body: str, headers: dict[str, str], *, timeout: float) -> SendResult:
    """POST ``body`` to ``url``; a redirect is followed only to a target that passes the guard."""
    started = time.monotonic()
    result = SendResult(url=url)
    data = body.encode()
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            target = ssrf.parse_url(result.url)
            status, response_headers, content = _request_once(target, data, headers, timeout)
            result.status, result.headers = status, response_headers
            result.body = content.decode("utf-8", errors="replace")
            location = response_headers.get("location")
            if status not in REDIRECT_CODES or not location:
                break
            result.url = urljoin(result.url, location)
        else:
            result.error = f"more than {MAX_REDIRECTS} redirects"
    except ssrf.UnsafeTarget as exc:
        result.error = f"refused {result.url}: {exc}"
    except (OSError, http.client.HTTPException) as exc:
        result.error = f"{type(exc).__name__}: {exc}"[:500]
    if not result.error and result.status in REDIRECT_CODES:
        result.error = "redirect without a Location header"
    result.duration_ms = int((time.monotonic() - started) * 1000)
    return result
