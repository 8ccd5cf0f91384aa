"""The ASGI SSE pump, driven directly with fake send/receive callables (no App involved)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import math
from typing import Any

import pytest
from sse_helpers import FakeASGIClient, parse_stream

from lanner._sse.asgi_pump import check_async_emitter, pump, pump_stream
from lanner.sse import SSEvent


def other_tasks() -> set[asyncio.Task[Any]]:
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


async def test_events_in_order_then_final_empty_body() -> None:
    client = FakeASGIClient()

    async def emitter() -> AsyncIterator[SSEvent]:
        for i in range(3):
            yield SSEvent(data=f'{i}', event_id=str(i))

    assert await pump(emitter(), client.send, client.receive, None, None) is True
    assert client.chunks == [b'id: 0\ndata: 0\n\n', b'id: 1\ndata: 1\n\n', b'id: 2\ndata: 2\n\n']
    assert all(type(c) is bytes for c in client.chunks)
    assert client.messages[-1] == {'type': 'http.response.body', 'body': b'', 'more_body': False}
    assert not other_tasks()


async def test_empty_emitter_sends_only_the_final_event() -> None:
    client = FakeASGIClient()

    async def emitter() -> AsyncIterator[SSEvent]:
        return
        yield  # pragma: no cover

    assert await pump(emitter(), client.send, client.receive) is True
    assert client.messages == [{'type': 'http.response.body', 'body': b'', 'more_body': False}]


async def test_none_is_a_ping_and_json_uses_the_handler() -> None:
    client = FakeASGIClient()

    class Handler:
        def serialize(self, media: object, content_type: str) -> bytes:
            return b'JSON!'

    async def emitter() -> AsyncIterator[SSEvent | None]:
        yield None
        yield SSEvent(json={'x': 1})

    await pump(emitter(), client.send, client.receive, Handler(), None)
    assert client.chunks == [b': ping\n\n', b'data: JSON!\n\n']


async def test_any_object_with_serialize_is_accepted() -> None:
    client = FakeASGIClient()

    class Custom:
        def serialize(self, handler: Any = None) -> bytes:
            return b'data: custom\n\n'

    async def emitter() -> AsyncIterator[Custom]:
        yield Custom()

    await pump(emitter(), client.send, client.receive, None, None)
    assert client.chunks == [b'data: custom\n\n']


async def test_yielding_something_else_is_a_clear_type_error() -> None:
    client = FakeASGIClient()
    closed = []

    async def emitter() -> AsyncIterator[Any]:
        try:
            yield 'data: oops\n\n'
        finally:
            closed.append(True)

    with pytest.raises(TypeError, match=r'yielded a str.*SSEvent'):
        await pump(emitter(), client.send, client.receive, None, None)
    assert closed == [True]
    assert not client.completed
    assert not other_tasks()


async def test_emitter_exception_propagates_after_cleanup() -> None:
    client = FakeASGIClient()

    async def emitter() -> AsyncIterator[SSEvent]:
        yield SSEvent(data=b'one')
        raise RuntimeError('boom')

    with pytest.raises(RuntimeError, match='boom'):
        await pump(emitter(), client.send, client.receive, None, 0.01)
    assert client.chunks == [b'data: one\n\n']
    assert not client.completed
    assert not other_tasks()


class TestKeepAlive:
    async def test_pings_while_idle(self) -> None:
        client = FakeASGIClient()

        async def emitter() -> AsyncIterator[SSEvent]:
            yield SSEvent(data=b'first')
            await asyncio.sleep(0.35)
            yield SSEvent(data=b'second')

        await pump(emitter(), client.send, client.receive, None, 0.1)
        chunks = client.chunks
        assert chunks[0] == b'data: first\n\n'
        assert chunks[-1] == b'data: second\n\n'
        pings = chunks[1:-1]
        assert pings and set(pings) == {b': ping\n\n'}
        assert 2 <= len(pings) <= 4

    async def test_no_pings_while_events_flow(self) -> None:
        client = FakeASGIClient()

        async def emitter() -> AsyncIterator[SSEvent]:
            for i in range(6):
                await asyncio.sleep(0.03)
                yield SSEvent(data=str(i).encode())

        await pump(emitter(), client.send, client.receive, None, 0.1)
        assert b': ping\n\n' not in client.chunks
        assert len(client.chunks) == 6

    async def test_disabled_with_none(self) -> None:
        client = FakeASGIClient()

        async def emitter() -> AsyncIterator[SSEvent]:
            await asyncio.sleep(0.15)
            yield SSEvent(data=b'x')

        await pump(emitter(), client.send, client.receive, None, None)
        assert client.chunks == [b'data: x\n\n']

    @pytest.mark.parametrize('bad', [0, -1, math.nan, math.inf * -1])
    async def test_bad_interval_values(self, bad: float) -> None:
        client = FakeASGIClient()

        async def emitter() -> AsyncIterator[SSEvent]:
            yield SSEvent(data=b'x')  # pragma: no cover

        with pytest.raises(ValueError, match='keepalive'):
            await pump(emitter(), client.send, client.receive, None, bad)

    @pytest.mark.parametrize('bad', ['15', True])
    async def test_bad_interval_types(self, bad: Any) -> None:
        client = FakeASGIClient()

        async def emitter() -> AsyncIterator[SSEvent]:
            yield SSEvent(data=b'x')  # pragma: no cover

        with pytest.raises(TypeError, match='keepalive'):
            await pump(emitter(), client.send, client.receive, None, bad)


class TestDisconnect:
    async def test_idle_emitter_is_closed_promptly(self) -> None:
        client = FakeASGIClient()
        cleaned_up = asyncio.Event()
        never = asyncio.Event()

        async def emitter() -> AsyncIterator[SSEvent]:
            try:
                yield SSEvent(data=b'hello')
                await never.wait()  # idle: nothing to send for a long time
                yield SSEvent(data=b'unreachable')  # pragma: no cover
            finally:
                cleaned_up.set()

        task = asyncio.ensure_future(pump(emitter(), client.send, client.receive, None, 30))
        await client.wait_for_chunks(1)
        loop = asyncio.get_running_loop()
        started = loop.time()
        client.disconnect()
        assert await asyncio.wait_for(task, 1.0) is False
        assert loop.time() - started < 0.5
        assert cleaned_up.is_set()
        assert client.chunks == [b'data: hello\n\n']
        assert not client.completed  # nobody to send the final event to
        assert not other_tasks()

    async def test_emitter_blocked_in_send_is_closed(self) -> None:
        client = FakeASGIClient()
        cleaned_up = []
        send_entered = asyncio.Event()
        forever = asyncio.Event()

        async def stuck_send(message: dict[str, Any]) -> None:
            send_entered.set()
            await forever.wait()  # a client that stopped reading

        async def emitter() -> AsyncIterator[SSEvent]:
            try:
                while True:
                    yield SSEvent(data=b'x')
            finally:
                cleaned_up.append(True)

        task = asyncio.ensure_future(pump(emitter(), stuck_send, client.receive, None, None))
        await asyncio.wait_for(send_entered.wait(), 1)
        client.disconnect()
        assert await asyncio.wait_for(task, 1.0) is False
        assert cleaned_up == [True]
        assert not other_tasks()

    async def test_emitter_that_swallows_cancellation_still_stops(self) -> None:
        client = FakeASGIClient()
        produced_after_disconnect = []

        async def emitter() -> AsyncIterator[SSEvent]:
            yield SSEvent(data=b'first')
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                pass  # bad manners: keep going
            produced_after_disconnect.append(True)
            yield SSEvent(data=b'after')
            yield SSEvent(data=b'more')  # pragma: no cover

        task = asyncio.ensure_future(pump(emitter(), client.send, client.receive, None, None))
        await client.wait_for_chunks(1)
        client.disconnect()
        assert await asyncio.wait_for(task, 1.0) is False
        assert client.chunks == [b'data: first\n\n']
        assert not other_tasks()

    async def test_error_in_emitter_cleanup_is_reported(self) -> None:
        client = FakeASGIClient()

        async def emitter() -> AsyncIterator[SSEvent]:
            try:
                yield SSEvent(data=b'x')
                await asyncio.sleep(10)
            finally:
                raise LookupError('cleanup failed')

        task = asyncio.ensure_future(pump(emitter(), client.send, client.receive, None, None))
        await client.wait_for_chunks(1)
        client.disconnect()
        with pytest.raises(LookupError, match='cleanup failed'):
            await asyncio.wait_for(task, 1.0)

    async def test_send_failure_after_disconnect_is_not_an_error(self) -> None:
        gone = asyncio.Event()
        sent: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            if gone.is_set():
                raise OSError('connection closed')
            sent.append(message['body'])

        async def receive() -> dict[str, Any]:
            await gone.wait()
            return {'type': 'http.disconnect'}

        async def emitter() -> AsyncIterator[SSEvent]:
            yield SSEvent(data=b'1')
            gone.set()
            yield SSEvent(data=b'2')

        assert await pump(emitter(), send, receive, None, None) is False
        assert sent == [b'data: 1\n\n']

    async def test_send_failure_while_connected_propagates(self) -> None:
        client = FakeASGIClient()

        async def send(message: dict[str, Any]) -> None:
            raise OSError('broken pipe')

        async def emitter() -> AsyncIterator[SSEvent]:
            yield SSEvent(data=b'1')

        with pytest.raises(OSError, match='broken pipe'):
            await pump(emitter(), send, client.receive, None, None)

    async def test_receive_raising_counts_as_disconnect(self) -> None:
        client = FakeASGIClient()
        closed = []

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.05)
            raise ConnectionResetError

        async def emitter() -> AsyncIterator[SSEvent]:
            try:
                yield SSEvent(data=b'1')
                await asyncio.sleep(10)
            finally:
                closed.append(True)

        assert await asyncio.wait_for(pump(emitter(), client.send, receive), 1) is False
        assert closed == [True]

    async def test_unread_request_body_is_drained_not_mistaken_for_disconnect(self) -> None:
        client = FakeASGIClient()
        body = [
            {'type': 'http.request', 'body': b'a', 'more_body': True},
            {'type': 'http.request', 'body': b'b', 'more_body': False},
        ]

        async def receive() -> dict[str, Any]:
            if body:
                return body.pop(0)
            return await client.receive()

        async def emitter() -> AsyncIterator[SSEvent]:
            await asyncio.sleep(0.05)
            yield SSEvent(data=b'still here')

        assert await pump(emitter(), client.send, receive, None, None) is True
        assert client.chunks == [b'data: still here\n\n']

    async def test_receive_that_cannot_report_disconnects_does_not_spin(self) -> None:
        client = FakeASGIClient()
        calls = 0

        async def chatty_receive() -> dict[str, Any]:
            nonlocal calls
            calls += 1
            return {'type': 'http.request', 'body': b'', 'more_body': False}

        async def emitter() -> AsyncIterator[SSEvent]:
            await asyncio.sleep(0.05)
            yield SSEvent(data=b'x')

        assert await pump(emitter(), client.send, chatty_receive, None, None) is True
        assert calls <= 2
        assert client.chunks == [b'data: x\n\n']


class TestShutdown:
    async def test_cancelling_the_pump_closes_the_emitter(self) -> None:
        client = FakeASGIClient()
        cleaned_up = []

        async def emitter() -> AsyncIterator[SSEvent]:
            try:
                yield SSEvent(data=b'x')
                await asyncio.sleep(10)
            finally:
                await asyncio.sleep(0)  # async cleanup works too
                cleaned_up.append(True)

        task = asyncio.ensure_future(pump(emitter(), client.send, client.receive, None, 5))
        await client.wait_for_chunks(1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 1)
        assert cleaned_up == [True]
        assert not other_tasks()


class TestCheckAsyncEmitter:
    def test_async_generator_function_itself(self) -> None:
        async def events() -> AsyncIterator[SSEvent]:
            yield SSEvent()  # pragma: no cover

        with pytest.raises(TypeError, match=r'call it.*events\(\)'):
            check_async_emitter(events)

    def test_coroutine_function_and_object(self) -> None:
        async def not_a_generator() -> None:
            pass

        with pytest.raises(TypeError, match='call it'):
            check_async_emitter(not_a_generator)
        with pytest.raises(TypeError, match='coroutine'):
            check_async_emitter(not_a_generator())

    def test_sync_iterables_are_refused_with_hint(self) -> None:
        def gen() -> Any:
            yield SSEvent()  # pragma: no cover

        with pytest.raises(TypeError, match=r'async iterator.*synchronous generator'):
            check_async_emitter(gen())
        with pytest.raises(TypeError, match='synchronous list'):
            check_async_emitter([SSEvent()])

    def test_non_iterables(self) -> None:
        with pytest.raises(TypeError, match='not int'):
            check_async_emitter(42)

        class BadAiter:
            def __aiter__(self) -> object:
                return object()

        with pytest.raises(TypeError, match='__anext__'):
            check_async_emitter(BadAiter())

    async def test_custom_async_iterator_class(self) -> None:
        class Countdown:
            def __init__(self) -> None:
                self.n = 2

            def __aiter__(self) -> Countdown:
                return self

            async def __anext__(self) -> SSEvent:
                if not self.n:
                    raise StopAsyncIteration
                self.n -= 1
                return SSEvent(data=str(self.n))

        client = FakeASGIClient()
        await pump(check_async_emitter(Countdown()), client.send, client.receive, None, None)
        assert [e['data'] for e in parse_stream(client.body)] == ['1', '0']


class TestPumpStream:
    async def test_raw_chunks_passed_through_and_empty_ones_skipped(self) -> None:
        client = FakeASGIClient()

        async def stream() -> AsyncIterator[bytes]:
            yield SSEvent(data='a', event_type='t').serialize().encode('utf-8')
            yield b''
            yield b'data: raw\n\n'

        assert await pump_stream(stream(), client.send, client.receive) is True
        assert client.chunks == [b'event: t\ndata: a\n\n', b'data: raw\n\n']
        assert client.completed

    async def test_endless_page_style_stream_stops_on_disconnect(self) -> None:
        client = FakeASGIClient()
        cleaned = []

        async def event_stream() -> AsyncIterator[bytes]:
            counter = 0
            try:
                while True:
                    yield SSEvent(data=str(counter), event_type='counter').serialize().encode()
                    counter += 1
                    await asyncio.sleep(1)
            finally:
                cleaned.append(counter)

        task = asyncio.ensure_future(pump_stream(event_stream(), client.send, client.receive))
        await client.wait_for_chunks(1)
        client.disconnect()
        assert await asyncio.wait_for(task, 0.5) is False
        assert cleaned == [1]  # stopped in its first sleep, not after it
        assert not other_tasks()
