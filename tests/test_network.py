"""Finding the LAN address for join links, and judging whether phones can reach a URL."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from app import network
from app.network import Reachability, lan_addresses, phone_reachability, public_base_url


@dataclass
class FakeIP:
    ip: str | tuple[str, int, int]
    is_IPv4: bool


@dataclass
class FakeAdapter:
    name: str
    ips: list[FakeIP] = field(default_factory=list)
    nice_name: str = ""

    def __post_init__(self) -> None:
        self.nice_name = self.nice_name or self.name


def v4(*addresses: str) -> list[FakeIP]:
    return [FakeIP(a, True) for a in addresses]


def test_private_addresses_come_first_in_interface_order() -> None:
    adapters = [
        FakeAdapter("eth1", v4("203.0.113.7")),
        FakeAdapter("wlan0", v4("192.168.1.20")),
        FakeAdapter("eth0", v4("10.0.0.5", "172.20.3.4")),
    ]
    assert lan_addresses(adapters) == ["192.168.1.20", "10.0.0.5", "172.20.3.4", "203.0.113.7"]


def test_172_outside_the_private_block_is_not_private() -> None:
    adapters = [FakeAdapter("eth0", v4("172.32.0.1", "172.31.255.1"))]
    assert lan_addresses(adapters) == ["172.31.255.1", "172.32.0.1"]


def test_loopback_link_local_and_ipv6_are_left_out() -> None:
    adapters = [
        FakeAdapter("lo", v4("127.0.0.1", "127.0.1.1")),
        FakeAdapter("eth0", v4("169.254.10.10")),
        FakeAdapter("wlan0", [FakeIP(("fe80::1", 0, 2), False), *v4("192.168.1.20")]),
    ]
    assert lan_addresses(adapters) == ["192.168.1.20"]


@pytest.mark.parametrize(
    "name",
    ["docker0", "br-3f2a9c1d", "veth12ab", "virbr0", "vEthernet (WSL)", "vboxnet0"],
)
def test_container_and_vm_bridges_are_left_out(name: str) -> None:
    adapters = [FakeAdapter(name, v4("172.17.0.1")), FakeAdapter("wlan0", v4("192.168.1.20"))]
    assert lan_addresses(adapters) == ["192.168.1.20"]


def test_windows_bridges_are_recognised_by_nice_name() -> None:
    # On Windows `name` is a GUID; only the friendly name says what the adapter is.
    guid = "{4D36E972-E325-11CE-BFC1-08002BE10318}"
    adapters = [
        FakeAdapter(guid, v4("172.25.96.1"), nice_name="vEthernet (WSL)"),
        FakeAdapter(guid.lower(), v4("192.168.1.20"), nice_name="Wi-Fi"),
    ]
    assert lan_addresses(adapters) == ["192.168.1.20"]


def test_an_address_on_two_interfaces_is_listed_once() -> None:
    adapters = [
        FakeAdapter("wlan0", v4("192.168.1.20")),
        FakeAdapter("wlan0:1", v4("192.168.1.20")),
    ]
    assert lan_addresses(adapters) == ["192.168.1.20"]


def test_no_interfaces_no_addresses() -> None:
    assert lan_addresses([]) == []


def test_real_interfaces_are_read_without_error() -> None:
    # Whatever this machine has: plain IPv4 strings, never loopback.
    for address in lan_addresses():
        assert not address.startswith("127.")


@pytest.mark.parametrize(
    ("public_url", "expected"),
    [
        ("https://kaartspel.example.org", "https://kaartspel.example.org"),
        ("https://kaartspel.example.org/", "https://kaartspel.example.org"),
        ("http://192.168.1.20:8000/ ", "http://192.168.1.20:8000"),
        ("https://host.example.org/kaartspel/", "https://host.example.org/kaartspel"),
    ],
)
def test_public_url_wins_when_set(
    monkeypatch: pytest.MonkeyPatch, public_url: str, expected: str
) -> None:
    monkeypatch.setattr(network, "lan_addresses", lambda: ["192.168.1.99"])
    assert public_base_url(public_url, 8000) == expected


@pytest.mark.parametrize("public_url", [None, "", "  "])
def test_without_public_url_the_first_lan_address_is_used(
    monkeypatch: pytest.MonkeyPatch, public_url: str | None
) -> None:
    monkeypatch.setattr(network, "lan_addresses", lambda: ["192.168.1.20", "10.0.0.5"])
    assert public_base_url(public_url, 8000) == "http://192.168.1.20:8000"
    assert public_base_url(public_url, 8443, scheme="https") == "https://192.168.1.20:8443"


def test_without_any_lan_address_loopback_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network, "lan_addresses", lambda: [])
    url = public_base_url(None, 8000)
    assert url == "http://127.0.0.1:8000"
    assert phone_reachability(url) == Reachability(False, "loopback")


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000", "loopback"),
        ("http://127.5.5.5:8000/join/abc", "loopback"),
        ("http://127.1:8000", "loopback"),  # browsers read this as 127.0.0.1
        ("http://[::1]:8000/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://localhost:8000", "localhost"),
        ("http://LocalHost./", "localhost"),
        ("http://foo.localhost:8000/t/3", "localhost"),
        ("http://0.0.0.0:8000", "unspecified"),
        ("http://[::]:8000", "unspecified"),
        ("http://169.254.1.1:8000/join", "link_local"),
        ("http://[fe80::1%25wlan0]:8000", "link_local"),
        ("http://224.0.0.1/", "multicast"),
        ("http://kaartspel-laptop:8000", "unresolvable_name"),
        ("http://kaartspel.test/", "unresolvable_name"),
        ("http://kaartspel-laptop.local:8000", "mdns_name"),
        ("http://1.2.3.999/", "invalid_host"),
        ("http://192.168.1.20:99999/", "invalid_port"),
        ("192.168.1.20:8000", "not_http"),
        ("ftp://192.168.1.20/", "not_http"),
        ("http:///join", "no_host"),
    ],
)
def test_urls_phones_cannot_reach(url: str, reason: str) -> None:
    assert phone_reachability(url) == Reachability(False, reason)


@pytest.mark.parametrize(
    "url",
    [
        "http://192.168.1.20:8000",
        "http://192.168.1.20:8000/join/abc?table=3",
        "http://10.0.0.5",
        "http://172.20.3.4:8080/",
        "http://203.0.113.7:8000",
        "https://kaartspel.example.org",
        "https://kaartspel.example.org/workshops/7/join",
        "http://[fd12:3456:789a::1]:8000/",
        "http://127.example.org/",  # a name, not an address: its last label isn't a number
    ],
)
def test_urls_phones_can_reach(url: str) -> None:
    assert phone_reachability(url) == Reachability(True, None)
