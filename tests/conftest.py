"""Shared fixtures: every behaviour test runs once against WSGI and once against ASGI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from support.harness import Client, new_app


@pytest.fixture(params=[False, True], ids=['wsgi', 'asgi'])
def asgi(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture
def make_app(asgi: bool) -> Callable[..., Any]:
    """Build an App of the current flavour; uses the fake router when lanner-routing is absent."""

    def factory(**kwargs: Any) -> Any:
        return new_app(asgi, **kwargs)

    return factory


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> Client:
    return Client(app)
