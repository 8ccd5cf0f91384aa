"""Fault suite, in process: an exception at every stage of the request pipeline.

Each case runs on WSGI and on ASGI (the shared ``asgi``/``make_app`` fixtures) and checks four
things: the status (or WebSocket close code) the client gets, a log line that names what failed,
that nothing leaked (no asyncio task outlives the call, no file descriptor stays open, the body's
``close()`` ran), and that the same App still serves a normal request afterwards.

The driver below stands in for a server: it feeds ASGI events or a WSGI environ, behaves like
uvicorn once the client is gone (sends are dropped, ``receive()`` reports ``http.disconnect``),
and lets an exception that escapes the app surface as ``Outcome.error`` (a real server would log
it and abort the connection; ``test_faults_server.py`` checks that over the wire).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
import io
import logging
import os
from pathlib import Path
import time
from typing import Any

import pytest
from support.harness import build_environ, build_scope

import lanner
from lanner.hooks import after, before
from lanner.media import BaseHandler

pytestmark = pytest.mark.filterwarnings('ignore::DeprecationWarning')

STEP_TIMEOUT = 5.0


@dataclass
class Outcome:
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b''
    complete: bool = False  # the response was ended properly (final body event / iteration end)
    error: BaseException | None = None  # what escaped to the "server"
    log: str = ''
    leftover_tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    starts: int = 0  # number of http.response.start events (must be 1)
    disconnected_at: float | None = None  # when the simulated client went away
    events: list[dict[str, Any]] = field(default_factory=list)


def _fds() -> set[str]:
    return set(os.listdir('/proc/self/fd'))


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    return '\n'.join(caplog.handler.format(record) for record in caplog.records)


def run_wsgi(
    app: Any,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b'',
    max_chunks: int | None = None,
) -> Outcome:
    """Call a WSGI app as a server would; stop reading after ``max_chunks`` (client gone)."""
    environ = build_environ(method, path, '', headers, body)
    errors = io.StringIO()
    environ['wsgi.errors'] = errors
    outcome = Outcome()
    captured: dict[str, Any] = {}

    def start_response(
        status: str, header_list: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        captured['status'] = status
        captured['headers'] = header_list
        return lambda data: None

    iterable = None
    chunks: list[bytes] = []
    try:
        iterable = app(environ, start_response)
        for number, chunk in enumerate(iterable):
            if max_chunks is not None and number >= max_chunks:
                outcome.disconnected_at = time.monotonic()
                break
            chunks.append(bytes(chunk))
        else:
            outcome.complete = True
    except Exception as ex:
        outcome.error = ex
    finally:
        outcome.body = b''.join(chunks)
        close = getattr(iterable, 'close', None)
        if close is not None:
            close()
    if 'status' in captured:
        outcome.status = int(captured['status'][:3])
        outcome.headers = {k.lower(): v for k, v in captured['headers']}
        outcome.starts = 1
    outcome.log = errors.getvalue()
    return outcome


def run_asgi(
    app: Any,
    scope: dict[str, Any],
    incoming: list[dict[str, Any]],
    *,
    disconnect_after_chunks: int | None = None,
    settle: float = 0.0,
) -> Outcome:
    """Call an ASGI app with ``incoming`` events; then ``http.disconnect`` once the response
    ended, or after ``disconnect_after_chunks`` body chunks (the client left). After the app
    returns, wait ``settle`` seconds and record the tasks still alive."""
    outcome = Outcome()

    async def main() -> None:
        queue = list(incoming)
        gone = asyncio.Event()
        chunks: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if queue:
                return queue.pop(0)
            await gone.wait()
            return {'type': 'http.disconnect'}

        async def send(message: dict[str, Any]) -> None:
            if gone.is_set():
                return  # like uvicorn: sends to a closed connection are dropped silently
            outcome.events.append(message)
            kind = message['type']
            if kind == 'http.response.start':
                outcome.starts += 1
                if outcome.starts == 1:
                    outcome.status = message['status']
                    outcome.headers = {
                        k.decode('latin-1'): v.decode('latin-1') for k, v in message['headers']
                    }
            elif kind == 'http.response.body':
                chunks.append(message.get('body', b''))
                if not message.get('more_body'):
                    outcome.complete = True
                    gone.set()
                elif (
                    disconnect_after_chunks is not None
                    and len([c for c in chunks if c]) >= disconnect_after_chunks
                ):
                    outcome.disconnected_at = time.monotonic()
                    gone.set()

        try:
            await asyncio.wait_for(app(scope, receive, send), STEP_TIMEOUT)
        except Exception as ex:
            outcome.error = ex
        outcome.body = b''.join(chunks)
        if settle:
            await asyncio.sleep(settle)
        for _ in range(3):
            await asyncio.sleep(0)
        current = asyncio.current_task()
        outcome.leftover_tasks = [t for t in asyncio.all_tasks() if t is not current]

    asyncio.run(main())
    return outcome


def http_scope(method: str, path: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return build_scope(method, path, '', headers)


def call(
    app: Any,
    asgi: bool,
    caplog: pytest.LogCaptureFixture,
    method: str = 'GET',
    path: str = '/thing',
    *,
    headers: dict[str, str] | None = None,
    body: bytes = b'',
    disconnect_after_chunks: int | None = None,
) -> Outcome:
    caplog.clear()
    if asgi:
        scope = http_scope(method, path, headers)
        if body:
            scope['headers'].append((b'content-length', str(len(body)).encode()))
        outcome = run_asgi(
            app,
            scope,
            [{'type': 'http.request', 'body': body, 'more_body': False}],
            disconnect_after_chunks=disconnect_after_chunks,
        )
    else:
        outcome = run_wsgi(
            app, method, path, headers=headers, body=body, max_chunks=disconnect_after_chunks
        )
    outcome.log += _log_text(caplog)
    return outcome


def assert_still_serving(app: Any, asgi: bool, caplog: pytest.LogCaptureFixture) -> None:
    """The App answers a normal request after the fault (the fault left no broken state)."""
    outcome = call(app, asgi, caplog, 'GET', '/ok')
    assert outcome.error is None, outcome.error
    assert outcome.status == 200 and outcome.body == b'fine', outcome
    assert not outcome.leftover_tasks


@pytest.fixture(autouse=True)
def _debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger='lanner')


class Boom(RuntimeError):
    """The one exception every fault raises; its message says where it was raised."""


def boom(where: str) -> Boom:
    return Boom(f'{where} failed on purpose')


# ---------------------------------------------------------------------------------------------
# App builders: one normal route (/ok) and one route (/thing) whose pipeline fails at `stage`.


class _Ok:
    def on_get(self, req: Any, resp: Any) -> None:
        resp.text = 'fine'


class _AsyncOk:
    async def on_get(self, req: Any, resp: Any) -> None:
        resp.text = 'fine'


def _component(asgi: bool, stage: str) -> object:
    """A middleware component that raises in ``stage`` for requests to /thing only."""

    def maybe_fail(req: Any, current: str) -> None:
        if current == stage and req.path == '/thing':
            raise boom(current)

    if asgi:

        class AsyncComponent:
            async def process_request(self, req: Any, resp: Any) -> None:
                maybe_fail(req, 'process_request')

            async def process_resource(self, req: Any, resp: Any, res: Any, params: Any) -> None:
                maybe_fail(req, 'process_resource')

            async def process_response(self, req: Any, resp: Any, res: Any, ok: bool) -> None:
                maybe_fail(req, 'process_response')

            async def process_teardown(self, req: Any, resp: Any, res: Any, ok: bool) -> None:
                maybe_fail(req, 'process_teardown')

        return AsyncComponent()

    class Component:
        def process_request(self, req: Any, resp: Any) -> None:
            maybe_fail(req, 'process_request')

        def process_resource(self, req: Any, resp: Any, res: Any, params: Any) -> None:
            maybe_fail(req, 'process_resource')

        def process_response(self, req: Any, resp: Any, res: Any, ok: bool) -> None:
            maybe_fail(req, 'process_response')

        def process_teardown(self, req: Any, resp: Any, res: Any, ok: bool) -> None:
            maybe_fail(req, 'process_teardown')

    return Component()


Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def _hooked_resource(asgi: bool, stage: str) -> object:
    if asgi:

        async def action(req: Any, resp: Any, resource: Any, *args: Any) -> None:
            raise boom(stage)

        async def noop(req: Any, resp: Any, resource: Any, *args: Any) -> None:
            return None

        before_hook: Decorator = before(action if stage == 'before_hook' else noop)
        after_hook: Decorator = after(action if stage == 'after_hook' else noop)

        class AsyncThing:
            @before_hook
            @after_hook
            async def on_get(self, req: Any, resp: Any) -> None:
                if stage == 'responder':
                    raise boom('responder')
                resp.text = 'thing'

        return AsyncThing()

    def sync_action(req: Any, resp: Any, resource: Any, *args: Any) -> None:
        raise boom(stage)

    def sync_noop(req: Any, resp: Any, resource: Any, *args: Any) -> None:
        return None

    sync_hook: Decorator = before(sync_action if stage == 'before_hook' else sync_noop)
    sync_after: Decorator = after(sync_action if stage == 'after_hook' else sync_noop)

    class Thing:
        @sync_hook
        @sync_after
        def on_get(self, req: Any, resp: Any) -> None:
            if stage == 'responder':
                raise boom('responder')
            resp.text = 'thing'

    return Thing()


def build_pipeline_app(make_app: Callable[..., Any], asgi: bool, stage: str) -> Any:
    app = make_app(middleware=[_component(asgi, stage)])
    app.add_route('/ok', _AsyncOk() if asgi else _Ok())
    app.add_route('/thing', _hooked_resource(asgi, stage))
    return app


PIPELINE_STAGES = [
    'process_request',
    'process_resource',
    'responder',
    'before_hook',
    'after_hook',
    'process_response',
]


@pytest.mark.parametrize('stage', PIPELINE_STAGES)
def test_exception_in_pipeline_stage_is_a_logged_500(
    make_app: Callable[..., Any], asgi: bool, stage: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_pipeline_app(make_app, asgi, stage)
    fds = _fds()
    outcome = call(app, asgi, caplog)
    assert outcome.error is None, f'{stage}: an exception escaped to the server: {outcome.error!r}'
    assert outcome.status == 500
    assert outcome.headers.get('content-type') == 'application/json'
    assert b'500 Internal Server Error' in outcome.body
    assert f'{stage} failed on purpose' in outcome.log, outcome.log
    assert not outcome.leftover_tasks
    assert _fds() == fds
    assert_still_serving(app, asgi, caplog)


def test_exception_in_process_teardown_is_logged_and_response_kept(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = build_pipeline_app(make_app, asgi, 'process_teardown')
    outcome = call(app, asgi, caplog)
    assert outcome.error is None
    assert outcome.status == 200 and outcome.body == b'thing'
    assert 'process_teardown failed' in outcome.log
    assert 'process_teardown failed on purpose' in outcome.log
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


# ---------------------------------------------------------------------------------------------
# Error handlers and the error serializer


def _failing_route_app(make_app: Callable[..., Any], asgi: bool, raises: BaseException) -> Any:
    app = make_app()
    app.add_route('/ok', _AsyncOk() if asgi else _Ok())

    if asgi:

        class AsyncThing:
            async def on_get(self, req: Any, resp: Any) -> None:
                raise raises

        app.add_route('/thing', AsyncThing())
    else:

        class Thing:
            def on_get(self, req: Any, resp: Any) -> None:
                raise raises

        app.add_route('/thing', Thing())
    return app


def test_exception_in_error_handler_propagates_to_the_server(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = _failing_route_app(make_app, asgi, KeyError('missing'))

    if asgi:

        async def handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:
            raise boom('error handler')

    else:

        def handler(req: Any, resp: Any, ex: Exception, params: Any) -> None:  # type: ignore[misc]
            raise boom('error handler')

    app.add_error_handler(KeyError, handler)
    outcome = call(app, asgi, caplog)
    # As in Falcon: nothing was started, the server gets the exception (and answers 500).
    assert isinstance(outcome.error, Boom)
    assert outcome.status is None
    assert 'error handler failed on purpose' not in outcome.log  # the server logs it
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


def test_exception_in_error_serializer_propagates_to_the_server(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = _failing_route_app(make_app, asgi, lanner.HTTPForbidden())

    def serializer(req: Any, resp: Any, exception: Any) -> None:
        raise boom('error serializer')

    app.set_error_serializer(serializer)
    outcome = call(app, asgi, caplog)
    assert isinstance(outcome.error, Boom)
    assert outcome.status is None
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


# ---------------------------------------------------------------------------------------------
# Media handlers


class _BoomHandler(BaseHandler):
    def serialize(self, media: object, content_type: str) -> bytes:
        raise boom('media serialize')

    def deserialize(
        self, stream: Any, content_type: str | None, content_length: int | None
    ) -> object:
        raise boom('media deserialize')

    async def serialize_async(self, media: object, content_type: str) -> bytes:
        raise boom('media serialize')

    async def deserialize_async(
        self, stream: Any, content_type: str | None, content_length: int | None
    ) -> object:
        raise boom('media deserialize')


def _media_app(make_app: Callable[..., Any], asgi: bool) -> Any:
    app = make_app()
    app.req_options.media_handlers['application/x-boom'] = _BoomHandler()
    app.resp_options.media_handlers['application/x-boom'] = _BoomHandler()
    app.add_route('/ok', _AsyncOk() if asgi else _Ok())

    if asgi:

        class AsyncThing:
            async def on_post(self, req: Any, resp: Any) -> None:
                resp.media = {'got': await req.get_media()}

            async def on_get(self, req: Any, resp: Any) -> None:
                resp.content_type = 'application/x-boom'
                resp.media = {'a': 1}

        app.add_route('/thing', AsyncThing())
    else:

        class Thing:
            def on_post(self, req: Any, resp: Any) -> None:
                resp.media = {'got': req.get_media()}

            def on_get(self, req: Any, resp: Any) -> None:
                resp.content_type = 'application/x-boom'
                resp.media = {'a': 1}

        app.add_route('/thing', Thing())
    return app


def test_exception_in_request_media_handler_is_a_logged_500(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = _media_app(make_app, asgi)
    outcome = call(
        app, asgi, caplog, 'POST', headers={'content-type': 'application/x-boom'}, body=b'{}'
    )
    assert outcome.error is None
    assert outcome.status == 500
    assert 'media deserialize failed on purpose' in outcome.log
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


def test_exception_in_response_media_handler_is_a_logged_500_with_empty_body(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    app = _media_app(make_app, asgi)
    outcome = call(app, asgi, caplog)
    assert outcome.error is None
    # Rendering happens after the middleware ran: status and headers, no body (Falcon's rule).
    assert outcome.status == 500
    assert outcome.body == b''
    assert outcome.headers.get('content-length') == '0'
    assert 'media serialize failed on purpose' in outcome.log
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


# ---------------------------------------------------------------------------------------------
# Stream generators and SSE emitters


@dataclass
class Probe:
    """Records how a generator ended (its ``finally`` block ran, and why)."""

    started: int = 0
    finished: list[str] = field(default_factory=list)
    finished_at: float | None = None

    def finish(self, reason: str) -> None:
        self.finished.append(reason)
        self.finished_at = time.monotonic()


def _stream_app(
    make_app: Callable[..., Any],
    asgi: bool,
    probe: Probe,
    *,
    fail_at: int | None,
    chunks: int = 5,
    delay: float = 0.0,
    sse: bool = False,
) -> Any:
    app = make_app()
    app.add_route('/ok', _AsyncOk() if asgi else _Ok())

    def item(number: int) -> Any:
        if sse:
            from lanner.sse import SSEvent

            return SSEvent(data=b'event %d' % number, event_id=str(number))
        return b'chunk %d\n' % number

    async def agen() -> AsyncIterator[Any]:
        probe.started += 1
        reason = 'completed'
        try:
            for number in range(chunks):
                if number == fail_at:
                    raise boom('stream generator')
                yield item(number)
                if delay:
                    await asyncio.sleep(delay)
        except GeneratorExit:
            reason = 'closed'
            raise
        except asyncio.CancelledError:
            reason = 'cancelled'
            raise
        except Exception:
            reason = 'failed'
            raise
        finally:
            probe.finish(reason)

    def gen() -> Iterator[Any]:
        probe.started += 1
        reason = 'completed'
        try:
            for number in range(chunks):
                if number == fail_at:
                    raise boom('stream generator')
                yield item(number)
                if delay:
                    time.sleep(delay)
        except GeneratorExit:
            reason = 'closed'
            raise
        except Exception:
            reason = 'failed'
            raise
        finally:
            probe.finish(reason)

    if asgi:

        class AsyncThing:
            async def on_get(self, req: Any, resp: Any) -> None:
                if sse:
                    resp.sse = agen()
                else:
                    resp.stream = agen()

        app.add_route('/thing', AsyncThing())
    else:

        class Thing:
            def on_get(self, req: Any, resp: Any) -> None:
                if sse:
                    resp.sse = gen()
                else:
                    resp.stream = gen()

        app.add_route('/thing', Thing())
    return app


def test_stream_generator_failing_midway_aborts_the_response(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe()
    app = _stream_app(make_app, asgi, probe, fail_at=2)
    outcome = call(app, asgi, caplog)
    # The status line went out before the failure; the response must not look complete, so the
    # exception reaches the server, which logs it and aborts the connection.
    assert outcome.status == 200 and outcome.starts == 1
    assert outcome.body == b'chunk 0\nchunk 1\n'
    assert not outcome.complete
    assert isinstance(outcome.error, Boom)
    assert probe.finished == ['failed']
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


def test_sse_emitter_failing_midway_aborts_the_response(
    make_app: Callable[..., Any], asgi: bool, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe()
    app = _stream_app(make_app, asgi, probe, fail_at=2, sse=True)
    outcome = call(app, asgi, caplog)
    assert outcome.status == 200
    # One start only: the failure after the response started is not answered a second time.
    assert outcome.starts == 1, outcome.events
    assert 'could not be serialized' not in outcome.log
    assert b'data: event 0' in outcome.body and b'data: event 1' in outcome.body
    assert b'event 2' not in outcome.body
    assert not outcome.complete
    assert isinstance(outcome.error, Boom)
    assert probe.finished == ['failed']
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


# ---------------------------------------------------------------------------------------------
# The client going away at every point of an HTTP exchange


def test_client_gone_before_the_request_arrived(
    make_app: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    import lanner.asgi

    app = lanner.asgi.App()
    app.add_route('/ok', _AsyncOk())
    outcome = run_asgi(app, http_scope('GET', '/ok'), [{'type': 'http.disconnect'}])
    assert outcome.error is None
    assert outcome.events == []  # nobody to answer: nothing is sent
    assert not outcome.leftover_tasks
    assert_still_serving(app, True, caplog)


def test_client_gone_while_the_body_is_read(caplog: pytest.LogCaptureFixture) -> None:
    import lanner.asgi

    seen: list[bytes] = []

    class Upload:
        async def on_post(self, req: Any, resp: Any) -> None:
            seen.append(await req.stream.read())
            resp.text = 'read'

    app = lanner.asgi.App()
    app.add_route('/ok', _AsyncOk())
    app.add_route('/thing', Upload())
    scope = http_scope('POST', '/thing')
    scope['headers'].append((b'content-length', b'100'))
    events: list[dict[str, Any]] = [
        {'type': 'http.request', 'body': b'x' * 10, 'more_body': True},
        {'type': 'http.disconnect'},
    ]
    outcome = run_asgi(app, scope, events)
    assert outcome.error is None
    assert seen == [b'x' * 10]  # the stream ends at the disconnect instead of waiting forever
    assert not outcome.leftover_tasks
    assert_still_serving(app, True, caplog)


@pytest.mark.parametrize('sse', [False, True], ids=['stream', 'sse'])
def test_abandoned_stream_is_closed_within_a_second(
    make_app: Callable[..., Any], asgi: bool, sse: bool, caplog: pytest.LogCaptureFixture
) -> None:
    probe = Probe()
    app = _stream_app(make_app, asgi, probe, fail_at=None, chunks=60, delay=0.02, sse=sse)
    outcome = call(app, asgi, caplog, disconnect_after_chunks=2)
    assert outcome.error is None
    assert outcome.status == 200 and not outcome.complete
    assert outcome.disconnected_at is not None
    assert probe.finished in (['closed'], ['cancelled']), probe.finished
    assert probe.finished_at is not None
    assert probe.finished_at - outcome.disconnected_at < 1.0
    assert not outcome.leftover_tasks
    assert_still_serving(app, asgi, caplog)


def test_abandoned_static_file_releases_its_descriptor(
    make_app: Callable[..., Any], asgi: bool, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / 'big.bin').write_bytes(os.urandom(256 * 1024))
    app = make_app()
    app.add_route('/ok', _AsyncOk() if asgi else _Ok())
    app.add_static_route('/files', tmp_path)
    fds = _fds()
    outcome = call(app, asgi, caplog, 'GET', '/files/big.bin', disconnect_after_chunks=1)
    assert outcome.error is None
    assert outcome.status == 200 and not outcome.complete
    assert not outcome.leftover_tasks
    assert _fds() == fds  # the file was closed although the client left mid-way
    complete = call(app, asgi, caplog, 'GET', '/files/big.bin')
    assert complete.status == 200 and len(complete.body) == 256 * 1024
    assert _fds() == fds
    assert_still_serving(app, asgi, caplog)


# ---------------------------------------------------------------------------------------------
# WebSocket (ASGI only): failures map to close codes, disconnects end the handler


@dataclass
class WSOutcome:
    sent: list[dict[str, Any]]
    error: BaseException | None
    leftover_tasks: list[asyncio.Task[Any]]

    @property
    def kinds(self) -> list[str]:
        return [event['type'] for event in self.sent]

    @property
    def close_code(self) -> int | None:
        for event in self.sent:
            if event['type'] == 'websocket.close':
                return int(event.get('code', 1000))
        return None


def run_ws(app: Any, path: str, client: list[dict[str, Any]]) -> WSOutcome:
    """Drive one WebSocket connection: the client's events in order, then wait for the app to
    close (and answer its close with ``websocket.disconnect``)."""
    sent: list[dict[str, Any]] = []
    errors: list[BaseException] = []
    leftovers: list[asyncio.Task[Any]] = []

    async def main() -> None:
        queue = list(client)
        closed = asyncio.Event()

        async def receive() -> dict[str, Any]:
            if queue:
                return queue.pop(0)
            await closed.wait()
            return {'type': 'websocket.disconnect', 'code': 1000}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message['type'] == 'websocket.close':
                closed.set()

        scope = build_scope('GET', path, scope_type='websocket')
        scope['subprotocols'] = []
        try:
            await asyncio.wait_for(app(scope, receive, send), STEP_TIMEOUT)
        except Exception as ex:
            errors.append(ex)
        for _ in range(3):
            await asyncio.sleep(0)
        current = asyncio.current_task()
        leftovers.extend(t for t in asyncio.all_tasks() if t is not current)

    asyncio.run(main())
    return WSOutcome(sent, errors[0] if errors else None, leftovers)


def _ws_app(fail: str, record: list[Any]) -> Any:
    import lanner.asgi

    class Component:
        async def process_request_ws(self, req: Any, ws: Any) -> None:
            if fail == 'process_request_ws':
                raise boom('process_request_ws')

        async def process_resource_ws(self, req: Any, ws: Any, res: Any, params: Any) -> None:
            if fail == 'process_resource_ws':
                raise boom('process_resource_ws')

    class Echo:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            if fail == 'before_accept':
                raise boom('on_websocket before accept')
            if fail == 'http_error':
                raise lanner.HTTPForbidden(description='refused on purpose')
            if fail == 'unsafe_value':
                raise lanner.UnsafeValueError('value refused on purpose')
            if fail in ('error_handler', 'unmapped'):
                raise KeyError('missing')
            await ws.accept()
            try:
                while True:
                    text = await ws.receive_text()
                    if fail == 'after_accept':
                        raise boom('on_websocket after accept')
                    await ws.send_text(text)
            except lanner.WebSocketDisconnected as ex:
                record.append(ex.code)
                raise

    app = lanner.asgi.App(middleware=[Component()])
    app.add_route('/ok', _AsyncOk())
    app.add_route('/ws', Echo())
    if fail == 'error_handler':

        async def handler(req: Any, resp: Any, ex: Exception, params: Any, ws: Any = None) -> None:
            raise boom('WebSocket error handler')

        app.add_error_handler(KeyError, handler)
    return app


CONNECT = {'type': 'websocket.connect'}


@pytest.mark.parametrize(
    ('fail', 'code', 'accepted', 'message'),
    [
        ('process_request_ws', 1011, False, 'process_request_ws failed on purpose'),
        ('process_resource_ws', 1011, False, 'process_resource_ws failed on purpose'),
        ('before_accept', 1011, False, 'on_websocket before accept failed on purpose'),
        ('after_accept', 1011, True, 'on_websocket after accept failed on purpose'),
        ('http_error', 3403, False, 'refused on purpose'),
        # A refused unsafe value is a 400 on HTTP, hence 3400 (logged as a warning).
        ('unsafe_value', 3400, False, 'Refused an unsafe value (GET /ws): value refused'),
    ],
)
def test_websocket_failure_closes_with_the_documented_code(
    fail: str, code: int, accepted: bool, message: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = _ws_app(fail, [])
    caplog.clear()
    outcome = run_ws(app, '/ws', [CONNECT, {'type': 'websocket.receive', 'text': 'hi'}])
    assert outcome.error is None, outcome.error
    assert ('websocket.accept' in outcome.kinds) is accepted
    assert outcome.close_code == code, outcome.sent
    assert outcome.kinds.count('websocket.close') == 1
    log = _log_text(caplog)
    assert message in log or fail == 'http_error', log
    if fail == 'http_error':
        assert '403' in log  # the HTTPError that denied the connection is logged
    assert not outcome.leftover_tasks
    assert_still_serving(app, True, caplog)


def test_websocket_error_handler_failure_closes_then_propagates(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _ws_app('error_handler', [])
    caplog.clear()
    outcome = run_ws(app, '/ws', [CONNECT, {'type': 'websocket.receive', 'text': 'hi'}])
    # As on HTTP, the handler's exception goes to the server, once the client was told.
    assert isinstance(outcome.error, Boom)
    assert outcome.close_code == 1011, outcome.sent
    assert outcome.kinds.count('websocket.close') == 1
    assert not outcome.leftover_tasks
    assert_still_serving(app, True, caplog)


def test_websocket_client_gone_mid_conversation_ends_the_handler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    record: list[Any] = []
    app = _ws_app('none', record)
    caplog.clear()
    outcome = run_ws(
        app,
        '/ws',
        [
            CONNECT,
            {'type': 'websocket.receive', 'text': 'one'},
            {'type': 'websocket.disconnect', 'code': 1001},
        ],
    )
    assert outcome.error is None
    assert outcome.kinds[0] == 'websocket.accept'
    # The read-ahead pump may see the disconnect before the echo is sent: either way the
    # handler ends with WebSocketDisconnected carrying the client's code.
    assert record == [1001]  # the handler saw the client's close code
    assert 'WebSocket client disconnected (code 1001)' in _log_text(caplog)
    assert not outcome.leftover_tasks
    assert_still_serving(app, True, caplog)


def test_websocket_client_gone_during_the_handshake(caplog: pytest.LogCaptureFixture) -> None:
    app = _ws_app('none', [])
    outcome = run_ws(app, '/ws', [{'type': 'websocket.disconnect', 'code': 1006}])
    assert outcome.error is None
    assert 'websocket.accept' not in outcome.kinds
    assert outcome.close_code == 1011  # the first event was not websocket.connect
    assert not outcome.leftover_tasks
    assert_still_serving(app, True, caplog)


# ---------------------------------------------------------------------------------------------
# Lifespan (ASGI only)


def _lifespan(app: Any, events: list[str]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def main() -> None:
        queue = [{'type': f'lifespan.{name}'} for name in events]

        async def receive() -> dict[str, Any]:
            return queue.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {'type': 'lifespan', 'asgi': {'version': '3.0', 'spec_version': '2.0'}}
        await asyncio.wait_for(app(scope, receive, send), STEP_TIMEOUT)

    asyncio.run(main())
    return sent


@pytest.mark.parametrize('phase', ['startup', 'shutdown'])
def test_exception_in_lifespan_handler_is_reported_to_the_server(
    phase: str, caplog: pytest.LogCaptureFixture
) -> None:
    import lanner.asgi

    class Lifespan:
        async def process_startup(self, scope: Any, event: Any) -> None:
            if phase == 'startup':
                raise boom('process_startup')

        async def process_shutdown(self, scope: Any, event: Any) -> None:
            if phase == 'shutdown':
                raise boom('process_shutdown')

    app = lanner.asgi.App(middleware=[Lifespan()])
    app.add_route('/ok', _AsyncOk())
    sent = _lifespan(app, ['startup'] if phase == 'startup' else ['startup', 'shutdown'])
    failed = [m for m in sent if m['type'] == f'lifespan.{phase}.failed']
    assert len(failed) == 1, sent
    # The server logs this message; it must say what failed.
    assert f'process_{phase} failed on purpose' in failed[0]['message']
    assert 'Traceback' in failed[0]['message']
    assert_still_serving(app, True, caplog)
