"""End to end: a real uvicorn server on 127.0.0.1 and the ``websockets`` client library."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import importlib.util
import json
import time
from typing import Any

import pytest

uvicorn = pytest.importorskip('uvicorn')
websockets = pytest.importorskip('websockets')
msgpack = pytest.importorskip('msgpack')

from live_server import live_server  # noqa: E402
from websockets.asyncio.client import connect as ws_connect  # noqa: E402

import lanner  # noqa: E402
import lanner.asgi  # noqa: E402
from lanner.websocket import Broadcaster, WebSocketDisconnected  # noqa: E402

pytestmark = pytest.mark.server

MAX_MESSAGE = 64 * 1024


class Events:
    """What the server-side handlers observed (written from the server thread)."""

    def __init__(self) -> None:
        self.disconnects: list[tuple[str, int]] = []

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f'timed out; disconnects={self.disconnects}')
            await asyncio.sleep(0.01)


class EchoText:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        while True:
            await ws.send_text(await ws.receive_text())


class EchoBytes:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        while True:
            await ws.send_data(await ws.receive_data())


class Media:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        binary = req.get_param('as') == 'binary'
        payload_type = (
            lanner.WebSocketPayloadType.BINARY if binary else lanner.WebSocketPayloadType.TEXT
        )
        while True:
            obj = await ws.receive_media()
            await ws.send_media({'echo': obj}, payload_type)


class PageHelpers:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        await ws.send_json({'json': await ws.receive_json()})
        await ws.send_msgpack({'msgpack': await ws.receive_msgpack()})


class Proto:
    SUPPORTED = ('v2.chat', 'v1.chat')

    async def on_websocket(self, req: Any, ws: Any) -> None:
        chosen = next((p for p in self.SUPPORTED if p in ws.subprotocols), None)
        await ws.accept(subprotocol=chosen, headers={'X-Lanner': 'yes'})
        await ws.send_json({'offered': list(ws.subprotocols), 'chosen': chosen})


class Closer:
    async def on_websocket(self, req: Any, ws: Any, code: str) -> None:
        await ws.accept()
        await ws.close(int(code), req.get_param('reason'))


class Deny:
    async def on_websocket(self, req: Any, ws: Any) -> None:
        raise lanner.HTTPForbidden()


class Fail:
    async def on_websocket(self, req: Any, ws: Any, kind: str) -> None:
        await ws.accept()
        if kind == 'http':
            raise lanner.HTTPConflict()
        raise RuntimeError('boom (expected in this test)')


class Stream:
    def __init__(self, events: Events) -> None:
        self.events = events

    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        i = 0
        try:
            while True:
                await ws.send_text(f'{i:08d}' * 64)
                i += 1
                if i % 16 == 0:
                    await asyncio.sleep(0)
        except WebSocketDisconnected as ex:
            self.events.disconnects.append(('stream', ex.code))


class Listen:
    def __init__(self, events: Events) -> None:
        self.events = events

    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        await ws.send_text('ready')
        try:
            while True:
                await ws.receive_text()
        except WebSocketDisconnected as ex:
            self.events.disconnects.append(('listen', ex.code))


class Hub:
    def __init__(self, send_timeout: float) -> None:
        self.room = Broadcaster(send_timeout=send_timeout)

    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        with self.room.joined(ws):
            await ws.send_text(f'joined {len(self.room)}')
            try:
                while True:
                    text = await ws.receive_text()
                    if text.startswith('big '):  # a large message for the others
                        result = await self.room.broadcast_text('y' * int(text[4:]), exclude=ws)
                    else:
                        result = await self.room.broadcast_text(text)
                    await ws.send_text(f'ack {result.sent} {result.dropped}')
            except WebSocketDisconnected:
                pass


def build_app(events: Events) -> Any:
    kwargs: dict[str, Any] = {}
    if importlib.util.find_spec('lanner.routing') is None:  # core + lanner-websocket only
        from support.simple_router import SimpleRouter

        kwargs['router'] = SimpleRouter()
    app = lanner.asgi.App(**kwargs)
    app.ws_options.max_message_size = MAX_MESSAGE
    app.add_route('/echo', EchoText())
    app.add_route('/echo-bytes', EchoBytes())
    app.add_route('/media', Media())
    app.add_route('/helpers', PageHelpers())
    app.add_route('/proto', Proto())
    app.add_route('/close/{code}', Closer())
    app.add_route('/deny', Deny())
    app.add_route('/fail/{kind}', Fail())
    app.add_route('/stream', Stream(events))
    app.add_route('/listen', Listen(events))
    app.add_route('/hub', Hub(send_timeout=5.0))
    app.add_route('/hub-strict', Hub(send_timeout=0.3))
    return app


@pytest.fixture(scope='module')
def events() -> Events:
    return Events()


@pytest.fixture(scope='module')
def server(events: Events) -> Iterator[str]:
    with live_server(build_app(events)) as address:
        yield address


def connect(server: str, path: str, **kwargs: Any) -> Any:
    kwargs.setdefault('open_timeout', 5)
    kwargs.setdefault('close_timeout', 2)
    return ws_connect(f'ws://{server}{path}', proxy=None, **kwargs)


async def recv(ws: Any, timeout: float = 5.0) -> Any:
    return await asyncio.wait_for(ws.recv(), timeout)


async def test_echo_text_and_bytes(server: str) -> None:
    async with connect(server, '/echo') as ws:
        for text in ('hello', 'héllo wörld ✓', ''):
            await ws.send(text)
            assert await recv(ws) == text
    async with connect(server, '/echo-bytes') as ws:
        payload = bytes(range(256)) * 10
        await ws.send(payload)
        assert await recv(ws) == payload


async def test_json_and_msgpack_media(server: str) -> None:
    async with connect(server, '/media') as ws:
        await ws.send(json.dumps({'a': [1, 2, 3], 'b': 'ü'}))
        reply = await recv(ws)
        assert isinstance(reply, str)
        assert json.loads(reply) == {'echo': {'a': [1, 2, 3], 'b': 'ü'}}
    async with connect(server, '/media?as=binary') as ws:
        await ws.send(msgpack.packb({'blob': b'\x00\xff', 'n': 7}, use_bin_type=True))
        reply = await recv(ws)
        assert isinstance(reply, bytes)
        assert msgpack.unpackb(reply, raw=False) == {'echo': {'blob': b'\x00\xff', 'n': 7}}
    async with connect(server, '/helpers') as ws:
        await ws.send('[1, "x"]')
        assert json.loads(await recv(ws)) == {'json': [1, 'x']}
        await ws.send(msgpack.packb({'k': 1}))
        assert msgpack.unpackb(await recv(ws)) == {'msgpack': {'k': 1}}


async def test_subprotocol_negotiation_and_accept_headers(server: str) -> None:
    async with connect(server, '/proto', subprotocols=['v1.chat', 'v2.chat']) as ws:
        assert ws.subprotocol == 'v2.chat'
        assert ws.response.headers['x-lanner'] == 'yes'
        assert json.loads(await recv(ws)) == {
            'offered': ['v1.chat', 'v2.chat'],
            'chosen': 'v2.chat',
        }
    async with connect(server, '/proto') as ws:
        assert ws.subprotocol is None
        assert json.loads(await recv(ws)) == {'offered': [], 'chosen': None}


@pytest.mark.parametrize(
    ('path', 'code', 'reason'),
    [
        ('/close/1000', 1000, 'Normal Closure'),
        ('/close/4001?reason=see%20you', 4001, 'see you'),
        ('/close/3404', 3404, 'Not Found'),
        ('/fail/http', 3409, 'Conflict'),
        ('/fail/crash', 1011, 'Internal Server Error'),
    ],
)
async def test_close_codes_and_reasons(server: str, path: str, code: int, reason: str) -> None:
    async with connect(server, path) as ws:
        with pytest.raises(websockets.ConnectionClosed) as info:
            await recv(ws)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (code, reason)


@pytest.mark.parametrize('path', ['/deny', '/no/such/route', '/echo/extra'])
async def test_denied_handshakes_get_http_403(server: str, path: str) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with connect(server, path):
            pass
    assert info.value.response.status_code == 403


async def test_client_close_code_reaches_the_app(server: str, events: Events) -> None:
    async with connect(server, '/listen') as ws:
        assert await recv(ws) == 'ready'
        await ws.close(4100, 'client says bye')
    await events.wait_for(lambda: ('listen', 4100) in events.disconnects)


async def test_oversized_message_closes_1009(server: str) -> None:
    async with connect(server, '/echo') as ws:
        await ws.send('x' * MAX_MESSAGE)
        assert len(await recv(ws)) == MAX_MESSAGE
        await ws.send('x' * (MAX_MESSAGE + 1))
        with pytest.raises(websockets.ConnectionClosed) as info:
            await recv(ws)
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1009, 'Message Too Big')


async def test_wrong_message_type_closes_1011_as_falcon(server: str) -> None:
    async with connect(server, '/echo') as ws:
        await ws.send(b'binary where text is expected')
        with pytest.raises(websockets.ConnectionClosed) as info:
            await recv(ws)
    assert info.value.rcvd is not None
    assert info.value.rcvd.code == 1011


async def test_client_that_disconnects_mid_send(server: str, events: Events) -> None:
    before = len([d for d in events.disconnects if d[0] == 'stream'])
    ws = await connect(server, '/stream')
    for _ in range(20):
        await recv(ws)
    # Drop the TCP connection without a closing handshake while the app is sending.
    ws.transport.abort()
    await events.wait_for(lambda: len([d for d in events.disconnects if d[0] == 'stream']) > before)
    # The server is unaffected: a new connection works.
    async with connect(server, '/echo') as ws2:
        await ws2.send('still alive')
        assert await recv(ws2) == 'still alive'


async def test_200_concurrent_clients(server: str) -> None:
    started = time.monotonic()

    async def echo_client(i: int) -> str:
        async with connect(server, '/echo', compression=None) as ws:
            await ws.send(f'client {i}')
            return str(await recv(ws, 10))

    replies = await asyncio.wait_for(asyncio.gather(*(echo_client(i) for i in range(200))), 20)
    assert replies == [f'client {i}' for i in range(200)]

    # All 200 in one room, then one broadcast reaches everybody.
    clients = await asyncio.wait_for(
        asyncio.gather(*(connect(server, '/hub', compression=None) for _ in range(200))), 20
    )
    try:
        joined = await asyncio.gather(*(recv(ws, 10) for ws in clients))
        assert sorted(int(j.split()[1]) for j in joined)[-1] == 200
        await clients[0].send('to everyone')
        got = await asyncio.gather(*(recv(ws, 10) for ws in clients))
        assert got == ['to everyone'] * 200
        assert await recv(clients[0]) == 'ack 200 0'
    finally:
        await asyncio.gather(*(ws.close() for ws in clients), return_exceptions=True)
    assert time.monotonic() - started < 10


async def test_broadcast_drops_a_client_that_stopped_reading(server: str) -> None:
    """A member whose TCP buffers are full is dropped; the broadcast does not hang on it."""
    big = 1024 * 1024
    stalled = await connect(server, '/hub-strict', max_queue=1, max_size=None, compression=None)
    try:
        async with connect(server, '/hub-strict', compression=None) as sender:
            await recv(sender)
            await recv(stalled)  # then never reads again: its buffers fill up
            acks = []
            for _ in range(256):
                await sender.send(f'big {big}')  # broadcast to everybody but the sender
                acks.append(await recv(sender, 10))
                if acks[-1] != 'ack 1 0':
                    break
            assert acks[-1] == 'ack 0 1', acks[-3:]
            assert set(acks[:-1]) == {'ack 1 0'}
            # The sender is still a happy member.
            await sender.send('hello')
            assert await recv(sender) == 'hello'
            assert await recv(sender) == 'ack 1 0'
    finally:
        # A closing handshake would wait behind megabytes of unread data: just drop it.
        stalled.transport.abort()


@pytest.mark.filterwarnings('ignore::DeprecationWarning')
@pytest.mark.filterwarnings('ignore:The `websockets` implementation is deprecated')
async def test_uvicorn_legacy_websockets_protocol() -> None:
    """The same app on uvicorn's other WebSocket implementation (ws='websockets')."""
    events = Events()
    with live_server(build_app(events), ws='websockets') as address:
        async with connect(address, '/echo') as ws:
            await ws.send('legacy')
            assert await recv(ws) == 'legacy'
        async with connect(address, '/close/4001?reason=bye') as ws:
            with pytest.raises(websockets.ConnectionClosed) as info:
                await recv(ws)
        assert info.value.rcvd is not None
        assert (info.value.rcvd.code, info.value.rcvd.reason) == (4001, 'bye')
        ws = await connect(address, '/stream')
        for _ in range(5):
            await recv(ws)
        ws.transport.abort()
        await events.wait_for(lambda: any(d[0] == 'stream' for d in events.disconnects))
        with pytest.raises(websockets.InvalidStatus) as denied:
            async with connect(address, '/deny'):
                pass
        assert denied.value.response.status_code == 403
