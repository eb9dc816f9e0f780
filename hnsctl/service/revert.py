"""Undo stack for multi-step kernel changes: on failure every registered undo runs, newest first."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType


class Reverter:
    """`with Reverter() as revert: step(); revert.add(undo_step); ...; revert.success()`.

    If the block raises before `success()`, the undos run in reverse order and the original error
    propagates; an undo that fails is recorded in `undo_errors` and does not mask it.
    """

    def __init__(self) -> None:
        self._undos: list[tuple[str, Callable[[], None]]] = []
        self._done = False
        self.undo_errors: list[str] = []

    def add(self, description: str, undo: Callable[[], None]) -> None:
        self._undos.append((description, undo))

    def success(self) -> None:
        self._done = True

    def __enter__(self) -> Reverter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._done or exc is None:
            return
        for description, undo in reversed(self._undos):
            try:
                undo()
            except Exception as undo_exc:  # noqa: BLE001 - keep undoing; report at the end
                self.undo_errors.append(f"{description}: {undo_exc}")
        if self.undo_errors:
            exc.add_note("rollback incomplete: " + "; ".join(self.undo_errors) + " (run `hnsctl reconcile`)")
