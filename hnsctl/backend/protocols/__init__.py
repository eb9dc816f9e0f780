"""What the service asks of the kernel, one small Protocol per area; `Backend` is all of them at once.

Service code holds a `Backend` and calls `self.backend.x(...)`; a test double or another backend can be
checked against just the area it implements. Backends decide how, never whether. Deletions are
idempotent: what is already gone counts as done.
"""

from __future__ import annotations

from typing import Protocol

from hnsctl.backend.protocols.firewall import FirewallOps
from hnsctl.backend.protocols.links import LinkOps
from hnsctl.backend.protocols.namespaces import NamespaceOps
from hnsctl.backend.protocols.overlay import OverlayOps
from hnsctl.backend.protocols.routing import RoutingOps
from hnsctl.backend.protocols.system import SystemOps


class Backend(LinkOps, NamespaceOps, RoutingOps, FirewallOps, OverlayOps, SystemOps, Protocol):
    """Every kernel operation hnsctl has: the composition of the area protocols."""

