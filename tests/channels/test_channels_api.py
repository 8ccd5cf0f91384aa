"""The Channels API, run once on MemoryBackend and once on RedisBackend (a real redis-server)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import itertools
from typing import Any

import pytest
from redis_helpers import RedisServer

from lanner.channels import Channels, MemoryBackend, Subscription
from lanner.channels._ids import parse_id

_prefixes = itertools.count()


@pytest.fixture(params=['memory', 'redis'])
async def make_channels(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Build started Channels on the parametrised backend; all closed afterwards."""
    made: list[Channels] = []
    prefix = f't{next(_prefixes)}:'
    server: RedisServer | None = None
    if request.param == 'redis':
        server = request.getfixturevalue('redis_server')

    async def factory(**kwargs: Any) -> Channels:
        if server is None:
            channels = Channels(**kwargs)
        else:
            from lanner.channels import RedisBackend

            channels = Channels(RedisBackend(server.url, prefix=prefix), **kwargs)
        await channels.start()
        made.append(channels)
        return channels

    yield factory
    for channels in made:
        await channels.close()


async def take(sub: Subscription, n: int, timeout: float = 5.0) -> list[tuple[str, bytes]]:
    out: list[tuple[str, bytes]] = []

    async def run() -> None:
        async for item in sub:
            out.append(item)
            if len(out) == n:
                return

    await asyncio.wait_for(run(), timeout)
    return out


async def started(sub: Subscription) -> asyncio.Task[list[tuple[str, bytes]]]:
    """Attach ``sub`` (its first __anext__ registers it) and keep reading in a task."""
    task = asyncio.ensure_future(take(sub, 10**9, timeout=30))
    # Registration happens inside the first __anext__; wait until the hub knows it.
    for _ in range(500):
        if sub._state != 0 and sub._hub._live.get(sub.channel) is not None:
            fut = sub._hub._live[sub.channel]
            if fut.done():
                return task
        await asyncio.sleep(0.005)
    raise AssertionError('subscription did not attach')


async def test_publish_reaches_every_subscriber_once_in_order(make_channels: Any) -> None:
    channels = await make_channels()
    subs = [channels.subscribe('room') for _ in range(5)]
    readers = [asyncio.ensure_future(take(sub, 20)) for sub in subs]
    await asyncio.sleep(0)
    # Let every subscription attach before publishing (subscribe without last_id = only new).
    await asyncio.sleep(0.1)
    ids = [await channels.publish('room', f'm{i}'.encode()) for i in range(20)]
    results = await asyncio.gather(*readers)
    for got in results:
        assert got == [(event_id, f'm{i}'.encode()) for i, event_id in enumerate(ids)]
    keys = [parse_id(event_id) for event_id in ids]
    assert keys == sorted(keys) and len(set(keys)) == 20


async def test_channels_are_separate(make_channels: Any) -> None:
    channels = await make_channels()
    sub = channels.subscribe('a')
    reader = asyncio.ensure_future(take(sub, 1))
    await asyncio.sleep(0.1)
    await channels.publish('b', b'not for a')
    event_id = await channels.publish('a', b'for a')
    assert await reader == [(event_id, b'for a')]


async def test_history_after_id(make_channels: Any) -> None:
    channels = await make_channels()
    ids = [await channels.publish('h', f'{i}'.encode()) for i in range(6)]
    assert await channels.history('h') == [(i, f'{n}'.encode()) for n, i in enumerate(ids)]
    assert await channels.history('h', ids[3]) == [(ids[4], b'4'), (ids[5], b'5')]
    assert await channels.history('h', ids[5]) == []
    assert await channels.history('h', ids[1], limit=2) == [(ids[2], b'2'), (ids[3], b'3')]
    assert await channels.history('nothing-here') == []
    with pytest.raises(ValueError, match='not an event id'):
        await channels.history('h', 'garbage')


async def test_subscribe_with_last_id_replays_then_goes_live(make_channels: Any) -> None:
    channels = await make_channels()
    ids = [await channels.publish('r', f'old{i}'.encode()) for i in range(5)]
    sub = channels.subscribe('r', last_id=ids[1])
    first = await take(sub, 3)
    assert first == [(ids[2], b'old2'), (ids[3], b'old3'), (ids[4], b'old4')]
    new_id = await channels.publish('r', b'new')
    assert await take(sub, 1) == [(new_id, b'new')]
    assert sub.last_id == new_id
    await sub.aclose()


async def test_unknown_last_id_replays_everything_retained(make_channels: Any) -> None:
    channels = await make_channels()
    ids = [await channels.publish('u', f'{i}'.encode()) for i in range(3)]
    sub = channels.subscribe('u', last_id='not-an-id')
    assert [event_id for event_id, _ in await take(sub, 3)] == ids
    await sub.aclose()


async def test_events_published_during_replay_are_neither_lost_nor_duplicated(
    make_channels: Any,
) -> None:
    channels = await make_channels(queue_size=10_000, replay_limit=10_000)
    first = await channels.publish('busy', b'0')
    for i in range(1, 200):
        await channels.publish('busy', str(i).encode())
    stop = asyncio.Event()

    async def publisher() -> None:
        i = 200
        while not stop.is_set() and i < 400:
            await channels.publish('busy', str(i).encode())
            i += 1
            await asyncio.sleep(0)

    pub = asyncio.ensure_future(publisher())
    # Several subscribers start while the publisher runs, each replaying from the first event.
    subs = []
    for _ in range(5):
        subs.append(channels.subscribe('busy', last_id=first))
        await asyncio.sleep(0.002)
    readers = [asyncio.ensure_future(take(sub, 398, timeout=20)) for sub in subs]
    await pub
    stop.set()
    for got in await asyncio.gather(*readers):
        assert [int(data) for _, data in got] == list(range(1, 399))
    for sub in subs:
        await sub.aclose()


async def test_replay_longer_than_limit_ends_with_gap(make_channels: Any) -> None:
    channels = await make_channels(replay_limit=5)
    ids = [await channels.publish('long', f'{i}'.encode()) for i in range(12)]
    sub = channels.subscribe('long', last_id=ids[0])
    got = [item async for item in sub]
    assert [data for _, data in got] == [b'1', b'2', b'3', b'4', b'5']
    assert sub.gap
    assert sub.last_id == ids[5]
    # Resuming from last_id continues where it stopped.
    again = channels.subscribe('long', last_id=sub.last_id)
    assert [data for _, data in await take(again, 5)] == [b'6', b'7', b'8', b'9', b'10']
    await again.aclose()
    assert channels.stats.gaps >= 1


async def test_overflow_disconnect_policy(make_channels: Any) -> None:
    channels = await make_channels(queue_size=3)
    slow = channels.subscribe('flood')
    reader = await started(slow)
    reader.cancel()  # nobody reads: the queue fills up
    await asyncio.sleep(0)
    ids = [await channels.publish('flood', f'{i}'.encode()) for i in range(6)]
    await asyncio.sleep(0.2)
    got = [item async for item in slow]
    assert got == [(ids[0], b'0'), (ids[1], b'1'), (ids[2], b'2')]
    assert slow.gap
    stats = channels.stats
    assert stats.drops == 1 and stats.gaps == 1
    assert stats.subscribers == 0


async def test_overflow_drop_oldest_policy(make_channels: Any) -> None:
    channels = await make_channels(queue_size=3, overflow='drop_oldest')
    slow = channels.subscribe('flood')
    reader = await started(slow)
    reader.cancel()
    await asyncio.sleep(0)
    ids = [await channels.publish('flood', f'{i}'.encode()) for i in range(6)]
    await asyncio.sleep(0.2)
    assert await take(slow, 3) == [(ids[3], b'3'), (ids[4], b'4'), (ids[5], b'5')]
    assert not slow.gap
    assert slow.dropped == 3
    assert channels.stats.drops == 3
    await slow.aclose()


async def test_close_ends_subscriptions_without_gap(make_channels: Any) -> None:
    channels = await make_channels()
    sub = channels.subscribe('bye')
    reader = asyncio.ensure_future(take(sub, 10))
    await asyncio.sleep(0.1)
    await channels.close()
    # The reader's loop ends because iteration ended (well before take()'s own timeout).
    assert await asyncio.wait_for(reader, 2) == []
    assert not sub.gap
    with pytest.raises(RuntimeError, match='after close'):
        await channels.publish('bye', b'x')


async def test_aclose_unregisters(make_channels: Any) -> None:
    channels = await make_channels()
    sub = channels.subscribe('leave')
    await started(sub)
    assert channels.stats.subscribers == 1
    await sub.aclose()
    assert channels.stats.subscribers == 0
    assert 'leave' not in channels._subs


async def test_stats_count_published_and_delivered(make_channels: Any) -> None:
    channels = await make_channels()
    subs = [channels.subscribe('count') for _ in range(3)]
    readers = [asyncio.ensure_future(take(sub, 2)) for sub in subs]
    await asyncio.sleep(0.1)
    await channels.publish('count', b'1')
    await channels.publish('count', 'two')
    assert [data for _, data in (await asyncio.gather(*readers))[0]] == [b'1', b'two']
    stats = channels.stats
    assert stats.published == 2
    assert stats.delivered == 6


@pytest.mark.parametrize('bad', ['', 'has space', 'x' * 201, 'new\nline', 5])
def test_channel_names_are_validated(bad: Any) -> None:
    channels = Channels()
    with pytest.raises(ValueError, match='channel name'):
        channels.subscribe(bad)


def test_options_are_validated() -> None:
    with pytest.raises(ValueError, match='overflow'):
        Channels(overflow='block')  # type: ignore[arg-type]
    with pytest.raises(ValueError, match='queue_size'):
        Channels(queue_size=0)
    with pytest.raises(ValueError, match='replay_limit'):
        Channels(replay_limit=True)
    with pytest.raises(ValueError, match='maxlen'):
        MemoryBackend(maxlen=0)


def test_from_url() -> None:
    assert isinstance(Channels.from_url(None).backend, MemoryBackend)
    assert isinstance(Channels.from_url('').backend, MemoryBackend)
    assert not Channels.from_url('memory://').shared
    with pytest.raises(ValueError, match='Unsupported channels URL'):
        Channels.from_url('amqp://127.0.0.1/')


def test_memory_ids_never_go_backwards(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = MemoryBackend()
    clock = iter([5_000_000_000, 5_000_000_000, 4_000_000_000, 6_000_000_000])
    monkeypatch.setattr('time.time_ns', lambda: next(clock) * 1000)
    keys = [backend._next_key() for _ in range(4)]
    assert keys == [(5_000_000, 0), (5_000_000, 1), (5_000_000, 2), (6_000_000, 0)]


def test_memory_retention_is_bounded() -> None:
    async def run() -> list[tuple[str, bytes]]:
        channels = Channels(MemoryBackend(maxlen=3))
        for i in range(10):
            await channels.publish('keep', str(i).encode())
        return await channels.history('keep')

    assert [data for _, data in asyncio.run(run())] == [b'7', b'8', b'9']
