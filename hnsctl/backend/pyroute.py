"""pyroute2's IPRoute and NetlinkError, loaded without running the pyroute2 package initialiser.

`import pyroute2` imports every pyroute2 subsystem (NDB, IPDB, conntrack, ipvs, wireless, …): about
90 ms more, measured, than the rtnetlink socket hnsctl uses. Every `hnsctl endpoint create` pays
start-up, so the two modules are imported through a placeholder package object that is removed
again afterwards; a later plain `import pyroute2` (tests, other code) still runs the real initialiser
and finds these modules already loaded.
"""

from __future__ import annotations

import importlib.util
import sys
import types
from typing import Any


def _load() -> tuple[Any, type[Exception]]:
    if "pyroute2" in sys.modules:
        from pyroute2.iproute.linux import IPRoute as iproute
        from pyroute2.netlink.exceptions import NetlinkError as error

        return iproute, error
    spec = importlib.util.find_spec("pyroute2")
    if spec is None or spec.submodule_search_locations is None:
        raise ImportError("pyroute2 is not installed")
    placeholder = types.ModuleType("pyroute2")
    placeholder.__path__ = list(spec.submodule_search_locations)
    placeholder.__spec__ = spec
    sys.modules["pyroute2"] = placeholder
    try:
        from pyroute2.iproute.linux import IPRoute as iproute
        from pyroute2.netlink.exceptions import NetlinkError as error
    finally:
        del sys.modules["pyroute2"]
    return iproute, error


IPRoute, NetlinkError = _load()
