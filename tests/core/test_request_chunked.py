"""Request bodies sent without a Content-Length (chunked uploads), driven through the WSGI and
ASGI callables directly (tests/support/harness.py), as a server hands them over.

* WSGI, server promises ``wsgi.input_terminated`` (gunicorn): the body is read to its end, and
  ``stream``, ``bounded_stream`` and every media handler see exactly what a sized body gives;
  ``max_body_size`` is counted while reading (413).
* WSGI, server makes no such promise (wsgiref): 411 Length Required, the responder never runs.
* ASGI: servers decode chunked bodies themselves; the same behaviours hold.
The real-server runs (gunicorn, wsgiref, 8 MiB) are in tests/integration/test_chunked_server.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import hashlib
import io
import json
import os
from typing import Any

import msgpack
import pytest
from support.harness import (
    Result,
    build_environ,
    build_scope,
    call_asgi_async,
    call_wsgi,
    new_app,
    resource,
)

from lanner.media import MessagePackHandler

CHUNKED = {'Transfer-Encoding': 'chunked'}
TERMINATED = {'wsgi.input_terminated': True}


def _digest(data: bytes) -> dict[str, Any]:
    return {'size': len(data), 'sha256': hashlib.sha256(data).hexdigest()}


def _app(make_app: Callable[..., Any], asgi: bool, calls: list[str]) -> Any:
    app = make_app()
    handler = MessagePackHandler()
    app.req_options.media_handlers['application/msgpack'] = handler

    if asgi:

        async def read_stream(req: Any, resp: Any) -> None:
            calls.append('stream')
            resp.media = _digest(await req.stream.read())

        async def read_bounded(req: Any, resp: Any) -> None:
            calls.append('bounded')
            resp.media = _digest(await req.bounded_stream.read())

        async def read_blocks(req: Any, resp: Any) -> None:
            calls.append('blocks')
            data = b''
            async for chunk in req.stream:
                data += chunk
            resp.media = _digest(data)

        async def media(req: Any, resp: Any) -> None:
            calls.append('media')
            form = await req.get_media()
            if hasattr(form, '__aiter__'):
                resp.media = {
                    'parts': [[part.name, len(await part.get_data())] async for part in form]
                }
            else:
                resp.media = {'media': form}

    else:

        def read_stream(req: Any, resp: Any) -> None:  # type: ignore[misc]
            calls.append('stream')
            # The raw input: read to its end, which a terminated input (or a sized test body)
            # reports with an empty read. PEP 3333 wants a size on every read.
            data = b''
            while chunk := req.stream.read(65536):
                data += chunk
            resp.media = _digest(data)

        def read_bounded(req: Any, resp: Any) -> None:  # type: ignore[misc]
            calls.append('bounded')
            resp.media = _digest(req.bounded_stream.read())

        def read_blocks(req: Any, resp: Any) -> None:  # type: ignore[misc]
            calls.append('blocks')
            data = b''
            while True:
                chunk = req.bounded_stream.read(10_000)
                if not chunk:
                    break
                data += chunk
            resp.media = _digest(data)

        def media(req: Any, resp: Any) -> None:  # type: ignore[misc]
            calls.append('media')
            form = req.get_media()
            if hasattr(form, '__iter__') and not isinstance(form, (dict, list, str)):
                resp.media = {'parts': [[part.name, len(part.get_data())] for part in form]}
            else:
                resp.media = {'media': form}

    app.add_route('/stream', resource(asgi, on_post=read_stream))
    app.add_route('/bounded', resource(asgi, on_post=read_bounded))
    app.add_route('/blocks', resource(asgi, on_post=read_blocks))
    app.add_route('/media', resource(asgi, on_post=media))
    return app


def _wsgi_app() -> Any:
    return new_app(False)


def _wsgi_post(
    app: Any, path: str, headers: dict[str, str], body: bytes = b'', **extras: Any
) -> Result:
    """POST through the WSGI callable; a chunked request carries no Content-Length."""
    environ = build_environ('POST', path, headers=headers, body=body)
    if 'Transfer-Encoding' in headers:
        environ.pop('CONTENT_LENGTH', None)
    environ.update(extras)
    # Not wrapped in wsgiref.validate: its input wrapper refuses size-less reads, which a
    # terminated input (wsgi.input_terminated) allows.
    return call_wsgi(app, environ, validate=False)


def _post(app: Any, asgi: bool, path: str, body: bytes, chunked: bool, **headers: str) -> Result:
    all_headers = dict(headers)
    if chunked:
        all_headers.update(CHUNKED)
    if not asgi:
        return _wsgi_post(app, path, all_headers, body, **(TERMINATED if chunked else {}))
    scope = build_scope('POST', path, headers=all_headers)
    if not chunked:
        scope['headers'].append((b'content-length', str(len(body)).encode()))
    return asyncio.run(call_asgi_async(app, scope, body))


@pytest.mark.parametrize('path', ['/stream', '/bounded', '/blocks'])
def test_a_chunked_body_is_read_whole_like_a_sized_one(
    make_app: Callable[..., Any], asgi: bool, path: str
) -> None:
    body = os.urandom(300_000)
    calls: list[str] = []
    app = _app(make_app, asgi, calls)
    sized = _post(app, asgi, path, body, chunked=False)
    chunked = _post(app, asgi, path, body, chunked=True)
    assert sized.status_code == 200 and chunked.status_code == 200, chunked.text
    assert chunked.json == sized.json == _digest(body)


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(b'--BOUNDARY\r\n')
        out.write(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value + b'\r\n')
    out.write(b'--BOUNDARY--\r\n')
    return out.getvalue(), 'multipart/form-data; boundary=BOUNDARY'


def _media_cases() -> list[Any]:
    doc = {'items': list(range(50_000)), 'text': 'ü' * 1000}
    multipart_body, multipart_type = _multipart({'a': b'x' * 70_000, 'b': b'y' * 10})
    return [
        pytest.param(json.dumps(doc).encode(), 'application/json', {'media': doc}, id='json'),
        pytest.param(msgpack.packb(doc), 'application/msgpack', {'media': doc}, id='msgpack'),
        pytest.param(
            b'a=1&b=' + b'z' * 50_000,
            'application/x-www-form-urlencoded',
            {'media': {'a': '1', 'b': 'z' * 50_000}},
            id='urlencoded',
        ),
        pytest.param(
            multipart_body, multipart_type, {'parts': [['a', 70_000], ['b', 10]]}, id='multipart'
        ),
    ]


@pytest.mark.parametrize(('body', 'content_type', 'expected'), _media_cases())
def test_media_of_a_chunked_body_equals_a_sized_one(
    make_app: Callable[..., Any], asgi: bool, body: bytes, content_type: str, expected: Any
) -> None:
    app = _app(make_app, asgi, [])
    sized = _post(app, asgi, '/media', body, chunked=False, **{'Content-Type': content_type})
    chunked = _post(app, asgi, '/media', body, chunked=True, **{'Content-Type': content_type})
    assert sized.status_code == 200, sized.text
    assert chunked.status_code == 200, chunked.text
    assert chunked.json == sized.json == expected


def test_a_chunked_body_over_the_limit_is_a_413(make_app: Callable[..., Any], asgi: bool) -> None:
    calls: list[str] = []
    app = _app(make_app, asgi, calls)
    app.req_options.max_body_size = 100_000
    body = json.dumps({'blob': 'x' * 200_000}).encode()
    result = _post(app, asgi, '/media', body, chunked=True, **{'Content-Type': 'application/json'})
    assert result.status_code == 413, result.text
    assert 'limit of 100000 bytes' in result.json['description']
    small = json.dumps({'blob': 'x' * 1000}).encode()
    ok = _post(app, asgi, '/media', small, chunked=True, **{'Content-Type': 'application/json'})
    assert ok.status_code == 200 and ok.json == {'media': {'blob': 'x' * 1000}}


class EndlessInput(io.RawIOBase):
    """A terminated wsgi.input that never ends (a client streaming a chunked body forever)."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = 65536 if size is None or size < 0 else size
        self.served += size
        return b'x' * size

    def readline(self, size: int = -1) -> bytes:
        return self.read(size)


def test_wsgi_an_endless_chunked_body_is_refused_at_the_limit() -> None:
    app = _app(_wsgi_app, False, [])
    app.req_options.max_body_size = 1_000_000
    source = EndlessInput()
    extras = {'wsgi.input_terminated': True, 'wsgi.input': source}
    headers = {'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json'}
    result = _wsgi_post(app, '/media', headers, **extras)
    assert result.status_code == 413
    # Read up to the limit plus one block, then never again (not even to discard the rest).
    assert source.served <= 1_000_000 + 65536


@pytest.mark.parametrize('path', ['/stream', '/bounded', '/media'])
def test_wsgi_a_chunked_body_the_server_cannot_end_is_a_411(path: str) -> None:
    calls: list[str] = []
    app = _app(_wsgi_app, False, calls)
    body = b'5\r\nhello\r\n0\r\n\r\n'  # what wsgiref hands over: the undecoded chunked bytes
    result = _wsgi_post(app, path, CHUNKED, body)
    assert result.status_code == 411, result.text
    assert 'Content-Length' in result.json['description']
    assert calls == []  # never presented to the responder as an empty body


class BrokenChunkedInput(io.RawIOBase):
    """What a server's input does when the client's chunk framing is malformed."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.reads += 1
        if self.reads == 1:
            return b'{"a": '
        raise ValueError("Invalid chunk size: b'zz'")


@pytest.mark.parametrize('path', ['/stream', '/bounded', '/media'])
def test_wsgi_a_malformed_chunked_body_is_a_400(path: str) -> None:
    app = _app(_wsgi_app, False, [])
    extras = {'wsgi.input_terminated': True, 'wsgi.input': BrokenChunkedInput()}
    headers = {'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json'}
    result = _wsgi_post(app, path, headers, **extras)
    assert result.status_code == 400, result.text
    assert 'chunked encoding' in result.json['description']


def test_wsgi_a_chunked_empty_body_is_empty_media() -> None:
    app = _app(_wsgi_app, False, [])
    headers = {'Transfer-Encoding': 'chunked', 'Content-Type': 'application/json'}
    result = _wsgi_post(app, '/media', headers, **TERMINATED)
    assert result.status_code == 400 and 'empty' in result.json['description'].lower()
