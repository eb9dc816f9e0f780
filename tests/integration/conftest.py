"""Fixtures for backend and service tests against the real kernel, each in a fresh network namespace."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kernel import delete_namespace, entered, new_namespace


@pytest.fixture
def netns() -> Iterator[str]:
    """Name: a throwaway network namespace, entered by this thread for the test's duration.

    Scope: function. Sockets opened inside the test (pyroute2, libnftables) bind to it.
    """
    name = new_namespace("it")
    try:
        with entered(name):
            yield name
    finally:
        delete_namespace(name)
