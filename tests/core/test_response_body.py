"""Response body rendering (text > data > media > stream), the App-facing header lists and the
ASGI-only members (async streams, sse, schedule)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import io
import json
from typing import Any

from _reqresp import run
import pytest
from support.harness import Client, new_app

import lanner
from lanner import errors
import lanner.asgi
from lanner.media import BaseHandler


@pytest.fixture(params=[False, True], ids=['wsgi', 'asgi'])
def resp(request: pytest.FixtureRequest) -> Any:
    return lanner.asgi.Response() if request.param else lanner.Response()


def render(resp: Any) -> Any:
    return run(resp.render_body())


def test_nothing_renders_none(resp: Any) -> None:
    assert render(resp) is None


def test_text_is_utf8_encoded_and_bytes_tolerated(resp: Any) -> None:
    resp.text = 'héllo €'
    assert render(resp) == 'héllo €'.encode()
    resp.text = b'raw'
    assert render(resp) == b'raw'


def test_precedence_text_data_media(resp: Any) -> None:
    resp.media = {'m': 1}
    resp.data = b'data'
    resp.text = 'text'
    assert render(resp) == b'text'
    resp.text = None
    assert render(resp) == b'data'
    resp.data = None
    assert json.loads(render(resp)) == {'m': 1}


def test_media_sets_default_content_type(resp: Any) -> None:
    resp.media = [1, 2]
    assert json.loads(render(resp)) == [1, 2]
    assert resp.content_type == 'application/json'


def test_media_with_empty_content_type_uses_default(resp: Any) -> None:
    resp.content_type = ''
    resp.media = {'a': 1}
    render(resp)
    assert resp.content_type == 'application/json'


def test_media_with_custom_default_media_type() -> None:
    options = lanner.ResponseOptions()
    options.default_media_type = 'application/x-www-form-urlencoded'
    resp = lanner.Response(options)
    resp.media = {'a': 'x y'}
    assert resp.render_body() == b'a=x+y'
    assert resp.content_type == 'application/x-www-form-urlencoded'


@pytest.mark.parametrize('content_type', ['application/vnd.something', 'invalid'])
def test_unknown_media_type_is_415(resp: Any, content_type: str) -> None:
    resp.content_type = content_type
    resp.media = {'a': 1}
    with pytest.raises(errors.HTTPUnsupportedMediaType) as info:
        render(resp)
    assert info.value.status_code == 415
    assert info.value.description == f'{content_type} is an unsupported media type.'


def test_json_with_charset_param_uses_json_handler(resp: Any) -> None:
    resp.content_type = 'application/json; charset=utf-8'
    resp.media = {'a': 1}
    assert json.loads(render(resp)) == {'a': 1}


class _CountingHandler(BaseHandler):
    def __init__(self) -> None:
        self.calls = 0

    def serialize(self, media: Any, content_type: str | None) -> bytes:
        self.calls += 1
        return repr(media).encode()

    async def serialize_async(self, media: Any, content_type: str | None) -> bytes:
        self.calls += 1
        return b'async:' + repr(media).encode()


@pytest.mark.parametrize('asgi', [False, True], ids=['wsgi', 'asgi'])
def test_media_rendering_is_cached_until_reassigned(asgi: bool) -> None:
    options = lanner.ResponseOptions()
    handler = _CountingHandler()
    options.media_handlers['text/x-repr'] = handler
    resp = lanner.asgi.Response(options) if asgi else lanner.Response(options)
    resp.content_type = 'text/x-repr'
    resp.media = {'a': 1}
    prefix = b'async:' if asgi else b''
    assert render(resp) == prefix + b"{'a': 1}"
    assert render(resp) == prefix + b"{'a': 1}"
    assert handler.calls == 1
    resp.media = [2]
    assert render(resp) == prefix + b'[2]'
    assert handler.calls == 2


class _FailingHandler(BaseHandler):
    def serialize(self, media: Any, content_type: str | None) -> bytes:
        raise errors.HTTPBadRequest(title='cannot serialize')

    async def serialize_async(self, media: Any, content_type: str | None) -> bytes:
        raise errors.HTTPBadRequest(title='cannot serialize')


@pytest.mark.parametrize('asgi', [False, True], ids=['wsgi', 'asgi'])
def test_handler_errors_propagate(asgi: bool) -> None:
    options = lanner.ResponseOptions()
    options.media_handlers['application/x-fail'] = _FailingHandler()
    resp = lanner.asgi.Response(options) if asgi else lanner.Response(options)
    resp.content_type = 'application/x-fail'
    resp.media = 1
    with pytest.raises(errors.HTTPBadRequest):
        render(resp)


def test_set_stream(resp: Any) -> None:
    stream = io.BytesIO(b'abc')
    resp.set_stream(stream, 3)
    assert resp.stream is stream
    assert resp.content_length == '3'
    assert render(resp) is None


# -- App-facing header lists --------------------------------------------------------------------


def test_wsgi_headers_default_content_type(resp: Any) -> None:
    resp.set_header('X-A', '1')
    assert resp._wsgi_headers(None) == [('x-a', '1')]
    assert resp._wsgi_headers('application/json') == [
        ('x-a', '1'),
        ('content-type', 'application/json'),
    ]
    # The default is stored on the response (as in Falcon), so resp.headers shows it.
    assert resp.content_type == 'application/json'
    resp.content_type = 'text/plain'
    assert resp._wsgi_headers('application/json') == [('x-a', '1'), ('content-type', 'text/plain')]


def test_internal_headers_dict_is_lower_case_and_writable(resp: Any) -> None:
    resp.set_header('Content-Type', 'text/html')
    assert resp._headers == {'content-type': 'text/html'}
    resp._headers['content-length'] = '10'
    assert resp.content_length == '10'


def test_asgi_headers_are_latin1_bytes() -> None:
    resp = lanner.asgi.Response()
    resp.set_header('X-Latin', 'café')
    resp.set_cookie('c', 'v')
    assert resp._asgi_headers('application/json') == [
        (b'x-latin', 'café'.encode('latin-1')),
        (b'content-type', b'application/json'),
        (b'set-cookie', b'c=v; HttpOnly; Secure'),
    ]


def test_asgi_headers_reject_non_latin1() -> None:
    resp = lanner.asgi.Response()
    # Refused when set (lanner.UnsafeValueError, a ValueError)...
    with pytest.raises(lanner.UnsafeValueError, match='X-Emoji'):
        resp.set_header('X-Emoji', 'snow ☃')
    # ... and, should one slip into the header dict directly, when serialized.
    resp._headers['x-emoji'] = 'snow ☃'
    with pytest.raises(ValueError, match='x-emoji'):
        resp._asgi_headers(None)


# -- ASGI-only members --------------------------------------------------------------------------


async def _agen() -> AsyncIterator[bytes]:
    yield b'x'


def test_asgi_stream_accepts_async_sync_and_readable() -> None:
    resp = lanner.asgi.Response()
    gen = _agen()
    resp.stream = gen
    assert resp.stream is gen
    resp.stream = [b'a', b'b']
    resp.stream = io.BytesIO(b'')
    resp.stream = None
    assert resp.stream is None
    run(gen.aclose())


@pytest.mark.parametrize(
    ('stream', 'message'), [(_agen, 'generator function'), (42, r'Response\.stream must be')]
)
def test_asgi_unusable_stream_is_a_type_error_when_sent(stream: Any, message: str) -> None:
    # As in Falcon: accepted when assigned, refused (before the response starts) when sent; the
    # TypeError goes to the server and to the error reporter, not to the error handlers.
    reported: list[tuple[type[BaseException], bool]] = []

    class Resource:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.stream = stream

    app = new_app(asgi=True)
    app.add_route('/', Resource())
    app.set_error_reporter(
        lambda req, error, params, handled: reported.append((type(error), handled))
    )
    with pytest.raises(TypeError, match=message):
        Client(app).get('/')
    assert reported == [(TypeError, False)]


def test_asgi_sse_is_accepted_when_assigned() -> None:
    # As resp.stream (and Falcon): checked when the response is sent, not here.
    resp = lanner.asgi.Response()
    assert resp.sse is None
    resp.sse = _agen
    resp.sse = [1, 2]
    gen = _agen()
    resp.sse = gen
    assert resp.sse is gen
    run(gen.aclose())


def test_schedule_and_schedule_sync() -> None:
    resp = lanner.asgi.Response()
    assert resp._registered_callbacks is None

    async def job() -> None:
        pass

    def sync_job() -> None:
        pass

    resp.schedule(job)
    resp.schedule_sync(sync_job)
    assert resp._registered_callbacks == [(job, True), (sync_job, False)]


def test_schedule_rejects_coroutine_objects_and_plain_functions() -> None:
    resp = lanner.asgi.Response()

    async def job() -> None:
        pass

    coro = job()
    with pytest.raises(TypeError, match='coroutine object'):
        resp.schedule(coro)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='schedule_sync'):
        resp.schedule(lambda: None)
    with pytest.raises(TypeError):
        resp.schedule_sync(42)  # type: ignore[arg-type]
    assert resp._registered_callbacks is None


def test_asgi_render_body_is_a_coroutine() -> None:
    resp = lanner.asgi.Response()
    resp.text = 'x'
    pending = resp.render_body()
    assert asyncio.iscoroutine(pending)
    assert run(pending) == b'x'
