"""Validating a New-HnsNetwork request (fields, types, overlay and adapter settings, document policies)
before the lock, and the checks against the networks that exist that need the lock held."""

from __future__ import annotations

from dataclasses import dataclass

from hnsctl.errors import Conflict, InvalidInput
from hnsctl.models import ids
from hnsctl.models.addresses import parse_address
from hnsctl.models.network import (
    IMPLEMENTED_TYPES,
    MAC_REWRITE_TYPES,
    MAX_VSID,
    UPLINK_TYPES,
    Network,
    NetworkFlags,
    NetworkRequest,
    NetworkType,
    Subnet,
    Uplink,
    check_gateway,
    first_host,
    parse_dns_servers,
    parse_subnet,
    validate_dns_suffix,
)
from hnsctl.models.policy import PolicyRequest
from hnsctl.service import ipam


@dataclass(frozen=True)
class ValidatedRequest:
    name: str
    type: NetworkType
    subnets: tuple[Subnet, ...]  # empty: pick a free one under the lock
    dns_servers: tuple[str, ...]
    dns_suffix: str
    flags: int
    id: str | None
    vsid: int | None = None
    vxlan_port: int = 4789
    provider_address: str | None = None
    adapter: str | None = None
    outbound_nat: bool = False
    outbound_nat_exceptions: tuple[str, ...] = ()
    vlan: int | None = None
    mac_pools: tuple[tuple[str, str], ...] = ()
    max_endpoints: int = 0
    network_policies: tuple[PolicyRequest, ...] = ()
    hns_schema: tuple[int, int] | None = None  # the document's SchemaVersion, printed back as given


def _validate_mac_pools(pools: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Each range's ends parse as unicast MACs and run forwards; endpoints take MACs from them in order."""
    from hnsctl.models.addresses import mac_number, parse_mac

    checked = []
    for i, (start, end) in enumerate(pools):
        first = parse_mac(start, field=f"MacPools[{i}].StartMacAddress")
        last = parse_mac(end, field=f"MacPools[{i}].EndMacAddress")
        if mac_number(last) < mac_number(first):
            raise InvalidInput(f"invalid MacPools[{i}]: {first} .. {last} runs backwards", hns_name="HCN_E_INVALID_NETWORK")
        checked.append((first, last))
    return tuple(checked)


def _validate_network_policies(request: NetworkRequest, net_type: NetworkType, vsid: int | None) -> tuple[PolicyRequest, ...]:
    """RemoteSubnetRoute / HostRoute in a document: overlay only, checked now so bad input changes nothing."""
    from hnsctl.models.policy import validate_settings

    for i, policy in enumerate(request.network_policies):
        if net_type is not NetworkType.OVERLAY:
            raise InvalidInput(f"invalid JSON field Policies: {policy.type} policies are for overlay networks, not {net_type.value}",
                               hns_name="HCN_E_INVALID_POLICY")
        try:
            validate_settings(policy)
        except InvalidInput as error:
            raise InvalidInput(f"network policy {i + 1} ({policy.type}): {error.message}", hns_name=error.hns_name) from None
        if policy.isolation_id not in (None, "", vsid):
            raise InvalidInput(f"network policy {i + 1} ({policy.type}): IsolationId {policy.isolation_id} is not this network's VSID {vsid}",
                               hns_name="HCN_E_INVALID_POLICY")
    return request.network_policies


def _validate_overlay(request: NetworkRequest, net_type: NetworkType) -> tuple[int | None, int, str | None]:
    """VSID, VXLAN port and provider address: required/allowed only on overlay networks."""
    from hnsctl.models.network import VXLAN_PORT

    if net_type is not NetworkType.OVERLAY:
        for value, option in ((request.vsid, "--vsid"), (request.vxlan_port, "--vxlan-port"), (request.provider_address, "--provider-address")):
            if value not in (None, ""):
                raise InvalidInput(f"{option} applies to overlay networks only, not {net_type.value}")
        return None, VXLAN_PORT, None
    if request.vsid in (None, ""):
        raise InvalidInput("an overlay network needs --vsid (the VXLAN network identifier, 1-16777215; 4096 is the usual one)")
    try:
        vsid = int(str(request.vsid).strip())
        port = int(str(request.vxlan_port).strip()) if request.vxlan_port not in (None, "") else VXLAN_PORT
    except ValueError:
        raise InvalidInput(f"invalid --vsid {request.vsid!r} or --vxlan-port {request.vxlan_port!r}: expected numbers") from None
    if not 1 <= vsid <= MAX_VSID:
        raise InvalidInput(f"invalid --vsid {vsid}: expected 1-{MAX_VSID}")
    if not 1 <= port <= 65535:
        raise InvalidInput(f"invalid --vxlan-port {port}: a port is 1-65535")
    provider = None
    if request.provider_address:
        provider = str(parse_address(request.provider_address, field="--provider-address"))
        if ":" in provider:
            raise InvalidInput(f"invalid --provider-address {provider}: an IPv4 underlay address is needed")
        if request.adapter:
            raise InvalidInput("give --provider-address or --adapter, not both")
    if not request.subnets:
        raise InvalidInput("an overlay network needs --subnet: each host of the overlay gets its own part of the address plan")
    return vsid, port, provider


def validate_request(request: NetworkRequest) -> ValidatedRequest:
    """Every check that needs no state or kernel: runs before the lock, so bad input changes nothing."""
    name = ids.validate_name(request.name, field="network name")
    net_type = NetworkType.parse(request.type)
    if net_type not in IMPLEMENTED_TYPES:
        raise InvalidInput(
            f"network type {net_type.value!r} is not supported yet (supported: "
            + ", ".join(sorted(t.value for t in IMPLEMENTED_TYPES)) + ")",
            hns_name="HCN_E_REQUEST_UNSUPPORTED",
        )
    if request.adapter and net_type not in UPLINK_TYPES | {NetworkType.OVERLAY}:
        raise InvalidInput(f"NetworkAdapterName does not apply to {net_type.value} networks: they have no uplink adapter")
    vsid, vxlan_port, provider_address = _validate_overlay(request, net_type)
    if (request.outbound_nat or request.outbound_nat_exceptions) and net_type not in MAC_REWRITE_TYPES:
        raise InvalidInput(f"--outbound-nat applies to l2bridge and l2tunnel networks, not {net_type.value} "
                           "(nat and ics networks always NAT; elsewhere add an outboundnat policy to an endpoint)")
    if request.outbound_nat_exceptions and not request.outbound_nat:
        raise InvalidInput("--outbound-nat-exception needs --outbound-nat")
    from hnsctl.models.addresses import parse_prefix

    outbound_exceptions = tuple(str(parse_prefix(e, field="--outbound-nat-exception")) for e in request.outbound_nat_exceptions)
    vlan = None
    if request.vlan not in (None, ""):
        try:
            vlan = int(str(request.vlan).strip())
        except ValueError:
            raise InvalidInput(f"invalid --vlan {request.vlan!r}: expected a VLAN ID 1-4094") from None
        if not 1 <= vlan <= 4094:
            raise InvalidInput(f"invalid --vlan {vlan}: expected a VLAN ID 1-4094")
        if net_type not in UPLINK_TYPES:
            raise InvalidInput(
                f"--vlan {vlan}: VLAN isolation tags traffic on an uplink adapter, and {net_type.value} networks have none "
                "(transparent, l2bridge and l2tunnel networks do)",
                hint="isolate with separate networks (one bridge each) or an overlay VSID instead",
                hns_name="HCN_E_REQUEST_UNSUPPORTED",
            )
    for policy in request.policies:
        raise InvalidInput(
            f"network policy type {policy.get('Type')!r} is not supported on {net_type.value} networks",
            hns_name="HCN_E_INVALID_POLICY_TYPE",
        )
    network_policies = _validate_network_policies(request, net_type, vsid)
    if request.max_endpoints < 0:
        raise InvalidInput("invalid MaxConcurrentEndpoints: expected 0 (no limit) or more")
    if request.flags < 0 or request.flags & ~NetworkFlags.KNOWN_MASK:
        raise InvalidInput(f"invalid Flags {request.flags}: unknown bits set", hns_name="HCN_E_INVALID_NETWORK")
    subnets: list[Subnet] = []
    for wanted in request.subnets:
        prefix = parse_subnet(wanted.prefix, field=wanted.field)
        gateway_field = "--gateway" if wanted.field == "--subnet" else wanted.field.rsplit(".", 1)[0] + ".GatewayAddress"
        gateway = None
        if wanted.gateway:
            if net_type is NetworkType.PRIVATE:
                raise InvalidInput(f"{gateway_field} cannot be used on a private network: it has no host address")
            gateway = check_gateway(prefix, parse_address(wanted.gateway, field=gateway_field), field=gateway_field)
        elif net_type.has_host_address:
            gateway = first_host(prefix)
        for earlier in subnets:
            if ipam.overlaps(earlier.prefix, prefix):
                raise InvalidInput(f"invalid {wanted.field} {prefix}: overlaps {earlier.prefix} given earlier")
        subnets.append(Subnet(prefix, gateway))
    network_id = None
    if request.id:
        network_id = ids.normalize_id(request.id)
        if not ids.is_guid(network_id):
            raise InvalidInput(f"invalid ID {request.id!r}: expected a GUID", hns_name="HCN_E_GUID_CONVERSION_FAILURE")
    return ValidatedRequest(
        name=name,
        type=net_type,
        subnets=tuple(subnets),
        dns_servers=parse_dns_servers(request.dns_servers),
        dns_suffix=validate_dns_suffix(request.dns_suffix),
        flags=request.flags,
        id=network_id,
        vsid=vsid,
        vxlan_port=vxlan_port,
        provider_address=provider_address,
        adapter=request.adapter or None,
        outbound_nat=bool(request.outbound_nat),
        outbound_nat_exceptions=outbound_exceptions,
        vlan=vlan,
        mac_pools=_validate_mac_pools(request.mac_pools),
        max_endpoints=request.max_endpoints,
        network_policies=network_policies,
        hns_schema=request.hns_schema,
    )


def switch_of(adapter: str, existing: list[Network]) -> Network | None:
    """The network that already took `adapter` over (named by the adapter or by its bridge), if any."""
    for other in existing:
        if other.uplink is not None and not other.switch_owner and adapter in (other.uplink.adapter, other.bridge_name):
            return other
    for other in existing:
        if adapter == other.bridge_name:
            raise InvalidInput(f"--adapter {adapter}: that is the bridge of {other.type.value} network {other.name!r}, not an adapter",
                               hint="give the host's LAN adapter", hns_name="HCN_E_ADAPTER_NOT_FOUND")
    return None


def check_switch_subnets(network: Network, switch: Network, existing: list[Network]) -> None:
    """Networks on one switch share its LAN segment: their subnets must not overlap, or addresses would collide."""
    for other in existing:
        if other.id != switch.id and other.switch_owner != switch.id:
            continue
        for mine in network.subnets:
            for theirs in other.subnets:
                if ipam.overlaps(mine.prefix, theirs.prefix):
                    raise Conflict(f"subnet {mine.prefix} overlaps {theirs.prefix} of network {other.name!r}, which shares the "
                                   f"switch on {switch.uplink.adapter if switch.uplink else '?'}",
                                   hint="give this network its own --subnet (e.g. the node's podCIDR)", hns_name="HCN_E_INVALID_SUBNET")


def lan_subnets(addresses: tuple[str, ...], routes: tuple[str, ...]) -> tuple[Subnet, ...]:
    """The adapter's first IPv4 network, with the default route's next hop through it as the gateway."""
    from hnsctl.backend.base import AdapterState

    v4 = Uplink("", addresses).ipv4_interfaces
    if not v4:
        return ()
    prefix = v4[0].network
    gateway = AdapterState.from_records(addresses, routes).ipv4_gateway
    return (Subnet(prefix, gateway if gateway is not None and gateway in prefix else None),)


def check_matches(current: Network, wanted: ValidatedRequest) -> None:
    if current.type is not wanted.type:
        raise Conflict(
            f"network {current.name!r} already exists with type {current.type.value}, not {wanted.type.value}",
            hns_name="HCN_E_NETWORK_ALREADY_EXISTS",
        )
    if wanted.subnets and set(wanted.subnets) != set(current.subnets):
        have = ", ".join(f"{s.prefix} gateway {s.gateway or '-'}" for s in current.subnets)
        raise Conflict(
            f"network {current.name!r} already exists with subnet {have}",
            hint="drop --subnet/--gateway to accept the existing network, or pick another name",
            hns_name="HCN_E_NETWORK_ALREADY_EXISTS",
        )

