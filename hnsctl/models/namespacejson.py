"""HNS JSON shapes of namespaces (network compartments), out and in: V1 (`/namespaces`, `ResourceList`) and
HCN V2 `HostComputeNamespace` (`Resources`, `Type`).

Input keeps what a namespace is here: an ID, a name (HCN namespaces have none: one is made from the ID)
and the NamespaceId number. What has no equivalent is refused naming why, so a document never makes
something other than what it asks for: the host's default compartment (`HostDefault`, V1 `IsDefault`) is
the host itself, guest types live in utility VMs, and members (`Resources`) are attached afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hnsctl.errors import InvalidInput
from hnsctl.models import ids
from hnsctl.models.hnsjson import (
    V2_SCHEMA,
    list_of_objects,
    optional_str,
    reject_unknown,
)

if TYPE_CHECKING:
    from hnsctl.models.namespace import Namespace

# Read-only keys (printed by HNS or hnsctl) are accepted and ignored so that `namespace show -o json` feeds back.
V1_KEYS = {"ID", "Name", "IsDefault", "ResourceList", "CompartmentId", "NamespaceId", "Owned", "Path", "CreatedAt"}
V2_KEYS = {"ID", "Name", "NamespaceId", "NamespaceGuid", "Type", "Resources", "SchemaVersion", "CreateWithCompartment",
           "Owned", "Path", "CreatedAt"}
RESOURCE_KEYS = {"Type", "Data"}
KIND = "namespace"
MAX_NAMESPACE_ID = 2**32 - 1  # HCN's NamespaceId is a uint32
HOST_DEFAULT_REFUSAL = ("the host's default compartment is the host's own network namespace, not an object here; {fix} for a "
                        "new namespace, or attach endpoints to the host with `hnsctl endpoint attach EP --host`")


# ---------------------------------------------------------------- output

def namespace_to_v1(namespace: Namespace, endpoint_ids: list[str]) -> dict[str, Any]:
    return {
        "ID": namespace.id,
        "Name": namespace.name,
        "NamespaceId": namespace.compartment_id,
        "ResourceList": [{"Type": "Endpoint", "Data": {"ID": eid}} for eid in endpoint_ids],
        "Owned": namespace.owned,
        "Path": f"/run/netns/{namespace.name}",
        "CreatedAt": namespace.created_at,
    }


def namespace_to_v2(namespace: Namespace, endpoint_ids: list[str]) -> dict[str, Any]:
    """Members as HCN prints them: `{"Type": "Endpoint", "Data": {"ID": …}}` (hcsshim's NamespaceResourceEndpoint)."""
    return {
        "ID": namespace.id,
        "Name": namespace.name,
        "NamespaceId": namespace.compartment_id,
        "Type": "Host",
        "Resources": [{"Type": "Endpoint", "Data": {"ID": eid}} for eid in endpoint_ids],
        "SchemaVersion": dict(V2_SCHEMA),
        "Owned": namespace.owned,
        "Path": f"/run/netns/{namespace.name}",
        "CreatedAt": namespace.created_at,
    }


# ---------------------------------------------------------------- input

@dataclass(frozen=True)
class NamespaceRequest:
    """`namespace create --json` as asked: the name (given or made from the ID), the ID, the NamespaceId."""

    name: str
    id: str | None = None
    compartment_id: int | None = None


def _fail(message: str) -> InvalidInput:
    return InvalidInput(message, hns_name="HCN_E_INVALID_JSON")


def is_v2_namespace_document(doc: dict[str, Any]) -> bool:
    schema = doc.get("SchemaVersion")
    if isinstance(schema, dict) and isinstance(schema.get("Major"), int) and not isinstance(schema.get("Major"), bool):
        return bool(schema["Major"] >= 2)
    return any(key in doc for key in ("Resources", "Type", "NamespaceGuid", "CreateWithCompartment"))


def namespace_request_from_document(doc: dict[str, Any]) -> NamespaceRequest:
    """A V1 namespace or a V2 HostComputeNamespace as a request; errors name the JSON field and the fix."""
    _refuse_resource_requests(doc)
    v2 = is_v2_namespace_document(doc)
    reject_unknown(doc, V2_KEYS if v2 else V1_KEYS, path="", kind=KIND)
    if v2:
        _check_type(doc.get("Type", "Host"))
        _check_bool(doc, "CreateWithCompartment")  # every namespace here is a real one, made at once
        optional_str(doc, "NamespaceGuid")
    elif _check_bool(doc, "IsDefault"):
        raise _fail("invalid JSON field IsDefault true: " + HOST_DEFAULT_REFUSAL.format(fix="set it false"))
    _check_members(doc, "Resources" if v2 else "ResourceList")
    namespace_id = _namespace_id(doc)
    name = optional_str(doc, "Name")
    if name is None:
        # HCN namespaces are nameless (callers know them by ID): name it after the ID, as nameless endpoints are
        namespace_id = namespace_id or ids.new_id()
        name = "namespace-" + ids.short_id(namespace_id)
    return NamespaceRequest(name=name, id=namespace_id, compartment_id=_compartment_id(doc))


def _refuse_resource_requests(doc: dict[str, Any]) -> None:
    """hcsshim's modify request (`ResourceType`/`RequestType`/`Settings`) and V1 `addresource` body
    (`{Type: Endpoint, Data}`) add a member to an existing namespace: they are not namespaces."""
    if "ResourceType" in doc or "RequestType" in doc or ("Data" in doc and str(doc.get("Type", "")).lower() in ("endpoint", "container")):
        raise _fail("invalid JSON document: it adds a member to an existing namespace (a modify / addresource request), not a "
                    "namespace; use `hnsctl namespace add-endpoint NS EP`")


def _check_type(value: object) -> None:
    """HCN NamespaceType: Host (0) is what hnsctl makes; HostDefault (1) is the host itself; Guest* (2, 3) live in a UVM."""
    text = str(value).strip().lower() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text in ("host", "0"):
        return
    if text in ("hostdefault", "1"):
        raise _fail(f"invalid JSON field Type {value!r}: " + HOST_DEFAULT_REFUSAL.format(fix="use Type Host (or leave Type out)"))
    if text in ("guest", "guestdefault", "2", "3"):
        raise _fail(f"invalid JSON field Type {value!r}: guest namespaces live inside a Hyper-V utility VM, which has no "
                    "equivalent here; use Type Host (or leave Type out)")
    raise _fail(f"invalid JSON field Type {value!r}: expected Host (or leave Type out)")


def _check_bool(doc: dict[str, Any], key: str) -> bool:
    value = doc.get(key, False)
    if not isinstance(value, bool):
        raise _fail(f"invalid JSON field {key}: expected true or false")
    return value


def _check_members(doc: dict[str, Any], key: str) -> None:
    """Members are refused rather than attached: attaching is the endpoint service's job, under its own lock."""
    for index, resource in enumerate(list_of_objects(doc, key)):
        path = f"{key}[{index}]"
        reject_unknown(resource, RESOURCE_KEYS, path=path + ".", kind=KIND)
        kind = str(resource.get("Type", "")).strip().lower()
        if kind == "endpoint":
            raise _fail(f"invalid JSON field {path}: `namespace create` makes the namespace empty; attach the endpoint "
                        "afterwards with `hnsctl namespace add-endpoint NS EP` (and drop it from the document)")
        if kind == "container":
            raise _fail(f"invalid JSON field {path}: Container members are not supported (hnsctl has no containers, only "
                        "namespaces); drop it from the document")
        raise _fail(f"invalid JSON field {path}.Type {resource.get('Type')!r}: expected Endpoint")


def _namespace_id(doc: dict[str, Any]) -> str | None:
    text = optional_str(doc, "ID")
    if text is None:
        return None
    value = ids.normalize_id(text)
    if not ids.is_guid(value):
        raise InvalidInput(f"invalid JSON field ID {text!r}: expected a GUID, or leave ID out for a fresh one",
                           hns_name="HCN_E_GUID_CONVERSION_FAILURE")
    return value


def _compartment_id(doc: dict[str, Any]) -> int | None:
    """NamespaceId (V1 also CompartmentId): 0 or absent means "pick one"; both spellings must agree."""
    found: dict[str, int] = {}
    for key in ("NamespaceId", "CompartmentId"):
        value = doc.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_NAMESPACE_ID:
            raise _fail(f"invalid JSON field {key}: expected an integer 0-{MAX_NAMESPACE_ID} (0: pick the next free one)")
        found[key] = value
    if len(set(found.values())) > 1:
        raise _fail("invalid JSON field CompartmentId: it differs from NamespaceId; give one of them")
    return next(iter(found.values()), 0) or None
