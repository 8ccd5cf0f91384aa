"""Fixtures for lanner-channels: a real redis-server per test session (127.0.0.1 only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_helpers import RedisServer, redis_server_binary

_MISSING = (
    'redis-server is not installed; install it with "apt-get install -y redis-server" '
    '(.ci/run does this when it runs as root)'
)


@pytest.fixture(scope='session')
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One redis-server for the session (tests use distinct channel names or prefixes)."""
    if redis_server_binary() is None:
        pytest.skip(_MISSING)
    pytest.importorskip('redis', reason='the lanner-channels[redis] extra (redis-py) is missing')
    server = RedisServer(tmp_path_factory.mktemp('redis'))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, for tests that stop or restart it."""
    if redis_server_binary() is None:
        pytest.skip(_MISSING)
    pytest.importorskip('redis', reason='the lanner-channels[redis] extra (redis-py) is missing')
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()
