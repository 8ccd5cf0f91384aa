"""End to end: resp.sse under a real uvicorn server on 127.0.0.1, read with httpx streaming."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
import contextlib
import socket
import threading
import time
from typing import Any

import pytest
from sse_helpers import parse_stream
from support.simple_router import SimpleRouter

import lanner
import lanner.asgi
from lanner.sse import EventBroker, SSEvent

httpx = pytest.importorskip('httpx')
uvicorn = pytest.importorskip('uvicorn')

pytestmark = pytest.mark.server


@contextlib.contextmanager
def serve(app: Any, **config: Any) -> Iterator[tuple[str, Any]]:
    """Run ``app`` under uvicorn in a thread on a free 127.0.0.1 port; always stop it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level='warning', lifespan='on', **config))
    thread = threading.Thread(target=server.run, kwargs={'sockets': [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError('uvicorn did not start')
            time.sleep(0.01)
        yield f'http://127.0.0.1:{port}', server
    finally:
        server.should_exit = True
        thread.join(5)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)
        sock.close()


class ServerState:
    """What the server-side code reports back to the test thread."""

    def __init__(self) -> None:
        self.closed = threading.Event()
        self.produced: list[tuple[int, float]] = []
        self.broker = EventBroker(id_prefix='b', queue_size=50)


def build_app(state: ServerState) -> lanner.asgi.App:
    app = lanner.asgi.App(router=SimpleRouter())
    app.resp_options.sse_keepalive_interval = 0.2

    class Slow:
        async def on_get(self, req: Any, resp: Any) -> None:
            async def emitter() -> AsyncIterator[SSEvent]:
                for i in range(3):
                    state.produced.append((i, time.monotonic()))
                    yield SSEvent(data=str(i), event_id=str(i))
                    await asyncio.sleep(0.25)

            resp.sse = emitter()

    class Idle:
        async def on_get(self, req: Any, resp: Any) -> None:
            async def emitter() -> AsyncIterator[SSEvent]:
                try:
                    yield SSEvent(data=b'hello', retry=1500)
                    await asyncio.Event().wait()  # nothing more to say, ever
                finally:
                    state.closed.set()

            resp.sse = emitter()

    class Notifications:
        async def on_get(self, req: Any, resp: Any) -> None:
            resp.sse = state.broker.subscribe(req.last_event_id)

        async def on_post(self, req: Any, resp: Any) -> None:
            payload = await req.get_media()
            state.broker.publish(SSEvent(json=payload, event='notification'))
            resp.media = {'subscribers': state.broker.subscriber_count}

        async def on_delete(self, req: Any, resp: Any) -> None:
            state.broker.close()

    app.add_route('/slow', Slow())
    app.add_route('/idle', Idle())
    app.add_route('/notifications', Notifications())
    return app


@pytest.fixture(scope='module')
def server() -> Iterator[tuple[str, ServerState]]:
    state = ServerState()
    with serve(build_app(state)) as (url, _):
        yield url, state


async def read_events(response: Any, count: int) -> list[dict[str, Any]]:
    buffer = b''
    async for chunk in response.aiter_raw():
        buffer += chunk
        events = [e for e in parse_stream(buffer) if 'data' in e]
        if len(events) >= count and buffer.endswith(b'\n\n'):
            return events
    raise AssertionError(f'stream ended early: {buffer!r}')


async def test_events_arrive_promptly_in_order(server: tuple[str, ServerState]) -> None:
    url, state = server
    state.produced.clear()
    arrivals: list[tuple[str, float]] = []
    async with httpx.AsyncClient(timeout=5) as client:
        async with client.stream('GET', f'{url}/slow') as response:
            assert response.status_code == 200
            assert response.headers['content-type'] == 'text/event-stream'
            assert response.headers['cache-control'] == 'no-cache'
            assert 'content-length' not in response.headers
            buffer = b''
            async for chunk in response.aiter_raw():
                buffer += chunk
                data_events = [e for e in parse_stream(buffer) if 'data' in e]
                for event in data_events[len(arrivals) :]:
                    arrivals.append((event['data'], time.monotonic()))
    assert [data for data, _ in arrivals] == ['0', '1', '2']
    produced = dict(state.produced)
    for data, arrived in arrivals:
        # Each event reaches the client long before the next one is even produced (0.25 s).
        assert arrived - produced[int(data)] < 0.2


async def test_disconnect_closes_the_generator_promptly(server: tuple[str, ServerState]) -> None:
    url, state = server
    state.closed.clear()
    async with httpx.AsyncClient(timeout=5) as client:
        async with client.stream('GET', f'{url}/idle') as response:
            events = await read_events(response, 1)
            assert events[0] == {'data': 'hello', 'retry': '1500'}
            assert not state.closed.is_set()
        left = time.monotonic()
    # The generator was idle (not yielding); its finally block still runs right away.
    assert await asyncio.to_thread(state.closed.wait, 1.0)
    assert time.monotonic() - left < 1.0


async def test_keepalive_comments_while_idle(server: tuple[str, ServerState]) -> None:
    url, _ = server
    async with httpx.AsyncClient(timeout=5) as client:
        async with client.stream('GET', f'{url}/idle') as response:
            buffer = b''
            async for chunk in response.aiter_raw():
                buffer += chunk
                if buffer.count(b': ping\n\n') >= 2:
                    break
    assert buffer.startswith(b'retry: 1500\ndata: hello\n\n: ping\n\n')


async def test_many_subscribers_all_receive_every_event(server: tuple[str, ServerState]) -> None:
    url, state = server
    subscribers = 200
    events_to_send = 5
    limits = httpx.Limits(max_connections=subscribers + 10)
    async with httpx.AsyncClient(timeout=10, limits=limits) as client:
        ready = 0
        all_ready = asyncio.Event()

        async def subscribe() -> list[dict[str, Any]]:
            nonlocal ready
            async with client.stream('GET', f'{url}/notifications') as response:
                assert response.status_code == 200
                ready += 1
                if ready == subscribers:
                    all_ready.set()
                return await read_events(response, events_to_send)

        tasks = [asyncio.ensure_future(subscribe()) for _ in range(subscribers)]
        await asyncio.wait_for(all_ready.wait(), 10)
        deadline = time.monotonic() + 5
        while state.broker.subscriber_count < subscribers:  # registered once streaming
            assert time.monotonic() < deadline, state.broker.subscriber_count
            await asyncio.sleep(0.02)
        for n in range(events_to_send):
            reply = await client.post(f'{url}/notifications', json={'n': n})
            assert reply.json() == {'subscribers': subscribers}
        results = await asyncio.wait_for(asyncio.gather(*tasks), 15)

    expected = [f'{{"n":{n}}}' for n in range(events_to_send)]
    for events in results:
        assert [e['data'].replace(' ', '') for e in events] == expected
        assert {e['event'] for e in events} == {'notification'}
    deadline = time.monotonic() + 2
    while state.broker.subscriber_count:  # every stream unregistered after its client left
        assert time.monotonic() < deadline, state.broker.subscriber_count
        await asyncio.sleep(0.02)


async def test_reconnect_resumes_from_last_event_id(server: tuple[str, ServerState]) -> None:
    url, state = server
    async with httpx.AsyncClient(timeout=5) as client:
        for n in range(3):
            await client.post(f'{url}/notifications', json={'resume': n})
        assert state.broker.last_event_id is not None
        last_seen = state.broker.last_event_id
        await client.post(f'{url}/notifications', json={'resume': 'missed'})
        headers = {'Last-Event-ID': last_seen}
        async with client.stream('GET', f'{url}/notifications', headers=headers) as response:
            events = await read_events(response, 1)
    assert events[0]['data'].replace(' ', '') == '{"resume":"missed"}'
    assert events[0]['id'] != last_seen


def test_server_shutdown_closes_open_streams() -> None:
    state = ServerState()
    app = build_app(state)
    opened = threading.Event()
    result: dict[str, Any] = {}

    def client(url: str) -> None:
        try:
            with httpx.stream('GET', f'{url}/idle', timeout=5) as response:
                for chunk in response.iter_raw():
                    if b'hello' in chunk:
                        opened.set()
        except httpx.HTTPError as exc:  # the server cut the unfinished response
            result['error'] = exc

    with serve(app, timeout_graceful_shutdown=0.5) as (url, server):
        reader = threading.Thread(target=client, args=(url,), daemon=True)
        reader.start()
        assert opened.wait(5)
        stopping = time.monotonic()
        server.should_exit = True
        assert state.closed.wait(2), 'generator not closed on shutdown'
        assert time.monotonic() - stopping < 1.5
    reader.join(5)
    assert not reader.is_alive()


def test_broker_close_ends_streams_so_shutdown_is_graceful() -> None:
    state = ServerState()
    done = threading.Event()

    def client(url: str) -> None:
        with httpx.stream('GET', f'{url}/notifications', timeout=5) as response:
            for _ in response.iter_raw():
                pass
        done.set()  # the response completed normally

    with serve(build_app(state)) as (url, _):
        reader = threading.Thread(target=client, args=(url,), daemon=True)
        reader.start()
        deadline = time.monotonic() + 5
        while state.broker.subscriber_count < 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        assert httpx.delete(f'{url}/notifications', timeout=5).status_code == 200
        assert done.wait(2)
    reader.join(5)


def test_wsgi_server_closes_the_generator_when_the_client_leaves() -> None:
    """wsgiref notices the disconnect on a failed write and close()s the body."""
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    closed = threading.Event()

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    class Feed:
        def on_get(self, req: Any, resp: Any) -> None:
            def events() -> Iterator[SSEvent | None]:
                try:
                    yield SSEvent(data=b'hello')
                    while True:
                        time.sleep(0.05)
                        yield None  # keep-alive on WSGI: also how a gone client is noticed
                finally:
                    closed.set()

            resp.sse = events()

    app = lanner.App(router=SimpleRouter())
    app.add_route('/feed', Feed())
    httpd = make_server('127.0.0.1', 0, app, handler_class=Quiet)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.05})
    thread.start()
    try:
        url = f'http://127.0.0.1:{httpd.server_port}/feed'
        with httpx.stream('GET', url, timeout=5) as response:
            assert response.headers['content-type'] == 'text/event-stream'
            for chunk in response.iter_raw():
                if b'data: hello' in chunk:
                    break
        assert closed.wait(2)
    finally:
        httpd.shutdown()
        thread.join(5)
        httpd.server_close()
