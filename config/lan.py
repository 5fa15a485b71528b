"""This machine's names and addresses on the local network, for a class served from one laptop.

Used by the classroom settings (which host names Django answers to) and by the launcher (which URLs it prints).
Nothing here sends a packet: connecting a UDP socket only asks the kernel which local address it would use.
"""

import contextlib
import ipaddress
import socket

LOCAL_NAMES = ["127.0.0.1", "localhost", "[::1]"]
# TEST-NET-1 (RFC 5737): never routed, so the UDP "connection" below only selects the outgoing interface.
_PROBE_ADDRESS = ("192.0.2.1", 9)


def _outgoing_ipv4() -> str | None:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PROBE_ADDRESS)
            return probe.getsockname()[0]
    except OSError:  # no network at all: only the loopback names apply
        return None


def lan_addresses() -> list[str]:
    """The IPv4 addresses by which other machines on the network can reach this one (no loopback), sorted."""
    found = set()
    candidates = [_outgoing_ipv4()]
    with contextlib.suppress(OSError):  # a host name that does not resolve: the probe's answer is enough
        candidates += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    for address in candidates:
        if address and not ipaddress.ip_address(address).is_loopback:
            found.add(address)
    return sorted(found)


def served_host_names() -> list[str]:
    """Every name a browser on the LAN may put in its Host header for this machine: the loopback names, the
    host name (also as ``NAME.local`` for mDNS) and the LAN addresses."""
    names = list(LOCAL_NAMES)
    hostname = socket.gethostname()
    if hostname:
        names += [hostname, f"{hostname}.local"]
    return names + lan_addresses()
