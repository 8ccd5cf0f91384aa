"""The header backstop: ``RequestOptions.max_header_bytes`` / ``max_header_count`` and the 431.

Both flavours count alike for distinct names: a field is ``name + value`` bytes (WSGI: the
environ key without ``HTTP_``), and the harness always sends ``host: falconframework.org``
(4 + 19 bytes).

When: ASGI checks both limits before any middleware or responder runs. WSGI checks the count
there too, but the bytes only where header values are read: ``req.get_header()`` and the
one-header properties compare the value they return, ``req.headers`` the total. A WSGI header
nobody reads is served (the server already parsed and holds it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from support.harness import Client, build_scope, call_asgi_async, middleware, resource

from lanner.request import RequestOptions

HOST_BYTES = len('host') + len('falconframework.org')


def _app(
    make_app: Callable[..., Any],
    asgi: bool,
    calls: list[str],
    read: Callable[[Any], Any] = lambda req: len(req.headers),
) -> Any:
    def on_get(req: Any, resp: Any) -> None:
        calls.append('responder')
        resp.media = {'fields': read(req)}

    def process_request(req: Any, resp: Any) -> None:
        calls.append('process_request')

    app = make_app()
    app.add_route('/', resource(asgi, on_get=on_get))
    app.add_middleware(middleware(asgi, process_request=process_request))
    return app


def _refused_at(asgi: bool) -> list[str]:
    """What ran before a 431 for bytes: nothing on ASGI; on WSGI, up to the responder's read."""
    return [] if asgi else ['process_request', 'responder']


def _wsgi_app(calls: list[str], read: Callable[[Any], Any]) -> Any:
    from support.harness import new_app

    return _app(lambda: new_app(False), False, calls, read)


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
    assert f'at most {64 * 1024}' in result.json['description']
    # ASGI: before any middleware or responder ran. WSGI: when the responder read req.headers.
    assert calls == _refused_at(asgi)


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
    assert calls == _refused_at(asgi)


def test_a_long_field_name_counts(make_app: Callable[..., Any], asgi: bool) -> None:
    calls: list[str] = []
    client = Client(_app(make_app, asgi, calls))
    assert client.get('/', headers={'x' * 70_000: ''}).status_code == 431
    assert calls == _refused_at(asgi)


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


def test_wsgi_reading_one_oversized_header_is_a_431() -> None:
    calls: list[str] = []
    client = Client(_wsgi_app(calls, lambda req: req.get_header('X-Big')))
    big = {'x-big': 'a' * (64 * 1024 + 1)}
    result = client.get('/', headers=big)
    assert result.status_code == 431
    assert result.json['title'] == '431 Request Header Fields Too Large'
    assert 'X-Big is 65537 bytes' in result.json['description']
    assert f'at most {64 * 1024} bytes' in result.json['description']
    assert calls == ['process_request', 'responder']
    # A value at the limit is returned as is.
    result = client.get('/', headers={'x-big': 'a' * (64 * 1024)})
    assert result.status_code == 200
    assert result.json == {'fields': 'a' * (64 * 1024)}


@pytest.mark.parametrize(
    ('header', 'read'),
    [
        ('authorization', lambda req: req.auth),
        ('user-agent', lambda req: req.user_agent),
        ('host', lambda req: req.host),
        ('content-type', lambda req: req.content_type),
        ('if-modified-since', lambda req: req.if_modified_since),
        ('x-count', lambda req: req.get_header_as_int('X-Count')),
    ],
)
def test_wsgi_typed_header_properties_check_the_value_they_read(
    header: str, read: Callable[[Any], Any]
) -> None:
    calls: list[str] = []
    client = Client(_wsgi_app(calls, read))
    result = client.get('/', headers={header: 'a' * (64 * 1024 + 1)})
    assert result.status_code == 431, result.text
    assert calls == ['process_request', 'responder']


def test_wsgi_req_headers_over_the_total_is_a_431_though_each_value_is_within() -> None:
    calls: list[str] = []
    two = {'x-a': 'a' * 40_000, 'x-b': 'b' * 40_000}
    result = Client(_wsgi_app(calls, lambda req: len(req.headers))).get('/', headers=two)
    assert result.status_code == 431
    total = HOST_BYTES + 2 * (3 + 40_000)
    assert f'total {total} bytes' in result.json['description']
    assert calls == ['process_request', 'responder']
    # headers_lower is built from req.headers.
    result = Client(_wsgi_app([], lambda req: len(req.headers_lower))).get('/', headers=two)
    assert result.status_code == 431
    # Each value read alone is within the limit.
    result = Client(_wsgi_app([], lambda req: len(req.get_header('X-A')))).get('/', headers=two)
    assert result.status_code == 200
    assert result.json == {'fields': 40_000}


def test_wsgi_an_oversized_header_nobody_reads_is_served() -> None:
    # The documented WSGI behaviour: the server already parsed and holds the head; the bytes
    # are refused when the app reads them, not on every request. The count still is.
    calls: list[str] = []
    client = Client(_wsgi_app(calls, lambda req: req.get_header('X-Small')))
    headers = {'x-big': 'a' * (1024 * 1024), 'x-small': 'ok'}
    result = client.get('/', headers=headers)
    assert result.status_code == 200
    assert result.json == {'fields': 'ok'}
    assert calls == ['process_request', 'responder']
    calls.clear()
    assert client.get('/', headers={**headers, **_many(101)}).status_code == 431
    assert calls == []


@pytest.mark.parametrize('value', [0, -1, True, 1.5, '100'])
def test_invalid_limits_are_refused(value: Any) -> None:
    options = RequestOptions()
    with pytest.raises(ValueError, match='max_header_bytes must be a positive int'):
        options.max_header_bytes = value
    with pytest.raises(ValueError, match='max_header_count must be a positive int'):
        options.max_header_count = value
