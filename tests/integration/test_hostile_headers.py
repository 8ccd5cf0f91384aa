"""Oversized request heads against uvicorn with httptools, which enforces no header limit.

h11 refuses a request head over 16 KiB itself; httptools hands any size and any number of
fields to the app. Whatever the server does first, the answer is never a 200: lanner's backstop
(``RequestOptions.max_header_bytes`` / ``max_header_count``) answers 431, on the ASGI and on
the WSGI interface alike. The requests go to ``GET /headers``, which reads ``req.headers`` as
real apps and middleware do: on WSGI the byte limit is checked where header values are read
(the field count on every request), so an app that never reads the headers would serve them.
"""

from __future__ import annotations

from collections.abc import Callable

from apps.wire import Server, raw_exchange
import pytest

pytestmark = pytest.mark.server

HEAD = b'GET /headers HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n'


@pytest.fixture(params=['asgi', 'wsgi'])
def httptools_server(
    request: pytest.FixtureRequest, server_factory: Callable[..., Server]
) -> Server:
    pytest.importorskip('httptools')
    args = ['--http', 'httptools']
    if request.param == 'wsgi':
        # uvicorn's WSGI interface has no lifespan.
        args += ['--interface', 'wsgi', '--lifespan', 'off']
    return server_factory('asgi', f'apps.target:{request.param}_app', extra_args=args)


@pytest.mark.parametrize(
    ('case', 'data'),
    [
        ('one 8 MiB field', HEAD + b'X-Big: ' + b'a' * (8 * 1024 * 1024) + b'\r\n\r\n'),
        ('100,000 fields', HEAD + b''.join(b'X-F%d: 1\r\n' % i for i in range(100_000)) + b'\r\n'),
        ('100,000 repeats', HEAD + b'X-Same: 1\r\n' * 100_000 + b'\r\n'),
    ],
)
def test_oversized_heads_are_never_served(httptools_server: Server, case: str, data: bytes) -> None:
    response = raw_exchange(httptools_server.port, data, timeout=30.0)
    assert response.status == 431, (case, response.status, response.data[:300])
    assert b'Request Header Fields Too Large' in response.body
    httptools_server.assert_serving()


def test_heads_within_the_limits_are_served(httptools_server: Server) -> None:
    fields = b''.join(b'X-F%d: %s\r\n' % (i, b'a' * 600) for i in range(97))
    response = raw_exchange(httptools_server.port, HEAD + fields + b'\r\n', timeout=30.0)
    assert response.status == 200, response.data[:300]
    assert response.body == b'{"fields":99}', response.body[:300]
