"""The adapter model of HNS: an uplink network without --adapter takes the default route's adapter, and a
second network on an adapter an earlier one took over shares that switch (the Microsoft SDN start scripts
make an "External" l2bridge network first, then the pod network "cbr0" on the same adapter)."""

from __future__ import annotations

import json

from tests.e2e.conftest import UPLINK_ADDRESS, UPSTREAM_ADDRESS, Host
from tests.e2e.test_endpoints import Server, connect
from tests.kernel import ip

POD_IP = "10.244.1.10"
POD_ROUTER = "10.244.1.1"  # the LAN's router holds the pod subnet's gateway (flannel host-gw's other side)


def uplink_state(host: Host) -> tuple[list, str]:
    """eth0's global addresses and every IPv4 route of the host."""
    (eth0,) = json.loads(ip("-j", "addr", "show", "eth0", netns=host.name).stdout)
    return [(a["local"], a["prefixlen"]) for a in eth0["addr_info"] if a.get("scope") == "global"], ip("route", netns=host.name).stdout


def test_the_default_route_adapter_and_a_shared_switch(host: Host) -> None:
    before = uplink_state(host)
    external = host.json("network", "create", "External", "--type", "l2bridge", "--subnet", "192.168.255.0/30",
                         "--gateway", "192.168.255.1")  # no --adapter: the default route's, eth0
    assert (external["NetworkAdapterName"], external["ManagementIP"]) == ("eth0", UPLINK_ADDRESS)
    bridge = external["BridgeName"]
    assert json.loads(ip("-j", "link", "show", "eth0", netns=host.name).stdout)[0]["master"] == bridge

    # the pod network: the default route now leaves by External's bridge, so cbr0 joins that switch
    cbr0 = host.json("network", "create", "cbr0", "--type", "l2bridge", "--subnet", "10.244.1.0/24", "--gateway", POD_ROUTER)
    assert (cbr0["NetworkAdapterName"], cbr0["BridgeName"], cbr0["ManagementIP"]) == ("eth0", bridge, UPLINK_ADDRESS)
    named = host.json("network", "create", "named", "--type", "l2tunnel", "--adapter", "eth0", "--subnet", "10.245.0.0/24")
    assert named["BridgeName"] == bridge  # naming the adapter shares it the same way
    overlapping = host.hnsctl("network", "create", "again", "--type", "l2bridge", "--subnet", "10.244.1.128/25")
    assert overlapping.returncode == 4 and "'cbr0', which shares the switch" in overlapping.stderr
    assert uplink_state(host)[0] == []  # the address moved once, to the bridge

    # a pod on the shared switch talks to the LAN's router with its own address (l2bridge rewriting)
    ip("addr", "add", f"{POD_ROUTER}/24", "dev", "wan0", netns=host.upstream)
    host.ok("endpoint", "create", "pod1", "--network", "cbr0", "--ip", POD_IP, "--namespace", "pod1")
    server = Server("pod1", POD_IP)
    try:
        assert connect(host.upstream, POD_IP) == POD_ROUTER
    finally:
        server.stop()
    on_host = Server(host.name, UPLINK_ADDRESS)
    try:
        assert connect(host.upstream, UPLINK_ADDRESS) == UPSTREAM_ADDRESS  # the node itself is still on the LAN
    finally:
        on_host.stop()
    assert host.json("reconcile")["Differences"] == []

    # the switch's own network goes last; then the adapter gets everything back exactly
    refused = host.hnsctl("network", "delete", "External")
    assert refused.returncode == 4 and "cbr0, named share its switch" in refused.stderr
    host.ok("network", "delete", "cbr0", "--force")
    host.ok("network", "delete", "named")
    assert json.loads(ip("-j", "link", "show", "eth0", netns=host.name).stdout)[0]["master"] == bridge
    host.ok("network", "delete", "External")
    assert uplink_state(host) == before
    assert host.json("network", "list") == [] and host.json("reconcile")["Differences"] == []


def test_no_default_route_and_no_adapter_is_refused(host: Host) -> None:
    ip("route", "del", "default", netns=host.name)
    refused = host.hnsctl("network", "create", "x", "--type", "transparent")
    assert refused.returncode == 2 and "no IPv4 default route" in refused.stderr and "--adapter" in refused.stderr
    assert host.json("network", "list") == []
