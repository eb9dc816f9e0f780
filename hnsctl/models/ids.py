"""Object IDs (GUIDs, HNS style), user-facing names, and the kernel names derived from IDs."""

from __future__ import annotations

import re
import uuid

from hnsctl.errors import InvalidInput

# Windows allows names such as `DockerNAT (1)`: spaces and brackets too, never at the end, never control characters.
NAME_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9 _.()\[\]#+,@-]{0,62}[A-Za-z0-9_.()\[\]#+,@-])?")
# Kernel names come from the ID, never from user text: IFNAMSIZ is 16 bytes with the NUL.
BRIDGE_PREFIX = "hns-"
OWNER_TAG_PREFIX = "hnsctl:"


def new_id() -> str:
    return str(uuid.uuid4())


def is_guid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


def normalize_id(text: str) -> str:
    """Accept upper-case GUIDs (HNS V1 prints them so) and store lower case."""
    return text.strip().lower()


def validate_name(name: str, *, field: str = "name") -> str:
    """Names end up in file contents, table cells and shell scripts: keep them boring.

    A name that is itself a GUID would be ambiguous with IDs, so it is refused.
    """
    if not NAME_RE.fullmatch(name):
        raise InvalidInput(
            f"invalid {field} {name!r}: use 1-64 letters, digits, spaces or _ . - ( ) [ ] # + , @, starting with a letter "
            "or digit and not ending with a space",
        )
    if is_guid(name):
        raise InvalidInput(f"invalid {field} {name!r}: a name may not look like a GUID; IDs are assigned by hnsctl")
    return name


def short_id(object_id: str) -> str:
    """The first 8 hex digits of an ID: kernel objects are named after it (interface names are short)."""
    return object_id.replace("-", "")[:8]


def fresh_id(taken_shorts: set[str]) -> str:
    """A new GUID whose short form names no existing object's kernel objects."""
    while True:
        candidate = new_id()
        if short_id(candidate) not in taken_shorts:
            return candidate


def bridge_name(object_id: str) -> str:
    return BRIDGE_PREFIX + short_id(object_id)


def owner_tag(object_id: str) -> str:
    """The ifalias / nftables comment that marks a kernel object as owned by this hnsctl object."""
    return OWNER_TAG_PREFIX + object_id


def owner_from_tag(tag: str | None) -> str | None:
    if tag and tag.startswith(OWNER_TAG_PREFIX):
        words = tag[len(OWNER_TAG_PREFIX):].split()
        return words[0] if words else None
    return None
