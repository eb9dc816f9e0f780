"""A backend that records what it would do and changes nothing; reads come from the kernel when it can."""

from __future__ import annotations

from hnsctl.backend.base import (
    BridgeSpec,
    EndpointAclSpec,
    InterfaceConfig,
    InterfaceCounters,
    L2BridgeSpec,
    LoadBalancerSpec,
    NetworkFirewall,
    OutboundNatSpec,
    OwnedLink,
    PortMapSpec,
    PortSpec,
    RemoteSpec,
    RouteInfo,
    VxlanSpec,
)
from hnsctl.backend.nftrules import FAMILY, TABLE, network_rules, outbound_nat_rules
from hnsctl.models.ids import owner_tag


class DryRunBackend:
    """Writes become lines in `operations()`; reads (routes, links) go to the real kernel, read-only.

    Reading needs no privilege, so `--dry-run` works for an unprivileged user too. When netlink is not
    available at all (no pyroute2), reads answer "nothing there".
    """

    def __init__(self) -> None:
        self._ops: list[str] = []
        self._created: set[str] = set()
        self._namespaces: set[str] = set()
        try:
            from hnsctl.backend.netlink import Netlink

            self._reader: Netlink | None = Netlink()
        except ImportError:
            self._reader = None

    def require_privileges(self) -> None:
        return None

    def list_routes(self) -> list[RouteInfo]:
        return self._reader.list_routes() if self._reader else []

    def host_addresses(self) -> set[str]:
        return self._reader.host_addresses() if self._reader else set()

    def link_exists(self, name: str) -> bool:
        if name in self._created:
            return True
        return self._reader.link_exists(name) if self._reader else False

    def list_owned_links(self) -> list[OwnedLink]:
        return self._reader.list_owned_links() if self._reader else []

    def create_bridge(self, spec: BridgeSpec) -> None:
        self._created.add(spec.name)
        self._ops.append(f"ip link add {spec.name} type bridge")
        self._ops.append(f"ip link set {spec.name} alias {owner_tag(spec.owner)}")
        for address in spec.addresses:
            self._ops.append(f"ip addr add {address} dev {spec.name}")
        self._ops.append(f"ip link set {spec.name} up")

    def host_nameservers(self) -> list[str]:
        from hnsctl.backend.resolver import host_nameservers

        return host_nameservers()

    def allow_loopback_destinations(self, interface: str) -> None:
        self._ops.append(f"sysctl net.ipv4.conf.{interface}.route_localnet=1")

    def create_vxlan(self, spec: VxlanSpec) -> None:
        self._created.add(spec.name)
        self._ops.append(f"ip link add {spec.name} type vxlan id {spec.vni} dstport {spec.port} local {spec.local} "
                         f"dev {spec.underlay} nolearning mtu {spec.mtu}")
        self._ops.append(f"ip link set {spec.name} alias {owner_tag(spec.owner)} master {spec.bridge} up")

    def repair_vxlan(self, spec: VxlanSpec) -> None:
        self._ops.append(f"ip link set {spec.name} master {spec.bridge} up")

    def apply_remote(self, spec: RemoteSpec) -> None:
        self._ops.append(f"bridge fdb replace {spec.mac} dev {spec.vxlan} dst {spec.provider_address} self permanent")
        self._ops.append(f"bridge fdb replace {spec.mac} dev {spec.vxlan} master static")
        self._ops.append(f"ip neigh replace {spec.neighbour} lladdr {spec.mac} dev {spec.bridge} nud permanent")
        if spec.route:
            self._ops.append(f"ip route replace {spec.route} " + (f"via {spec.via} onlink " if spec.via else "") + f"dev {spec.bridge}")

    def remove_remote(self, spec: RemoteSpec) -> None:
        if spec.route:
            self._ops.append(f"ip route del {spec.route} dev {spec.bridge}")
        self._ops.append(f"ip neigh del {spec.neighbour} dev {spec.bridge}")
        if not spec.shared_mac:
            self._ops.append(f"bridge fdb del {spec.mac} dev {spec.vxlan} (self and master)")

    def remote_present(self, spec: RemoteSpec) -> bool:
        return True

    def check_adapter_free(self, adapter: str) -> None:
        if self._reader is not None:
            from hnsctl.backend.uplink import Uplinks

            Uplinks(self._reader).check_free(adapter)

    def adapter_state(self, adapter: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if self._reader is None:
            return (), ()
        from hnsctl.backend.uplink import Uplinks

        return Uplinks(self._reader).state(adapter)

    def give_back_adapter(self, bridge: str, adapter: str, addresses: tuple[str, ...], routes: tuple[str, ...]) -> None:
        self._ops.append(f"ip link set {adapter} nomaster; restore on {adapter}: " + (", ".join(addresses + routes) or "nothing"))

    def move_to_bridge(self, bridge: str, adapter: str, addresses: tuple[str, ...], routes: tuple[str, ...]) -> None:
        self._ops.append(f"ip link set {adapter} master {bridge} up; move to {bridge}: " + (", ".join(addresses + routes) or "nothing"))

    def adapter_held(self, bridge: str, adapter: str) -> bool:
        return True

    def vlan_support(self) -> dict[str, tuple[bool, str]]:
        from hnsctl.backend.probe import vlan_support

        return vlan_support()

    def adapter_mac(self, adapter: str) -> str:
        if self._reader is None:
            return "00:00:00:00:00:00"
        from hnsctl.backend.uplink import Uplinks

        return Uplinks(self._reader).mac(adapter)

    def apply_l2bridge(self, spec: L2BridgeSpec) -> None:
        self._ops.append(f"nft: bridge hnsctl MAC rewriting on {spec.adapter} as {spec.host_mac} for {len(spec.endpoints)} endpoint(s)")

    def remove_l2bridge(self, owner: str, short: str) -> None:
        self._ops.append(f"nft: remove the MAC rewriting of {owner} from bridge hnsctl")

    def l2bridge_endpoint(self, short: str, ip: str, mac: str | None) -> None:
        self._ops.append(f"nft {'add' if mac else 'delete'} element bridge hnsctl l2-{short} {ip}" + (f" : {mac}" if mac else ""))

    def l2bridge_state(self, owner: str, short: str) -> tuple[int, frozenset[tuple[str, str]]]:
        return 0, frozenset()

    def default_route_interface(self) -> str | None:
        return self._reader.default_route_interface() if self._reader is not None else None

    def underlay(self, provider_address: str | None, adapter: str | None) -> tuple[str, str, int]:
        if self._reader is None:
            return adapter or "?", provider_address or "0.0.0.0", 1500
        return self._reader.underlay(provider_address, adapter)

    def delete_link(self, name: str, owner: str) -> None:
        self._created.discard(name)
        self._ops.append(f"ip link del {name}")

    def repair_bridge(self, spec: BridgeSpec) -> None:
        self._ops.append(f"ip link set {spec.name} alias {owner_tag(spec.owner)} up; add missing addresses {', '.join(spec.addresses) or '-'}")

    def firewall_owners(self) -> set[str]:
        try:
            from hnsctl.backend.firewall import Firewall

            firewall = Firewall()
            try:
                return firewall.owners()
            finally:
                firewall.close()
        except Exception:  # noqa: BLE001 - a dry run without nftables access reports nothing there
            return set()

    def apply_network_firewall(self, firewall: NetworkFirewall) -> None:
        self._ops.append(f"nft begin transaction (replace rules of {firewall.owner} in {FAMILY} {TABLE})")
        for rule in network_rules(firewall):
            self._ops.append(f'nft add rule {FAMILY} {TABLE} {rule.chain} {rule.text} comment "{rule.comment}"')
        self._ops.append("nft commit")

    def remove_firewall(self, owner: str) -> None:
        self._ops.append(f"nft delete rules of {owner} from {FAMILY} {TABLE} (the table too if nothing else is left)")

    def enable_forwarding(self, version: int) -> None:
        key = "net.ipv4.ip_forward" if version == 4 else "net.ipv6.conf.all.forwarding"
        self._ops.append(f"sysctl -w {key}=1")

    def add_port_mapping(self, spec: PortMapSpec) -> None:
        where = f"{spec.vip}:" if spec.vip else "local:"
        self._ops.append(f"nft add element {FAMILY} {TABLE} portmap {spec.protocol} {where}{spec.external_port} -> {spec.target_ip}:{spec.target_port}")

    def remove_port_mapping(self, spec: PortMapSpec) -> None:
        self._ops.append(f"nft delete element {FAMILY} {TABLE} portmap {spec.protocol} {spec.vip or 'local'}:{spec.external_port}")

    def port_mappings(self) -> set[tuple[str, int, str | None]]:
        return set()

    def mark_host_endpoint(self, bridge: str, mac: str, present: bool) -> None:
        self._ops.append(f"nft {'add' if present else 'delete'} element {FAMILY} {TABLE} host-endpoints {{ {bridge} . {mac} }}")

    def host_endpoint_marks(self) -> set[tuple[str, str]]:
        return set()

    def apply_outbound_nat(self, spec: OutboundNatSpec) -> None:
        self._ops.append(f"nft begin transaction (replace rules of {spec.owner} in {FAMILY} {TABLE})")
        for rule in outbound_nat_rules(spec):
            self._ops.append(f'nft add rule {FAMILY} {TABLE} {rule.chain} {rule.text} comment "{rule.comment}"')
        self._ops.append("nft commit")

    def apply_endpoint_acls(self, spec: EndpointAclSpec) -> None:
        count = len(spec.rules_in) + len(spec.rules_out)
        self._ops.append(f"nft rebuild chains acl-{spec.short}-in/-out in {FAMILY} {TABLE} with {count} rule(s) (one transaction)")

    def apply_load_balancer(self, spec: LoadBalancerSpec, *, new: bool = False, previous: LoadBalancerSpec | None = None) -> None:
        frontends = ", ".join(f"{f.protocol} {f.vip or '*'}:{f.external_port}" for f in spec.frontends)
        backends = ", ".join(spec.backends) or "none: connections refused"
        self._ops.append(f"nft set load balancer lb-{spec.short} in {FAMILY} {TABLE}: {frontends} -> {backends} (one transaction)")

    def remove_load_balancer(self, spec: LoadBalancerSpec) -> None:
        self._ops.append(f"nft delete load balancer lb-{spec.short} (chain, map, frontend elements) from {FAMILY} {TABLE}")

    def load_balancer_state(self) -> dict[str, tuple[int, frozenset[str], frozenset[tuple[str | None, str, int]]]]:
        return {}

    def load_balancer_marks(self) -> set[int]:
        return set()

    def remove_load_balancers_except(self, keep: set[str], keep_marks: set[int] | None = None) -> list[str]:
        return []

    def remove_acl_chains_except(self, keep: set[str]) -> list[str]:
        self._ops.append(f"nft delete ACL chains of endpoints other than {', '.join(sorted(keep)) or '(none)'}")
        return []

    def kernel_features(self) -> list[tuple[str, bool, str]]:
        from hnsctl.backend.probe import probe_kernel

        return probe_kernel()

    def enable_bridge_filtering(self) -> bool:
        self._ops.append("sysctl -w net.bridge.bridge-nf-call-iptables=1")
        return True

    def set_qos(self, namespace: str | None, ifname: str, max_bytes_per_second: int | None) -> None:
        prefix = f"ip -n {namespace} " if namespace else ""
        if max_bytes_per_second is None:
            self._ops.append(f"tc {prefix and f'-n {namespace} '}qdisc del dev {ifname} root")
        else:
            self._ops.append(f"tc {prefix and f'-n {namespace} '}qdisc replace dev {ifname} root handle 1: tbf rate {max_bytes_per_second * 8}bit")

    def qos_rate(self, namespace: str | None, ifname: str) -> int | None:
        return None

    def interface_routes(self, namespace: str | None, ifname: str) -> set[str]:
        return set()

    def port_in_use(self, protocol: str, port: int) -> bool:
        from hnsctl.backend.procnet import port_in_use

        return port_in_use(protocol, port)

    def set_routes(self, namespace: str | None, ifname: str, routes: list[tuple[str, str | None]], removed: list[str]) -> None:
        prefix = f"ip -n {namespace} " if namespace else "ip "
        for destination in removed:
            self._ops.append(f"{prefix}route del {destination} dev {ifname}")
        for destination, next_hop in routes:
            self._ops.append(f"{prefix}route replace {destination} {'via ' + next_hop if next_hop else 'scope link'} dev {ifname}")

    def create_port(self, spec: PortSpec) -> None:
        self._created.add(spec.host_side)
        self._ops.append(f"ip link add {spec.host_side} master {spec.bridge} up type veth peer name {spec.parked_name} address {spec.mac}")
        self._ops.append(f"ip link set {spec.parked_name} alias {owner_tag(spec.owner)}")
        self._ops.append(f"ip link set {spec.host_side} alias {owner_tag(spec.owner)}")

    def delete_port(self, host_side: str, owner: str) -> None:
        self._created.discard(host_side)
        self._ops.append(f"ip link del {host_side}")

    def port_exists(self, host_side: str) -> bool:
        return self.link_exists(host_side)

    def _configure(self, prefix: str, config: InterfaceConfig, *, routes: bool) -> None:
        for address in config.addresses:
            self._ops.append(f"{prefix}addr add {address} dev {config.ifname}")
        self._ops.append(f"{prefix}link set {config.ifname} up")
        if routes and config.gateway:
            self._ops.append(f"{prefix}route replace {config.default_route} via {config.gateway} dev {config.ifname}")

    def attach_namespace(self, namespace: str, config: InterfaceConfig) -> None:
        self._ops.append(f"ip link set {config.parked_name} netns {namespace} name {config.ifname}")
        self._ops.append(f"ip -n {namespace} link set lo up")
        self._configure(f"ip -n {namespace} ", config, routes=True)

    def detach_namespace(self, namespace: str, owner: str, parked_name: str) -> None:
        self._ops.append(f"ip -n {namespace} link set <interface tagged {owner_tag(owner)}> down netns <home> name {parked_name}")

    def attach_host(self, config: InterfaceConfig) -> None:
        self._ops.append(f"ip link set {config.parked_name} name {config.ifname}")
        self._configure("ip ", config, routes=False)

    def detach_host(self, owner: str, ifname: str, parked_name: str) -> None:
        self._ops.append(f"ip link set {ifname} down; ip addr flush dev {ifname}; ip link set {ifname} name {parked_name}")

    def port_counters(self, host_side: str) -> InterfaceCounters | None:
        return None

    def port_addresses(self, namespace: str | None, owner: str) -> list[tuple[str, str, str]]:
        return []

    def create_namespace(self, name: str) -> None:
        self._namespaces.add(name)
        self._ops.append(f"ip netns add {name} (in-process: unshare + bind mount); ip -n {name} link set lo up")

    def delete_namespace(self, name: str) -> None:
        self._namespaces.discard(name)
        self._ops.append(f"ip netns del {name}")

    def namespace_exists(self, name: str) -> bool:
        if name in self._namespaces:
            return True
        from hnsctl.backend.netns import namespace_exists

        return namespace_exists(name)

    def write_resolv_conf(self, namespace: str, content: str | None) -> bool:
        if content is None:
            self._ops.append(f"remove /etc/netns/{namespace}/resolv.conf (if hnsctl wrote it)")
        else:
            servers = " ".join(line.split()[1] for line in content.splitlines() if line.startswith("nameserver"))
            self._ops.append(f"write /etc/netns/{namespace}/resolv.conf (nameserver {servers or '-'})")
        return True

    def operations(self) -> list[str]:
        return list(self._ops)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
