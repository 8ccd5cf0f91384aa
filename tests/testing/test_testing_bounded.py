"""Misuse and misbehaving apps: every simulation ends in bounded time with a clear error.

Timeouts here are a fraction of a second; each test also asserts that it did not wait much
longer than that.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
import itertools
import time
from typing import Any

from echo_apps import handle_lifespan
import pytest

from lanner import testing
from lanner.testing import ASGIConductor

SHORT = 0.3


@pytest.fixture
def stopwatch() -> Iterator[None]:
    start = time.monotonic()
    yield
    assert time.monotonic() - start < 5, 'a bounded simulation took far longer than its limit'


def lifespan_aware(handler: Any) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope['type'] == 'lifespan':
            await handle_lifespan(receive, send)
            return
        await handler(scope, receive, send)

    return app


@lifespan_aware
async def never_starts(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await asyncio.Event().wait()


@lifespan_aware
async def endless_stream(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({'type': 'http.response.start', 'status': 200, 'headers': []})
    for i in itertools.count():
        await send({'type': 'http.response.body', 'body': b'x%d' % i, 'more_body': True})
        await asyncio.sleep(0.001)


@lifespan_aware
async def returns_without_response(scope: Any, receive: Any, send: Any) -> None:
    await receive()


@lifespan_aware
async def raises(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    raise KeyError('boom')


@lifespan_aware
async def sends_garbage(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({'type': 'http.response.start', 'status': 200, 'headers': [(b'X-Bad', b'v')]})


class TestASGIApps:
    def test_never_sends_response_start(self, stopwatch: None) -> None:
        with pytest.raises(TimeoutError, match=r'never sent http.response.start within 0.3'):
            testing.simulate_get(never_starts, '/hang', timeout=SHORT)

    def test_endless_stream(self, stopwatch: None) -> None:
        with pytest.raises(TimeoutError, match='still sending the body') as info:
            testing.simulate_get(endless_stream, '/', timeout=SHORT)
        assert 'simulate_get_stream' in str(info.value)

    def test_endless_stream_with_short_ttl_gives_what_arrived(self, stopwatch: None) -> None:
        # The client disconnects after the TTL; the app (which ignores disconnects) is stopped
        # and the result holds what was received until then.
        result = testing.simulate_get(endless_stream, '/', asgi_disconnect_ttl=0.05)
        assert result.status_code == 200
        assert result.content.startswith(b'x0x1')

    def test_body_size_cap(self, stopwatch: None) -> None:
        @lifespan_aware
        async def firehose(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            while True:
                await send({'type': 'http.response.body', 'body': b'x' * 65536, 'more_body': True})

        testing.set_limits(max_body_size=1_000_000)
        try:
            with pytest.raises(RuntimeError, match='exceeded 1000000 bytes'):
                testing.simulate_get(firehose, '/')
        finally:
            testing.set_limits(max_body_size=128 * 1024 * 1024)

    def test_returns_without_response(self) -> None:
        with pytest.raises(ConnectionError, match=r'without sending http.response.start'):
            testing.simulate_get(returns_without_response, '/')

    def test_app_exception_propagates(self) -> None:
        with pytest.raises(KeyError, match='boom'):
            testing.simulate_get(raises, '/')

    def test_protocol_violation_is_reported(self) -> None:
        with pytest.raises(ValueError, match='lower-case'):
            testing.simulate_get(sends_garbage, '/')

    def test_hanging_lifespan_startup(self, stopwatch: None) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await asyncio.Event().wait()

        with pytest.raises(TimeoutError, match='lifespan startup'):
            testing.simulate_get(app, '/', timeout=SHORT)

    def test_failed_lifespan_startup_and_shutdown(self) -> None:
        def app_failing(phase: str) -> Any:
            async def app(scope: Any, receive: Any, send: Any) -> None:
                if scope['type'] == 'lifespan':
                    while True:
                        event = await receive()
                        kind = event['type'].split('.')[-1]
                        if kind not in ('startup', 'shutdown'):
                            continue
                        outcome = 'failed' if kind == phase else 'complete'
                        await send({'type': f'lifespan.{kind}.{outcome}', 'message': 'nope'})
                        if kind == 'shutdown' or outcome == 'failed':
                            return
                await receive()
                await send({'type': 'http.response.start', 'status': 204, 'headers': []})
                await send({'type': 'http.response.body'})

            return app

        with pytest.raises(RuntimeError, match=r'lifespan.startup.failed. nope'):
            testing.simulate_get(app_failing('startup'), '/')
        with pytest.raises(RuntimeError, match=r'lifespan.shutdown.failed. nope'):
            testing.simulate_get(app_failing('shutdown'), '/')

    def test_app_without_lifespan_support(self) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            if scope['type'] != 'http':
                raise ValueError('only http')
            await receive()
            await send({'type': 'http.response.start', 'status': 204, 'headers': []})
            await send({'type': 'http.response.body'})

        assert testing.simulate_get(app, '/').status_code == 204

    @pytest.mark.parametrize('timeout', [0, -1, 'soon', True])
    def test_bad_timeout(self, timeout: Any) -> None:
        with pytest.raises(ValueError, match='timeout must be a positive number'):
            testing.simulate_get(never_starts, '/', timeout=timeout)

    def test_bad_asgi_options(self) -> None:
        with pytest.raises(ValueError, match='chunk_size'):
            testing.simulate_post(never_starts, '/', body=b'x', asgi_chunk_size=0)
        with pytest.raises(TypeError, match='asgi_disconnect_ttl'):
            testing.simulate_get(never_starts, '/', asgi_disconnect_ttl='soon')


class TestWSGIApps:
    def test_endless_iterable(self, stopwatch: None) -> None:
        closed = []

        class Endless:
            def __iter__(self) -> Iterator[bytes]:
                while True:
                    time.sleep(0.001)
                    yield b'x'

            def close(self) -> None:
                closed.append(True)

        def app(environ: Any, start_response: Any) -> Any:
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return Endless()

        with pytest.raises(TimeoutError, match='still producing the body'):
            testing.simulate_get(app, '/', timeout=SHORT)
        assert closed == [True]

    def test_never_calls_start_response(self) -> None:
        def app(environ: Any, start_response: Any) -> Any:
            return []

        with pytest.raises(RuntimeError, match='without calling start_response'):
            testing.simulate_get(app, '/')


class TestConductorMisuse:
    def test_wsgi_app_is_rejected(self) -> None:
        from lanner.errors import CompatibilityError

        def app(environ: Any, start_response: Any) -> Any:
            raise AssertionError('not called')

        with pytest.raises(CompatibilityError, match='only be used with an ASGI app'):
            ASGIConductor(app)

    async def test_wsgi_app_in_async_with_test_client(self) -> None:
        from lanner.errors import CompatibilityError

        def app(environ: Any, start_response: Any) -> Any:
            raise AssertionError('not called')

        with pytest.raises(CompatibilityError):
            async with testing.TestClient(app):
                pass

    async def test_never_starts(self, stopwatch: None) -> None:
        conductor = ASGIConductor(never_starts, timeout=SHORT)
        with pytest.raises(TimeoutError, match=r'never sent http.response.start'):
            await conductor.simulate_get('/')

    async def test_stream_never_starts(self, stopwatch: None) -> None:
        conductor = ASGIConductor(never_starts)
        with pytest.raises(TimeoutError, match=r'never sent http.response.start'):
            async with conductor.simulate_get_stream('/', timeout=SHORT):
                pass

    async def test_stream_app_that_returns_without_response(self) -> None:
        conductor = ASGIConductor(returns_without_response)
        with pytest.raises(ConnectionError):
            async with conductor.simulate_get_stream('/'):
                pass

    async def test_endless_stream_is_stopped_when_the_block_exits(self, stopwatch: None) -> None:
        async with ASGIConductor(endless_stream) as conductor:
            async with conductor.simulate_get_stream('/') as result:
                assert result.status_code == 200
                data = b''
                while len(data) < 6:
                    data += await result.stream.read()
                assert data.startswith(b'x0x1')
            assert result._task.done()

    async def test_unknown_keyword(self) -> None:
        with pytest.raises(TypeError):
            await ASGIConductor(never_starts).simulate_get('/', bogus=1)

    async def test_lifespan_startup_hang(self, stopwatch: None) -> None:
        async def app(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await asyncio.Event().wait()

        with pytest.raises(TimeoutError, match='lifespan startup'):
            async with ASGIConductor(app, timeout=SHORT):
                pass


class TestCleanupAndLimits:
    async def test_no_task_outlives_a_timed_out_simulation(self) -> None:
        conductor = ASGIConductor(endless_stream)
        with pytest.raises(TimeoutError):
            await conductor.simulate_get('/', timeout=SHORT)
        assert asyncio.all_tasks() == {asyncio.current_task()}

    async def test_streamed_results_apply_backpressure(self) -> None:
        @lifespan_aware
        async def firehose(scope: Any, receive: Any, send: Any) -> None:
            await receive()
            await send({'type': 'http.response.start', 'status': 200, 'headers': []})
            while True:
                await send({'type': 'http.response.body', 'body': b'x' * 65536, 'more_body': True})

        async with ASGIConductor(firehose).simulate_get_stream('/') as result:
            await asyncio.sleep(0.1)
            # Unread data stays near the 1 MiB high-water mark instead of growing without end.
            buffered = await result.stream.read()
            assert 0 < len(buffered) <= 1024 * 1024 + 65536
            await asyncio.sleep(0.05)
            assert 0 < len(await result.stream.read()) <= 1024 * 1024 + 65536

    def test_set_limits_changes_the_default_timeout(self, stopwatch: None) -> None:
        from lanner.testing import _simulate

        original = _simulate.DEFAULT_TIMEOUT
        testing.set_limits(timeout=SHORT)
        try:
            with pytest.raises(TimeoutError, match=r'within 0\.3 seconds'):
                testing.simulate_get(never_starts, '/')
        finally:
            testing.set_limits(timeout=original)
        with pytest.raises(ValueError, match='positive'):
            testing.set_limits(timeout=0)
        with pytest.raises(ValueError, match='positive'):
            testing.set_limits(max_body_size=0)
