"""The Namespace object (an HNS network compartment): a named network namespace under /run/netns."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hnsctl.errors import InvalidInput

NETNS_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class Namespace:
    id: str
    name: str  # the netns name: /run/netns/<name>, what `ip netns` shows
    compartment_id: int  # HNS NamespaceId: a small stable number
    owned: bool = True  # False: an existing netns hnsctl adopted and must never delete
    created_at: str = ""


def validate_netns_name(name: str, *, field: str = "namespace name") -> str:
    if not NETNS_NAME_RE.fullmatch(name):
        raise InvalidInput(f"invalid {field} {name!r}: use 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    return name
