"""Teardown middleware (process_teardown) and resp.schedule / schedule_sync callbacks."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from typing import Any

import pytest
from support.harness import Client, build_environ, build_scope, resource
from support.simple_router import SimpleRouter

import lanner
import lanner.asgi


class Teardown:
    """Records (name, completed, status) and, in ASGI, how many events were sent before."""

    def __init__(self, name: str, log: list[Any], events: list[Any] | None = None) -> None:
        self.name = name
        self.log = log
        self.events = events

    def process_teardown(self, req: Any, resp: Any, resource: Any, completed: bool) -> None:
        self.log.append((self.name, completed, resp.status_code))

    async def process_teardown_async(
        self, req: Any, resp: Any, resource: Any, completed: bool
    ) -> None:
        sent = len(self.events) if self.events is not None else None
        self.log.append((self.name, completed, resp.status_code, sent))


# ---------------------------------------------------------------------- WSGI


def wsgi_app(*components: object, on_get: Any = None) -> lanner.App:
    app = lanner.App(router=SimpleRouter(), middleware=list(components))
    app.add_route(
        '/', resource(False, on_get=on_get or (lambda req, resp: setattr(resp, 'text', 'hi')))
    )
    return app


def start(app: Any, method: str = 'GET') -> tuple[Any, dict[str, Any]]:
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured['status'] = status
        return lambda data: None

    environ = build_environ(method, '/')
    return app(environ, start_response), environ


def test_wsgi_teardown_runs_when_the_server_closes_the_body() -> None:
    log: list[Any] = []
    app = wsgi_app(Teardown('a', log), Teardown('b', log))
    body, _ = start(app)
    assert b''.join(body) == b'hi'
    assert log == []  # not before close()
    body.close()
    assert log == [('b', True, 200), ('a', True, 200)]  # reverse registration order
    body.close()  # idempotent
    assert len(log) == 2


def test_wsgi_teardown_when_client_went_away() -> None:
    log: list[Any] = []
    app = wsgi_app(Teardown('a', log))
    body, _ = start(app)
    body.close()  # the server gave up before sending the body
    assert log == [('a', False, 200)]


def test_wsgi_teardown_after_a_failing_stream() -> None:
    log: list[Any] = []

    def chunks() -> Any:
        yield b'one'
        raise OSError('disk gone')

    app = wsgi_app(Teardown('a', log), on_get=lambda req, resp: setattr(resp, 'stream', chunks()))
    body, _ = start(app)
    iterator = iter(body)
    assert next(iterator) == b'one'
    with pytest.raises(OSError):
        next(iterator)
    body.close()
    assert log == [('a', False, 200)]


def test_wsgi_teardown_closes_file_streams_first() -> None:
    log: list[Any] = []
    stream = io.BytesIO(b'x' * 20000)

    def on_get(req: Any, resp: Any) -> None:
        resp.stream = stream

    class Check(Teardown):
        def process_teardown(self, req: Any, resp: Any, resource: Any, completed: bool) -> None:
            self.log.append(('closed', stream.closed, completed))

    result = Client(wsgi_app(Check('c', log), on_get=on_get)).get('/')
    assert len(result.content) == 20000
    assert log == [('closed', True, True)]


def test_wsgi_teardown_failure_is_logged_and_others_still_run() -> None:
    log: list[Any] = []

    class Broken:
        def process_teardown(self, req: Any, resp: Any, resource: Any, completed: bool) -> None:
            raise RuntimeError('teardown bug')

    app = wsgi_app(Teardown('a', log), Broken())
    body, environ = start(app)
    list(body)
    body.close()
    assert log == [('a', True, 200)]
    assert 'teardown bug' in environ['wsgi.errors'].getvalue()


def test_wsgi_teardown_through_the_harness_and_head() -> None:
    log: list[Any] = []
    app = wsgi_app(Teardown('a', log))
    app.add_route('/h', resource(False, on_head=lambda req, resp: setattr(resp, 'text', 'x')))
    client = Client(app)
    assert client.get('/').text == 'hi'
    result = client.head('/h')
    assert result.content == b''
    assert result.headers['content-length'] == '1'
    assert log == [('a', True, 200), ('a', True, 200)]


@pytest.mark.parametrize('fail', ['error handler', 'status'])
def test_teardown_runs_when_an_exception_leaves_the_app(asgi: bool, fail: str) -> None:
    # A failing error handler, or a response that cannot be started, propagates to the server
    # (as in Falcon); the teardown still runs, with completed=False.
    log: list[bool] = []

    class Recorder:
        def process_teardown(self, req: Any, resp: Any, resource: Any, completed: bool) -> None:
            log.append(completed)

        async def process_teardown_async(
            self, req: Any, resp: Any, resource: Any, completed: bool
        ) -> None:
            log.append(completed)

    app_cls = lanner.asgi.App if asgi else lanner.App
    app = app_cls(router=SimpleRouter(), middleware=[Recorder()])

    def on_get(req: Any, resp: Any) -> None:
        if fail == 'status':
            resp.status = 'not a status'
        else:
            raise KeyError('to the handler')

    def broken(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        raise RuntimeError('handler bug')

    async def broken_async(req: Any, resp: Any, ex: Exception, params: Any) -> None:
        broken(req, resp, ex, params)

    app.add_route('/', resource(asgi, on_get=on_get))
    app.add_error_handler(KeyError, broken_async if asgi else broken)
    with pytest.raises(RuntimeError if fail == 'error handler' else ValueError):
        Client(app).get('/')
    assert log == [False]


def test_teardown_flavour_checks() -> None:
    class AsyncOnly:
        async def process_teardown(self, *args: Any) -> None:
            pass

    class SyncOnly:
        def process_teardown(self, *args: Any) -> None:
            pass

    with pytest.raises(lanner.CompatibilityError, match='process_teardown'):
        lanner.App(router=SimpleRouter(), middleware=[AsyncOnly()])
    with pytest.raises(lanner.CompatibilityError, match='process_teardown'):
        lanner.asgi.App(router=SimpleRouter(), middleware=[SyncOnly()])


# ---------------------------------------------------------------------- ASGI


async def drive(
    app: Any, path: str = '/', method: str = 'GET', fail_send_after: int | None = None
) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    done = asyncio.Event()
    first = True

    async def receive() -> dict[str, Any]:
        nonlocal first
        if first:
            first = False
            return {'type': 'http.request', 'body': b'', 'more_body': False}
        await done.wait()
        return {'type': 'http.disconnect'}

    async def send(message: dict[str, Any]) -> None:
        if fail_send_after is not None and len(events) >= fail_send_after:
            raise OSError('client went away')
        events.append(message)
        if message['type'] == 'http.response.body' and not message.get('more_body'):
            done.set()

    await app(build_scope(method, path), receive, send)
    return events


def asgi_app(*components: object, **responders: Any) -> lanner.asgi.App:
    app = lanner.asgi.App(router=SimpleRouter(), middleware=list(components))
    app.add_route('/', resource(True, **responders))
    return app


async def test_asgi_teardown_runs_in_reverse_order() -> None:
    log: list[Any] = []
    app = asgi_app(
        Teardown('a', log), Teardown('b', log), on_get=lambda req, resp: setattr(resp, 'text', 'hi')
    )
    sent = await drive(app)
    assert sent[-1]['body'] == b'hi'
    assert [entry[:3] for entry in log] == [('b', True, 200), ('a', True, 200)]


async def test_asgi_teardown_sees_the_complete_response() -> None:
    log: list[Any] = []
    sent_before: list[int] = []

    class Watch:
        def __init__(self, events: list[Any]) -> None:
            self.events = events

        async def process_teardown(self, req: Any, resp: Any, res: Any, completed: bool) -> None:
            sent_before.append(len(self.events))
            log.append(completed)

    events: list[Any] = []
    app = asgi_app(Watch(events), on_get=lambda req, resp: setattr(resp, 'text', 'hi'))

    async def send(message: dict[str, Any]) -> None:
        events.append(message)

    received = iter([{'type': 'http.request', 'body': b''}])

    async def receive() -> dict[str, Any]:
        return next(received)

    await app(build_scope('GET', '/'), receive, send)
    assert sent_before == [2] and log == [True]


async def test_asgi_teardown_on_stream_failure_and_no_callbacks() -> None:
    log: list[Any] = []
    ran: list[str] = []

    async def job() -> None:
        ran.append('job')

    async def chunks() -> Any:
        yield b'one'
        raise OSError('backend went away')

    def on_get(req: Any, resp: Any) -> None:
        resp.stream = chunks()
        resp.schedule(job)

    app = asgi_app(Teardown('a', log), on_get=on_get)
    with pytest.raises(OSError, match='backend went away'):
        await drive(app)
    await asyncio.sleep(0)
    assert [entry[:2] for entry in log] == [('a', False)]
    assert ran == []  # callbacks only run after a complete response


async def test_asgi_teardown_when_the_client_disconnects_mid_send() -> None:
    log: list[Any] = []
    app = asgi_app(Teardown('a', log), on_get=lambda req, resp: setattr(resp, 'text', 'hi'))
    with pytest.raises(OSError):
        await drive(app, fail_send_after=1)
    assert [entry[:2] for entry in log] == [('a', False)]


async def test_asgi_teardown_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        async def process_teardown(self, *args: Any) -> None:
            raise RuntimeError('teardown bug')

    app = asgi_app(Broken(), on_get=lambda req, resp: setattr(resp, 'text', 'hi'))
    with caplog.at_level(logging.ERROR, logger='lanner'):
        events = await drive(app)
    assert events[-1]['body'] == b'hi'
    assert 'teardown bug' in caplog.text


async def test_schedule_runs_after_the_response() -> None:
    timeline: list[str] = []
    thread_ids: list[int] = []

    async def first() -> None:
        timeline.append('first')

    def second() -> None:
        thread_ids.append(threading.get_ident())
        timeline.append('second')

    def on_get(req: Any, resp: Any) -> None:
        resp.schedule(first)
        resp.schedule_sync(second)
        resp.text = 'ok'

    app = asgi_app(on_get=on_get)
    received = iter([{'type': 'http.request', 'body': b''}])

    async def receive() -> dict[str, Any]:
        return next(received)

    async def send(message: dict[str, Any]) -> None:
        timeline.append(message['type'])
        await asyncio.sleep(0.01)  # give any early callback a chance to run (it must not)

    await app(build_scope('GET', '/'), receive, send)
    for _ in range(100):
        if len(timeline) == 4:
            break
        await asyncio.sleep(0.01)
    assert timeline[:2] == ['http.response.start', 'http.response.body']
    assert set(timeline[2:]) == {'first', 'second'}
    assert thread_ids and thread_ids[0] != threading.get_ident()  # sync ones use the executor


async def test_failing_scheduled_callback_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    async def bad() -> None:
        raise RuntimeError('callback bug')

    def on_get(req: Any, resp: Any) -> None:
        resp.schedule(bad)

    app = asgi_app(on_get=on_get)
    with caplog.at_level(logging.ERROR, logger='lanner'):
        events = await drive(app)
        await asyncio.sleep(0.01)
    assert events[0]['status'] == 200
    assert 'callback bug' in caplog.text


def test_schedule_argument_checks() -> None:
    resp = lanner.asgi.Response()

    async def job() -> None:
        pass

    with pytest.raises(TypeError):
        resp.schedule(lambda: None)
    coro = job()
    with pytest.raises(TypeError):
        resp.schedule(coro)  # type: ignore[arg-type]


async def test_asgi_teardown_after_server_sent_events() -> None:
    log: list[Any] = []

    class Event:
        def __init__(self, text: str) -> None:
            self.text = text

        def serialize(self, handler: Any = None) -> bytes:
            return f'data: {self.text}\n\n'.encode()

    async def emitter() -> Any:
        yield Event('one')
        yield Event('two')

    app = asgi_app(Teardown('a', log), on_get=lambda req, resp: setattr(resp, 'sse', emitter()))
    events = await drive(app)
    body = b''.join(e.get('body', b'') for e in events if e['type'] == 'http.response.body')
    assert body == b'data: one\n\ndata: two\n\n'
    assert [entry[:2] for entry in log] == [('a', True)]
