"""Requests whose framing cannot be trusted get a clear 4xx (or 505) before any responder runs.

* ``Content-Length`` together with ``Transfer-Encoding`` (RFC 9112 6.1, request smuggling): 400.
* WSGI: a body that ends before ``Content-Length`` bytes arrived: 400, never a short body
  passed off as complete.
* ASGI: an HTTP version outside 1.0/1.1/2/3 in the scope: a 505 response, then
  ``UnsupportedError`` (Falcon's contract) for the server to log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from support.harness import Client, build_environ, build_scope, call_wsgi, resource

import lanner
import lanner.asgi

BOTH = {'Content-Length': '5', 'Transfer-Encoding': 'chunked'}


def _upload_app(make_app: Callable[..., Any], asgi: bool, calls: list[str]) -> Any:
    async def on_post_async(req: Any, resp: Any) -> None:
        calls.append('responder')
        resp.media = {'size': len(await req.stream.read())}

    def on_post(req: Any, resp: Any) -> None:
        calls.append('responder')
        resp.media = {'size': len(req.bounded_stream.read())}

    def process_request(req: Any, resp: Any) -> None:
        calls.append('process_request')

    app = make_app()
    app.add_route('/upload', resource(asgi, on_post=on_post_async if asgi else on_post))
    mw = resource(asgi, process_request=process_request)
    app.add_middleware(mw)
    return app


def test_content_length_with_transfer_encoding_is_a_400(
    make_app: Callable[..., Any], asgi: bool
) -> None:
    calls: list[str] = []
    app = _upload_app(make_app, asgi, calls)
    result = Client(app).post('/upload', headers=BOTH, body=b'0\r\n\r\n')
    assert result.status_code == 400
    assert result.json == {
        'title': 'Conflicting Content-Length and Transfer-Encoding',
        'description': result.json['description'],
    }
    assert 'RFC 9112' in result.json['description']
    assert calls == []  # refused before any middleware or responder ran
    if asgi:
        # The server is asked to close the connection: what followed may be smuggled.
        assert result.headers['connection'] == 'close'


def test_either_framing_alone_is_served(make_app: Callable[..., Any], asgi: bool) -> None:
    calls: list[str] = []
    app = _upload_app(make_app, asgi, calls)
    client = Client(app)
    assert client.post('/upload', body=b'hello').json == {'size': 5}
    # The server decodes a chunked body; the app sees no Content-Length. A WSGI server that
    # does not promise wsgi.input_terminated cannot say where it ends: 411, never read as empty
    # (tests/core/test_request_chunked.py has the terminated case).
    chunked = client.post('/upload', headers={'Transfer-Encoding': 'chunked'})
    assert chunked.status_code == (200 if asgi else 411)


def test_asgi_framing_check_reads_one_shot_header_iterables() -> None:
    app = lanner.asgi.App(router=_router())
    calls: list[str] = []
    app.add_route('/upload', resource(True, on_post=lambda req, resp: calls.append('called')))
    scope = build_scope('POST', '/upload', headers=BOTH)
    scope['headers'] = iter(scope['headers'])  # some test tools hand in a one-shot iterable
    sent = _run_asgi(app, scope)
    assert sent[0]['status'] == 400 and calls == []


def _router() -> Any:
    from support.simple_router import SimpleRouter

    return SimpleRouter()


def _run_asgi(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {'type': 'http.request', 'body': b'', 'more_body': False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


# ---------------------------------------------------------------------------------------------
# WSGI: a body cut short


def _short_body(app: Any, path: str, content_type: str | None = None) -> Any:
    headers = {'Content-Length': '10'}
    if content_type:
        headers['Content-Type'] = content_type
    # The client announced 10 bytes, sent 5 and closed its side: the input ends early.
    environ = build_environ('POST', path, headers=headers, body=b'{"a":')
    assert environ['CONTENT_LENGTH'] == '10'
    return call_wsgi(app, environ)


@pytest.mark.parametrize('how', ['read', 'chunks', 'media'])
def test_wsgi_body_shorter_than_content_length_is_a_400(how: str) -> None:
    seen: list[bytes] = []

    def on_post(req: Any, resp: Any) -> None:
        if how == 'read':
            seen.append(req.bounded_stream.read())
        elif how == 'chunks':
            while chunk := req.bounded_stream.read(2):
                seen.append(chunk)
        else:
            seen.append(req.get_media())
        resp.text = 'stored'  # must never be reached with a truncated body

    app = lanner.App(router=_router())
    app.add_route('/upload', resource(False, on_post=on_post))
    result = _short_body(app, '/upload', 'application/json')
    assert result.status_code == 400
    assert result.text != 'stored'
    if how != 'media':
        assert result.json['title'] == 'Incomplete request body'
        assert result.json['description'].startswith('The request body ended after 5 of the 10')


# ---------------------------------------------------------------------------------------------
# ASGI: HTTP versions the App does not speak


@pytest.mark.parametrize('version', ['1.2', '2.0', '0.9'])
def test_unsupported_http_version_gets_a_505_then_raises(version: str) -> None:
    app = lanner.asgi.App(router=_router())
    called: list[str] = []
    app.add_route('/', resource(True, on_get=lambda req, resp: called.append('x')))
    scope = build_scope('GET', '/')
    scope['http_version'] = version
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {'type': 'http.request', 'body': b'', 'more_body': False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with pytest.raises(lanner.UnsupportedError, match=f"HTTP version '{version}'"):
        asyncio.run(app(scope, receive, send))
    assert [m['type'] for m in sent] == ['http.response.start', 'http.response.body']
    assert sent[0]['status'] == 505
    assert dict(sent[0]['headers'])[b'content-type'] == b'application/json'
    assert b'"title": "505 HTTP Version Not Supported"' in sent[1]['body']
    assert version.encode() not in sent[1]['body']  # the request's text is not echoed
    assert called == []


def test_unsupported_http_version_still_raises_when_send_fails() -> None:
    app = lanner.asgi.App(router=_router())
    scope = build_scope('GET', '/')
    scope['http_version'] = '1.2'

    async def send(message: dict[str, Any]) -> None:
        raise OSError('connection lost')

    with pytest.raises(lanner.UnsupportedError):
        asyncio.run(app(scope, None, send))  # type: ignore[arg-type]


def test_unsupported_websocket_http_version_denies_then_raises() -> None:
    app = lanner.asgi.App(router=_router())
    scope = build_scope('GET', '/ws', scope_type='websocket')
    scope['http_version'] = '1.0'
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    with pytest.raises(lanner.UnsupportedError, match='WebSocket'):
        asyncio.run(app(scope, None, send))  # type: ignore[arg-type]
    assert sent == [{'type': 'websocket.close', 'code': 3505}]
