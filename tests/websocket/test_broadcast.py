"""Broadcaster: concurrent fan-out that drops dead and too-slow clients."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
import time
from typing import Any

import msgpack
import pytest
from ws_driver import WSDriver

from lanner.errors import OperationNotAllowed, WebSocketDisconnected
from lanner.websocket import Broadcaster, BroadcastResult


class Room:
    """Every text a member sends is broadcast to the others."""

    def __init__(self, hub: Broadcaster) -> None:
        self.hub = hub
        self.results: list[BroadcastResult] = []
        self.joined = asyncio.Event()

    async def on_websocket(self, req: Any, ws: Any) -> None:
        await ws.accept()
        with self.hub.joined(ws):
            self.joined.set()
            try:
                while True:
                    text = await ws.receive_text()
                    if text == 'json':
                        result = await self.hub.broadcast_json({'k': [1, 2]})
                    elif text == 'msgpack':
                        result = await self.hub.broadcast_msgpack({'k': b'\x00'})
                    elif text == 'data':
                        result = await self.hub.broadcast_data(bytearray(b'raw'))
                    else:
                        result = await self.hub.broadcast_text(text, exclude=ws)
                    self.results.append(result)
                    await ws.send_text(f'ack {result.sent} {result.dropped}')
            except WebSocketDisconnected:
                pass


async def connect(stack: AsyncExitStack, app: Any, room: Room, n: int) -> list[WSDriver]:
    clients = []
    for _ in range(n):
        room.joined.clear()
        client = await stack.enter_async_context(WSDriver(app, '/room'))
        await asyncio.wait_for(room.joined.wait(), 2)
        clients.append(client)
    return clients


@pytest.fixture
def room_app(ws_app: Any) -> tuple[Any, Room]:
    room = Room(Broadcaster(send_timeout=0.2))
    ws_app.add_route('/room', room)
    return ws_app, room


async def test_broadcast_reaches_everyone_but_the_sender(room_app: tuple[Any, Room]) -> None:
    app, room = room_app
    async with AsyncExitStack() as stack:
        a, b, c = await connect(stack, app, room, 3)
        assert len(room.hub) == 3
        await a.send_text('hello')
        assert await b.receive_text() == 'hello'
        assert await c.receive_text() == 'hello'
        assert await a.receive_text() == 'ack 2 0'
    # Everybody left: membership ends with the handler.
    assert len(room.hub) == 0


async def test_json_msgpack_and_data_broadcasts(room_app: tuple[Any, Room]) -> None:
    app, room = room_app
    async with AsyncExitStack() as stack:
        a, b = await connect(stack, app, room, 2)
        await a.send_text('json')
        for client in (a, b):
            assert await client.receive_json() == {'k': [1, 2]}
        assert await a.receive_text() == 'ack 2 0'
        await a.send_text('msgpack')
        for client in (a, b):
            assert msgpack.unpackb(await client.receive_bytes(), raw=False) == {'k': b'\x00'}
        assert await a.receive_text() == 'ack 2 0'
        await b.send_text('data')
        for client in (a, b):
            assert await client.receive_bytes() == b'raw'
        assert await b.receive_text() == 'ack 2 0'


async def test_slow_client_is_dropped_without_holding_up_the_others(
    room_app: tuple[Any, Room],
) -> None:
    app, room = room_app
    async with AsyncExitStack() as stack:
        a, slow, c = await connect(stack, app, room, 3)
        slow.send_gate.clear()  # this client's network is stuck
        started = time.monotonic()
        await a.send_text('tick')
        # The fast client gets the message while the slow one is still being waited for.
        assert await c.receive_text() == 'tick'
        assert slow.close_event is None
        assert await a.receive_text() == 'ack 1 1'
        elapsed = time.monotonic() - started
        assert 0.15 <= elapsed < 1.5
        # The slow client was removed and closed with 1008 (Policy Violation).
        close = await slow.wait_closed()
        assert (close['code'], close['reason']) == (1008, 'Policy Violation')
        assert len(room.hub) == 2
        await a.send_text('again')
        assert await c.receive_text() == 'again'
        assert await a.receive_text() == 'ack 1 0'


async def test_dead_clients_are_dropped(room_app: tuple[Any, Room]) -> None:
    app, room = room_app
    async with AsyncExitStack() as stack:
        a, gone, c = await connect(stack, app, room, 3)
        gone.client_gone = True  # sends to it now fail like on a reset connection
        await a.send_text('x')
        assert await c.receive_text() == 'x'
        assert await a.receive_text() == 'ack 1 1'
        assert len(room.hub) == 2


async def test_broadcaster_membership_rules(ws_app: Any) -> None:
    hub = Broadcaster()
    checks: list[Any] = []

    class Res:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            with pytest.raises(OperationNotAllowed, match='accept'):
                hub.add(ws)
            await ws.accept()
            hub.add(ws)
            hub.add(ws)  # idempotent
            checks.append((len(hub), ws in hub, list(hub) == [ws]))
            hub.discard(ws)
            hub.discard(ws)
            checks.append((len(hub), ws in hub))
            await ws.close()
            hub.add(ws)  # closed connections are not added
            checks.append(len(hub))

    ws_app.add_route('/', Res())
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert checks == [(1, True, True), (0, False), 0]
    assert 'members=0' in repr(hub)


async def test_closed_members_are_dropped_before_sending(ws_app: Any) -> None:
    hub = Broadcaster()
    results: list[BroadcastResult] = []

    class Res:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            hub.add(ws)
            await ws.close(4000)
            results.append(await hub.broadcast_text('nobody'))

    ws_app.add_route('/', Res())
    async with WSDriver(ws_app, '/') as client:
        await client.wait_closed()
    assert results == [BroadcastResult(sent=0, dropped=1)]
    assert len(hub) == 0
    assert [e['type'] for e in client.sent] == ['websocket.accept', 'websocket.close']


async def test_close_all(ws_app: Any) -> None:
    hub = Broadcaster()

    class Res:
        async def on_websocket(self, req: Any, ws: Any) -> None:
            await ws.accept()
            hub.add(ws)
            try:
                await ws.receive_text()
            except WebSocketDisconnected:
                pass

    ws_app.add_route('/', Res())
    async with WSDriver(ws_app, '/') as one, WSDriver(ws_app, '/') as two:
        for _ in range(200):
            if len(hub) == 2:
                break
            await asyncio.sleep(0.005)
        assert len(hub) == 2
        await hub.close_all(1001)
        assert (await one.wait_closed())['code'] == 1001
        assert (await two.wait_closed())['reason'] == 'Going Away'
    assert len(hub) == 0


async def test_argument_validation() -> None:
    with pytest.raises(ValueError):
        Broadcaster(send_timeout=0)
    with pytest.raises(ValueError):
        Broadcaster(close_timeout=-1)
    with pytest.raises(ValueError, match='close code'):
        Broadcaster(slow_close_code=1005)
    hub = Broadcaster()
    with pytest.raises(TypeError):
        await hub.broadcast_text(b'bytes')  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        await hub.broadcast_data('text')  # type: ignore[arg-type]
    assert await hub.broadcast_text('to nobody') == BroadcastResult(0, 0)
