"""service/revert.py Reverter: undo stack for multi-step kernel changes."""

from __future__ import annotations

import pytest

from hnsctl.errors import KernelError
from hnsctl.service.revert import Reverter


def test_undos_run_newest_first_on_failure_and_the_error_propagates() -> None:
    ran: list[str] = []
    error = KernelError("step 3 failed")
    with pytest.raises(KernelError) as info:
        with Reverter() as revert:
            revert.add("one", lambda: ran.append("one"))
            revert.add("two", lambda: ran.append("two"))
            revert.add("three", lambda: ran.append("three"))
            raise error
    assert info.value is error
    assert ran == ["three", "two", "one"]


def test_no_undo_runs_on_success() -> None:
    ran: list[str] = []
    with Reverter() as revert:
        revert.add("one", lambda: ran.append("one"))
        revert.success()
    assert ran == []


def test_no_undo_runs_when_the_block_ends_without_error_even_without_success() -> None:
    ran: list[str] = []
    with Reverter() as revert:
        revert.add("one", lambda: ran.append("one"))
    assert ran == []


def test_an_error_after_success_does_not_undo_the_committed_steps() -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError):
        with Reverter() as revert:
            revert.add("one", lambda: ran.append("one"))
            revert.success()
            raise RuntimeError("after commit")
    assert ran == []


def test_undos_added_after_the_failure_point_are_not_run() -> None:
    ran: list[str] = []
    with pytest.raises(ValueError):
        with Reverter() as revert:
            revert.add("one", lambda: ran.append("one"))
            raise ValueError("boom")
            revert.add("two", lambda: ran.append("two"))  # noqa: unreachable, documents intent
    assert ran == ["one"]


def test_a_failing_undo_does_not_mask_the_original_error_and_the_rest_still_run() -> None:
    ran: list[str] = []

    def broken() -> None:
        raise OSError("device busy")

    with pytest.raises(KernelError) as info:
        with Reverter() as revert:
            revert.add("first", lambda: ran.append("first"))
            revert.add("delete bridge hns-1", broken)
            revert.add("last", lambda: ran.append("last"))
            raise KernelError("original")
    assert info.value.message == "original"
    assert ran == ["last", "first"]
    assert revert.undo_errors == ["delete bridge hns-1: device busy"]
    notes = getattr(info.value, "__notes__", [])
    assert any("rollback incomplete" in n and "hnsctl reconcile" in n for n in notes)


def test_interrupt_also_rolls_back() -> None:
    """Ctrl-C in the middle of a create must not leave half-made kernel objects."""
    ran: list[str] = []
    with pytest.raises(KeyboardInterrupt):
        with Reverter() as revert:
            revert.add("one", lambda: ran.append("one"))
            raise KeyboardInterrupt
    assert ran == ["one"]
