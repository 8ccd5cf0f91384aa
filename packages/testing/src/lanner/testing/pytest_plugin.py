"""pytest plugin for lanner apps, registered through the ``pytest11`` entry point ``lanner``.

Fixtures (all function-scoped):

* ``lanner_app`` -- the app under test. Override it in your ``conftest.py``, or point the ini
  option ``lanner_app`` at it: ``lanner_app = "myproject.app:app"`` (an attribute) or
  ``lanner_app = "myproject.app:create_app()"`` (a factory, called for every test).
* ``lanner_client`` -- a :class:`lanner.testing.TestClient` for ``lanner_app`` (WSGI or ASGI).
* ``lanner_conductor`` -- an entered :class:`lanner.testing.ASGIConductor` for async tests
  (needs pytest-asyncio).
* ``lanner_live_server`` -- the app served on ``127.0.0.1`` on a free port (uvicorn for ASGI
  apps, a threaded ``wsgiref`` server for WSGI apps) for end-to-end tests; it has ``url``,
  ``ws_url``, ``host`` and ``port``.

Disable the plugin with ``pytest -p no:lanner``.

This module is imported by every pytest run in an environment where lanner-testing is
installed, so it imports nothing from lanner at import time: each fixture imports what it
needs when it is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from lanner.testing import TestClient
    from lanner.testing._live_server import LiveServer

__all__ = (
    'lanner_app',
    'lanner_client',
    'lanner_live_server',
    'pytest_addoption',
    'pytest_configure',
)

_INI_APP = 'lanner_app'


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        _INI_APP,
        'Import path of the lanner app used by the lanner_* fixtures, e.g. '
        '"myproject.app:app" or "myproject.app:create_app()".',
        default='',
    )


def pytest_configure(config: pytest.Config) -> None:
    # The async fixture needs pytest-asyncio; register it only when that plugin is active so
    # that strict and auto modes both work and nothing async is imported otherwise.
    if config.pluginmanager.hasplugin('asyncio'):
        from lanner.testing import _pytest_async

        config.pluginmanager.register(_pytest_async, 'lanner-testing-asyncio')
    else:
        from lanner.testing import _pytest_no_async

        config.pluginmanager.register(_pytest_no_async, 'lanner-testing-asyncio')


def _configured_app(config: pytest.Config) -> Any:
    spec = str(config.getini(_INI_APP) or '').strip()
    if not spec:
        pytest.fail(
            'No app for the lanner fixtures: define a `lanner_app` fixture that returns your '
            'app (in conftest.py), or set `lanner_app = "package.module:app"` in your pytest '
            'configuration.',
            pytrace=False,
        )
    from lanner.testing._app_loader import load_app

    try:
        return load_app(spec)
    except (ImportError, AttributeError, TypeError, ValueError) as exc:
        pytest.fail(f'Could not load the app from lanner_app = {spec!r}: {exc}', pytrace=False)


@pytest.fixture
def lanner_app(request: pytest.FixtureRequest) -> Any:
    """The app under test, from the ``lanner_app`` ini option (override this fixture)."""
    return _configured_app(request.config)


@pytest.fixture
def lanner_client(lanner_app: Any) -> TestClient:
    """A :class:`~lanner.testing.TestClient` for ``lanner_app``."""
    from lanner.testing import TestClient

    return TestClient(lanner_app)


@pytest.fixture
def lanner_live_server(lanner_app: Any) -> Iterator[LiveServer]:
    """``lanner_app`` served for real on ``127.0.0.1``; stopped after the test."""
    from lanner.testing._live_server import LiveServer

    server = LiveServer(lanner_app)
    try:
        server.start()
    except ImportError as exc:
        server.stop()
        pytest.skip(f'lanner_live_server needs uvicorn for ASGI apps: {exc}')
    try:
        yield server
    finally:
        server.stop()
