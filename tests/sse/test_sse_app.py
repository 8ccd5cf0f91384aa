"""resp.sse through a real lanner.asgi.App (in-memory ASGI calls, no server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import functools
import json
from typing import Any

import pytest
from sse_helpers import FakeASGIClient, parse_stream
from support.harness import Client, build_scope
from support.simple_router import SimpleRouter

import lanner
import lanner.asgi
from lanner.asgi import SSEvent
from lanner.media import Handlers, JSONHandler
from lanner.sse import EventBroker


def make_app(**routes: Any) -> lanner.asgi.App:
    app = lanner.asgi.App(router=SimpleRouter())
    for path, resource in routes.items():
        app.add_route('/' + path, resource)
    return app


def sse_resource(make_emitter: Any, prepare: Any = None) -> object:
    class Resource:
        async def on_get(self, req: Any, resp: Any) -> None:
            if prepare is not None:
                prepare(req, resp)
            resp.sse = make_emitter(req)

        async def on_head(self, req: Any, resp: Any) -> None:
            await self.on_get(req, resp)

    return Resource()


def test_shim_module_paths() -> None:
    from lanner.asgi.structures import SSEvent as FromStructures
    import lanner.sse

    assert FromStructures is lanner.sse.SSEvent
    assert lanner.asgi.SSEvent is lanner.sse.SSEvent


def test_multiple_events_exact_text_and_headers() -> None:
    async def emitter(req: Any) -> AsyncIterator[SSEvent | None]:
        yield SSEvent(data=b'mayo', event='condiment', event_id='1234')
        yield None
        yield SSEvent(text='two\nlines', retry=5000)

    result = Client(make_app(events=sse_resource(emitter))).get('/events')
    assert result.status_code == 200
    assert result.headers['content-type'] == 'text/event-stream'
    assert result.headers['cache-control'] == 'no-cache'
    assert result.headers['x-accel-buffering'] == 'no'
    assert 'content-length' not in result.headers
    assert result.chunks == [
        b'event: condiment\nid: 1234\ndata: mayo\n\n',
        b': ping\n\n',
        b'retry: 5000\ndata: two\ndata: lines\n\n',
    ]


def test_no_events() -> None:
    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        return
        yield  # pragma: no cover

    result = Client(make_app(e=sse_resource(emitter))).get('/e')
    assert result.status_code == 200
    assert result.content == b''
    assert result.headers['content-type'] == 'text/event-stream'


def test_app_header_choices_kept_and_length_dropped() -> None:
    def prepare(req: Any, resp: Any) -> None:
        resp.content_type = 'text/event-stream; charset=utf-8'
        resp.set_header('Cache-Control', 'no-store')
        resp.set_header('Content-Length', '100')

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        yield SSEvent(data=b'x')

    result = Client(make_app(e=sse_resource(emitter, prepare))).get('/e')
    assert result.headers['content-type'] == 'text/event-stream; charset=utf-8'
    assert result.headers['cache-control'] == 'no-store'
    assert 'content-length' not in result.headers
    assert result.content == b'data: x\n\n'


def test_sse_supersedes_other_bodies() -> None:
    def prepare(req: Any, resp: Any) -> None:
        resp.text = 'text'
        resp.data = b'data'
        resp.media = {'media': True}

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        yield SSEvent(data=b'event')

    result = Client(make_app(e=sse_resource(emitter, prepare))).get('/e')
    assert result.content == b'data: event\n\n'


def test_custom_json_dumps_of_the_app() -> None:
    app = make_app()
    dumps = functools.partial(json.dumps, separators=(',', '='), sort_keys=True)
    app.resp_options.media_handlers['application/json'] = JSONHandler(dumps=dumps)

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        yield SSEvent(json={'b': 1, 'a': 2})

    app.add_route('/e', sse_resource(emitter))
    assert Client(app).get('/e').content == b'data: {"a"=2,"b"=1}\n\n'


def test_no_json_handler_registered() -> None:
    app = make_app()
    app.resp_options.media_handlers = Handlers({})  # type: ignore[misc]

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        yield SSEvent(json={'a': 'é'})

    app.add_route('/e', sse_resource(emitter))
    assert Client(app).get('/e').content == 'data: {"a": "é"}\n\n'.encode()


def test_invalid_field_types_are_a_server_error() -> None:
    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        yield SSEvent(data='ok')

    def prepare(req: Any, resp: Any) -> None:
        SSEvent(data=123)  # type: ignore[arg-type]

    result = Client(make_app(e=sse_resource(emitter, prepare))).get('/e')
    assert result.status_code == 500


@pytest.mark.parametrize(
    ('emitter', 'message'), [(42, 'not int'), ([SSEvent()], 'synchronous list')]
)
def test_non_iterable_or_sync_emitter_is_a_type_error_for_the_server(
    emitter: Any, message: str
) -> None:
    # As in Falcon (and for resp.stream): refused before the response starts, and the
    # TypeError reaches the server instead of becoming a 500 from the error handlers.
    with pytest.raises(TypeError, match=message):
        Client(make_app(e=sse_resource(lambda req: emitter))).get('/e')


def test_generator_function_instead_of_generator_is_a_type_error_for_the_server() -> None:
    async def events() -> AsyncIterator[SSEvent]:
        yield SSEvent()  # pragma: no cover

    with pytest.raises(TypeError, match=r'resp.sse = .*events\(\)'):
        Client(make_app(e=sse_resource(lambda req: events))).get('/e')


def test_keepalive_interval_from_response_options() -> None:
    app = make_app()
    app.resp_options.sse_keepalive_interval = 0.05

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        await asyncio.sleep(0.18)
        yield SSEvent(data=b'late')

    app.add_route('/e', sse_resource(emitter))
    chunks = Client(app).get('/e').chunks
    assert chunks[-1] == b'data: late\n\n'
    assert len(chunks) >= 3
    assert set(chunks[:-1]) == {b': ping\n\n'}


@pytest.mark.parametrize('bad', [0, -1.0, '15', True])
def test_bad_keepalive_setting_is_refused_when_configured(bad: Any) -> None:
    # Validated when the option is set (house style: fail at configuration, not per request).
    app = make_app()
    with pytest.raises((TypeError, ValueError), match='sse_keepalive_interval'):
        app.resp_options.sse_keepalive_interval = bad
    assert app.resp_options.sse_keepalive_interval == 15.0


def test_scheduled_callbacks_run_before_the_first_event() -> None:
    ran = []

    async def callback() -> None:
        ran.append('callback')

    def prepare(req: Any, resp: Any) -> None:
        resp.schedule(callback)

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        await asyncio.sleep(0)
        yield SSEvent(data=','.join(ran) or 'nothing')

    result = Client(make_app(e=sse_resource(emitter, prepare))).get('/e')
    assert result.content == b'data: callback\n\n'


def test_last_event_id_resume_through_the_app() -> None:
    broker = EventBroker(id_prefix='n')
    for i in range(4):
        broker.publish(SSEvent(json={'i': i}))

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        # End the stream after the replay so the in-memory request completes.
        stream = broker.subscribe(req.last_event_id)
        async for event in stream:
            yield event
            if event.event_id == broker.last_event_id:
                await stream.aclose()
                return

    app = make_app(n=sse_resource(emitter))
    result = Client(app).get('/n', headers={'Last-Event-ID': 'n2'})
    events = parse_stream(result.content)
    assert [(e['id'], json.loads(e['data'])) for e in events] == [
        ('n3', {'i': 2}),
        ('n4', {'i': 3}),
    ]
    assert broker.subscriber_count == 0


def test_page_idiom_through_resp_stream() -> None:
    class EventStreamResource:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = 'text/event-stream'
            resp.set_header('Cache-Control', 'no-cache')

            async def event_stream() -> AsyncIterator[bytes]:
                for counter in range(2):
                    event = SSEvent(
                        data=f'{{"count": {counter}}}', event_type='counter', event_id=str(counter)
                    )
                    yield event.serialize().encode('utf-8')

            resp.stream = event_stream()

    result = Client(make_app(events=EventStreamResource())).get('/events')
    assert result.headers['content-type'] == 'text/event-stream'
    assert result.content == (
        b'event: counter\nid: 0\ndata: {"count": 0}\n\n'
        b'event: counter\nid: 1\ndata: {"count": 1}\n\n'
    )


def test_head_does_not_iterate_the_emitter() -> None:
    started = []

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        started.append(True)
        yield SSEvent(data=b'x')

    result = Client(make_app(e=sse_resource(emitter))).head('/e')
    assert result.status_code == 200
    assert result.content == b''
    assert started == []


def test_head_gets_the_sse_headers() -> None:
    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        yield SSEvent(data=b'x')  # pragma: no cover

    result = Client(make_app(e=sse_resource(emitter))).head('/e')
    assert result.headers['content-type'] == 'text/event-stream'


async def test_early_disconnect_closes_the_emitter() -> None:
    cleaned = asyncio.Event()
    never = asyncio.Event()

    async def emitter(req: Any) -> AsyncIterator[SSEvent]:
        try:
            yield SSEvent(data=b'hello')
            await never.wait()
        finally:
            cleaned.set()

    app = make_app(e=sse_resource(emitter))
    client = FakeASGIClient()
    first = [{'type': 'http.request', 'body': b'', 'more_body': False}]

    async def receive() -> dict[str, Any]:
        return first.pop() if first else await client.receive()

    call = asyncio.ensure_future(app(build_scope('GET', '/e'), receive, client.send))
    await client.wait_for_chunks(1)
    client.disconnect()
    await asyncio.wait_for(call, 1)
    assert cleaned.is_set()
    assert client.chunks == [b'data: hello\n\n']
    assert not client.completed


class DocsNotificationStreamWithBroker:
    """docs/sse.md: the NotificationStream pattern with EventBroker."""

    def __init__(self) -> None:
        self.broker = EventBroker()

    async def on_get(self, req: Any, resp: Any) -> None:
        resp.sse = self.broker.subscribe(req.last_event_id)

    async def broadcast_notification(self, data: Any) -> None:
        self.broker.publish(SSEvent(json=data, event_type='notification'))

    def subscriber_count(self) -> int:
        return self.broker.subscriber_count


class DocsNotificationStreamWithQueues:
    """docs/sse.md: the NotificationStream pattern with hand-made bounded queues."""

    def __init__(self) -> None:
        self.subscribers: set[asyncio.Queue[Any]] = set()

    async def on_get(self, req: Any, resp: Any) -> None:
        async def stream() -> AsyncIterator[SSEvent]:
            queue: asyncio.Queue[Any] = asyncio.Queue(maxsize=100)
            self.subscribers.add(queue)
            try:
                while True:
                    event_data = await queue.get()
                    yield SSEvent(json=event_data, event_type='notification')
            finally:
                self.subscribers.discard(queue)

        resp.sse = stream()

    async def broadcast_notification(self, data: Any) -> None:
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(data)
            except asyncio.QueueFull:
                pass

    def subscriber_count(self) -> int:
        return len(self.subscribers)


class PageNotificationStream(DocsNotificationStreamWithQueues):
    """The commissioning page's version, verbatim apart from names (see docs/sse.md)."""

    async def on_get(self, req: Any, resp: Any) -> None:
        resp.content_type = 'text/event-stream'
        resp.set_header('Cache-Control', 'no-cache')
        queue: asyncio.Queue[Any] = asyncio.Queue()
        self.subscribers.add(queue)
        try:

            async def stream() -> AsyncIterator[bytes]:
                while True:
                    event_data = await queue.get()
                    event = SSEvent(data=json.dumps(event_data), event_type='notification')
                    yield event.serialize().encode('utf-8')

            resp.stream = stream()
        finally:
            self.subscribers.discard(queue)


async def open_stream(app: Any, path: str) -> tuple[FakeASGIClient, asyncio.Future[Any]]:
    client = FakeASGIClient()
    first = [{'type': 'http.request', 'body': b'', 'more_body': False}]

    async def receive() -> dict[str, Any]:
        return first.pop() if first else await client.receive()

    call = asyncio.ensure_future(app(build_scope('GET', path), receive, client.send))
    for _ in range(10):
        await asyncio.sleep(0)
    return client, call


@pytest.mark.parametrize(
    'resource_type', [DocsNotificationStreamWithBroker, DocsNotificationStreamWithQueues]
)
async def test_docs_notification_stream_patterns(resource_type: Any) -> None:
    resource = resource_type()
    app = make_app(notifications=resource)
    clients = [await open_stream(app, '/notifications') for _ in range(2)]
    assert resource.subscriber_count() == 2
    await resource.broadcast_notification({'n': 1})
    await resource.broadcast_notification({'n': 2})
    for client, _ in clients:
        await client.wait_for_chunks(2)
        events = parse_stream(client.body)
        assert [json.loads(e['data']) for e in events] == [{'n': 1}, {'n': 2}]
        assert {e['event'] for e in events} == {'notification'}
    for client, call in clients:
        client.disconnect()
        await asyncio.wait_for(call, 1)
    assert resource.subscriber_count() == 0


async def test_page_notification_stream_unsubscribes_before_streaming() -> None:
    """Why docs/sse.md says not to copy the page's version: it never delivers anything."""
    resource = PageNotificationStream()
    app = make_app(notifications=resource)
    client, call = await open_stream(app, '/notifications')
    assert client.messages[0]['type'] == 'http.response.start'
    assert resource.subscriber_count() == 0
    await resource.broadcast_notification({'n': 1})
    await asyncio.sleep(0.05)
    assert client.chunks == []
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call


# --------------------------------------------------------------------------- WSGI (lanner addition)


def make_wsgi_app(**routes: Any) -> lanner.App:
    app = lanner.App(router=SimpleRouter())
    for path, resource in routes.items():
        app.add_route('/' + path, resource)
    return app


def wsgi_sse_resource(make_emitter: Any, prepare: Any = None) -> object:
    class Resource:
        def on_get(self, req: Any, resp: Any) -> None:
            if prepare is not None:
                prepare(req, resp)
            resp.sse = make_emitter(req)

        def on_head(self, req: Any, resp: Any) -> None:
            self.on_get(req, resp)

    return Resource()


class TestWSGIApp:
    def test_sync_generator_stream(self) -> None:
        def emitter(req: Any) -> Iterator[SSEvent | None]:
            yield SSEvent(data='one', event_type='greeting', event_id='1')
            yield None
            yield SSEvent(text='multi\r\nline')

        result = Client(make_wsgi_app(e=wsgi_sse_resource(emitter))).get('/e')
        assert result.status_code == 200
        assert result.headers['content-type'] == 'text/event-stream'
        assert result.headers['cache-control'] == 'no-cache'
        assert result.headers['x-accel-buffering'] == 'no'
        assert 'content-length' not in result.headers
        assert result.chunks == [
            b'event: greeting\nid: 1\ndata: one\n\n',
            b': ping\n\n',
            b'data: multi\ndata: line\n\n',
        ]

    def test_last_event_id_and_app_json_handler(self) -> None:
        app = make_wsgi_app()
        dumps = functools.partial(json.dumps, separators=(',', ':'))
        app.resp_options.media_handlers['application/json'] = JSONHandler(dumps=dumps)

        def emitter(req: Any) -> Iterator[SSEvent]:
            yield SSEvent(json={'resume_after': req.last_event_id, 'ok': True})

        app.add_route('/e', wsgi_sse_resource(emitter))
        result = Client(app).get('/e', headers={'Last-Event-ID': '41'})
        assert result.content == b'data: {"resume_after":"41","ok":true}\n\n'

    def test_head_closes_the_generator_without_running_it(self) -> None:
        started = []

        def emitter(req: Any) -> Iterator[SSEvent]:
            started.append(True)
            yield SSEvent(data=b'x')

        result = Client(make_wsgi_app(e=wsgi_sse_resource(emitter))).head('/e')
        assert result.status_code == 200
        assert result.content == b''
        assert started == []

    def test_generator_function_instead_of_generator_is_a_server_error(self) -> None:
        def events() -> Iterator[SSEvent]:
            yield SSEvent()  # pragma: no cover

        result = Client(make_wsgi_app(e=wsgi_sse_resource(lambda req: events))).get('/e')
        assert result.status_code == 500

    def test_async_generator_on_wsgi_is_a_server_error(self) -> None:
        async def events() -> AsyncIterator[SSEvent]:
            yield SSEvent()  # pragma: no cover

        result = Client(make_wsgi_app(e=wsgi_sse_resource(lambda req: events()))).get('/e')
        assert result.status_code == 500
