"""HNS JSON documents: what the V1 and HCN V2 parsers of every kind share.

Scripts ported from Windows read these field names, so they are a contract (docs/json.md). Each kind has
its own module: networks in networkjson.py (their subnets in subnetjson.py), endpoints in endpointjson.py,
policies in policyjson.py, load balancers in lbjson.py, routes in routejson.py, namespaces in
namespacejson.py. What they share is here: reading a `--json` argument (with a depth limit), telling a V2
document from a V1 one, and the field readers that keep input lenient where HNS is and strict where a typo
would silently change the result (unknown keys).
"""

from __future__ import annotations

import json
from typing import Any

from hnsctl.errors import InvalidInput

V2_SCHEMA = {"Major": 2, "Minor": 0}
MAX_DEPTH = 32  # the deepest real HNS document is about 6 levels; deeper input would only strain the parsers


def _depth(value: Any) -> int:
    """Nesting depth, iteratively: a hostile document must not exhaust the stack here either."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if deepest > MAX_DEPTH:
                return deepest
            pending.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def load_document(text: str, *, source: str) -> dict[str, Any]:
    """Parse a `--json` argument's contents; the error names the source (file or stdin)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"reading {source}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            hns_name="HCN_E_INVALID_JSON",
        ) from None
    except RecursionError:
        raise InvalidInput(f"reading {source}: the JSON is nested too deeply to be an HNS document",
                           hns_name="HCN_E_INVALID_JSON") from None
    if _depth(doc) > MAX_DEPTH:
        raise InvalidInput(f"reading {source}: the JSON is nested more than {MAX_DEPTH} levels deep; no HNS document is",
                           hns_name="HCN_E_INVALID_JSON")
    if not isinstance(doc, dict):
        raise InvalidInput(f"reading {source}: expected a JSON object, got {type(doc).__name__}", hns_name="HCN_E_INVALID_JSON")
    return doc


def is_v2_document(doc: dict[str, Any]) -> bool:
    """A SchemaVersion Major of 2 or more; without one, a key only V2 documents have."""
    schema = doc.get("SchemaVersion")
    if isinstance(schema, dict) and isinstance(schema.get("Major"), int):
        return bool(schema["Major"] >= 2)
    return "Ipams" in doc or "Dns" in doc or "MacPool" in doc


def list_of_objects(doc: dict[str, Any], key: str, *, path: str = "") -> list[dict[str, Any]]:
    """A list of JSON objects, or none when the key is absent; anything else names its JSON path."""
    value = doc.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InvalidInput(f"invalid JSON field {path}{key}: expected a list of objects", hns_name="HCN_E_INVALID_JSON")
    return value


def reject_unknown(doc: dict[str, Any], known: set[str], *, path: str, kind: str = "network") -> None:
    """Unknown keys are refused, naming the first: a misspelt key would otherwise be ignored silently."""
    unknown = sorted(set(doc) - known)
    if unknown:
        raise InvalidInput(
            f"invalid JSON field {path}{unknown[0]}: not a field of an HNS {kind} document (check its spelling)",
            hns_name="HCN_E_INVALID_JSON",
        )


def optional_str(doc: dict[str, Any], key: str, *, path: str = "") -> str | None:
    """A string, or None when absent or empty (HNS prints empty strings for unset fields)."""
    value = doc.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"invalid JSON field {path}{key}: expected a string", hns_name="HCN_E_INVALID_JSON")
    return value


def optional_int(doc: dict[str, Any], key: str, *, path: str = "") -> int | None:
    """An integer, or None when absent; true/false are refused, as JSON booleans are not numbers to HNS."""
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"invalid JSON field {path}{key}: expected an integer", hns_name="HCN_E_INVALID_JSON")
    return value

