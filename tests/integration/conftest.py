"""Server fixtures for the integration suites: real servers in subprocesses, 127.0.0.1 only.

ASGI apps run under uvicorn, WSGI apps under the threaded wsgiref server (``apps/wsgi_serve.py``);
see ``apps/wire.py`` for how they are started, probed and stopped (always by PID, with bounds).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from apps.wire import Server, start_server
import pytest


@pytest.fixture(scope='session')
def server_log_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp('server-logs')


@pytest.fixture(scope='session')
def asgi_server(server_log_dir: Path) -> Iterator[Server]:
    """uvicorn serving ``apps.target:asgi_app`` for the whole session."""
    pytest.importorskip('uvicorn')
    server = start_server('asgi', 'apps.target:asgi_app', server_log_dir)
    yield server
    server.stop()


@pytest.fixture(scope='session')
def wsgi_server(server_log_dir: Path) -> Iterator[Server]:
    """Threaded wsgiref serving ``apps.target:wsgi_app`` for the whole session."""
    server = start_server('wsgi', 'apps.target:wsgi_app', server_log_dir)
    yield server
    server.stop()


@pytest.fixture(params=['asgi', 'wsgi'])
def server(request: pytest.FixtureRequest) -> Server:
    """Each test once against uvicorn (ASGI) and once against wsgiref (WSGI)."""
    return request.getfixturevalue(f'{request.param}_server')  # type: ignore[no-any-return]


@pytest.fixture
def server_factory(server_log_dir: Path) -> Iterator[Callable[..., Server]]:
    """Start extra servers for one test (e.g. to shut them down); all stopped afterwards."""
    started: list[Server] = []

    def factory(kind: str, target: str, **kwargs: Any) -> Server:
        server = start_server(kind, target, server_log_dir, **kwargs)
        started.append(server)
        return server

    yield factory
    for server in started:
        server.stop()
