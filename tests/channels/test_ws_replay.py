"""Broadcaster replay (``add(ws, last_id=...)``, ``event_id_field``) on in-memory Channels.

A reconnecting WebSocket client passes the id of the last event it saw and must get exactly the
events after it, in order, then live ones: nothing lost, nothing twice, also while broadcasts
keep arriving during its replay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
import json
import random

import pytest

from lanner.channels import Channels
from lanner.errors import OperationNotAllowed, WebSocketDisconnected

websocket = pytest.importorskip('lanner.websocket', reason='lanner-websocket is not installed')


class FakeSocket:
    """What Broadcaster needs from an accepted WebSocket; each send yields to the loop."""

    def __init__(self, name: str, delay: float = 0.0) -> None:
        self.path = f'/{name}'
        self.unaccepted = False
        self.closed = False
        self.close_code: int | None = None
        self.delay = delay
        self.received: list[str] = []

    async def send_text(self, text: str) -> None:
        if self.closed:
            raise WebSocketDisconnected(1000)
        await asyncio.sleep(self.delay)
        self.received.append(text)

    async def send_data(self, data: bytes) -> None:
        raise AssertionError('no binary messages in these tests')

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        self.closed = True
        self.close_code = code

    def messages(self) -> list[dict[str, object]]:
        return [json.loads(text) for text in self.received]

    def numbers(self) -> list[object]:
        return [m['n'] for m in self.messages()]


async def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, 'condition not reached in time'
        await asyncio.sleep(0.005)


def room(channels: Channels, **kwargs: object) -> websocket.Broadcaster:
    return websocket.Broadcaster(channels=channels, channel='room', event_id_field='id', **kwargs)


async def test_every_message_carries_its_event_id() -> None:
    async with Channels() as channels:
        b = room(channels)
        alice = FakeSocket('alice')
        b.add(alice)
        await eventually(lambda: channels.stats.subscribers == 1)
        await b.broadcast_json({'n': 0})
        await b.broadcast_json({})
        await b.broadcast_json([1, 2])  # not an object: sent unchanged
        await b.broadcast_text('plain')
        await eventually(lambda: len(alice.received) == 4)
        history = await channels.history('room')
        ids = [event_id for event_id, _ in history]
        assert json.loads(alice.received[0]) == {'id': ids[0], 'n': 0}
        assert alice.received[0].startswith('{"id":')  # the id comes first
        assert json.loads(alice.received[1]) == {'id': ids[1]}
        assert alice.received[2:] == ['[1,2]', 'plain']


async def test_reconnect_with_last_id_gets_exactly_the_missed_events_then_live_ones() -> None:
    async with Channels() as channels:
        b = room(channels)
        first = FakeSocket('first')
        b.add(first)
        await eventually(lambda: channels.stats.subscribers == 1)
        for n in range(10):
            await b.broadcast_json({'n': n})
        await eventually(lambda: len(first.received) == 10)
        seen = first.messages()[3]['id']
        assert isinstance(seen, str)
        # The client reconnects with the id of n=3 while broadcasts keep coming.
        again = FakeSocket('again', delay=0.001)
        b.add(again, last_id=seen)
        assert again in b and len(b) == 2
        for n in range(10, 30):
            await b.broadcast_json({'n': n})
            await asyncio.sleep(0)
        await eventually(lambda: len(again.received) == 26)
        await asyncio.sleep(0.05)
        assert again.numbers() == list(range(4, 30))
        ids = [m['id'] for m in again.messages()]
        assert ids == [event_id for event_id, _ in await channels.history('room', seen)]
        assert first.numbers() == list(range(30))
        assert not again.closed


async def test_many_joiners_during_a_stream_of_broadcasts_lose_and_repeat_nothing() -> None:
    rng = random.Random(20)
    async with Channels() as channels:
        b = room(channels)
        anchor = FakeSocket('anchor')
        b.add(anchor)
        await eventually(lambda: channels.stats.subscribers == 1)
        joiners: list[tuple[FakeSocket, int]] = []
        for n in range(200):
            await b.broadcast_json({'n': n})
            if n % 10 == 5:
                await eventually(lambda: len(anchor.received) == n + 1)  # noqa: B023
                start = rng.randrange(n + 1)
                last_id = anchor.messages()[start]['id']
                assert isinstance(last_id, str)
                ws = FakeSocket(f'j{n}', delay=rng.choice((0.0, 0.0005, 0.002)))
                b.add(ws, last_id=last_id)
                joiners.append((ws, start + 1))
            if rng.random() < 0.3:
                await asyncio.sleep(0)
        for ws, start in joiners:
            await eventually(lambda ws=ws, start=start: len(ws.received) == 200 - start)  # type: ignore[misc]
        await asyncio.sleep(0.05)
        for ws, start in joiners:
            assert ws.numbers() == list(range(start, 200)), ws.path
            assert not ws.closed
        assert len(b) == len(joiners) + 1


async def test_a_replay_that_cannot_complete_closes_with_the_gap_code() -> None:
    async with Channels(replay_limit=3) as channels:
        b = room(channels)
        anchor = FakeSocket('anchor')
        b.add(anchor)
        await eventually(lambda: channels.stats.subscribers == 1)
        for n in range(10):
            await b.broadcast_json({'n': n})
        await eventually(lambda: len(anchor.received) == 10)
        late = FakeSocket('late')
        b.add(late, last_id=anchor.messages()[0]['id'])  # type: ignore[arg-type]
        await eventually(lambda: late.closed)
        assert late.close_code == 1012
        # It got a contiguous prefix, so its next reconnect resumes from the last one.
        assert late.numbers() == [1, 2, 3]
        assert late not in b and len(b) == 1
        # Reconnecting with the last id it got, again and again, it ends with every event once.
        got = late.numbers()
        last_id = late.messages()[-1]['id']
        for attempt in range(5):
            again = FakeSocket(f'again{attempt}')
            assert isinstance(last_id, str)
            b.add(again, last_id=last_id)
            await eventually(lambda: again.closed or len(again.received) == 3)  # noqa: B023
            await asyncio.sleep(0.01)
            got += again.numbers()
            last_id = again.messages()[-1]['id']
            if not again.closed:
                break
        assert not again.closed
        assert got == list(range(1, 10))
        await b.broadcast_json({'n': 10})
        await eventually(lambda: again.numbers()[-1:] == [10])


async def test_leaving_during_the_replay_releases_the_subscriptions() -> None:
    async with Channels() as channels:
        b = room(channels)
        await channels.publish('room', b'j- -\n{"n":0}')
        event_id = (await channels.history('room'))[0][0]
        ws = FakeSocket('ws')
        with b.joined(ws, last_id='0-0'):
            await eventually(lambda: len(ws.received) == 1)
            assert ws.messages() == [{'id': event_id, 'n': 0}]
            assert channels.stats.subscribers == 2  # the pump and this member's replay
        assert ws not in b and len(b) == 0
        await eventually(lambda: channels.stats.subscribers == 0)


async def test_close_all_reaches_joining_members() -> None:
    async with Channels() as channels:
        b = room(channels)
        ws = FakeSocket('ws')
        b.add(ws, last_id='0-0')
        await b.close_all(1001)
        assert ws.closed and ws.close_code == 1001 and len(b) == 0
        await eventually(lambda: channels.stats.subscribers == 0)


async def test_a_member_gone_during_its_replay_is_dropped() -> None:
    async with Channels() as channels:
        b = room(channels)
        for n in range(3):
            await channels.publish('room', f'j- -\n{{"n":{n}}}')
        ws = FakeSocket('ws')
        ws.closed = True
        ws.unaccepted = False
        b.add(ws, last_id='0-0')  # closed: ignored
        assert len(b) == 0
        ws = FakeSocket('ws', delay=0.02)
        b.add(ws, last_id='0-0')
        await eventually(lambda: len(ws.received) == 1)
        ws.closed = True  # the client went away mid-replay
        await eventually(lambda: len(b) == 0)
        await eventually(lambda: channels.stats.subscribers == 0)


async def test_replay_rules() -> None:
    plain = websocket.Broadcaster()
    with pytest.raises(OperationNotAllowed, match='channels='):
        plain.add(FakeSocket('a'), last_id='1-0')  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='needs channels'):
        websocket.Broadcaster(event_id_field='id')
    async with Channels() as channels:
        with pytest.raises(ValueError, match='non-empty str'):
            websocket.Broadcaster(channels=channels, event_id_field='')
        b = room(channels)
        with pytest.raises(TypeError, match='last_id must be a str'):
            b.add(FakeSocket('a'), last_id=5)  # type: ignore[arg-type]
        assert len(b) == 0


def test_is_event_id() -> None:
    assert Channels.is_event_id('1765432101234-0')
    for bad in ('', '12', '1-2-3', 'abc-1', ' 1-0', '1-0\n', '1' * 21 + '-0', None, 5):
        assert not Channels.is_event_id(bad), bad
