"""The address that participants' phones use to reach this server.

At a venue the facilitator's laptop serves the game and the phones join over the Wi-Fi,
so the join links and QR codes must carry the laptop's LAN address, not 127.0.0.1. This
module finds that address from the network interfaces and judges whether a base URL
would work from a phone on the same network.

Nothing here sends traffic or asks DNS: venues often have no internet, and the answer
must come from the machine's own interfaces and the literal text of the URL.

Reasons in `Reachability.reason` are short codes for the UI to translate:

- ``not_http``: the URL is not http(s), e.g. ``192.168.1.20:8000`` without a scheme
- ``no_host``: the URL has no host
- ``invalid_port``: the port is not a number from 0 to 65535
- ``invalid_host``: the host looks like an IP address but isn't a valid one
- ``loopback``: 127.0.0.0/8 or ::1, which is the phone itself
- ``localhost``: the name ``localhost`` or ``*.localhost``, which is the phone itself
- ``unspecified``: 0.0.0.0 or ::, a bind address, not one to connect to
- ``link_local``: 169.254.0.0/16 or fe80::/10, only valid on one link, not routed by Wi-Fi
- ``multicast``, ``reserved``: not a host at all
- ``mdns_name``: a ``*.local`` name, which many Android phones cannot resolve
- ``unresolvable_name``: a single-label name (needs a local search domain) or a name
  under a TLD reserved never to resolve (``.invalid``, ``.test``, ``.example``)
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from string import hexdigits
from typing import Protocol
from urllib.parse import urlsplit

import ifaddr

# Interfaces that carry addresses for containers or VMs on this laptop: a phone cannot
# reach them, and their private 172.x addresses would otherwise look like the LAN.
# "veth" also matches Windows' Hyper-V/WSL switches ("vEthernet (WSL)").
VIRTUAL_INTERFACE_PREFIXES = (
    "docker",
    "br-",
    "veth",
    "virbr",
    "vboxnet",
    "virtualbox",
    "vmnet",
    "vmware",
    "lxcbr",
    "lxdbr",
    "podman",
    "cni",
)

PRIVATE_NETWORKS = (
    ipaddress.IPv4Network("10.0.0.0/8"),
    ipaddress.IPv4Network("172.16.0.0/12"),
    ipaddress.IPv4Network("192.168.0.0/16"),
)

# RFC 6761: these top-level names never resolve in public DNS.
UNRESOLVABLE_TLDS = ("invalid", "test", "example")


class AdapterIP(Protocol):
    @property
    def ip(self) -> object: ...  # a str for IPv4; ifaddr uses a tuple for IPv6

    @property
    def is_IPv4(self) -> bool: ...  # ifaddr's spelling


class Adapter(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def nice_name(self) -> str: ...

    @property
    def ips(self) -> Iterable[AdapterIP]: ...


@dataclass(frozen=True)
class Reachability:
    """Whether a phone on the same Wi-Fi could open a URL; `reason` is a code when not."""

    ok: bool
    reason: str | None = None


def _is_virtual(adapter: Adapter) -> bool:
    # On Windows `name` is a GUID and only `nice_name` is recognisable; check both.
    names = (getattr(adapter, "name", "") or "", getattr(adapter, "nice_name", "") or "")
    return any(str(n).lower().startswith(VIRTUAL_INTERFACE_PREFIXES) for n in names)


def lan_addresses(adapters: Iterable[Adapter] | None = None) -> list[str]:
    """IPv4 addresses of this machine that another device could use, private ranges first.

    Loopback, link-local and container/VM bridge addresses are left out. `adapters`
    defaults to the machine's interfaces as listed by ifaddr.
    """
    if adapters is None:
        adapters = ifaddr.get_adapters()
    found: list[ipaddress.IPv4Address] = []
    for adapter in adapters:
        if _is_virtual(adapter):
            continue
        for ip in adapter.ips:
            if not ip.is_IPv4 or not isinstance(ip.ip, str):
                continue
            try:
                address = ipaddress.IPv4Address(ip.ip)
            except ValueError:
                continue
            if (
                address.is_loopback
                or address.is_link_local
                or address.is_unspecified
                or address.is_multicast
                or address in found
            ):
                continue
            found.append(address)
    # Stable sort: among private (and among other) addresses the interfaces' order stays.
    found.sort(key=lambda a: not any(a in net for net in PRIVATE_NETWORKS))
    return [str(a) for a in found]


def public_base_url(public_url: str | None, port: int, scheme: str = "http") -> str:
    """The base URL to put in join links: PUBLIC_URL when set, else the LAN address.

    Falls back to 127.0.0.1 when no LAN address is found, so the app still starts;
    `phone_reachability` then tells the facilitator that phones cannot use it.
    """
    if public_url and public_url.strip():
        return public_url.strip().rstrip("/")
    addresses = lan_addresses()
    host = addresses[0] if addresses else "127.0.0.1"
    return f"{scheme}://{host}:{port}"


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address `host` denotes, as a browser would parse it, or None for a name."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            return address.ipv4_mapped
        return address
    # Browsers (WHATWG URL) read a host whose last label is a number as IPv4 in the
    # inet_aton forms, so "127.1" and "0x7f000001" are loopback, not names.
    last = host.rsplit(".", 1)[-1]
    if last.isdigit() or (last.startswith("0x") and all(c in hexdigits for c in last[2:])):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            raise ValueError(host) from None
    return None


def phone_reachability(base_url: str) -> Reachability:
    """Judge from the URL's literal host whether a phone on the venue Wi-Fi could open it.

    No name is looked up: an ordinary DNS name (a hosted deployment) counts as reachable.
    """
    parts = urlsplit(base_url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        return Reachability(False, "not_http")
    try:
        _ = parts.port  # urlsplit parses the port lazily; an invalid one raises here
    except ValueError:
        return Reachability(False, "invalid_port")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return Reachability(False, "no_host")
    try:
        address = _ip_literal(host)
    except ValueError:
        return Reachability(False, "invalid_host")
    if address is not None:
        return _address_reachability(address)
    return _name_reachability(host)


def _address_reachability(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Reachability:
    if address.is_unspecified:
        return Reachability(False, "unspecified")
    if address.is_loopback:
        return Reachability(False, "loopback")
    if address.is_link_local:
        return Reachability(False, "link_local")
    if address.is_multicast:
        return Reachability(False, "multicast")
    if address.is_reserved:
        return Reachability(False, "reserved")
    return Reachability(True, None)


def _name_reachability(host: str) -> Reachability:
    if host == "localhost" or host.endswith(".localhost"):
        return Reachability(False, "localhost")
    if host.endswith(".local"):
        return Reachability(False, "mdns_name")
    if "." not in host or host.rsplit(".", 1)[-1] in UNRESOLVABLE_TLDS:
        return Reachability(False, "unresolvable_name")
    return Reachability(True, None)
