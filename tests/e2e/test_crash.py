"""Crash safety: hnsctl killed with SIGKILL at every named step of create/delete; reconcile repairs all.

The fault hook (HNSCTL_FAULT_AT=<step>, inert unless set) kills the process right after that step.
After each kill: state files parse, `reconcile` converges (a second run finds nothing), no interface
tagged by hnsctl is left without its record, and no address is held twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.e2e.conftest import Host, hnsctl_executable
from tests.kernel import nsexec

Setup = Callable[[Host], None]


def base(host: Host) -> None:
    host.ok("network", "create", "demo", "--subnet", "10.200.0.0/24")
    host.ok("endpoint", "create", "a", "--network", "demo", "--namespace", "na")


def with_endpoint_b(host: Host) -> None:
    base(host)
    host.ok("endpoint", "create", "b", "--network", "demo", "--namespace", "nb", "-p", "8080:80")
    host.ok("policy", "add", "outboundnat", "-e", "b", "--exception", "10.0.0.0/8")
    host.ok("policy", "add", "acl", "-e", "b", "--action", "block", "--direction", "in", "--protocol", "tcp", "--local-port", "22")
    host.ok("policy", "add", "qos", "-e", "b", "--max-bandwidth", "125000")
    host.ok("policy", "add", "route", "-e", "b", "--destination", "10.96.0.0/12")


def with_network_n2(host: Host) -> None:
    base(host)
    host.ok("network", "create", "n2", "--subnet", "10.210.0.0/24")


def with_namespace(host: Host) -> None:
    base(host)
    host.ok("namespace", "create", "nsx")
    host.ok("endpoint", "create", "c", "--network", "demo", "--namespace", "nsx")


def with_policy(kind: str) -> Setup:
    def setup(host: Host) -> None:
        base(host)
        host.ok("policy", "add", *POLICIES[kind])
    return setup


POLICIES = {
    "portmapping": ["portmapping", "-e", "a", "--external-port", "8080", "--internal-port", "80"],
    "outboundnat": ["outboundnat", "-e", "a", "--exception", "10.0.0.0/8"],
    "acl": ["acl", "-e", "a", "--action", "block", "--direction", "in", "--protocol", "tcp", "--local-port", "22"],
    "qos": ["qos", "-e", "a", "--max-bandwidth", "125000"],
    "route": ["route", "-e", "a", "--destination", "10.96.0.0/12"],
}


def with_loadbalancer(host: Host) -> None:
    base(host)
    host.ok("endpoint", "create", "b", "--network", "demo", "--namespace", "nb")
    host.ok("loadbalancer", "create", "--vip", "10.96.0.10", "--external-port", "80", "-e", "a", "--source-vip", "10.96.0.250")


OVERLAY = ["network", "create", "vx", "--type", "overlay", "--subnet", "10.244.1.0/24", "--vsid", "4096", "--adapter", "eth0"]
REMOTE = ["endpoint", "create", "peer", "--network", "vx", "--remote", "--ip", "10.244.2.7", "--mac", "02-11-0A-F4-02-07",
          "--provider-address", "192.0.2.1"]
SUBNET_ROUTE = ["policy", "add", "remotesubnetroute", "--network", "vx", "--destination", "10.244.3.0/24",
                "--provider-address", "192.0.2.1", "--dr-mac", "02-11-0A-F4-03-01"]


def with_overlay(host: Host) -> None:
    base(host)
    host.ok(*OVERLAY)


def with_overlay_peers(host: Host) -> None:
    with_overlay(host)
    host.ok(*REMOTE)
    host.ok(*SUBNET_ROUTE)


def overlay_entries(host: Host) -> str:
    """Permanent neighbours and routes of the overlay bridge, as the kernel has them."""
    from tests.kernel import ip

    bridges = [n["BridgeName"] for n in host.json("network", "list") if n["Type"] == "overlay"]
    return "".join(ip("neigh", "show", "dev", b, "nud", "permanent", netns=host.name).stdout
                   + ip("route", "show", "dev", b, netns=host.name).stdout for b in bridges)


def first_loadbalancer(host: Host) -> str:
    return host.json("loadbalancer", "list")[0]["ID"]


def remove_first_policy(host: Host) -> list[str]:
    return ["policy", "remove", host.json("policy", "list")[0]["ID"]]


SCENARIOS: list[tuple[str, Setup, Callable[[Host], list[str]]]] = [
    *[(f"network-create:{step}", base, lambda h: ["network", "create", "n2", "--subnet", "10.210.0.0/24"])
      for step in ("bridge", "firewall", "saved")],
    *[(f"network-delete:{step}", with_network_n2, lambda h: ["network", "delete", "n2"])
      for step in ("intent", "firewall", "bridge", "state")],
    *[(step, base, lambda h: ["endpoint", "create", "b", "--network", "demo", "--namespace", "nb"])
      for step in ("endpoint-create:port", "endpoint-attach:kernel", "endpoint-create:saved")],
    *[(f"endpoint-delete:{step}", with_endpoint_b, lambda h: ["endpoint", "delete", "b"])
      for step in ("intent", "policies", "port", "state")],
    *[("policy-add:kernel", base, (lambda k: lambda h: ["policy", "add", *POLICIES[k]])(kind)) for kind in POLICIES],
    *[(f"policy-delete:{step}", with_policy(kind), remove_first_policy) for kind in POLICIES for step in ("intent", "kernel")],
    ("loadbalancer-create:kernel", base, lambda h: ["loadbalancer", "create", "--vip", "10.96.0.10", "--external-port", "80", "-e", "a"]),
    ("loadbalancer-update:kernel", with_loadbalancer, lambda h: ["loadbalancer", "update", first_loadbalancer(h), "--add-endpoint", "b"]),
    *[(f"loadbalancer-delete:{step}", with_loadbalancer, lambda h: ["loadbalancer", "delete", first_loadbalancer(h)])
      for step in ("intent", "kernel")],
    ("endpoint-delete:policies", with_loadbalancer, lambda h: ["endpoint", "delete", "a"]),
    *[(step, with_overlay, lambda h: REMOTE) for step in ("endpoint-create:port", "endpoint-create:saved")],
    ("policy-add:kernel", with_overlay, lambda h: SUBNET_ROUTE),
    *[(f"endpoint-delete:{step}", with_overlay_peers, lambda h: ["endpoint", "delete", "peer"]) for step in ("intent", "policies")],
    *[(f"policy-delete:{step}", with_overlay_peers,
       lambda h: ["policy", "remove", next(p["ID"] for p in h.json("policy", "list") if p["Type"] == "RemoteSubnetRoute")])
      for step in ("intent", "kernel")],
    *[(f"namespace-delete:{step}", with_namespace, lambda h: ["namespace", "delete", "nsx", "--force"])
      for step in ("intent", "kernel")],
]


def killed_at(host: Host, step: str, args: list[str]) -> int:
    env = dict(host.env(), HNSCTL_FAULT_AT=step)
    return nsexec(host.name, hnsctl_executable(), *args, env=env).returncode


@pytest.mark.parametrize("step, setup, command", SCENARIOS, ids=[f"{s[0]}-{i}" for i, s in enumerate(SCENARIOS)])
def test_killed_at_every_step_reconcile_repairs(host: Host, step: str, setup: Setup, command: Callable[[Host], list[str]]) -> None:
    setup(host)
    assert killed_at(host, step, command(host)) == -9, f"the fault hook did not fire at {step}"

    first = host.hnsctl("reconcile", "-o", "json")
    assert first.returncode == 0, first.stderr
    second = host.json("reconcile")
    assert second["Differences"] == [], second  # converged

    networks = host.json("network", "list")
    endpoints = host.json("endpoint", "list")
    known = {n["ID"].lower() for n in networks} | {e["ID"] for e in endpoints}  # V1 networks print upper-case IDs
    tagged = {link.get("ifalias", "")[len("hnsctl:"):] for link in host.links().values() if str(link.get("ifalias", "")).startswith("hnsctl:")}
    assert tagged <= known, f"orphaned interfaces after {step}: {tagged - known}"
    for endpoint in endpoints:
        if endpoint["State"] == 2 and endpoint["Namespace"]:
            out = nsexec(endpoint["Namespace"]["Name"], "ip", "-j", "addr", "show").stdout
            assert endpoint["IPAddress"] in out, f"{endpoint['Name']} lost its address after {step}"
    addresses = [e["IPAddress"] for e in endpoints]
    assert len(addresses) == len(set(addresses))
    fresh = host.json("endpoint", "create", "probe", "--network", "demo")
    assert fresh["IPAddress"] not in addresses  # nothing double-allocated
    for policy in host.json("policy", "list"):
        assert host.json("policy", "show", policy["ID"], "--effective")["Effective"].get("Present") in (True, False)
    json.dumps(host.json("namespace", "list"))
    lb_chains = {item["chain"]["name"][3:] for item in json.loads(host.nft("-j", "list", "table", "inet", "hnsctl").stdout or '{"nftables": []}')["nftables"]
                 if "chain" in item and item["chain"]["name"].startswith("lb-") and len(item["chain"]["name"]) == 11}
    assert lb_chains == {lb["ID"].replace("-", "")[:8] for lb in host.json("loadbalancer", "list")}, f"load balancers out of step after {step}"
    for lb in host.json("loadbalancer", "list"):
        assert all(ref.split("/")[-1] in {e["ID"] for e in endpoints} for ref in lb["References"])
    entries = overlay_entries(host)  # overlay entries exist exactly for what is recorded
    assert ("10.244.2.7" in entries) == any(e["Name"] == "peer" for e in endpoints), f"remote endpoint out of step after {step}"
    recorded_route = any(p["Type"] == "RemoteSubnetRoute" for p in host.json("policy", "list"))
    assert ("10.244.3.0/24" in entries) == recorded_route, f"remote subnet route out of step after {step}"
