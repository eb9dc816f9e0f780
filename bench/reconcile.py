#!/usr/bin/env python3
"""`hnsctl reconcile` time at 10, 100 and 1,000 endpoints (each in its own namespace, with a port mapping).

Prints the wall time of a converged reconcile (nothing to repair: the cost of comparing) and of one
after a drift (the firewall flushed: the cost of repairing), per size. Target (design): no worse than
linear in the number of endpoints. A benchmark reports, it never fails.

Run as root:  python3 bench/reconcile.py [--sizes 10,100,1000]
It re-executes itself under `unshare --net --mount`, so the host is never touched.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from endpoints import isolate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,100,1000")
    args = parser.parse_args()
    isolate()
    from hnsctl.config import Settings
    from hnsctl.models.endpoint import EndpointRequest
    from hnsctl.models.network import NetworkRequest, SubnetRequest
    from hnsctl.models.policy import PolicyRequest
    from hnsctl.service import open_services

    state = Path(tempfile.mkdtemp()) / "state"
    services = open_services(Settings(state_dir=state, lock_timeout=60))
    services.network.create_network(NetworkRequest("bench", "nat", (SubnetRequest("10.82.0.0/16"),)))
    env = dict(os.environ, HNSCTL_STATE_DIR=str(state))
    rows = []
    made = 0
    for size in sorted(int(s) for s in args.sizes.split(",")):
        while made < size:
            services.endpoint.create_endpoint(EndpointRequest(f"ep{made}", network="bench", namespace=f"r{made}"))
            services.policy.add_policy(PolicyRequest("portmapping", f"ep{made}", external_port=20000 + made, internal_port=80))
            made += 1

        def timed() -> float:
            start = time.perf_counter()
            subprocess.run([sys.executable, "-m", "hnsctl", "reconcile", "-o", "json"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)
            return time.perf_counter() - start

        converged = timed()
        subprocess.run(["nft", "flush", "ruleset"], check=True)
        repaired = timed()
        rows.append((size, converged, repaired))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus; `hnsctl reconcile` as a command")
    print(f"{'endpoints':>9} | {'in sync':>10} | {'after nft flush':>15} | {'per endpoint (in sync)':>22}")
    for size, converged, repaired in rows:
        print(f"{size:>9} | {converged * 1000:>7.0f} ms | {repaired * 1000:>12.0f} ms | {converged / size * 1000:>19.2f} ms")
    services.close()


if __name__ == "__main__":
    main()
