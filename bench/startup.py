#!/usr/bin/env python3
"""Start-up benchmark for read-only commands: `hnsctl network list -o json` against bare Python and `import typer`.

This is a measurement, not a test: it prints a table and always exits 0.

It writes N network records into a temporary state directory with hnsctl's own store and codec
(`Store.save_network`), so it needs neither root nor the kernel, then times three commands, each run
as a fresh process with the same interpreter:

    python3 -c pass                  the floor: interpreter start-up
    python3 -c "import typer"        the CLI framework hnsctl is built on
    hnsctl network list -o json      the command under test, reading the N records

The budget (docs/architecture.md, bench/README.md): a read-only command stays within 1.5x of
`import typer`, which holds only while it imports neither pyroute2 nor rich.

With --typer-app a fourth, informational row times a one-command Typer app that parses one option:
the cost any Typer CLI pays to run a command, beyond importing typer.

Usage:
    python3 bench/startup.py [--runs 15] [--networks 50] [--script] [--typer-app]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.5
WARMUP_RUNS = 2
# The smallest Typer program that runs a command with an option, like `network list -o json` does.
MINIMAL_TYPER_APP = """
import typer
app = typer.Typer()
@app.command()
def main(output: str = "table") -> None:
    print("[]")
app()
"""

# Benchmark the checkout this script lives in, not whatever hnsctl happens to be installed.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def write_networks(state_dir: Path, count: int) -> None:
    """Fill `state_dir` with `count` nat network records, exactly as `network create` would store them."""
    from hnsctl.models.network import Network, NetworkType, Subnet
    from hnsctl.store import Store

    store = Store(state_dir, lock_timeout=5.0)
    pool = ipaddress.ip_network("10.0.0.0/8").subnets(new_prefix=24)
    for i in range(count):
        prefix = next(pool)
        store.save_network(
            Network(
                id=str(uuid.uuid4()),
                name=f"bench-{i:03d}",
                type=NetworkType.NAT,
                subnets=(Subnet(prefix, prefix.network_address + 1),),
                dns_servers=("10.0.0.53",),
                dns_suffix="bench.example",
                created_at="2025-01-01T00:00:00+00:00",
            )
        )


def hnsctl_command(use_script: bool) -> list[str]:
    if use_script:
        script = shutil.which("hnsctl")
        if script:
            return [script]
        print("bench: no `hnsctl` on PATH; falling back to `python -m hnsctl`", file=sys.stderr)
    return [sys.executable, "-m", "hnsctl"]


def time_runs(argv: list[str], runs: int, env: dict[str, str]) -> tuple[float, list[float]]:
    """Median wall time in seconds over `runs` fresh processes, after a couple of unmeasured warm-ups."""
    for _ in range(WARMUP_RUNS):
        subprocess.run(argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), samples


def sanity_check(argv: list[str], env: dict[str, str], expected: int) -> str | None:
    """Run the command once for real; return a problem description, or None when it listed every network."""
    result = subprocess.run(argv, env=env, cwd=REPO, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        return f"exit code {result.returncode}: {result.stderr.strip()[:300]}"
    try:
        listed = json.loads(result.stdout)
    except json.JSONDecodeError as exc:
        return f"output is not JSON ({exc.msg})"
    if not isinstance(listed, list) or len(listed) != expected:
        return f"expected {expected} networks, got {len(listed) if isinstance(listed, list) else type(listed).__name__}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="measured runs per command (default 15)")
    parser.add_argument("--networks", type=int, default=50, help="network records in the state dir (default 50)")
    parser.add_argument("--script", action="store_true", help="time the `hnsctl` script on PATH instead of `python -m hnsctl`")
    parser.add_argument("--typer-app", action="store_true", help="also time a minimal one-command Typer app (reference row)")
    args = parser.parse_args()
    runs = max(1, args.runs)

    with tempfile.TemporaryDirectory(prefix="hnsctl-bench-") as tmp:
        state_dir = Path(tmp) / "state"
        try:
            write_networks(state_dir, args.networks)
        except Exception as exc:  # noqa: BLE001 - a benchmark reports, it does not crash
            print(f"bench: could not write the state directory with hnsctl's store: {exc}")
            return 0

        env = dict(os.environ, HNSCTL_STATE_DIR=str(state_dir))
        # An installed hnsctl runs from compiled bytecode (pip writes it at install time); a checkout
        # under PYTHONDONTWRITEBYTECODE would recompile every module on every run and measure that.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        hnsctl = [*hnsctl_command(args.script), "network", "list", "-o", "json"]
        cases = [
            ("python3 -c pass", [sys.executable, "-c", "pass"]),
            ('python3 -c "import typer"', [sys.executable, "-c", "import typer"]),
            ("hnsctl network list -o json", hnsctl),
        ]
        if args.typer_app:
            cases.append(("minimal Typer app (reference)", [sys.executable, "-c", MINIMAL_TYPER_APP, "--output", "json"]))

        problem = sanity_check(hnsctl, env, args.networks)
        if problem:
            print(f"bench: warning: `{' '.join(hnsctl)}` did not list the {args.networks} networks: {problem}")

        medians: dict[str, float] = {}
        spreads: dict[str, tuple[float, float]] = {}
        for label, argv in cases:
            medians[label], samples = time_runs(argv, runs, env)
            spreads[label] = (min(samples), max(samples))

    bare, typer_import, listing = (medians[label] for label, _ in cases[:3])
    ratio = listing / typer_import if typer_import else float("nan")

    print(f"hnsctl start-up: median of {runs} runs, {args.networks} networks in the state dir")
    print(f"interpreter: {sys.executable} (Python {sys.version.split()[0]})")
    print(f"command under test: {' '.join(hnsctl)}")
    print()
    width = max(len(label) for label, _ in cases)
    print(f"{'command':<{width}}  {'median':>9}  {'min':>9}  {'max':>9}")
    print(f"{'-' * width}  {'-' * 9}  {'-' * 9}  {'-' * 9}")
    for label, _ in cases:
        low, high = spreads[label]
        print(f"{label:<{width}}  {medians[label] * 1000:>6.1f} ms  {low * 1000:>6.1f} ms  {high * 1000:>6.1f} ms")
    print()
    print(f"hnsctl / import typer: {ratio:.2f}x (target <= {TARGET_RATIO}x: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    if bare:
        print(f"hnsctl / python3 -c pass: {listing / bare:.2f}x")
    if args.typer_app and medians[cases[3][0]]:
        print(f"hnsctl / minimal Typer app: {listing / medians[cases[3][0]]:.2f}x (informational)")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # noqa: BLE001 - report and still exit 0: this is a measurement, not a gate
        print(f"bench: failed: {type(exc).__name__}: {exc}")
    sys.exit(0)
