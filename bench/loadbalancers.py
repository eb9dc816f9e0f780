#!/usr/bin/env python3
"""Load balancers at scale: 1,000 load balancers with 10 backends each, then one backend change.

Creates load balancers one at a time through hnsctl's service layer (each: lock, conflict check
against every frontend, one nftables transaction, one state file) and prints, at 10 / 100 / 1,000,
the median time of the last creates; then replaces one backend of one load balancer (`update
--add-endpoint/--remove-endpoint`) and prints the time of that change, both the service call and
the kernel transaction alone. Target: the single change stays under 5 ms however many load
balancers exist (HNS needed minutes to hours for 2,000 services).
A benchmark reports, it never fails: exit code 0 whatever the figures.

Run as root:  python3 bench/loadbalancers.py [--sizes 10,100,1000] [--backends 10]
It re-executes itself under `unshare --net --mount`, so the host's firewall is never touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from endpoints import isolate  # noqa: E402  (same self-isolation as the endpoint benchmark)

WINDOW = 10
CHANGES = 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000", help="comma-separated load-balancer counts (default 10,100,1000)")
    parser.add_argument("--backends", type=int, default=10, help="backends per load balancer (default 10)")
    args = parser.parse_args()
    isolate()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    from hnsctl.config import Settings
    from hnsctl.models.endpoint import EndpointRequest
    from hnsctl.models.loadbalancer import LoadBalancerRequest, PortMappingRequest
    from hnsctl.models.network import NetworkRequest, SubnetRequest
    from hnsctl.service import open_services
    from hnsctl.service.loadbalancer import lb_spec

    state = Path(tempfile.mkdtemp()) / "state"
    services = open_services(Settings(state_dir=state, lock_timeout=30))
    services.network.create_network(NetworkRequest("bench", "nat", (SubnetRequest("10.82.0.0/16"),)))
    names = [f"b{i}" for i in range(args.backends + 1)]
    for name in names:  # detached endpoints: a veth pair each, enough to be a backend
        services.endpoint.create_endpoint(EndpointRequest(name, network="bench"))

    rows = []
    created = 0
    timings: list[float] = []
    first_id = ""
    for size in sizes:
        while created < size:
            vip = f"10.{96 + created // 65536}.{created // 256 % 256}.{created % 256}"
            request = LoadBalancerRequest(endpoints=tuple(names[:args.backends]), vips=(vip,),
                                          port_mappings=(PortMappingRequest("tcp", 8080, 80),))
            start = time.perf_counter()
            lb = services.loadbalancer.create(request)
            timings.append(time.perf_counter() - start)
            first_id = first_id or lb.id
            created += 1
        rows.append((size, statistics.median(timings[-WINDOW:]) * 1000))

    # one backend of one load balancer, swapped back and forth
    change_times: list[float] = []
    kernel_times: list[float] = []
    spare, swapped = names[args.backends], names[0]
    for i in range(CHANGES):
        add, remove = (spare, swapped) if i % 2 == 0 else (swapped, spare)
        start = time.perf_counter()
        services.loadbalancer.update(first_id, add=(add,), remove=(remove,))
        change_times.append(time.perf_counter() - start)
    endpoints = {e.id: e for e in services.store.load_endpoints()}
    lb = next(x for x in services.store.load_loadbalancers() if x.id == first_id)
    spec = lb_spec(lb, endpoints)
    other = lb_spec(replace(lb, backends=lb.backends[:-1]), endpoints)
    for i in range(CHANGES):
        after, before = (other, spec) if i % 2 == 0 else (spec, other)
        start = time.perf_counter()
        services.backend.apply_load_balancer(after, previous=before)
        kernel_times.append(time.perf_counter() - start)

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; {args.backends} backends per load balancer")
    print(f"{'load balancers':>15} | {'create (median of last 10)':>27}")
    for size, create_ms in rows:
        print(f"{size:>15} | {create_ms:>24.2f} ms")
    change = statistics.median(change_times) * 1000
    kernel = statistics.median(kernel_times) * 1000
    print(f"one backend change with {created} load balancers: {change:.2f} ms (service: lock, records, one transaction), "
          f"{kernel:.2f} ms (the nftables transaction alone); target under 5 ms")
    services.close()


if __name__ == "__main__":
    main()
