"""One endpoint's addressing, as New-HnsEndpoint decides it: field checks of the request, then the subnet,
address, MAC, prefix length and gateway it gets on its network (lock held, against the other endpoints)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models import ids
from hnsctl.models.addresses import IPAddress, parse_address, parse_mac
from hnsctl.models.endpoint import (
    DEFAULT_IFNAME,
    EndpointRequest,
    generated_mac,
    validate_ifname,
)
from hnsctl.models.network import (
    Network,
    Subnet,
    parse_dns_servers,
    validate_dns_suffix,
)
from hnsctl.service import ipam

if TYPE_CHECKING:
    from hnsctl.models.endpoint import Endpoint

MAX_MAC_ATTEMPTS = 64


@dataclass(frozen=True)
class ValidatedEndpoint:
    name: str
    ip: IPAddress | None
    mac: str | None
    dns_servers: tuple[str, ...] | None
    dns_suffix: str | None
    ifname: str
    id: str | None


def validate_endpoint_request(request: EndpointRequest) -> ValidatedEndpoint:
    """Field checks that need neither state nor kernel; they run before the lock."""
    name = ids.validate_name(request.name, field="endpoint name")
    ip = parse_address(request.ip, field="--ip") if request.ip else None
    mac = parse_mac(request.mac) if request.mac else None
    ifname = validate_ifname(request.ifname) if request.ifname else DEFAULT_IFNAME
    if request.namespace and request.host:
        raise InvalidInput("--namespace and --host exclude each other: an endpoint lives in one place")
    if request.remote or request.provider_address:
        if not request.remote:
            raise InvalidInput("--provider-address is for remote endpoints: add --remote")
        if ip is None:
            raise InvalidInput("a remote endpoint needs --ip: its address on the other host (and, on overlay, --provider-address)",
                               hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
        if request.namespace or request.host:
            raise InvalidInput("a remote endpoint lives on another host: --namespace and --host do not apply",
                               hns_name="HCN_E_INVALID_REMOTE_ENDPOINT_OPERATION")
        if ip is not None and ip.version != 4:
            raise InvalidInput(f"invalid --ip {ip}: remote endpoints are IPv4 (the overlay's underlay is IPv4)")
        parse_address(request.provider_address, field="--provider-address")
    endpoint_id = None
    if request.id:
        endpoint_id = ids.normalize_id(request.id)
        if not ids.is_guid(endpoint_id):
            raise InvalidInput(f"invalid ID {request.id!r}: expected a GUID", hns_name="HCN_E_GUID_CONVERSION_FAILURE")
    return ValidatedEndpoint(
        name=name,
        ip=ip,
        mac=mac,
        dns_servers=parse_dns_servers(request.dns_servers) if request.dns_servers else None,
        dns_suffix=validate_dns_suffix(request.dns_suffix) if request.dns_suffix is not None else None,
        ifname=ifname,
        id=endpoint_id,
    )


def mac_from_pools(network: Network, taken: set[str]) -> str:
    """HNS hands out endpoint MACs from the network's MacPools, lowest free first."""
    from hnsctl.models.addresses import mac_from_number, mac_number

    for first, last in network.mac_pools:
        for value in range(mac_number(first), mac_number(last) + 1):
            mac = mac_from_number(value)
            if mac not in taken:
                return mac
    raise Conflict(f"choosing a MAC on network {network.name!r}: its MacPools have no free address left",
                   hint="give one with --mac, or widen the network's MacPools", hns_name="HCN_E_INVALID_ENDPOINT")


def check_lan_address(network: Network, ip: IPAddress | None) -> None:
    """A transparent network's subnet is a real LAN: its addresses are not hnsctl's to hand out."""
    if ip is None:
        raise InvalidInput(f"endpoints on transparent network {network.name!r} need --ip: the LAN's addresses belong to the LAN "
                           "(hnsctl runs no DHCP); pick one nobody else uses")
    host = {i.ip for i in network.uplink.ipv4_interfaces} if network.uplink else set()
    if ip in host:
        raise Conflict(f"--ip {ip}: that is this host's own address on {network.uplink.adapter}", hns_name="HCN_E_ADDR_INVALID_OR_RESERVED")  # type: ignore[union-attr]


NO_GATEWAY = frozenset({"0.0.0.0", "::", "none"})  # New-HnsEndpoint -Gateway 0.0.0.0: no default route


def endpoint_addressing(request: EndpointRequest, subnet: Subnet, ip: IPAddress) -> tuple[int, IPAddress | None]:
    """HNS -PrefixLength and -Gateway. By default the subnet's; a narrower prefix (a host endpoint's /32) and
    another on-link gateway, or none at all (`-Gateway 0.0.0.0`: no default route), when asked for."""
    import ipaddress

    widest, narrowest = subnet.prefix.prefixlen, ip.max_prefixlen
    prefix_len = widest
    if request.prefix_len is not None:
        if not widest <= request.prefix_len <= narrowest:
            raise InvalidInput(f"invalid --prefix-length/PrefixLength {request.prefix_len}: the network's subnet {subnet.prefix} "
                               f"takes /{widest} to /{narrowest}", hns_name="HCN_E_INVALID_PREFIX")
        prefix_len = request.prefix_len
    link = ipaddress.ip_interface(f"{ip}/{prefix_len}").network
    text = (request.gateway or "").strip()
    if not text:
        gateway = subnet.gateway
        if gateway is not None and gateway not in link:
            raise InvalidInput(f"invalid --prefix-length/PrefixLength {prefix_len}: the network's gateway {gateway} would be outside "
                               f"{ip}/{prefix_len}", hint="give --gateway 0.0.0.0 (no default route) or a shorter prefix",
                               hns_name="HCN_E_INVALID_PREFIX")
        return prefix_len, gateway
    if text.lower() in NO_GATEWAY:
        return prefix_len, None
    gateway = parse_address(text, field="--gateway/GatewayAddress")
    if gateway.version != ip.version or gateway not in link or gateway == ip:
        raise InvalidInput(f"invalid --gateway/GatewayAddress {gateway}: the endpoint's gateway must be another address on its "
                           f"own link {link}", hint="pick one in it, or 0.0.0.0 for no default route", hns_name="HCN_E_INVALID_IP")
    return prefix_len, gateway


def subnet_for(network: Network, ip: IPAddress | None, request: EndpointRequest) -> Subnet:
    if not network.subnets:
        raise Conflict(f"network {network.name!r} has no subnet to take addresses from", hns_name="HCN_E_SUBNET_NOT_FOUND")
    if ip is None:
        return network.subnets[0]
    for subnet in network.subnets:
        if ip.version == subnet.prefix.version and ip in subnet.prefix:
            return subnet
    return next((s for s in network.subnets if s.prefix.version == ip.version), network.subnets[0])


def choose_address(network: Network, subnet: Subnet, wanted: IPAddress | None, same_network: list[Endpoint]) -> IPAddress:
    holders = {e.ip: e for e in same_network}
    if wanted is not None:
        problem = ipam.static_address_problem(wanted, subnet.prefix, subnet.gateway)
        if problem:
            raise Conflict(f"--ip {wanted}: {problem}", hint=f"pick a free address in {subnet.prefix}, or omit --ip", hns_name="HCN_E_INVALID_IP")
        if wanted in holders:
            raise Conflict(
                f"--ip {wanted}: already held by endpoint {holders[wanted].name!r} ({holders[wanted].id})",
                hint="omit --ip to get a free address", hns_name="HCN_E_ADDR_INVALID_OR_RESERVED",
            )
        return wanted
    address = ipam.allocate_address(subnet.prefix, subnet.gateway, set(holders))
    if address is None:
        raise Conflict(f"network {network.name!r}: subnet {subnet.prefix} has no free address left", hns_name="HCN_E_ADDR_INVALID_OR_RESERVED")
    return address


def choose_mac(network: Network, ip: IPAddress, wanted: str | None, same_network: list[Endpoint]) -> str:
    taken = {e.mac: e for e in same_network}
    if wanted is not None:
        if wanted in taken:
            raise Conflict(f"--mac {wanted}: already used by endpoint {taken[wanted].name!r} on network {network.name!r}")
        return wanted
    if network.mac_pools:
        return mac_from_pools(network, set(taken))
    for salt in range(MAX_MAC_ATTEMPTS):
        mac = generated_mac(ip, salt)
        if mac not in taken:
            return mac
    raise Conflict(f"choosing a MAC on network {network.name!r}: no free address found", hint="give one with --mac")
