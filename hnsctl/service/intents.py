"""Delete intents: written before a delete touches the kernel, removed when it is done.

A delete killed part-way leaves its intent behind; `reconcile` then finishes the delete (drops the
records; the tagged kernel objects become orphans and go too) rather than recreating half-removed
objects. A delete that fails with an error removes its intent: the object simply still exists.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hnsctl.models import ids
from hnsctl.models.intent import Intent
from hnsctl.service.faults import fault_point

if TYPE_CHECKING:
    from hnsctl.store import Store


@contextmanager
def deleting(store: Store, object_kind: str, object_id: str) -> Iterator[None]:
    intent = Intent(
        id=ids.new_id(),
        operation="delete",
        object_kind=object_kind,
        object_id=object_id,
        created_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    )
    store.save_intent(intent)
    fault_point(f"{object_kind}-delete:intent")
    try:
        yield
    finally:
        store.remove_intent(intent.id)
