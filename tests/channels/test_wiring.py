"""Broadcaster (lanner-websocket) and EventBroker (lanner-sse) on Channels, across "processes".

Each process is a Channels object with its own RedisBackend connection, so a message must travel
through the real redis-server to reach another one's members.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis_helpers import RedisServer

from lanner.channels import Channels

websocket = pytest.importorskip('lanner.websocket', reason='lanner-websocket is not installed')
sse = pytest.importorskip('lanner.sse', reason='lanner-sse is not installed')


class FakeSocket:
    """What Broadcaster needs from an accepted WebSocket."""

    def __init__(self, name: str) -> None:
        self.path = f'/{name}'
        self.unaccepted = False
        self.closed = False
        self.close_code: int | None = None
        self.received: list[str | bytes] = []
        self.got = asyncio.Event()

    async def send_text(self, text: str) -> None:
        self.received.append(text)
        self.got.set()

    async def send_data(self, data: bytes) -> None:
        self.received.append(data)
        self.got.set()

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = True
        self.close_code = code


@pytest.fixture
async def processes(redis_server: RedisServer) -> AsyncIterator[Callable[[int], Any]]:
    made: list[Channels] = []

    async def factory(n: int) -> list[Channels]:
        from lanner.channels import RedisBackend

        for _ in range(n):
            channels = Channels(RedisBackend(redis_server.url, prefix='wire:'))
            await channels.start()
            made.append(channels)
        return made[-n:]

    yield factory
    for channels in made:
        await channels.close()


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, 'condition not reached in time'
        await asyncio.sleep(0.01)


async def test_broadcast_reaches_members_of_every_process(processes: Any) -> None:
    p1, p2 = await processes(2)
    room1 = websocket.Broadcaster(channels=p1, channel='room')
    room2 = websocket.Broadcaster(channels=p2, channel='room')
    alice, bob, carol = FakeSocket('alice'), FakeSocket('bob'), FakeSocket('carol')
    room1.add(alice)
    room1.add(bob)
    room2.add(carol)
    await eventually(lambda: p1.stats.subscribers == 1 and p2.stats.subscribers == 1)
    await asyncio.sleep(0.1)

    await room1.broadcast_text('hello', exclude=alice)
    await room2.broadcast_json({'n': 1})
    await room2.broadcast_data(b'\x00raw')
    await eventually(lambda: len(carol.received) == 3 and len(bob.received) == 3)
    assert carol.received == ['hello', '{"n":1}', b'\x00raw']
    assert bob.received == ['hello', '{"n":1}', b'\x00raw']
    assert alice.received == ['{"n":1}', b'\x00raw']  # excluded from her own text only
    # One channel subscription per process, however many members it has.
    assert p1.stats.subscribers == 1


async def test_last_member_leaving_releases_the_subscription(processes: Any) -> None:
    (p1,) = await processes(1)
    room = websocket.Broadcaster(channels=p1, channel='lonely')
    ws = FakeSocket('a')
    with room.joined(ws):
        await eventually(lambda: p1.stats.subscribers == 1)
    await eventually(lambda: p1.stats.subscribers == 0)
    assert 'lonely' not in p1._subs


async def test_gap_closes_members_with_the_documented_code(processes: Any) -> None:
    (p1,) = await processes(1)
    room = websocket.Broadcaster(channels=p1, channel='gappy')
    members = [FakeSocket(str(i)) for i in range(3)]
    for ws in members:
        room.add(ws)
    await eventually(lambda: p1.stats.subscribers == 1)
    await asyncio.sleep(0.1)
    p1.gap()  # what the backend reports when its connection drops
    await eventually(lambda: all(ws.closed for ws in members))
    assert {ws.close_code for ws in members} == {1012}
    assert len(room) == 0


async def test_event_broker_streams_and_resumes_on_any_process(processes: Any) -> None:
    p1, p2 = await processes(2)
    broker1 = sse.EventBroker(channels=p1, channel='news')
    broker2 = sse.EventBroker(channels=p2, channel='news')
    stream = broker2.subscribe()
    first = asyncio.ensure_future(anext(stream))
    await eventually(lambda: p2.stats.subscribers == 1)
    await asyncio.sleep(0.1)
    published = [await broker1.apublish(sse.SSEvent(json={'n': i}, event='n')) for i in range(4)]
    event = await asyncio.wait_for(first, 5)
    assert event.serialize() == (
        f'id: {published[0].event_id}\nevent: n\ndata: {{"n": 0}}\n\n'.encode()
    )
    assert published[0].serialize() == event.serialize()
    await stream.aclose()
    await eventually(lambda: p2.stats.subscribers == 0)

    # A client that saw event 1 reconnects to the other process: events 2 and 3 are replayed.
    resumed = broker1.subscribe(published[1].event_id)
    got = [await asyncio.wait_for(anext(resumed), 5) for _ in range(2)]
    assert [e.event_id for e in got] == [published[2].event_id, published[3].event_id]
    await resumed.aclose()


async def test_event_broker_stream_ends_on_gap(processes: Any) -> None:
    (p1,) = await processes(1)
    broker = sse.EventBroker(channels=p1, channel='g')
    stream = broker.subscribe()
    pending = asyncio.ensure_future(anext(stream))
    await eventually(lambda: p1.stats.subscribers == 1)
    p1.gap()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 5)
    assert broker.subscriber_count == 0


async def test_event_broker_rules_with_channels() -> None:
    broker = sse.EventBroker(channels=Channels(), channel='r')
    with pytest.raises(RuntimeError, match='apublish'):
        broker.publish(sse.SSEvent(data='x'))
    with pytest.raises(ValueError, match='leave event_id unset'):
        await broker.apublish(sse.SSEvent(data='x', event_id='mine'))
    with pytest.raises(TypeError, match='pub/sub object'):
        sse.EventBroker(channels=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError, match='pub/sub object'):
        websocket.Broadcaster(channels=object())  # type: ignore[arg-type]


async def test_event_broker_close_ends_channel_streams() -> None:
    broker = sse.EventBroker(channels=Channels(), channel='c')
    stream = broker.subscribe()
    pending = asyncio.ensure_future(anext(stream))
    await eventually(lambda: broker.subscriber_count == 1)
    broker.close()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 5)
