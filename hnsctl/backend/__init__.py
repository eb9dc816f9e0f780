"""The kernel boundary: netlink (pyroute2), nftables (libnftables JSON), sysctls. The only place that imports pyroute2."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hnsctl.backend.protocols import Backend


def open_backend(*, dry_run: bool) -> Backend:
    """Real or recording backend; imported lazily so read-only commands never load pyroute2."""
    if dry_run:
        from hnsctl.backend.dryrun import DryRunBackend

        return DryRunBackend.reading_the_kernel()
    from hnsctl.backend.kernel import KernelBackend

    return KernelBackend()
