"""App.set_error_reporter: every exception the App handles (or lets through) is reported once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import logging
from typing import Any

import pytest
from support.harness import Client, middleware, resource

import lanner


def handler(asgi: bool, func: Callable[..., Any]) -> Callable[..., Any]:
    """Make ``func(req, resp, ex, params)`` suit the App flavour."""
    if not asgi:
        return func

    async def async_handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        func(req, resp, ex, params)

    return async_handler


class Recorder:
    def __init__(self) -> None:
        self.log: list[tuple[type[BaseException], bool]] = []
        self.params: list[dict[str, Any]] = []

    def __call__(self, req: Any, error: Exception, params: dict[str, Any], handled: bool) -> None:
        self.log.append((type(error), handled))
        self.params.append(params)


def divide(req: Any, resp: Any, number: str = '0') -> None:
    resp.media = {'result': 1 / int(number)}


def app_with_reporter(make_app: Callable[..., Any], asgi: bool) -> tuple[Any, Recorder]:
    app = make_app()
    app.add_route('/inverse/{number}', resource(asgi, on_get=divide))
    app.add_route('/ok', resource(asgi, on_get=lambda req, resp: setattr(resp, 'text', 'ok')))
    recorder = Recorder()
    app.set_error_reporter(recorder)
    return app, recorder


def test_nothing_is_reported_for_a_good_request(make_app: Any, asgi: bool) -> None:
    app, recorder = app_with_reporter(make_app, asgi)
    assert Client(app).get('/ok').text == 'ok'
    assert recorder.log == []


def test_http_errors_and_statuses_are_reported_as_handled(make_app: Any, asgi: bool) -> None:
    def process_request(req: Any, resp: Any) -> None:
        if req.path == '/status':
            raise lanner.HTTPStatus(lanner.HTTP_202)

    app, recorder = app_with_reporter(make_app, asgi)
    app.add_middleware(middleware(asgi, process_request=process_request))
    assert Client(app).get('/missing').status_code == 404
    assert Client(app).get('/status').status_code == 202
    assert recorder.log == [(lanner.HTTPRouteNotFound, True), (lanner.HTTPStatus, True)]


def test_unexpected_error_is_reported_once_with_the_route_params(make_app: Any, asgi: bool) -> None:
    app, recorder = app_with_reporter(make_app, asgi)
    assert Client(app).get('/inverse/0').status_code == 500
    assert recorder.log == [(ZeroDivisionError, True)]
    assert recorder.params == [{'number': '0'}]


def test_handler_raising_http_error_reports_both(make_app: Any, asgi: bool) -> None:
    def convert(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise lanner.HTTPUnprocessableEntity(description=str(ex))

    app, recorder = app_with_reporter(make_app, asgi)
    app.add_error_handler(ZeroDivisionError, handler(asgi, convert))
    assert Client(app).get('/inverse/0').status_code == 422
    assert recorder.log == [(ZeroDivisionError, True), (lanner.HTTPUnprocessableEntity, True)]


def test_handler_reraising_reports_unhandled_once(make_app: Any, asgi: bool) -> None:
    def bubble_up(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise ex

    app, recorder = app_with_reporter(make_app, asgi)
    app.add_error_handler(ZeroDivisionError, handler(asgi, bubble_up))
    with pytest.raises(ZeroDivisionError):
        Client(app).get('/inverse/0')
    assert recorder.log == [(ZeroDivisionError, False)]


def test_failing_serializer_reports_every_exception_unhandled(make_app: Any, asgi: bool) -> None:
    def convert(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise lanner.HTTPConflict()

    def serializer(req: Any, resp: Any, exception: Any) -> None:
        raise RuntimeError('serializer bug')

    app, recorder = app_with_reporter(make_app, asgi)
    app.add_error_handler(ZeroDivisionError, handler(asgi, convert))
    app.set_error_serializer(serializer)
    with pytest.raises(RuntimeError, match='serializer bug'):
        Client(app).get('/inverse/0')
    assert recorder.log == [
        (ZeroDivisionError, False),
        (lanner.HTTPConflict, False),
        (RuntimeError, False),
    ]


def test_response_that_cannot_start_is_reported_unhandled(make_app: Any, asgi: bool) -> None:
    def process_response(req: Any, resp: Any, resource: Any, req_succeeded: bool) -> None:
        resp.status = object()

    app, recorder = app_with_reporter(make_app, asgi)
    app.add_middleware(middleware(asgi, process_response=process_response))
    with pytest.raises(ValueError):
        Client(app).get('/ok')
    assert recorder.log == [(ValueError, False)]


def test_failing_reporter_does_not_change_the_response(
    make_app: Any, asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    def reporter(req: Any, error: Exception, params: Any, handled: bool) -> None:
        raise RuntimeError('reporter bug')

    app, _ = app_with_reporter(make_app, asgi)
    app.set_error_reporter(reporter)  # replaces the recorder: one reporter per App
    with caplog.at_level(logging.ERROR, logger='lanner'):
        result = Client(app).get('/missing')
    assert result.status_code == 404
    assert result.json['title'] == '404 Not Found'
    assert 'The error reporter failed' in caplog.text


def test_errors_while_the_body_streams_are_not_reported(make_app: Any, asgi: bool) -> None:
    def chunks() -> Any:
        yield b'first'
        raise OSError('disk gone')

    async def achunks() -> Any:
        yield b'first'
        raise OSError('disk gone')

    def on_get(req: Any, resp: Any) -> None:
        resp.stream = achunks() if asgi else chunks()

    app, recorder = app_with_reporter(make_app, asgi)
    app.add_route('/stream', resource(asgi, on_get=on_get))
    with pytest.raises(OSError, match='disk gone'):
        Client(app).get('/stream')
    assert recorder.log == []


def test_reporter_must_be_a_plain_callable(make_app: Any) -> None:
    async def reporter(req: Any, error: Exception, params: Any, handled: bool) -> None:
        pass

    app = make_app()
    with pytest.raises(TypeError, match='coroutine function'):
        app.set_error_reporter(reporter)
    with pytest.raises(TypeError, match='callable'):
        app.set_error_reporter('not a function')


def test_websocket_errors_are_reported() -> None:
    pytest.importorskip('lanner.websocket')

    class Chat:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            await ws.send_text(f'score: {1 / 0}')

    recorder = Recorder()
    app = lanner.asgi.App()
    app.add_route('/chat', Chat())
    app.set_error_reporter(recorder)
    sent: list[dict[str, Any]] = []
    events = [{'type': 'websocket.connect'}]

    async def receive() -> dict[str, Any]:
        if events:
            return events.pop(0)
        await asyncio.sleep(10)
        return {'type': 'websocket.disconnect', 'code': 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {'type': 'websocket', 'path': '/chat', 'headers': [], 'query_string': b''}
    asyncio.run(asyncio.wait_for(app(scope, receive, send), 5))
    assert [m['type'] for m in sent] == ['websocket.accept', 'websocket.close']
    assert recorder.log == [(ZeroDivisionError, True)]
