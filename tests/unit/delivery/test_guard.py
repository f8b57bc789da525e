"""The SSRF guard: which addresses a channel may reach, v4 and v6, checked at creation and at connection."""

from __future__ import annotations

import pytest
from social_analytics.delivery import guard

REFUSED = [
    "127.0.0.1",
    "127.8.9.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",
    "169.254.10.10",
    "100.64.0.1",
    "100.127.255.254",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "2002:a00:1::1",  # 6to4 of 10.0.0.1
]


@pytest.mark.parametrize("address", REFUSED)
def test_private_loopback_link_local_cgnat_multicast_and_metadata_addresses_are_refused(address):
    assert guard.address_problem(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address):
    assert guard.address_problem(address) is None


def test_metadata_is_named_as_such():
    assert guard.address_problem("169.254.169.254") == "a cloud metadata address"
    assert guard.address_problem("fd00:ec2::254") == "a cloud metadata address"
    assert guard.address_problem("::ffff:169.254.169.254") == "a cloud metadata address"


def resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        return table.get(host, [host])

    return resolve


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::1]/hook",
        "https://[::ffff:10.0.0.1]/hook",
        "https://inside.example/hook",  # resolves to a private address
        "https://rotating.example/hook",  # one of its answers is loopback
    ],
)
def test_urls_at_private_addresses_are_refused_even_with_a_public_looking_name(url):
    dns = resolver({"inside.example": ["10.1.2.3"], "rotating.example": ["93.184.215.14", "127.0.0.1"]})
    with pytest.raises(guard.Refused):
        guard.check_url(url, allow_loopback=False, resolver=dns)


def test_https_to_a_public_address_passes_and_http_does_not():
    dns = resolver({"hooks.example": ["93.184.215.14"]})
    assert guard.check_url("https://hooks.example/x", resolver=dns) == ["93.184.215.14"]
    with pytest.raises(guard.Refused, match="https"):
        guard.check_url("http://hooks.example/x", resolver=dns)
    for bad in ("ftp://hooks.example/x", "file:///etc/passwd", "https://user:pw@hooks.example/x", "https:///x"):
        with pytest.raises(guard.Refused):
            guard.check_url(bad, resolver=dns)


def test_loopback_http_only_with_the_local_switch():
    assert guard.check_url("http://127.0.0.1:9/hook", allow_loopback=True) == ["127.0.0.1"]
    with pytest.raises(guard.Refused):
        guard.check_url("http://127.0.0.1:9/hook", allow_loopback=False)
    with pytest.raises(guard.Refused):  # the switch opens loopback only, never the private ranges
        guard.check_url("http://10.0.0.1/hook", allow_loopback=True)


def test_a_refusal_never_repeats_the_url():
    secret_url = "https://10.0.0.1/services/T000/B000/SECRETPART"
    with pytest.raises(guard.Refused) as refused:
        guard.check_url(secret_url)
    assert "SECRETPART" not in str(refused.value) and "10.0.0.1" not in str(refused.value)


def test_masked_shows_the_host_and_the_last_four_characters():
    assert guard.masked("https://hooks.slack.com/services/T0/B0/abcdWXYZ") == "hooks.slack.com/…WXYZ"
