"""Response behaviour through a real App (WSGI and ASGI): what actually reaches the wire."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
import http
import io
from typing import Any

import pytest
from support.harness import Client, resource

import lanner


def _client(asgi: bool, make_app: Callable[..., Any], **responders: Any) -> Client:
    app = make_app()
    app.add_route('/r', resource(asgi, **responders))
    return Client(app, validate_wsgi=False)


def test_headers_and_cookies_on_the_wire(asgi: bool, make_app: Callable[..., Any]) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.set_header('X-Custom', 'v')
        resp.append_header('X-List', 'a')
        resp.append_header('X-List', 'b')
        resp.cache_control = ['no-cache', 'no-store']
        resp.etag = 'tag'
        resp.last_modified = datetime(2020, 1, 2, 3, 4, 5)
        resp.location = '/ünï'
        resp.downloadable_as = 'file.txt'
        resp.append_header('Set-Cookie', 'raw=1')
        resp.set_cookie('sid', 'abc', path='/', same_site='Strict')
        resp.unset_cookie('old')
        resp.text = 'ok'

    result = _client(asgi, make_app, on_get=on_get).get('/r')
    assert result.status_code == 200
    headers = result.headers
    assert headers['x-custom'] == 'v'
    assert headers['x-list'] == 'a, b'
    assert headers['cache-control'] == 'no-cache, no-store'
    assert headers['etag'] == '"tag"'
    assert headers['last-modified'] == 'Thu, 02 Jan 2020 03:04:05 GMT'
    assert headers['location'] == '/%C3%BCn%C3%AF'
    assert headers['content-disposition'] == 'attachment; filename="file.txt"'
    cookies = result.header_values('set-cookie')
    assert cookies[0] == 'raw=1'
    assert cookies[1] == 'sid=abc; HttpOnly; Path=/; SameSite=Strict; Secure'
    assert cookies[2].startswith('old=""; expires=')
    assert len(cookies) == 3
    # Names are lower-case on both flavours; cookies come last.
    names = [name for name, _ in result.header_list]
    assert names == [name.lower() for name in names]
    assert names[-3:] == ['set-cookie'] * 3


@pytest.mark.parametrize(
    ('status', 'code'),
    [('201 Created', 201), (202, 202), (http.HTTPStatus.ACCEPTED, 202), (lanner.HTTP_409, 409)],
)
def test_status_forms(asgi: bool, make_app: Callable[..., Any], status: Any, code: int) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.status = status
        resp.media = {'s': code}

    result = _client(asgi, make_app, on_get=on_get).get('/r')
    assert result.status_code == code
    assert result.json == {'s': code}


def test_header_injection_never_reaches_the_wire(asgi: bool, make_app: Callable[..., Any]) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.set_header('X-Echo', req.get_param('v'))

    client = _client(asgi, make_app, on_get=on_get)
    result = client.get('/r', query_string='v=a%0D%0ASet-Cookie:%20evil=1')
    # Refused (lanner.UnsafeValueError): a 400 that does not echo the value.
    assert result.status_code == 400
    assert result.json['title'] == 'Unsafe value refused'
    assert 'evil' not in result.text
    assert 'x-echo' not in result.headers
    assert result.header_values('set-cookie') == []
    assert client.get('/r', query_string='v=fine').headers['x-echo'] == 'fine'


def test_media_rendering_and_unknown_type(asgi: bool, make_app: Callable[..., Any]) -> None:
    def on_get(req: Any, resp: Any) -> None:
        if req.get_param('bad'):
            resp.content_type = 'application/x-unknown'
        resp.media = {'a': 1}

    client = _client(asgi, make_app, on_get=on_get)
    ok = client.get('/r')
    assert ok.json == {'a': 1}
    assert ok.headers['content-type'] == 'application/json'
    bad = client.get('/r', query_string='bad=1')
    assert bad.status_code == 415
    assert bad.content == b''
    assert bad.headers['content-length'] == '0'


def test_file_like_stream(asgi: bool, make_app: Callable[..., Any]) -> None:
    stream = io.BytesIO(b'x' * 20000)

    def on_get(req: Any, resp: Any) -> None:
        resp.set_stream(stream, 20000)
        resp.content_type = 'application/octet-stream'

    result = _client(asgi, make_app, on_get=on_get).get('/r')
    assert result.content == b'x' * 20000
    assert result.headers['content-length'] == '20000'
    assert stream.closed


def test_asgi_async_stream_and_callbacks() -> None:
    events: list[str] = []

    async def chunks() -> AsyncIterator[bytes]:
        for part in (b'a', b'b', b'c'):
            yield part

    async def after() -> None:
        events.append('async')

    def after_sync() -> None:
        events.append('sync')

    class Resource:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.stream = chunks()
            resp.schedule(after)
            resp.schedule_sync(after_sync)

    import lanner.asgi

    app = lanner.asgi.App(router=_router())
    app.add_route('/r', Resource())

    async def run() -> Any:
        from support.harness import build_scope, call_asgi_async

        result = await call_asgi_async(app, build_scope('GET', '/r'))
        for _ in range(50):
            if len(events) == 2:
                break
            await asyncio.sleep(0.01)
        return result

    result = asyncio.run(run())
    assert result.content == b'abc'
    assert sorted(events) == ['async', 'sync']


def _router() -> Any:
    from support.simple_router import SimpleRouter

    return SimpleRouter()


def test_response_context_and_options(asgi: bool, make_app: Callable[..., Any]) -> None:
    def on_get(req: Any, resp: Any) -> None:
        resp.context.note = 'n'
        resp.media = {
            'note': resp.context['note'],
            'secure': resp.options.secure_cookies_by_default,
        }

    app = make_app()
    app.resp_options.secure_cookies_by_default = False
    app.add_route('/r', resource(asgi, on_get=on_get))
    assert Client(app).get('/r').json == {'note': 'n', 'secure': False}


class _Event:
    """Any object with serialize() can be yielded to resp.sse (no lanner-sse needed)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def serialize(self, handler: Any = None) -> bytes:
        return f'data: {self.text}\n\n'.encode()


def test_asgi_sse_through_the_seam() -> None:
    import lanner.asgi

    async def emitter() -> AsyncIterator[Any]:
        yield _Event('one')
        yield _Event('two')

    class Resource:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.text = 'ignored: sse wins'
            resp.sse = emitter()

    app = lanner.asgi.App(router=_router())
    app.add_route('/events', Resource())

    async def run() -> Any:
        from support.harness import build_scope, call_asgi_async

        return await call_asgi_async(app, build_scope('GET', '/events'))

    result = asyncio.run(run())
    assert result.status_code == 200
    assert result.headers['content-type'] == 'text/event-stream'
    assert 'content-length' not in result.headers
    assert result.content == b'data: one\n\ndata: two\n\n'


def test_default_content_type_is_recorded_on_the_response(
    asgi: bool, make_app: Callable[..., Any]
) -> None:
    seen: list[Any] = []

    def on_get(req: Any, resp: Any) -> None:
        resp.text = 'x'
        seen.append(resp)

    result = _client(asgi, make_app, on_get=on_get).get('/r')
    assert result.headers['content-type'] == 'application/json'
    # What was sent is what resp.headers shows afterwards (as in Falcon).
    assert seen[0].headers['content-type'] == 'application/json'
    assert [name for name, _ in result.header_list].count('content-type') == 1
