"""The live server behind the lanner_live_server fixture: loopback only, bounded start/stop."""

from __future__ import annotations

import json
import socket
from typing import Any
import urllib.request

from echo_apps import asgi_echo, wsgi_echo
import pytest

from lanner.testing._live_server import LiveServer

pytestmark = pytest.mark.server


def fetch(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as response:
        return json.load(response)


def refused(port: int) -> bool:
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return False
    except OSError:
        return True


@pytest.mark.parametrize('app', [wsgi_echo, asgi_echo], ids=['wsgi', 'asgi'])
def test_serves_on_loopback_and_stops(app: Any) -> None:
    if app is asgi_echo:
        pytest.importorskip('uvicorn')
    with LiveServer(app) as server:
        assert server.host == '127.0.0.1'
        assert server.port > 0
        assert server.url == f'http://127.0.0.1:{server.port}'
        assert server.ws_url == f'ws://127.0.0.1:{server.port}'
        seen = fetch(server.url + '/echo?x=1')
        assert (seen['path'], seen['query_string']) == ('/echo', 'x=1')
    assert refused(server.port)
    server.stop()  # idempotent


def test_startup_failure_is_reported() -> None:
    pytest.importorskip('uvicorn')

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope['type'] == 'lifespan':
            await receive()
            await send({'type': 'lifespan.startup.failed', 'message': 'no database'})

    server = LiveServer(app, startup_timeout=5)
    with pytest.raises(RuntimeError, match='stopped during startup'):
        server.start()
    assert server.port == 0 or refused(server.port)


def test_cannot_start_twice() -> None:
    with LiveServer(wsgi_echo) as server:
        with pytest.raises(RuntimeError, match='already been started'):
            server.start()
