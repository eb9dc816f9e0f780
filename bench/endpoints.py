#!/usr/bin/env python3
"""Endpoint creation and deletion cost, three ways in one run, inside a private network namespace.

  (a) cli      one `hnsctl endpoint create NAME --network bench --namespace NS` process per endpoint
  (b) service  hnsctl's service layer in this process (what a long-running agent would pay)
  (c) floor    raw pyroute2, no hnsctl: namespace made in-process, veth, move, address, route

Each endpoint gets its own namespace. Prints per-endpoint medians (ms) for N = 50 and 200, the delete
figures, and how (b) grows between the first and the last 50 endpoints of the N = 200 run.
Targets (design): (b) within 1.5x of (c); (a) under 250 ms per endpoint; (b) flat as N grows.
A benchmark reports, it never fails: exit code 0 whatever the figures.

Run as root:  python3 bench/endpoints.py [--sizes 50,200] [--skip-cli]
It re-executes itself under `unshare --net --mount`, so the host's interfaces are never touched.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MARKER = "HNSCTL_BENCH_ISOLATED"


def isolate() -> None:
    """Re-run inside fresh network + mount namespaces with private /run/netns and /etc/netns."""
    if os.environ.get(MARKER) == "1":
        for path in ("/run/netns", "/etc/netns"):
            Path(path).mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "bench", path], check=True)
        return
    if os.geteuid() != 0:
        sys.exit("bench/endpoints.py needs root (it creates namespaces inside its own private namespace)")
    env = dict(os.environ, **{MARKER: "1"})
    os.execvpe("unshare", ["unshare", "--net", "--mount", sys.executable, *sys.argv], env)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000 if samples else float("nan")


# ---------------------------------------------------------------- (c) the raw floor

CLONE_NEWNET = 0x40000000
MS_BIND = 0x1000
libc = ctypes.CDLL(None, use_errno=True)


def floor_run(count: int) -> tuple[list[float], list[float]]:
    from pyroute2 import IPRoute

    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    ipr = IPRoute()
    ipr.link("add", ifname="floorbr", kind="bridge")
    bridge = ipr.link_lookup(ifname="floorbr")[0]
    ipr.addr("add", index=bridge, address="10.77.0.1", prefixlen=16)
    ipr.link("set", index=bridge, state="up")
    create, delete = [], []
    for i in range(count):
        start = time.perf_counter()
        name = f"floor{i}"
        path = f"/run/netns/{name}"
        open(path, "w").close()
        libc.unshare(CLONE_NEWNET)
        libc.mount(b"/proc/thread-self/ns/net", path.encode(), b"none", MS_BIND, None)
        inner = IPRoute()
        libc.setns(home, CLONE_NEWNET)
        ipr.link("add", ifname=f"fv{i}", kind="veth", peer={"ifname": f"fp{i}"})
        host = ipr.link_lookup(ifname=f"fv{i}")[0]
        peer = ipr.link_lookup(ifname=f"fp{i}")[0]
        ipr.link("set", index=host, master=bridge, state="up")
        fd = os.open(path, os.O_RDONLY)
        ipr.link("set", index=peer, net_ns_fd=fd, ifname="eth0")
        os.close(fd)
        eth0 = inner.link_lookup(ifname="eth0")[0]
        inner.addr("add", index=eth0, address=f"10.77.{(i + 2) // 256}.{(i + 2) % 256}", prefixlen=16)
        inner.link("set", index=eth0, state="up")
        inner.link("set", index=inner.link_lookup(ifname="lo")[0], state="up")
        inner.route("add", dst="0.0.0.0/0", gateway="10.77.0.1")
        inner.close()
        create.append(time.perf_counter() - start)
    for i in range(count):
        start = time.perf_counter()
        ipr.link("del", index=ipr.link_lookup(ifname=f"fv{i}")[0])
        libc.umount2(f"/run/netns/floor{i}".encode(), 2)
        os.unlink(f"/run/netns/floor{i}")
        delete.append(time.perf_counter() - start)
    ipr.link("del", index=bridge)
    ipr.close()
    os.close(home)
    return create, delete


# ---------------------------------------------------------------- (b) the service layer

def service_run(count: int, state_dir: Path) -> tuple[list[float], list[float]]:
    from hnsctl.config import Settings
    from hnsctl.models.endpoint import EndpointRequest
    from hnsctl.models.network import NetworkRequest, SubnetRequest
    from hnsctl.service import open_services

    services = open_services(Settings(state_dir=state_dir, lock_timeout=30))
    services.network.create_network(NetworkRequest("bench", "nat", (SubnetRequest("10.78.0.0/16"),)))
    create, delete = [], []
    for i in range(count):
        start = time.perf_counter()
        services.endpoint.create_endpoint(EndpointRequest(f"ep{i}", network="bench", namespace=f"svc{i}"))
        create.append(time.perf_counter() - start)
    for i in range(count):
        start = time.perf_counter()
        services.endpoint.delete_endpoint(f"ep{i}")
        services.namespace.delete_namespace(f"svc{i}")
        delete.append(time.perf_counter() - start)
    services.network.delete_network("bench")
    services.close()
    return create, delete


# ---------------------------------------------------------------- (a) one process per endpoint

def cli_run(count: int, state_dir: Path) -> tuple[list[float], list[float]]:
    env = dict(os.environ, HNSCTL_STATE_DIR=str(state_dir))
    command = [sys.executable, "-m", "hnsctl"]

    def run(*args: str) -> None:
        subprocess.run([*command, *args], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)

    run("network", "create", "bench", "--subnet", "10.79.0.0/16")
    create, delete = [], []
    for i in range(count):
        start = time.perf_counter()
        run("endpoint", "create", f"ep{i}", "--network", "bench", "--namespace", f"cli{i}", "-q")
        create.append(time.perf_counter() - start)
    for i in range(count):
        start = time.perf_counter()
        run("endpoint", "delete", f"ep{i}", "-q")
        delete.append(time.perf_counter() - start)
    run("namespace", "delete", *[f"cli{i}" for i in range(count)], "-q")
    run("network", "delete", "bench", "-q")
    return create, delete


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="50,200", help="comma-separated endpoint counts (default 50,200)")
    parser.add_argument("--skip-cli", action="store_true", help="skip (a), the slowest variant")
    args = parser.parse_args()
    isolate()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    growth = None
    for count in sizes:
        floor_c, floor_d = floor_run(count)
        with tempfile.TemporaryDirectory() as tmp:
            svc_c, svc_d = service_run(count, Path(tmp) / "state")
        if count == max(sizes) and count >= 100:
            growth = (median_ms(svc_c[:50]), median_ms(svc_c[-50:]))
        cli_c: list[float] = []
        cli_d: list[float] = []
        if not args.skip_cli:
            with tempfile.TemporaryDirectory() as tmp:
                cli_c, cli_d = cli_run(count, Path(tmp) / "state")
        rows.append((count, median_ms(cli_c), median_ms(svc_c), median_ms(floor_c), median_ms(cli_d), median_ms(svc_d), median_ms(floor_d)))

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; per-endpoint medians in ms")
    print(f"{'N':>5} | {'create: cli':>11} {'service':>8} {'floor':>7} {'svc/floor':>9} | {'delete: cli':>11} {'service':>8} {'floor':>7}")
    for count, cc, sc, fc, cd, sd, fd in rows:
        print(f"{count:>5} | {cc:>11.1f} {sc:>8.2f} {fc:>7.2f} {sc / fc:>8.2f}x | {cd:>11.1f} {sd:>8.2f} {fd:>7.2f}")
    print("targets: service within 1.5x of floor; cli under 250 ms; service flat as N grows")
    if growth:
        print(f"service create, first 50 vs last 50 of N={max(sizes)}: {growth[0]:.2f} ms -> {growth[1]:.2f} ms ({growth[1] / growth[0]:.2f}x)")


if __name__ == "__main__":
    main()
