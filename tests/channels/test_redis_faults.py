"""RedisBackend against a real redis-server: several "processes", restarts, releases, duplicates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
import re
from typing import Any

import pytest
from redis_helpers import RedisServer

from lanner.channels import Channels, ChannelsUnavailable, Subscription

pytestmark = pytest.mark.server


@pytest.fixture
async def connect() -> AsyncIterator[Callable[..., Any]]:
    """Channels objects on separate RedisBackends: each one stands for a worker process."""
    made: list[Channels] = []

    async def factory(server: RedisServer, **backend_kwargs: Any) -> Channels:
        from lanner.channels import RedisBackend

        options = {'ping_interval': 0.5, 'max_reconnect_delay': 0.2, **backend_kwargs}
        channels = Channels(RedisBackend(server.url, **options))
        await channels.start()
        made.append(channels)
        return channels

    yield factory
    for channels in made:
        await channels.close()


async def drain(sub: Subscription, timeout: float = 10.0) -> list[tuple[str, bytes]]:
    """Read until the subscription ends (or fail after ``timeout``)."""

    async def run() -> list[tuple[str, bytes]]:
        return [item async for item in sub]

    return await asyncio.wait_for(run(), timeout)


async def wait_until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError('condition not reached in time')
        await asyncio.sleep(0.01)


def numsub(server: RedisServer, name: str) -> int:
    reply = server.command('PUBSUB', 'NUMSUB', name)
    match = re.search(rb':(\d+)\r\n', reply)
    assert match, reply
    return int(match.group(1))


async def test_events_cross_processes_in_one_order(redis_server: RedisServer, connect: Any) -> None:
    workers = [await connect(redis_server, prefix='cross:') for _ in range(3)]
    subs = [w.subscribe('notes') for w in workers for _ in range(2)]
    got: list[list[bytes]] = [[] for _ in subs]

    async def read(i: int) -> None:
        async for _, data in subs[i]:
            got[i].append(data)
            if len(got[i]) == 30:
                return

    readers = [asyncio.ensure_future(read(i)) for i in range(len(subs))]
    await wait_until(lambda: all(w.stats.subscribers == 2 for w in workers))
    await asyncio.sleep(0.1)  # every listener has confirmed its SUBSCRIBE

    async def publish_from(w: Channels, tag: str) -> None:
        for i in range(10):
            await w.publish('notes', f'{tag}{i}'.encode())

    await asyncio.gather(*(publish_from(w, tag) for w, tag in zip(workers, 'abc', strict=True)))
    await asyncio.wait_for(asyncio.gather(*readers), 10)
    # Every subscriber in every process saw all 30 events, in the same (stream id) order, and
    # each publisher's own events in the order it published them.
    assert all(g == got[0] for g in got)
    for tag in 'abc':
        assert [d for d in got[0] if d.startswith(tag.encode())] == [
            f'{tag}{i}'.encode() for i in range(10)
        ]


async def test_own_message_is_delivered_once(redis_server: RedisServer, connect: Any) -> None:
    channels = await connect(redis_server, prefix='own:')
    sub = channels.subscribe('echo')
    received: list[tuple[str, bytes]] = []

    async def read() -> None:
        async for item in sub:
            received.append(item)

    reader = asyncio.ensure_future(read())
    await wait_until(lambda: channels.stats.subscribers == 1)
    await asyncio.sleep(0.1)
    ids = [await channels.publish('echo', f'{i}'.encode()) for i in range(5)]
    await wait_until(lambda: len(received) >= 5)
    await asyncio.sleep(0.3)  # room for a duplicate to show up
    assert received == [(event_id, f'{i}'.encode()) for i, event_id in enumerate(ids)]
    assert channels.stats.delivered == 5
    reader.cancel()


async def test_unsubscribing_releases_the_redis_subscription(
    redis_server: RedisServer, connect: Any
) -> None:
    channels = await connect(redis_server, prefix='rel:')
    name = 'rel:0:live:temp'
    subs = [channels.subscribe('temp') for _ in range(3)]
    readers = [asyncio.ensure_future(drain(sub)) for sub in subs]
    await wait_until(lambda: numsub(redis_server, name) == 1)
    await subs[0].aclose()
    await subs[1].aclose()
    await asyncio.sleep(0.1)
    assert numsub(redis_server, name) == 1  # one local subscriber is left
    await subs[2].aclose()
    await wait_until(lambda: numsub(redis_server, name) == 0)
    assert channels.stats.subscribers == 0
    assert channels._subs == {} and channels.backend._wanted == {}  # type: ignore[attr-defined]
    for reader in readers:
        await asyncio.wait_for(reader, 2)
    # And it subscribes again when a new subscriber comes.
    again = channels.subscribe('temp')
    reader = asyncio.ensure_future(drain(again))
    await wait_until(lambda: numsub(redis_server, name) == 1)
    event_id = await channels.publish('temp', b'back')
    await wait_until(lambda: again.last_id == event_id)
    await again.aclose()
    await reader


async def test_quick_leave_and_rejoin_misses_nothing(
    redis_server: RedisServer, connect: Any
) -> None:
    channels = await connect(redis_server, prefix='flap:')
    for round_ in range(20):
        sub = channels.subscribe('flap')
        reader = asyncio.ensure_future(drain(sub))
        await wait_until(lambda s=sub: s._state != 0 and channels._live.get('flap') is not None)
        await asyncio.shield(channels._live['flap'])
        event_id = await channels.publish('flap', str(round_).encode())
        await wait_until(lambda s=sub, e=event_id: s.last_id == e, timeout=5)  # type: ignore[misc]
        await sub.aclose()
        assert await asyncio.wait_for(reader, 2) == [(event_id, str(round_).encode())]


async def test_restart_tells_every_subscriber_and_replay_recovers(
    own_redis: RedisServer, connect: Any
) -> None:
    a = await connect(own_redis, prefix='rs:')
    b = await connect(own_redis, prefix='rs:')
    ids = [await a.publish('feed', f'{i}'.encode()) for i in range(3)]
    subs = [a.subscribe('feed', last_id=ids[0]) for _ in range(2)]
    subs += [b.subscribe('feed', last_id=ids[0]) for _ in range(2)]
    readers = [asyncio.ensure_future(drain(sub, timeout=30)) for sub in subs]
    await wait_until(lambda: all(s.last_id == ids[2] for s in subs))

    own_redis.restart(down_for=0.3)
    # A publish during or right after the restart waits for the server (publish_timeout).
    after = await a.publish('feed', b'after-restart')
    first_pass = [await asyncio.wait_for(r, 15) for r in readers]
    for sub, got in zip(subs, first_pass, strict=True):
        assert sub.gap, 'a subscriber was not told about the gap'
        assert [d for _, d in got] == [b'1', b'2']
    await wait_until(lambda: a.stats.reconnects == 1 and b.stats.reconnects == 1)
    # Resuming from the last id seen replays exactly what was missed (the stream survived).
    for channels, sub in zip((a, a, b, b), subs, strict=True):
        resumed = channels.subscribe('feed', last_id=sub.last_id)
        assert await asyncio.wait_for(anext(resumed), 10) == (after, b'after-restart')
        await resumed.aclose()
    assert a.stats.gaps == 2 and b.stats.gaps == 2


async def test_crash_with_live_subscribers_gap_then_live_again(
    own_redis: RedisServer, connect: Any
) -> None:
    channels = await connect(own_redis, prefix='crash:')
    sub = channels.subscribe('x')
    reader = asyncio.ensure_future(drain(sub, timeout=30))
    await wait_until(lambda: channels.backend.connected and channels.stats.subscribers == 1)  # type: ignore[attr-defined]
    await asyncio.sleep(0.1)
    own_redis.kill()
    assert await asyncio.wait_for(reader, 10) == []
    assert sub.gap
    own_redis.start()
    await wait_until(lambda: channels.backend.connected)  # type: ignore[attr-defined]
    fresh = channels.subscribe('x')
    reader = asyncio.ensure_future(anext(fresh))
    await asyncio.sleep(0.2)
    event_id = await channels.publish('x', b'live again')
    assert await asyncio.wait_for(reader, 10) == (event_id, b'live again')
    await fresh.aclose()


async def test_subscribe_while_redis_is_down_reports_a_gap(
    own_redis: RedisServer, connect: Any
) -> None:
    channels = await connect(own_redis, prefix='down:', listen_timeout=0.5)
    own_redis.kill()
    await wait_until(lambda: not channels.backend.connected)  # type: ignore[attr-defined]
    sub = channels.subscribe('y')
    assert await drain(sub, timeout=5) == []
    assert sub.gap
    with pytest.raises(ChannelsUnavailable, match='did not answer'):
        await Channels(_backend_for(own_redis, publish_timeout=0.3)).publish('y', b'x')


def _backend_for(server: RedisServer, **kwargs: Any) -> Any:
    from lanner.channels import RedisBackend

    return RedisBackend(server.url, **kwargs)


async def test_silent_connection_is_detected(redis_server: RedisServer, connect: Any) -> None:
    channels = await connect(redis_server, prefix='silent:', ping_interval=0.2)
    sub = channels.subscribe('z')
    reader = asyncio.ensure_future(drain(sub, timeout=10))
    await wait_until(lambda: channels.stats.subscribers == 1 and channels.backend.connected)  # type: ignore[attr-defined]
    await asyncio.sleep(0.1)
    # Pause the server for longer than two ping intervals: the listener must give up on it.
    redis_server.command('CLIENT', 'PAUSE', '1500', 'ALL')
    assert await asyncio.wait_for(reader, 10) == []
    assert sub.gap
    await wait_until(lambda: channels.stats.reconnects >= 1, timeout=10)


async def test_retried_publish_is_not_duplicated(redis_server: RedisServer, connect: Any) -> None:
    channels = await connect(redis_server, prefix='dup:')
    backend: Any = channels.backend
    script = backend._script
    calls = 0

    async def flaky(**kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        result = await script(**kwargs)
        if calls == 1:
            from redis.exceptions import ConnectionError as RedisConnectionError

            raise RedisConnectionError('reply lost after the script ran')
        return result

    backend._script = flaky
    event_id = await channels.publish('d', b'once')
    assert calls == 2
    assert await channels.history('d') == [(event_id, b'once')]


async def test_backends_check_their_options() -> None:
    from lanner.channels import RedisBackend

    with pytest.raises(ValueError, match='not a Redis URL'):
        RedisBackend('http://127.0.0.1:6379')
    with pytest.raises(ValueError, match='must be a number'):
        RedisBackend('redis://127.0.0.1:6379/abc')
    with pytest.raises(ValueError, match='publish_timeout'):
        RedisBackend(publish_timeout=0)
    backend = RedisBackend('unix:///tmp/redis.sock?db=3', prefix='p:')
    assert backend._live_key('c') == b'p:3:live:c'
    assert Channels.from_url('valkey://127.0.0.1:1/2').shared
