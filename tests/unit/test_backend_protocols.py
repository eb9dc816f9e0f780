"""The backend is a few small protocols; `Backend` is their composition and every backend implements all of it."""

from __future__ import annotations

import inspect

import pytest

from hnsctl.backend.dryrun import DryRunBackend
from hnsctl.backend.kernel import KernelBackend
from hnsctl.backend.protocols import Backend
from hnsctl.backend.protocols.firewall import FirewallOps
from hnsctl.backend.protocols.links import LinkOps
from hnsctl.backend.protocols.namespaces import NamespaceOps
from hnsctl.backend.protocols.overlay import OverlayOps
from hnsctl.backend.protocols.routing import RoutingOps
from hnsctl.backend.protocols.system import SystemOps
from tests.unit.fakes import FakeBackend, protocol_methods

AREAS = (LinkOps, NamespaceOps, RoutingOps, FirewallOps, OverlayOps, SystemOps)


def methods(area: type) -> set[str]:
    return {name for name, value in vars(area).items() if callable(value) and not name.startswith("_")}


def test_backend_is_exactly_the_areas() -> None:
    assert set(Backend.__mro__[1:1 + len(AREAS)]) == set(AREAS)
    assert methods(Backend) == set()  # nothing of its own: all of it comes from an area


def test_every_method_lives_in_exactly_one_area() -> None:
    seen: dict[str, str] = {}
    for area in AREAS:
        for name in methods(area):
            assert name not in seen, f"{name} is in {seen[name]} and {area.__name__}"
            seen[name] = area.__name__
    assert set(seen) == protocol_methods()


@pytest.mark.parametrize("backend", [KernelBackend, DryRunBackend], ids=lambda b: b.__name__)
def test_each_backend_implements_every_method_with_the_protocols_signature(backend: type) -> None:
    for area in AREAS:
        for name in methods(area):
            implementation = getattr(backend, name, None)
            assert inspect.isfunction(implementation), f"{backend.__name__} lacks {name}"
            wanted = list(inspect.signature(getattr(area, name)).parameters)
            assert list(inspect.signature(implementation).parameters) == wanted, f"{backend.__name__}.{name}"


def test_the_fake_answers_every_method_it_does_not_model_by_recording_the_call() -> None:
    fake = FakeBackend()
    for name in sorted(protocol_methods()):
        assert callable(getattr(fake, name)), name
    fake.create_port("spec")
    assert fake.calls[-1] == ("create_port", ("spec",))
    with pytest.raises(AttributeError):
        fake.no_such_method  # noqa: B018 - the attribute access is the test
