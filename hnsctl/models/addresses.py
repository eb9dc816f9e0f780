"""IP and MAC address types, parsers and forms shared by every model.

Networks, endpoints and policies all take addresses. Keeping the parsers here, below all three, lets
each model import them without importing another model: no model needs a second one just to read an
address, so the models import each other in one direction only.
"""

from __future__ import annotations

import ipaddress
import re

from hnsctl.errors import InvalidInput

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAC_RE = re.compile(r"[0-9A-Fa-f]{2}([-:])[0-9A-Fa-f]{2}(\1[0-9A-Fa-f]{2}){4}")


def parse_address(text: str, *, field: str) -> IPAddress:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        raise InvalidInput(f"invalid {field} {text!r}: not an IP address", hns_name="HCN_E_INVALID_IP") from None


def parse_host_address(value: str, *, field: str) -> IPAddress:
    """A single address; HNS's `Any` / `*` wildcards are refused with a hint instead of guessed at."""
    if str(value).strip().lower() in ("any", "*", "0.0.0.0", "::"):
        raise InvalidInput(f"invalid {field} {value!r}: give a concrete address, or leave the option out for any")
    return parse_address(value, field=field)


def parse_prefix(value: str, *, field: str) -> IPNetwork:
    """A CIDR or a bare address (as /32 or /128); host bits set are refused, `Any` is refused."""
    text = str(value).strip()
    if text.lower() in ("any", "*"):
        raise InvalidInput(f"invalid {field} {value!r}: leave the option out to mean any address")
    try:
        if "/" in text:
            prefix = ipaddress.ip_network(text, strict=False)
            if prefix.network_address != ipaddress.ip_address(text.split("/")[0]):
                raise InvalidInput(f"invalid {field} {value!r}: host bits are set; did you mean {prefix}?")
            return prefix
        return ipaddress.ip_network(text)
    except ValueError:
        raise InvalidInput(f"invalid {field} {value!r}: not an address or CIDR") from None


def parse_mac(text: str, *, field: str = "--mac") -> str:
    """Accept dash or colon form; return HNS's upper-case dash form. Multicast MACs are refused."""
    raw = str(text).strip()
    if not MAC_RE.fullmatch(raw):
        raise InvalidInput(f"invalid {field} {text!r}: expected six hex pairs such as 00-15-5D-00-00-50", hns_name="HCN_E_INVALID_ENDPOINT")
    octets = [int(part, 16) for part in re.split("[-:]", raw)]
    if octets[0] & 1:
        raise InvalidInput(f"invalid {field} {text!r}: a multicast MAC cannot be an endpoint's address", hns_name="HCN_E_INVALID_ENDPOINT")
    if not any(octets):
        raise InvalidInput(f"invalid {field} {text!r}: the all-zero MAC is not usable", hns_name="HCN_E_INVALID_ENDPOINT")
    return format_mac(octets)


def format_mac(octets: list[int] | tuple[int, ...]) -> str:
    return "-".join(f"{o:02X}" for o in octets)


def mac_number(mac: str) -> int:
    """A MAC (HNS or kernel form) as a 48-bit number, for walking a MacPools range."""
    return int(mac.replace("-", "").replace(":", ""), 16)


def mac_from_number(value: int) -> str:
    return format_mac([(value >> shift) & 0xFF for shift in range(40, -8, -8)])


def kernel_mac(mac: str) -> str:
    return mac.replace("-", ":").lower()
