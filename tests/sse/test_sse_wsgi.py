"""The WSGI side of resp.sse: emitter checks, default headers and the closing body iterable.

lanner.App wires these in (see lanner._sse); here they are driven through a minimal WSGI
callable under wsgiref's validator, so the body is checked against the WSGI spec too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from support.harness import build_environ, call_wsgi

from lanner._sse.render import (
    apply_sse_headers,
    check_keepalive_interval,
    check_sync_emitter,
    json_handler_for,
)
from lanner._sse.wsgi_body import SSEBody, wsgi_body
from lanner.media.handlers import Handlers
from lanner.response import ResponseOptions
from lanner.sse import SSEvent


class FakeResp:
    def __init__(self, sse: Any, headers: dict[str, str] | None = None) -> None:
        self.sse = sse
        self._headers = headers if headers is not None else {}


class FakeApp:
    def __init__(self) -> None:
        self.resp_options = ResponseOptions()


def sse_wsgi_app(make_emitter: Any, headers: dict[str, str] | None = None) -> Any:
    fake_app = FakeApp()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        resp = FakeResp(make_emitter(), dict(headers or {}))
        body = wsgi_body(fake_app, resp)
        start_response('200 OK', list(resp._headers.items()))
        return body

    return app


class TestHeaders:
    def test_defaults(self) -> None:
        headers = {'content-length': '12'}
        apply_sse_headers(headers)
        assert headers == {
            'content-type': 'text/event-stream',
            'cache-control': 'no-cache',
            'x-accel-buffering': 'no',
        }

    def test_app_choices_are_kept(self) -> None:
        headers = {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-store',
            'x-accel-buffering': 'yes',
        }
        apply_sse_headers(headers)
        assert headers == {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-store',
            'x-accel-buffering': 'yes',
        }


class TestWSGIBody:
    def test_events_streamed_and_valid_wsgi(self) -> None:
        def events() -> Iterator[SSEvent | None]:
            yield SSEvent(data=b'one', event_id='1')
            yield None
            yield SSEvent(json={'two': 2}, event='t')

        result = call_wsgi(sse_wsgi_app(events), build_environ('GET', '/'))
        assert result.headers['content-type'] == 'text/event-stream'
        assert result.headers['cache-control'] == 'no-cache'
        assert 'content-length' not in result.headers
        assert result.chunks[0] == b'id: 1\ndata: one\n\n'
        assert result.chunks[1] == b': ping\n\n'
        assert result.chunks[2].startswith(b'event: t\ndata: {"two":')
        assert all(type(c) is bytes for c in result.chunks)

    def test_close_runs_the_generator_finally(self) -> None:
        cleaned = []

        def events() -> Iterator[SSEvent]:
            try:
                while True:
                    yield SSEvent(data=b'tick')
            finally:
                cleaned.append(True)

        body = SSEBody(events(), None)
        assert next(body) == b'data: tick\n\n'
        body.close()  # what a WSGI server does when the client is gone
        assert cleaned == [True]
        with pytest.raises(StopIteration):
            next(body)

    def test_close_without_iterating_is_harmless(self) -> None:
        started = []

        def events() -> Iterator[SSEvent]:
            started.append(True)
            yield SSEvent(data=b'x')

        SSEBody(events(), None).close()
        assert started == []

    def test_wrong_item_type_is_explained(self) -> None:
        body = SSEBody(iter([b'data: raw\n\n']), None)
        with pytest.raises(TypeError, match='yielded a bytes object'):
            next(body)

    def test_serialize_must_return_bytes(self) -> None:
        class Bad:
            def serialize(self, handler: Any = None) -> str:
                return 'data: x\n\n'

        with pytest.raises(TypeError, match='returned str'):
            next(SSEBody(iter([Bad()]), None))

    def test_json_handler_of_the_app_is_used(self) -> None:
        class Marker:
            def serialize(self, media: object, content_type: str) -> bytes:
                return b'"marked"'

        options = ResponseOptions()
        options.media_handlers['application/json'] = Marker()  # type: ignore[assignment]
        body = SSEBody(iter([SSEvent(json=1)]), json_handler_for(options))
        assert next(body) == b'data: "marked"\n\n'

    def test_no_json_handler_registered_falls_back_to_stdlib(self) -> None:
        options = ResponseOptions()
        options._media_handlers = Handlers({})
        assert json_handler_for(options) is None
        body = SSEBody(iter([SSEvent(json={'a': 1})]), json_handler_for(options))
        assert next(body) == b'data: {"a": 1}\n\n'


class TestCheckSyncEmitter:
    def test_generator_function_itself(self) -> None:
        def events() -> Iterator[SSEvent]:
            yield SSEvent()  # pragma: no cover

        with pytest.raises(TypeError, match=r'call it.*events\(\)'):
            check_sync_emitter(events)

    def test_async_generator_on_wsgi(self) -> None:
        async def events() -> Any:
            yield SSEvent()  # pragma: no cover

        gen = events()
        with pytest.raises(TypeError, match=r'lanner\.asgi\.App'):
            check_sync_emitter(gen)

    @pytest.mark.parametrize('value', ['data: x', b'data: x', {'data': 'x'}, 42])
    def test_not_an_event_iterator(self, value: Any) -> None:
        with pytest.raises(TypeError, match=r'resp\.sse must be an iterator'):
            check_sync_emitter(value)

    def test_iterables_are_accepted(self) -> None:
        events = [SSEvent(data=b'a'), None]
        assert list(check_sync_emitter(events)) == events


class TestKeepaliveSetting:
    def test_valid(self) -> None:
        assert check_keepalive_interval(None) is None
        assert check_keepalive_interval(15) == 15.0
        assert check_keepalive_interval(0.5) == 0.5

    @pytest.mark.parametrize('value', [0, -3, float('nan')])
    def test_invalid_values(self, value: float) -> None:
        with pytest.raises(ValueError, match='> 0'):
            check_keepalive_interval(value)

    @pytest.mark.parametrize('value', ['15', True, [1]])
    def test_invalid_types(self, value: Any) -> None:
        with pytest.raises(TypeError, match='seconds'):
            check_keepalive_interval(value)
