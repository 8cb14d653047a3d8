"""The server-side request forgery guard of webhook targets.

A webhook makes itpm's server send a request to an address someone typed in, so that
address must not reach the server's own network: loopback, private ranges, link-local
(including the cloud metadata service at 169.254.169.254), CGNAT, multicast, reserved
ranges, and the IPv6 forms that embed one of those IPv4 addresses.

The check runs three times: when a subscription is created, when its URL changes, and at
connect time. At connect time the host name is resolved once, every address is checked,
and the socket connects to that checked address while the request keeps the original host
name (Host header and TLS SNI/certificate check), so a DNS answer that changes between the
check and the connection (DNS rebinding) cannot move the request elsewhere.

``ITPM_WEBHOOK_ALLOWED_HOSTS`` lists host names, addresses or networks (CIDR) that may be
reached anyway, for self-hosted receivers on an internal network.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
# Any host part made only of digits, hex numbers and dots is an IPv4 address to the
# resolver (inet_aton reads "127.1", "0x7f.1", "017700000001" and "2130706433").
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")


class UnsafeTarget(ValueError):
    """The URL or an address it resolves to may not be called."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # ASCII (IDNA) host name or address, no brackets, lower case
    port: int
    path: str  # path and query, at least "/"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _allow_list() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names: set[str] = set()
    networks = []
    for entry in getattr(settings, "WEBHOOK_ALLOWED_HOSTS", []):
        entry = entry.strip().lower().rstrip(".")
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            names.add(entry)
    return names, networks


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped, -compatible, 6to4 or NAT64 IPv6 address."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_problem(address: IPAddress) -> str | None:
    """Why itpm may not connect to ``address``, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "an IPv6 address with a zone"
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = address_problem(embedded)
            if inner:
                return f"an IPv6 form of {embedded} ({inner})"
        if address in _UNIQUE_LOCAL:
            return "a unique-local IPv6 address"
        if address in _NAT64_LOCAL:
            return "a local-use NAT64 address"
    checks = [
        (address.is_unspecified, "an unspecified address"),
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (isinstance(address, ipaddress.IPv4Address) and address in _CGNAT, "a CGNAT address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "not a public address"),
    ]
    for failed, reason in checks:
        if failed:
            return reason
    return None


def parse_url(url: str) -> Target:
    """Check the URL's form (scheme, user info, host spelling); raise UnsafeTarget."""
    if not isinstance(url, str) or not url or len(url) > 2000:
        raise UnsafeTarget("enter an http or https URL of at most 2000 characters")
    if any(ord(ch) <= 32 or ord(ch) == 127 or ch == "\\" for ch in url):
        raise UnsafeTarget("the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeTarget("only http and https URLs can receive webhooks")
    if "@" in parts.netloc or parts.username is not None:
        raise UnsafeTarget("user names and passwords in the URL are not allowed")
    raw_host = parts.hostname or ""
    if not raw_host:
        raise UnsafeTarget("the URL has no host")
    if "%" in raw_host:
        raise UnsafeTarget("IPv6 zone identifiers are not allowed")
    try:
        host = raw_host.encode("idna").decode("ascii").lower().rstrip(".")
    except UnicodeError:
        raise UnsafeTarget("the host name is not a valid domain name") from None
    if not host:
        raise UnsafeTarget("the URL has no host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    target = Target(scheme, host, port or (443 if scheme == "https" else 80), path)
    names, networks = _allow_list()
    if host in names:
        return target
    literal = _literal(host)
    if literal is not None:
        if not any(literal in network for network in networks):
            problem = address_problem(literal)
            if problem:
                raise UnsafeTarget(f"{host} is {problem}")
        return target
    if _NUMERIC_HOST.match(host):
        raise UnsafeTarget(
            f"{host!r} is a numeric address in a non-standard form; write it as a.b.c.d"
        )
    if host in _LOCAL_NAMES or host.endswith(".localhost"):
        raise UnsafeTarget(f"{host} names this server")
    return target


def _literal(host: str) -> IPAddress | None:
    """A host that is an address in standard notation (dotted quad or IPv6)."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(target: Target) -> list[str]:
    """Resolve the host once and check every address; return the addresses to connect to.

    One bad address among good ones refuses the whole name: a resolver that answers with a
    public and a private address would otherwise leave the choice to chance.
    """
    names, networks = _allow_list()
    literal = _literal(target.host)
    if literal is not None:
        problem = address_problem(literal)
        if problem and not any(literal in network for network in networks):
            raise UnsafeTarget(f"{target.host} is {problem}")
        return [target.host]
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {target.host} ({exc})") from None
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0])
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            raise UnsafeTarget(f"{target.host} resolves to {text!r}, not an address") from None
        allowed = target.host in names or any(address in network for network in networks)
        problem = None if allowed else address_problem(address)
        if problem:
            raise UnsafeTarget(f"{target.host} resolves to {address}, {problem}")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise UnsafeTarget(f"{target.host} has no address")
    return addresses


def check_url(url: str, *, resolve_host: bool = True) -> Target:
    """The check on create and update: the URL's form, and the addresses its host has now.

    A host that does not resolve at all is accepted here (it may exist later, and the
    connect-time check refuses it then); one that resolves to a refused address is not.
    """
    target = parse_url(url)
    if resolve_host and _literal(target.host) is None:
        try:
            resolve(target)
        except UnsafeTarget as exc:
            if not str(exc).startswith("cannot resolve"):
                raise
    return target
