"""Fixtures for lanner-websocket's behaviour tests (ASGI only; no lanner.testing)."""

from __future__ import annotations

from collections.abc import Callable
import logging
from typing import Any

import pytest


@pytest.fixture
def make_ws_app() -> Callable[..., Any]:
    """Build a ``lanner.asgi.App`` (default router from lanner-routing when installed)."""

    def factory(**kwargs: Any) -> Any:
        import importlib.util

        import lanner.asgi

        if importlib.util.find_spec('lanner.routing') is None and 'router' not in kwargs:
            from support.simple_router import SimpleRouter

            kwargs['router'] = SimpleRouter()
        return lanner.asgi.App(**kwargs)

    return factory


@pytest.fixture
def ws_app(make_ws_app: Callable[..., Any]) -> Any:
    return make_ws_app()


@pytest.fixture
def lanner_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG, logger='lanner')
    return caplog
