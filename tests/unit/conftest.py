"""Unit-test fixtures: no root, no kernel, every state directory under tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from hnsctl.store import OverlayStore, Store
from tests.unit.fakes import FakeBackend

# Deadlines make property tests flaky on a loaded CI machine without finding anything extra.
settings.register_profile("unit", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("unit")


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    """A state directory that does not exist yet, as on a fresh host."""
    return tmp_path / "state"


@pytest.fixture
def store(state_dir: Path) -> Store:
    return Store(state_dir, lock_timeout=1.0)


@pytest.fixture
def overlay(state_dir: Path) -> OverlayStore:
    return OverlayStore(state_dir, lock_timeout=1.0)


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()
