"""The header backstop: ``RequestOptions.max_header_bytes`` / ``max_header_count`` and the 431.

Both flavours count alike for distinct names: a field is ``name + value`` bytes (WSGI: the
environ key without ``HTTP_``), and the harness always sends ``host: falconframework.org``
(4 + 19 bytes).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from support.harness import Client, build_scope, call_asgi_async, middleware, resource

from lanner.request import RequestOptions

HOST_BYTES = len('host') + len('falconframework.org')


def _app(make_app: Callable[..., Any], asgi: bool, calls: list[str]) -> Any:
    def on_get(req: Any, resp: Any) -> None:
        calls.append('responder')
        resp.media = {'fields': len(req.headers)}

    def process_request(req: Any, resp: Any) -> None:
        calls.append('process_request')

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    app.add_middleware(middleware(asgi, process_request=process_request))
    return app


def _big(total: int) -> dict[str, str]:
    """One ``x-big`` field that brings the request's header bytes to exactly ``total``."""
    return {'x-big': 'a' * (total - HOST_BYTES - len('x-big'))}


def _many(count: int) -> dict[str, str]:
    """``count`` fields in all (the host field included)."""
    return {f'x-f{i}': '1' for i in range(count - 1)}


def test_defaults() -> None:
    options = RequestOptions()
    assert options.max_header_bytes == 64 * 1024
    assert options.max_header_count == 100


def test_at_the_byte_limit_is_served_and_one_more_is_a_431(
    make_app: Callable[..., Any], asgi: bool
) -> None:
    calls: list[str] = []
    client = Client(_app(make_app, asgi, calls))
    assert client.get('/', headers=_big(64 * 1024)).status_code == 200
    assert calls == ['process_request', 'responder']
    calls.clear()
    result = client.get('/', headers=_big(64 * 1024 + 1))
    assert result.status_code == 431
    assert result.json['title'] == '431 Request Header Fields Too Large'
    assert f'{64 * 1024 + 1} bytes' in result.json['description']
    assert calls == []  # refused before any middleware or responder ran


def test_at_the_count_limit_is_served_and_one_more_is_a_431(
    make_app: Callable[..., Any], asgi: bool
) -> None:
    calls: list[str] = []
    client = Client(_app(make_app, asgi, calls))
    result = client.get('/', headers=_many(100))
    assert result.status_code == 200
    assert result.json == {'fields': 100}
    calls.clear()
    result = client.get('/', headers=_many(101))
    assert result.status_code == 431
    assert '101 header fields' in result.json['description']
    assert calls == []


def test_limits_are_configurable_after_the_app_is_built(
    make_app: Callable[..., Any], asgi: bool
) -> None:
    calls: list[str] = []
    app = _app(make_app, asgi, calls)
    client = Client(app)
    app.req_options.max_header_bytes = 1000
    app.req_options.max_header_count = 10
    assert client.get('/', headers=_big(1000)).status_code == 200
    assert client.get('/', headers=_big(1001)).status_code == 431
    assert client.get('/', headers=_many(10)).status_code == 200
    assert client.get('/', headers=_many(11)).status_code == 431
    app.req_options.max_header_bytes = None
    app.req_options.max_header_count = None
    assert app.req_options.max_header_bytes is None
    assert client.get('/', headers=_big(1024 * 1024)).status_code == 200
    assert client.get('/', headers=_many(1000)).status_code == 200


def test_many_repeats_of_one_field_are_refused(make_app: Callable[..., Any], asgi: bool) -> None:
    # ASGI sees 100,000 fields; WSGI sees one field the server joined (200,000 bytes).
    calls: list[str] = []
    client = Client(_app(make_app, asgi, calls))
    result = client.get('/', headers=[('x-repeat', '1')] * 100_000)
    assert result.status_code == 431
    assert calls == []


def test_a_long_field_name_counts(make_app: Callable[..., Any], asgi: bool) -> None:
    calls: list[str] = []
    client = Client(_app(make_app, asgi, calls))
    assert client.get('/', headers={'x' * 70_000: ''}).status_code == 431
    assert calls == []


def test_asgi_headers_that_are_not_a_list_are_counted() -> None:
    calls: list[str] = []
    from support.harness import new_app

    app = _app(lambda: new_app(True), True, calls)
    scope = build_scope('GET', '/', headers=_many(101))
    scope['headers'] = tuple(scope['headers'])
    assert asyncio.run(call_asgi_async(app, scope, b'', None)).status_code == 431
    scope = build_scope('GET', '/', headers=_big(64 * 1024 + 1))
    scope['headers'] = tuple(scope['headers'])
    assert asyncio.run(call_asgi_async(app, scope, b'', None)).status_code == 431
    scope['headers'] = tuple(build_scope('GET', '/', headers=_big(64 * 1024))['headers'])
    assert asyncio.run(call_asgi_async(app, scope, b'', None)).status_code == 200
    assert calls == ['process_request', 'responder']


def test_a_large_environ_within_the_limits_is_served() -> None:
    # WSGI: server keys and a long query string push the cheap upper bounds over the limits;
    # the exact count then finds the headers within them.
    from support.harness import build_environ, call_wsgi, new_app

    calls: list[str] = []
    app = _app(lambda: new_app(False), False, calls)
    environ = build_environ('GET', '/', query_string='q=' + 'a' * 70_000, headers=_many(50))
    environ.update({f'server.extra{i}': i for i in range(60)})
    assert call_wsgi(app, environ).status_code == 200


@pytest.mark.parametrize('value', [0, -1, True, 1.5, '100'])
def test_invalid_limits_are_refused(value: Any) -> None:
    options = RequestOptions()
    with pytest.raises(ValueError, match='max_header_bytes must be a positive int'):
        options.max_header_bytes = value
    with pytest.raises(ValueError, match='max_header_count must be a positive int'):
        options.max_header_count = value
