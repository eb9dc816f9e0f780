"""PURE cross-object rules: name clashes, overlaps, and resolving an ID / ID prefix / name to one object."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from hnsctl.errors import Conflict, InvalidInput, NotFound
from hnsctl.models.addresses import IPNetwork
from hnsctl.models.network import Network
from hnsctl.service.ipam import overlaps

if TYPE_CHECKING:
    from hnsctl.backend.base import RouteInfo

T = TypeVar("T")
MIN_PREFIX = 4


def resolve(
    reference: str,
    objects: Sequence[T],
    *,
    kind: str,
    key_id: Callable[[T], str],
    key_name: Callable[[T], str],
    not_found: type[NotFound] = NotFound,
    hns_name: str | None = None,
) -> T:
    """Exact ID, then exact name, then a unique ID prefix (at least 4 characters), case-insensitively for IDs."""
    ref = reference.strip()
    lowered = ref.lower()
    for obj in objects:
        if key_id(obj) == lowered:
            return obj
    for obj in objects:
        if key_name(obj) == ref:
            return obj
    if len(lowered) >= MIN_PREFIX:
        matches = [obj for obj in objects if key_id(obj).startswith(lowered)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            names = ", ".join(sorted(key_name(m) for m in matches))
            raise InvalidInput(f"{kind} {reference!r} is ambiguous: it is a prefix of the IDs of {names}", hint="give more of the ID, or the name")
    raise not_found(
        f"{kind} {reference!r} not found",
        hint=f"`hnsctl {kind} list` shows what exists",
        hns_name=hns_name,
    )


def check_name_free(name: str, networks: Sequence[Network]) -> None:
    for other in networks:
        if other.name == name:
            raise Conflict(
                f"network {name!r} already exists (ID {other.id})",
                hint=f"pick another name, or delete it first: hnsctl network delete {name}",
                hns_name="HCN_E_NETWORK_ALREADY_EXISTS",
            )


def check_no_overlap(prefix: IPNetwork, networks: Sequence[Network], routes: Sequence[RouteInfo], *, field: str) -> None:
    """Refuse a subnet that overlaps another hnsctl network or a route of this host (default routes excluded)."""
    for other in networks:
        for subnet in other.subnets:
            if overlaps(prefix, subnet.prefix):
                raise Conflict(
                    f"{field} {prefix} overlaps network {other.name!r} ({subnet.prefix})",
                    hint="choose a subnet that is not in use, or omit --subnet to get a free one",
                    hns_name="HCN_E_INVALID_SUBNET",
                )
    for route in routes:
        if route.prefix.prefixlen == 0 or route.prefix.is_link_local:
            continue
        if overlaps(prefix, route.prefix):
            raise Conflict(
                f"{field} {prefix} overlaps route {route.prefix} dev {route.device} on this host",
                hint="choose a subnet that is not in use, or omit --subnet to get a free one",
                hns_name="HCN_E_INVALID_SUBNET",
            )
