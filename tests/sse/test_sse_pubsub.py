"""EventBroker: fan-out, bounded queues, slow-subscriber policies, resumption, cleanup."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import pytest
from sse_helpers import FakeASGIClient, parse_stream

from lanner._sse.asgi_pump import pump
from lanner.sse import EventBroker, SSEvent


async def take(stream: AsyncIterator[SSEvent], count: int, timeout: float = 1.0) -> list[SSEvent]:
    async def _take() -> list[SSEvent]:
        return [await stream.__anext__() for _ in range(count)]

    return await asyncio.wait_for(_take(), timeout)


def payloads(events: list[SSEvent]) -> list[Any]:
    return [e.data if e.data is not None else e.json for e in events]


async def idle() -> None:
    # Let every ready task run (subscribers waking up, pumps sending).
    for _ in range(5):
        await asyncio.sleep(0)


class TestFanOut:
    async def test_every_subscriber_gets_every_event_in_order(self) -> None:
        broker = EventBroker()
        streams = [broker.subscribe() for _ in range(3)]
        # Start the streams (registration happens on first iteration).
        firsts = [asyncio.ensure_future(stream.__anext__()) for stream in streams]
        await idle()
        assert broker.subscriber_count == 3
        broker.publish(SSEvent(data='0'))
        assert [(await first).data for first in firsts] == ['0', '0', '0']
        for i in range(1, 4):
            broker.publish(SSEvent(data=str(i)))
        for stream in streams:
            got = await take(stream, 3)
            assert payloads(got) == ['1', '2', '3']
            await stream.aclose()
        assert broker.subscriber_count == 0

    async def test_events_published_before_first_iteration_are_not_lost(self) -> None:
        broker = EventBroker()
        stream = broker.subscribe()
        broker.publish(SSEvent(data='early'))
        assert payloads(await take(stream, 1)) == ['early']
        await stream.aclose()

    async def test_events_from_before_subscribe_are_not_delivered(self) -> None:
        broker = EventBroker()
        broker.publish(SSEvent(data='old'))
        stream = broker.subscribe()
        broker.publish(SSEvent(data='new'))
        assert payloads(await take(stream, 1)) == ['new']
        await stream.aclose()

    async def test_broker_assigns_ids_and_keeps_given_ones(self) -> None:
        broker = EventBroker(id_prefix='p-')
        a = broker.publish(SSEvent(data='a'))
        b = broker.publish(SSEvent(data='b', event_id='mine'))
        c = broker.publish(SSEvent(data='c'))
        assert (a.event_id, b.event_id, c.event_id) == ('p-1', 'mine', 'p-3')
        assert broker.last_event_id == 'p-3'

    async def test_default_ids_differ_between_brokers(self) -> None:
        first = EventBroker().publish(SSEvent(data='x')).event_id
        second = EventBroker().publish(SSEvent(data='x')).event_id
        assert first != second

    async def test_publish_copies_the_event(self) -> None:
        broker = EventBroker()
        original = SSEvent(data='x', event='e')
        stored = broker.publish(original)
        assert stored is not original
        assert original.event_id is None
        original.data = 'changed'
        assert stored.data == 'x'

    async def test_publish_validates(self) -> None:
        broker = EventBroker()
        with pytest.raises(TypeError, match='SSEvent'):
            broker.publish({'data': 'x'})  # type: ignore[arg-type]
        broker.publish(SSEvent(data='before'))
        bad = SSEvent(data='x')
        bad.event = 'a\nb'
        with pytest.raises(ValueError, match='line break'):
            broker.publish(bad)
        # A refused event leaves no trace: resumption still lines up.
        seen = broker.publish(SSEvent(data='seen'))
        broker.publish(SSEvent(data='missed'))
        stream = broker.subscribe(seen.event_id)
        assert payloads(await take(stream, 1)) == ['missed']
        await stream.aclose()

    async def test_serialized_once_per_handler(self) -> None:
        calls = 0

        class Handler:
            def serialize(self, media: object, content_type: str) -> bytes:
                nonlocal calls
                calls += 1
                return b'{}'

        broker = EventBroker()
        stored = broker.publish(SSEvent(json={}))
        handler = Handler()
        assert (
            stored.serialize(handler)
            == stored.serialize(handler)
            == b'id: %s\ndata: {}\n\n' % (stored.event_id or '').encode()
        )
        assert calls == 1
        other = Handler()
        stored.serialize(other)
        assert calls == 2


class TestSlowSubscribers:
    async def test_drop_policy_ends_the_stream_after_queued_events(self) -> None:
        broker = EventBroker(queue_size=2, slow_subscriber='drop')
        slow = broker.subscribe()
        fast = broker.subscribe()
        broker.publish(SSEvent(data='0'))
        await take(slow, 1)
        await take(fast, 1)
        for i in range(1, 4):
            broker.publish(SSEvent(data=str(i)))
            await take(fast, 1)
        assert broker.subscriber_count == 1
        assert broker.dropped_count == 1
        rest = [event async for event in slow]  # ends by itself
        assert payloads(rest) == ['1', '2']
        await fast.aclose()

    async def test_dropped_client_resumes_from_its_last_event_id(self) -> None:
        broker = EventBroker(queue_size=1)
        slow = broker.subscribe()
        broker.publish(SSEvent(data='0'))
        received = await take(slow, 1)
        for i in range(1, 4):
            broker.publish(SSEvent(data=str(i)))
        received += [event async for event in slow]
        assert payloads(received) == ['0', '1']
        resumed = broker.subscribe(received[-1].event_id)
        assert payloads(await take(resumed, 2)) == ['2', '3']
        await resumed.aclose()

    async def test_skip_policy_keeps_the_subscriber_and_skips_events(self) -> None:
        broker = EventBroker(queue_size=2, slow_subscriber='skip')
        slow = broker.subscribe()
        broker.publish(SSEvent(data='0'))
        await take(slow, 1)
        for i in range(1, 5):
            broker.publish(SSEvent(data=str(i)))
        assert broker.subscriber_count == 1
        assert payloads(await take(slow, 2)) == ['1', '2']
        assert broker.skipped_count == 2
        broker.publish(SSEvent(data='5'))
        assert payloads(await take(slow, 1)) == ['5']
        await slow.aclose()

    async def test_queue_memory_is_bounded(self) -> None:
        broker = EventBroker(queue_size=5, replay_size=10, slow_subscriber='skip')
        stream = broker.subscribe()
        broker.publish(SSEvent(data='start'))
        await take(stream, 1)
        for i in range(1000):
            broker.publish(SSEvent(data=str(i)))
        subscriber = next(iter(broker._subscribers))
        assert len(subscriber.queue) == 5
        assert len(broker._replay) == 10
        assert len(broker._seq_by_id) == 10
        await stream.aclose()


class TestResume:
    async def test_resume_after_known_id(self) -> None:
        broker = EventBroker()
        ids = [broker.publish(SSEvent(data=str(i))).event_id for i in range(5)]
        stream = broker.subscribe(ids[1])
        broker.publish(SSEvent(data='live'))
        assert payloads(await take(stream, 4)) == ['2', '3', '4', 'live']
        await stream.aclose()

    async def test_resume_with_latest_id_replays_nothing(self) -> None:
        broker = EventBroker()
        last = broker.publish(SSEvent(data='x')).event_id
        stream = broker.subscribe(last)
        broker.publish(SSEvent(data='y'))
        assert payloads(await take(stream, 1)) == ['y']
        await stream.aclose()

    async def test_unknown_id_replays_the_whole_buffer(self) -> None:
        broker = EventBroker(replay_size=3)
        for i in range(5):
            broker.publish(SSEvent(data=str(i)))
        stream = broker.subscribe('from-another-process-17')
        assert payloads(await take(stream, 3)) == ['2', '3', '4']
        await stream.aclose()

    async def test_evicted_id_counts_as_unknown(self) -> None:
        broker = EventBroker(replay_size=2)
        first = broker.publish(SSEvent(data='0')).event_id
        for i in range(1, 4):
            broker.publish(SSEvent(data=str(i)))
        assert first is not None
        stream = broker.subscribe(first)
        assert payloads(await take(stream, 2)) == ['2', '3']
        await stream.aclose()

    async def test_user_ids_reused_resume_after_latest_use(self) -> None:
        broker = EventBroker()
        broker.publish(SSEvent(data='a', event_id='same'))
        broker.publish(SSEvent(data='b'))
        broker.publish(SSEvent(data='c', event_id='same'))
        broker.publish(SSEvent(data='d'))
        stream = broker.subscribe('same')
        assert payloads(await take(stream, 1)) == ['d']
        await stream.aclose()

    async def test_replay_disabled(self) -> None:
        broker = EventBroker(replay_size=0)
        eid = broker.publish(SSEvent(data='0')).event_id
        broker.publish(SSEvent(data='1'))
        stream = broker.subscribe(eid)
        waiter = asyncio.ensure_future(stream.__anext__())
        await idle()
        broker.publish(SSEvent(data='2'))
        assert (await waiter).data == '2'
        assert broker.last_event_id is not None and broker.last_event_id.endswith('3')
        await stream.aclose()

    async def test_retry_event_first(self) -> None:
        broker = EventBroker(retry=2500)
        broker.publish(SSEvent(data='0'))
        stream = broker.subscribe('unknown')
        first, second = await take(stream, 2)
        assert first.serialize() == b'retry: 2500\n\n'
        assert second.data == '0'
        await stream.aclose()


class TestLifecycle:
    async def test_unregistered_when_stream_closed(self) -> None:
        broker = EventBroker()
        stream = broker.subscribe()
        assert broker.subscriber_count == 0  # registers lazily
        waiter = asyncio.ensure_future(stream.__anext__())
        await idle()
        assert broker.subscriber_count == 1
        waiter.cancel()  # as the pump does on disconnect
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert broker.subscriber_count == 0

    async def test_never_iterated_stream_never_registers(self) -> None:
        broker = EventBroker()
        stream = broker.subscribe()
        broker.publish(SSEvent(data='x'))
        await stream.aclose()
        assert broker.subscriber_count == 0

    async def test_close_ends_streams_and_refuses_publishing(self) -> None:
        broker = EventBroker()
        stream = broker.subscribe()
        broker.publish(SSEvent(data='last'))
        assert payloads(await take(stream, 1)) == ['last']
        broker.publish(SSEvent(data='queued'))
        broker.close()
        assert payloads([e async for e in stream]) == ['queued']
        assert broker.closed
        with pytest.raises(RuntimeError, match='close'):
            broker.publish(SSEvent(data='late'))
        assert [e async for e in broker.subscribe()] == []

    @pytest.mark.parametrize(
        ('kwargs', 'match'),
        [
            ({'queue_size': 0}, 'queue_size'),
            ({'queue_size': True}, 'queue_size'),
            ({'replay_size': -1}, 'replay_size'),
            ({'slow_subscriber': 'block'}, 'slow_subscriber'),
            ({'id_prefix': 'a\nb'}, 'line break'),
            ({'retry': -5}, 'retry'),
        ],
    )
    def test_constructor_validation(self, kwargs: dict[str, Any], match: str) -> None:
        with pytest.raises(ValueError, match=match):
            EventBroker(**kwargs)


async def test_notification_stream_pattern_through_the_pump() -> None:
    """The page's NotificationStream use case: subscribe in the responder, publish elsewhere."""
    broker = EventBroker()
    clients = [FakeASGIClient() for _ in range(3)]
    streams: list[AsyncGenerator[SSEvent, None]] = [broker.subscribe() for _ in clients]
    pumps = [
        asyncio.ensure_future(pump(s, c.send, c.receive, None, None))
        for s, c in zip(streams, clients, strict=True)
    ]
    await idle()
    assert broker.subscriber_count == 3
    for n in range(3):
        broker.publish(SSEvent(json={'n': n}, event='notification'))
    for client in clients:
        await client.wait_for_chunks(3)
    clients[0].disconnect()
    assert await asyncio.wait_for(pumps[0], 1) is False
    assert broker.subscriber_count == 2
    broker.close()
    assert await asyncio.wait_for(asyncio.gather(*pumps[1:]), 1) == [True, True]
    for client in clients:
        events = parse_stream(client.body)
        assert [e['data'] for e in events] == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
        assert {e['event'] for e in events} == {'notification'}
