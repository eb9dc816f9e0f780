#!/usr/bin/env python3
"""Port-mapping cost as their number grows: 100, 1,000 and 10,000 on one host.

Adds mappings one at a time through hnsctl's service layer (each add: lock, conflict check against
every mapping, one nftables element in one transaction, one state file) and prints, at each size,
the median time of the last 100 adds, and the time of `policy list` (in-process and as a command).
Target (design): the per-add time stays within 1.5x from 100 to 10,000.
A benchmark reports, it never fails: exit code 0 whatever the figures.

Run as root:  python3 bench/policies.py [--sizes 100,1000,10000]
It re-executes itself under `unshare --net --mount`, so the host's firewall is never touched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from endpoints import isolate  # noqa: E402  (same self-isolation as the endpoint benchmark)

WINDOW = 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,1000,10000", help="comma-separated mapping counts (default 100,1000,10000)")
    args = parser.parse_args()
    isolate()
    sizes = sorted(int(s) for s in args.sizes.split(","))

    from hnsctl.config import Settings
    from hnsctl.models.endpoint import EndpointRequest
    from hnsctl.models.network import NetworkRequest, SubnetRequest
    from hnsctl.models.policy import PolicyRequest
    from hnsctl.service import open_services

    state = Path(tempfile.mkdtemp()) / "state"
    services = open_services(Settings(state_dir=state, lock_timeout=30))
    services.network.create_network(NetworkRequest("bench", "nat", (SubnetRequest("10.81.0.0/16"),)))
    services.endpoint.create_endpoint(EndpointRequest("web", network="bench", namespace="web"))

    rows = []
    added = 0
    timings: list[float] = []
    for size in sizes:
        while added < size:
            port = 10000 + added
            start = time.perf_counter()
            services.policy.add_policy(PolicyRequest("portmapping", "web", external_port=port, internal_port=80))
            timings.append(time.perf_counter() - start)
            added += 1
        start = time.perf_counter()
        listed = services.policy.list_policies()
        in_process = time.perf_counter() - start
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "hnsctl", "policy", "list", "-o", "json"], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL, env=dict(os.environ, HNSCTL_STATE_DIR=str(state)))
        command = time.perf_counter() - start
        assert len(listed) == size
        rows.append((size, statistics.median(timings[-WINDOW:]) * 1000, in_process * 1000, command * 1000))

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; port mappings on one endpoint")
    print(f"{'mappings':>9} | {'add (median of last 100)':>25} | {'policy list in-process':>22} | {'hnsctl policy list -o json':>26}")
    for size, add_ms, list_ms, command_ms in rows:
        print(f"{size:>9} | {add_ms:>22.2f} ms | {list_ms:>19.1f} ms | {command_ms:>23.1f} ms")
    first, last = rows[0][1], rows[-1][1]
    print(f"add time {sizes[0]} -> {sizes[-1]}: {last / first:.2f}x (target: within 1.5x)")
    services.close()


if __name__ == "__main__":
    main()
