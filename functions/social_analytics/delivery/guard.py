"""Where a channel may send: the SSRF guard, applied when a channel is created and again at every connection.

A webhook URL is chosen by whoever holds the admin token, but the request is made from inside AWS, where a URL
naming 169.254.169.254 or a private address would reach things the internet cannot. So:

- https only (http only to a loopback address, and only with ``DELIVERY_ALLOW_LOOPBACK=true``: local runs, tests);
- every address the host resolves to is checked, v4 and v6 (a v4-mapped v6 address is judged as the v4 one):
  private, loopback, link-local, CGNAT (100.64/10), multicast, unspecified, reserved and the cloud metadata
  addresses (169.254.169.254, fd00:ec2::254) are refused; one bad address refuses the host (DNS answers rotate);
- the connection is made to the address that was checked (``delivery.send.GuardedBackend``): the check and the
  connect are one step, so a DNS answer that changes in between (rebinding) cannot slip a private address in. TLS
  still verifies the certificate for the URL's host name (SNI), and the Host header is the URL's.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

# Pure (no httpx): the API checks a URL at creation without loading the HTTP client.
METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
MAX_URL_LENGTH = 2048

Resolver = Callable[[str, int], list[str]]


class Refused(ValueError):
    """A destination the guard refuses; the message says why without repeating the URL."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (an IP literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused("the host name does not resolve") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def address_problem(address: str, allow_loopback: bool = False) -> str | None:
    """Why an address is refused, or None when it is a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):  # a v4 address inside a v6 one is judged as that v4 address
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
    if ip in METADATA:
        return "a cloud metadata address"
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_link_local:
        return "a link-local address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT:
        return "a shared (CGNAT) address"
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "a private or reserved address"
    return None


def check_url(url: str, allow_loopback: bool = False, resolver: Resolver = resolve) -> list[str]:
    """The addresses a channel URL may be sent to; raises :class:`Refused` naming the rule it breaks."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise Refused(f"must be a URL of at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http"):
        raise Refused("must be an https:// URL")
    if parts.username or parts.password:
        raise Refused("must not carry a user name or password")
    host = parts.hostname
    if not host:
        raise Refused("has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("has an invalid port") from None
    addresses = resolver(host, port)
    if not addresses:
        raise Refused("the host name does not resolve")
    for address in addresses:
        problem = address_problem(address, allow_loopback)
        if problem:
            raise Refused(f"resolves to {problem}")
    if parts.scheme == "http":
        loopback = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
        if not (allow_loopback and loopback):
            raise Refused("must be an https:// URL (http only to a loopback receiver in local runs)")
    return addresses


def masked(url: str) -> str:
    """What the API shows of a URL: its host and the last 4 characters (``hooks.slack.com/…Xy12``)."""
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}/…{url[-4:]}"
